"""The sandbox bank: a separate process on loopback that plays the card-payment provider
for the demo and the tests. No real money moves, and its page says so.

Run it beside the portal::

    python -m portal_sync_api.payments.sandbox_bank --port 8765 --secret S

and start the portal with ``PORTAL_PAYMENT_PROVIDER=sandbox``,
``PORTAL_SANDBOX_BANK_URL=http://127.0.0.1:8765`` and ``PORTAL_PAYMENT_SECRET=S``.

It keeps its payments in memory. Its API is the one ``sandbox.py`` speaks; its page
``/payer/{txn}`` offers « Payer », « Refuser », « Abandonner », then sends the parent back
to the portal and notifies the portal (signed). For the tests, how the notification goes is
chosen with ``--notification`` or ``POST /controle`` ``{"notification": MODE}``:

- ``immediate`` (default): sent before the parent is sent back;
- ``after_return``: sent ``delay_seconds`` after the parent is sent back;
- ``held``: kept until ``POST /controle/envoyer`` sends every held one;
- ``duplicate``: sent twice;
- ``lost``: never sent (the portal must ask the status);
- ``bad_signature``: sent signed with another secret.

``GET /controle`` tells what was sent and how the portal answered. The control endpoints
take no secret: the bank listens on loopback and is for demonstration only.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import secrets
import sys
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from portal_sync_api.core.money import euros
from portal_sync_api.payments.signing import SIGNATURE_HEADER, sign, verify

log = logging.getLogger("sandbox_bank")

MODES = ("immediate", "after_return", "held", "duplicate", "lost", "bad_signature")
ACTIONS = {"payer": "paid", "refuser": "refused", "abandonner": "abandoned"}
#: Largest request body the bank reads.
MAX_BODY = 64 * 1024


@dataclass
class Txn:
    """A payment the portal created at the bank."""

    txn_id: str
    ref: str
    amount_cents: int
    return_url: str
    notify_url: str
    label: str
    state: str = "pending"


@dataclass
class Bank:
    """The bank's memory: its payments, how it notifies, what it sent."""

    secret: str
    mode: str = "immediate"
    delay_seconds: float = 1.0
    txns: dict[str, Txn] = field(default_factory=dict)
    by_ref: dict[str, str] = field(default_factory=dict)
    held: list[Txn] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, data: dict[str, Any], base_url: str) -> Txn:
        """Record a payment asked by the portal (the same ``ref`` twice: the same one)."""
        with self.lock:
            known = self.by_ref.get(str(data["ref"]))
            if known is not None:
                return self.txns[known]
            txn = Txn(
                txn_id=f"SBX-{secrets.token_hex(12)}",
                ref=str(data["ref"]),
                amount_cents=int(data["amount_cents"]),
                return_url=str(data["return_url"]),
                notify_url=str(data["notify_url"]),
                label=str(data.get("label", ""))[:200],
            )
            self.txns[txn.txn_id] = txn
            self.by_ref[txn.ref] = txn.txn_id
            return txn

    def notification(self, txn: Txn) -> bytes:
        """The notification body of ``txn`` as it stands."""
        return _payload(txn)

    def notify(self, txn: Txn, *, mode: str | None = None) -> None:
        """Send ``txn``'s notification as ``mode`` (default: the bank's) says."""
        mode = mode or self.mode
        if mode == "lost":
            self._record(txn, "lost", None)
            return
        if mode == "held":
            with self.lock:
                self.held.append(txn)
            return
        if mode == "after_return":
            timer = threading.Timer(self.delay_seconds, self._send, args=(txn, self.secret))
            timer.daemon = True
            timer.start()
            return
        secret = self.secret if mode != "bad_signature" else self.secret + "-faux"
        self._send(txn, secret)
        if mode == "duplicate":
            self._send(txn, secret)

    def release_held(self) -> int:
        """Send every held notification; how many."""
        with self.lock:
            held, self.held = self.held, []
        for txn in held:
            self._send(txn, self.secret)
        return len(held)

    def _send(self, txn: Txn, secret: str) -> None:
        body = _payload(txn)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)}
        try:
            answer = requests.post(txn.notify_url, data=body, headers=headers, timeout=10)
            status: int | None = answer.status_code
        except requests.RequestException:
            status = None
        self._record(txn, "sent", status)

    def _record(self, txn: Txn, what: str, status: int | None) -> None:
        with self.lock:
            self.sent.append({"txn_id": txn.txn_id, "what": what, "portal_status": status})
        log.info("notification %s %s -> %s", txn.txn_id, what, status)


def _payload(txn: Txn) -> bytes:
    return json.dumps(
        {
            "ref": txn.ref,
            "txn_id": txn.txn_id,
            "state": txn.state,
            "amount_cents": txn.amount_cents,
        }
    ).encode("utf-8")


PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Banque de démonstration</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; background: #f4f4f0; color: #1b1b1b; }}
header {{ background: #7a1f00; color: #fff; padding: 1rem; }}
header p {{ margin: 0; font-size: 1.25rem; font-weight: bold; }}
main {{ max-width: 34rem; margin: 1.5rem auto; padding: 0 1rem; }}
.carte {{ background: #fff; border: 2px solid #7a1f00; border-radius: .5rem; padding: 1rem; }}
.carte p:first-child {{ margin-top: 0; }}
.montant {{ font-size: 2rem; font-weight: bold; margin: .5rem 0; }}
.boutons {{ display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1rem; }}
button {{ font-size: 1.1rem; padding: .75rem 1.25rem; border-radius: .4rem;
  border: 2px solid #1b1b1b; background: #fff; color: #1b1b1b; cursor: pointer; min-width: 9rem; }}
button.payer {{ background: #14532d; border-color: #14532d; color: #fff; }}
button:focus-visible {{ outline: 3px solid #1d4ed8; outline-offset: 2px; }}
</style>
</head>
<body>
<header><p>Banque de démonstration — aucun paiement réel</p></header>
<main>
{body}
</main>
</body>
</html>
"""


def pay_page(txn: Txn) -> str:
    """The page where the parent pays, refuses or gives up."""
    if txn.state != "pending":
        done = {"paid": "payé", "refused": "refusé", "abandoned": "abandonné"}[txn.state]
        body = (
            f"<h1>Paiement déjà traité</h1><p>Ce paiement a été {done}.</p>"
            f'<p><a href="{html.escape(txn.return_url)}">Revenir au portail</a></p>'
        )
        return PAGE.format(title="Paiement déjà traité", body=body)
    body = f"""<h1>Paiement de démonstration</h1>
<div class="carte">
<p>{html.escape(txn.label)}</p>
<p class="montant">{euros(txn.amount_cents)}</p>
<p>Référence : {html.escape(txn.ref)}</p>
<p>Cette page imite celle d'une banque. Aucune carte n'est demandée et aucun argent ne
circule.</p>
<form method="post" action="/payer/{html.escape(txn.txn_id)}">
<div class="boutons">
<button class="payer" type="submit" name="action" value="payer">Payer</button>
<button type="submit" name="action" value="refuser">Refuser</button>
<button type="submit" name="action" value="abandonner">Abandonner</button>
</div>
</form>
</div>"""
    return PAGE.format(title="Paiement de démonstration", body=body)


class Handler(BaseHTTPRequestHandler):
    """The bank's HTTP endpoints (see the module's docstring)."""

    server: BankServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    # -- helpers --------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, MAX_BODY))

    def _send(self, status: int, body: bytes, content_type: str, *, signed: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if signed:
            self.send_header(SIGNATURE_HEADER, sign(self.server.bank.secret, body))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any, *, signed: bool = False) -> None:
        body = json.dumps(data).encode("utf-8")
        self._send(status, body, "application/json", signed=signed)

    def _html(self, status: int, text: str) -> None:
        self._send(status, text.encode("utf-8"), "text/html; charset=utf-8")

    # -- routes ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        bank = self.server.bank
        if url.path == "/api/paiements":
            signature = self.headers.get(SIGNATURE_HEADER)
            if not verify(bank.secret, url.query.encode("utf-8"), signature):
                self._json(403, {"detail": "signature invalide"})
                return
            ref = parse_qs(url.query).get("ref", [""])[0]
            txn_id = bank.by_ref.get(ref)
            if txn_id is None:
                self._json(404, {"detail": "paiement inconnu"}, signed=True)
                return
            self._send(200, bank.notification(bank.txns[txn_id]), "application/json", signed=True)
        elif url.path.startswith("/payer/"):
            txn = bank.txns.get(url.path.removeprefix("/payer/"))
            if txn is None:
                self._html(404, PAGE.format(title="Inconnu", body="<h1>Paiement inconnu</h1>"))
                return
            self._html(200, pay_page(txn))
        elif url.path == "/controle":
            with bank.lock:
                sent = list(bank.sent)
            self._json(200, {"mode": bank.mode, "held": len(bank.held), "sent": sent})
        elif url.path == "/healthz":
            self._json(200, {"status": "ok"})
        else:
            self._json(404, {"detail": "introuvable"})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        bank = self.server.bank
        body = self._body()
        if url.path == "/api/paiements":
            if not verify(bank.secret, body, self.headers.get(SIGNATURE_HEADER)):
                self._json(403, {"detail": "signature invalide"})
                return
            try:
                txn = bank.create(json.loads(body), self.server.base_url)
            except (ValueError, KeyError, TypeError):
                self._json(400, {"detail": "demande illisible"})
                return
            answer = {"txn_id": txn.txn_id, "url": f"{self.server.base_url}/payer/{txn.txn_id}"}
            self._json(201, answer, signed=True)
        elif url.path.startswith("/payer/"):
            found = bank.txns.get(url.path.removeprefix("/payer/"))
            action = parse_qs(body.decode("utf-8", "replace")).get("action", [""])[0]
            if found is None or action not in ACTIONS:
                self._html(404, PAGE.format(title="Inconnu", body="<h1>Paiement inconnu</h1>"))
                return
            txn = found
            with bank.lock:
                fresh = txn.state == "pending"
                if fresh:
                    txn.state = ACTIONS[action]
            if fresh:
                bank.notify(txn)
            self.send_response(HTTPStatus.SEE_OTHER)
            self.send_header("Location", txn.return_url)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path == "/controle":
            try:
                data = json.loads(body or b"{}")
                mode = data.get("notification", bank.mode)
                delay = float(data.get("delay_seconds", bank.delay_seconds))
            except (ValueError, AttributeError, TypeError):
                self._json(400, {"detail": "demande illisible"})
                return
            if mode not in MODES:
                self._json(400, {"detail": f"mode inconnu: {mode}"})
                return
            bank.mode, bank.delay_seconds = mode, delay
            self._json(200, {"mode": bank.mode, "delay_seconds": bank.delay_seconds})
        elif url.path == "/controle/envoyer":
            self._json(200, {"sent": bank.release_held()})
        else:
            self._json(404, {"detail": "introuvable"})


class BankServer(ThreadingHTTPServer):
    """The HTTP server holding the :class:`Bank`."""

    daemon_threads = True

    def __init__(self, host: str, port: int, bank: Bank) -> None:
        super().__init__((host, port), Handler)
        self.bank = bank
        self.base_url = f"http://{host}:{self.server_address[1]}"


def main(argv: list[str] | None = None) -> int:
    """``python -m portal_sync_api.payments.sandbox_bank --port P --secret S``."""
    parser = argparse.ArgumentParser(
        prog="sandbox_bank", description="Banque de démonstration (aucun paiement réel)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (8765; 0 : au hasard)")
    parser.add_argument("--secret", required=True, help="secret partagé avec le portail")
    parser.add_argument("--notification", choices=MODES, default="immediate")
    parser.add_argument("--delay", type=float, default=1.0, help="délai de after_return (s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    bank = Bank(secret=args.secret, mode=args.notification, delay_seconds=args.delay)
    server = BankServer(args.host, args.port, bank)
    print(f"Banque de démonstration : {server.base_url}", flush=True)  # noqa: T201 (entry point)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
