"""A fault-injecting HTTP/1.1 proxy on loopback, between the station and a real portal.

It understands just enough HTTP (request and response heads, Content-Length bodies) to
apply a fault to the requests whose first line matches a pattern:

- ``drop``: forward the request, read the portal's whole answer, then close the client
  connection without sending it (the portal committed; the station never hears back);
- ``cut``: send only the first ``cut_bytes`` bytes of the answer, then close;
- ``delay``: wait ``delay_seconds`` before relaying the answer;
- ``down``: close the client connection at once (portal unreachable).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass


@dataclass
class Fault:
    mode: str  # "drop" | "cut" | "delay" | "down"
    match: str = ""  # substring of the request line ("POST /v1/sync/meals")
    times: int = 1_000_000  # how many matching requests to spoil
    after: int = 0  # let this many matching requests through first
    cut_bytes: int = 200
    delay_seconds: float = 0.0


def _read_message(sock: socket.socket, buffer: bytearray) -> bytes | None:
    """One HTTP message (head + Content-Length body) from ``sock``; ``None`` at EOF."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer.extend(chunk)
    head_end = buffer.index(b"\r\n\r\n") + 4
    length = 0
    for line in bytes(buffer[:head_end]).split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(buffer) < head_end + length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer.extend(chunk)
    message = bytes(buffer[: head_end + length])
    del buffer[: head_end + length]
    return message


class FaultyProxy:
    """``with FaultyProxy(upstream_port) as proxy: proxy.url ...``; set ``proxy.fault``."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.fault: Fault | None = None
        self.spoiled = 0
        self.requests: list[str] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> FaultyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _take_fault(self, request_line: str) -> Fault | None:
        with self._lock:
            self.requests.append(request_line)
            fault = self.fault
            if fault and fault.match in request_line and fault.after > 0:
                fault.after -= 1
                return None
            if fault and fault.match in request_line and fault.times > 0:
                fault.times -= 1
                self.spoiled += 1
                return fault
            return None

    def _serve(self, client: socket.socket) -> None:
        inbox = bytearray()
        with client:
            while True:
                try:
                    request = _read_message(client, inbox)
                except OSError:
                    return
                if request is None:
                    return
                line = request.split(b"\r\n", 1)[0].decode("latin-1")
                fault = self._take_fault(line)
                if fault and fault.mode == "down":
                    return
                try:
                    with socket.create_connection(self.upstream) as upstream:
                        upstream.sendall(request)
                        answer = _read_message(upstream, bytearray())
                except OSError:
                    return
                if answer is None:
                    return
                if fault and fault.mode == "drop":
                    return
                if fault and fault.mode == "cut":
                    client.sendall(answer[: fault.cut_bytes])
                    return
                if fault and fault.mode == "delay":
                    time.sleep(fault.delay_seconds)
                try:
                    client.sendall(answer)
                except OSError:
                    return
