"""``station listen``: the installer's check, with several readers at once."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np

from station.readers.synthetic import card_symbol, perturbed_frame
from tests.support.readers import write_station_config

ROOT = Path(__file__).parents[3]


def _listen(config: Path, seconds: float, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "station.cli", "--config", str(config), "listen",
         "--seconds", str(seconds)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def test_listen_prints_one_json_line_per_scan_from_wedge_serial_and_camera(
    tmp_path: Path,
) -> None:
    master, slave = os.openpty()
    slave_path = os.ttyname(slave)
    os.close(slave)
    video = tmp_path / "camera.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 15, (640, 480))
    rng = np.random.default_rng(9)
    for _ in range(4):
        frame = perturbed_frame(card_symbol("1849-00003", "code128"), 0, rng)
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    config = write_station_config(
        tmp_path,
        f"""
[[readers]]
kind = "wedge"
name = "clavier"

[[readers]]
kind = "serial"
name = "douchette"
port = "{slave_path}"

[[readers]]
kind = "camera"
name = "webcam"
device = "{video}"
""",
    )
    stop = threading.Event()

    def scanner() -> None:
        # pyserial empties the input queue when it opens the port, and how long the command
        # takes to get there depends on the machine's load: the scanner fires until the end
        # (the reader's debounce makes it one scan).
        while not stop.wait(0.2):
            with contextlib.suppress(OSError):
                os.write(master, b"1849-00002\r")

    firing = threading.Thread(target=scanner, daemon=True)
    try:
        proc = _listen(config, 5)
        assert proc.stdin is not None
        proc.stdin.write("1849-00001\n&_'ç)à&é\"'\nbonjour\n")
        proc.stdin.close()  # the wedge reader sees end of input
        proc.stdin = None
        firing.start()
        out, err = proc.communicate(timeout=30)
    finally:
        stop.set()
        firing.join()
        os.close(master)
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    seen = {(d["source"], d["raw"], d["code"], d["parsed"]) for d in lines}
    assert seen == {
        ("wedge", "1849-00001", "1849-00001", True),
        ("wedge", "&_'ç)à&é\"'", "1849-01234", True),
        ("wedge", "bonjour", None, False),
        ("serial", "1849-00002", "1849-00002", True),
        ("camera", "1849-00003", "1849-00003", True),
    }
    assert len(lines) == 5


def test_listen_reports_a_missing_serial_port_in_french_on_stderr(tmp_path: Path) -> None:
    config = write_station_config(
        tmp_path,
        """
[[readers]]
kind = "serial"
port = "/dev/serial/by-id/usb-absent-if00"
""",
    )
    proc = _listen(config, 0.5)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert out == ""
    assert "usb-absent-if00" in err and "impossible à ouvrir" in err


def test_listen_without_readers_says_what_to_add(tmp_path: Path) -> None:
    proc = _listen(write_station_config(tmp_path, ""), 0.5)
    _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 2
    assert "[[readers]]" in err
