"""E-mail that is never lost: an outbox table written in the caller's transaction, and a
sender that delivers it over SMTP (or to ``.eml`` files) with retries.

Use :func:`queue_mail` from the code that causes a mail; ``serve`` runs the sender.
"""

from __future__ import annotations

from portal_sync_api.mail.outbox import normalize_email, queue_mail

__all__ = ["normalize_email", "queue_mail"]
