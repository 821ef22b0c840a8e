"""The portal's adapter for the sandbox bank (``sandbox_bank.py``), a provider of the
usual pattern (``provider.py``) where no real money moves.

Wire format: JSON bodies signed with HMAC-SHA256 of the raw bytes in ``X-Signature``
(``signing.py``); a status query signs its query string (``ref=…``).

- ``POST /api/paiements`` ``{"ref", "amount_cents", "return_url", "notify_url", "label"}``
  → 201 ``{"txn_id", "url"}``;
- ``GET /api/paiements?ref=…`` → 200 ``{"ref", "txn_id", "state", "amount_cents"}`` or 404;
- the notification, ``POST`` to ``notify_url``: ``{"ref", "txn_id", "state",
  "amount_cents"}``, ``state`` one of ``paid``, ``refused``, ``abandoned``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import requests

from portal_sync_api.payments.provider import (
    OUTCOMES,
    BadNotification,
    Created,
    Notice,
    Order,
    ProviderError,
)
from portal_sync_api.payments.signing import SIGNATURE_HEADER, sign, verify

#: Seconds the portal waits for the bank (a parent is waiting on the other end).
TIMEOUT_SECONDS = 5.0


class SandboxProvider:
    """The sandbox bank at ``url``, sharing ``secret`` with the portal."""

    kind = "sandbox"
    demo = True

    def __init__(self, url: str, secret: str) -> None:
        self.url = url.rstrip("/")
        self._secret = secret

    def create(self, order: Order) -> Created:
        """Create the payment at the bank and return where to send the parent."""
        body = json.dumps(
            {
                "ref": order.payment_ref,
                "amount_cents": order.amount_cents,
                "return_url": order.return_url,
                "notify_url": order.notify_url,
                "label": order.label,
            }
        ).encode("utf-8")
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self._secret, body)}
        data = self._call("POST", "/api/paiements", body=body, headers=headers, expect=201)
        if data is None:
            raise ProviderError("la banque n'a pas créé le paiement")
        try:
            return Created(txn_id=str(data["txn_id"]), redirect_url=str(data["url"]))
        except KeyError as missing:
            raise ProviderError(f"réponse de la banque incomplète: {missing}") from None

    def verify_notification(self, body: bytes, headers: dict[str, str]) -> Notice:
        """The notice of a notification signed with the shared secret."""
        signature = _header(headers, SIGNATURE_HEADER)
        if not verify(self._secret, body, signature):
            raise BadNotification("signature")
        try:
            data = json.loads(body)
        except ValueError:
            raise BadNotification("body") from None
        return _notice(data, BadNotification)

    def status(self, payment_ref: str) -> Notice | None:
        """Ask the bank, with a signed query, what became of ``payment_ref``."""
        query = urlencode({"ref": payment_ref})
        headers = {SIGNATURE_HEADER: sign(self._secret, query.encode("utf-8"))}
        data = self._call("GET", f"/api/paiements?{query}", headers=headers, expect=200)
        if data is None:
            return None
        notice = _notice(data, ProviderError)
        if notice.payment_ref != payment_ref:
            raise ProviderError("la banque a répondu pour un autre paiement")
        return notice

    def _call(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        expect: int,
        body: bytes | None = None,
    ) -> dict[str, Any] | None:
        try:
            answer = requests.request(
                method, self.url + path, data=body, headers=headers, timeout=TIMEOUT_SECONDS
            )
        except requests.RequestException as exc:
            raise ProviderError(f"banque injoignable ({type(exc).__name__})") from exc
        if answer.status_code == 404:
            return None
        if answer.status_code != expect:
            raise ProviderError(f"la banque a répondu {answer.status_code}")
        # The answer is trusted only when signed: a status query credits the wallet.
        if not verify(self._secret, answer.content, answer.headers.get(SIGNATURE_HEADER)):
            raise ProviderError("réponse de la banque mal signée")
        try:
            data = answer.json()
        except ValueError:
            raise ProviderError("réponse de la banque illisible") from None
        if not isinstance(data, dict):
            raise ProviderError("réponse de la banque illisible")
        return data


def _header(headers: dict[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _notice(data: Any, error: type[Exception]) -> Notice:
    if not isinstance(data, dict):
        raise error("body")
    state = data.get("state")
    amount = data.get("amount_cents")
    ref, txn = data.get("ref"), data.get("txn_id")
    if state not in OUTCOMES or not isinstance(amount, int) or isinstance(amount, bool):
        raise error("state")
    if not isinstance(ref, str) or not isinstance(txn, str) or not ref or not txn:
        raise error("ref")
    if len(ref) > 40 or len(txn) > 100:
        raise error("ref")
    return Notice(payment_ref=ref, txn_id=txn, outcome=state, amount_cents=amount)
