"""The payment provider the settings name (``PORTAL_PAYMENT_PROVIDER``), or none."""

from __future__ import annotations

from portal_sync_api.core.config import Settings
from portal_sync_api.payments.provider import PaymentProvider
from portal_sync_api.payments.sandbox import SandboxProvider


def provider_from_settings(settings: Settings) -> PaymentProvider | None:
    """The configured provider; ``None`` when online payment is off (``none``)."""
    if settings.payment_provider == "sandbox":
        assert settings.sandbox_bank_url and settings.payment_secret  # Settings checks it
        return SandboxProvider(settings.sandbox_bank_url, settings.payment_secret)
    return None
