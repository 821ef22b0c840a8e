"""What the portal needs from a card-payment provider, whichever it is.

Every card-payment service used by French public bodies (PayFiP/TIPI, and the payment
services schools use) follows one pattern, which this interface is:

1. the portal creates a payment (amount, our reference, where to come back, where to
   notify) and gets a transaction id and an address to send the parent to;
2. the parent pays (or refuses, or gives up) on the provider's pages, and the provider
   sends them back to the return address;
3. separately, the provider calls the notification address server to server;
4. the portal may ask the provider, server to server, what became of a payment.

Only 3 (once its signature is verified) and 4 are trusted: the return in the browser
proves nothing, anyone can type an address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

#: What the provider says of a payment.
Outcome = Literal["paid", "refused", "abandoned", "pending"]
OUTCOMES: tuple[Outcome, ...] = ("paid", "refused", "abandoned", "pending")


class ProviderError(Exception):
    """The provider could not be reached or answered something unusable."""


class BadNotification(Exception):
    """A notification whose signature or content does not check out (nothing is done)."""


@dataclass(frozen=True)
class Order:
    """A payment to create at the provider."""

    #: Our reference of the payment (``Payment.ref``).
    payment_ref: str
    amount_cents: int
    #: Where the provider sends the parent back (the portal's return page).
    return_url: str
    #: Where the provider sends its server-to-server notification.
    notify_url: str
    #: What the parent reads at the provider (no child's name: the school and the family).
    label: str


@dataclass(frozen=True)
class Created:
    """The provider's answer to an :class:`Order`."""

    txn_id: str
    redirect_url: str


@dataclass(frozen=True)
class Notice:
    """What the provider proved about a payment (a verified notification or status)."""

    payment_ref: str
    txn_id: str
    outcome: Outcome
    amount_cents: int


class PaymentProvider(Protocol):
    """A card-payment provider (docs/operations.md: how to add one)."""

    #: Short name stored with each payment (``sandbox``).
    kind: str
    #: Whether no real money moves (the pages then say « paiement de démonstration »).
    demo: bool

    def create(self, order: Order) -> Created:
        """Create the payment; :class:`ProviderError` when the provider is unreachable."""
        ...

    def verify_notification(self, body: bytes, headers: dict[str, str]) -> Notice:
        """The notice a server-to-server notification proves; :class:`BadNotification`
        when its signature or content does not check out."""
        ...

    def status(self, payment_ref: str) -> Notice | None:
        """Ask the provider what became of our payment ``payment_ref`` (``None``: it does
        not know it); :class:`ProviderError` when it cannot be asked."""
        ...
