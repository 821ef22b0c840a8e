"""Portal settings, read from the environment (no configuration file needed)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date

from portal_sync_api.errors import DataError

DEFAULT_DATABASE_URL = "sqlite:///portal.db"

#: Largest accepted request body (docs/design.md §5: a meal batch is at most 1 MiB).
MAX_BODY_BYTES = 1024 * 1024
#: Largest body of the photo upload page (a 10 MB picture and its form; docs/design.md §8).
MAX_PHOTO_BODY_BYTES = 10 * 1024 * 1024 + 256 * 1024
#: Largest meal batch accepted by ``POST /v1/sync/meals``.
MAX_BATCH_ITEMS = 1000
#: Page size bounds of ``GET /v1/sync/changes``.
DEFAULT_PAGE = 1000
MAX_PAGE = 5000
#: A meal served further ahead of the server clock than this is flagged ``clock_skew``.
CLOCK_SKEW_SECONDS = 5 * 60
#: A void is applied up to this long past the school's undo window after its meal (and this
#: long before it), by the station's clock: a station's timer and a tap on the last second.
UNDO_TOLERANCE_SECONDS = 5 * 60
#: Meals of a business date before this one are ``implausible_date`` (a clock at 0001-01-01
#: or 1900-01-01 after a dead battery, never a real service).
EARLIEST_BUSINESS_DATE = date(2020, 1, 1)


def normalize_database_url(url: str) -> str:
    """Accept the URLs people type and return the one SQLAlchemy needs.

    ``postgresql://`` and ``postgres://`` select the psycopg 3 driver, which is the one
    installed; every other URL is returned unchanged.
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class PoolSettings:
    """The PostgreSQL connections one portal process may hold (SQLite ignores them).

    Each ``serve`` worker has its own pool: workers × (``size`` + ``max_overflow``), plus
    the two connections of the background work, must stay below the server's
    ``max_connections`` minus what backups and administrators need (docs/operations.md §13).
    """

    #: Connections kept open (``PORTAL_DB_POOL_SIZE``).
    size: int = 5
    #: Extra connections opened under a burst and closed after (``PORTAL_DB_MAX_OVERFLOW``).
    max_overflow: int = 5
    #: Seconds a request waits for a free connection before the portal answers 503
    #: (``PORTAL_DB_POOL_TIMEOUT``).
    timeout: int = 30
    #: The URL points at PgBouncer in transaction mode (``PORTAL_DB_PGBOUNCER``): no
    #: server-side prepared statements and no per-connection settings, which would outlive
    #: the transaction on a server connection another client gets next.
    pgbouncer: bool = False

    @property
    def limit(self) -> int:
        """The most connections this pool ever opens."""
        return self.size + self.max_overflow


@dataclass(frozen=True)
class Settings:
    """What the portal process needs to know."""

    #: SQLAlchemy URL of the portal database (``PORTAL_DATABASE_URL``).
    database_url: str = DEFAULT_DATABASE_URL
    #: Base URL people reach the portal at, used in the links of e-mails
    #: (``PORTAL_PUBLIC_URL``, no trailing slash).
    public_url: str = "http://127.0.0.1:8000"
    #: SMTP server of outgoing mail (``PORTAL_SMTP_HOST``); when set, mails go there.
    smtp_host: str | None = None
    #: Its port (``PORTAL_SMTP_PORT``): 587 for STARTTLS, 465 for TLS, 25 for none.
    smtp_port: int = 587
    #: ``starttls`` (default), ``tls`` (implicit, port 465) or ``none`` (loopback relays
    #: only) (``PORTAL_SMTP_SECURITY``).
    smtp_security: str = "starttls"
    #: Login on the SMTP server, if it asks for one (``PORTAL_SMTP_USER``).
    smtp_user: str | None = None
    #: Its password (``PORTAL_SMTP_PASSWORD``).
    smtp_password: str | None = field(default=None, repr=False)  # never in a log line
    #: PEM file of the authorities trusted for the SMTP server's certificate, instead of
    #: the system's (``PORTAL_SMTP_CA_FILE``; an internal relay with its own CA).
    smtp_ca_file: str | None = None
    #: ``From`` of every mail (``PORTAL_MAIL_FROM``), e.g.
    #: ``Restauration scolaire <cantine@college.fr>``.
    mail_from: str = "cantine@localhost"
    #: Folder where each mail is written as an ``.eml`` file when no SMTP host is set
    #: (``PORTAL_MAIL_DIR``; the demo's sink).
    mail_dir: str | None = None
    #: ``Secure`` flag of the web cookies (``PORTAL_SECURE_COOKIES``): ``auto`` (default:
    #: set unless ``public_url`` is plain http on the loopback), ``true`` or ``false``.
    secure_cookies: str = "auto"
    #: Seconds between two automatic reloads of the intendance's day page while a service
    #: of the day shown is open (``PORTAL_DAY_REFRESH_SECONDS``, 1 to 3600).
    day_refresh_seconds: int = 15
    #: Online payment provider (``PORTAL_PAYMENT_PROVIDER``): ``none`` (default: the
    #: top-up form says online payment is not available) or ``sandbox`` (the demonstration
    #: bank, ``python -m portal_sync_api.payments.sandbox_bank``).
    payment_provider: str = "none"
    #: Address of the sandbox bank (``PORTAL_SANDBOX_BANK_URL``, e.g.
    #: ``http://127.0.0.1:8765``).
    sandbox_bank_url: str | None = None
    #: Secret shared with the provider, which signs (HMAC-SHA256) its notifications and
    #: answers (``PORTAL_PAYMENT_SECRET``).
    payment_secret: str | None = field(default=None, repr=False)  # never in a log line
    #: Minutes after which an online payment nothing settled is given up as expired, once
    #: the provider was asked its status (``PORTAL_PAYMENT_PENDING_MINUTES``).
    payment_pending_minutes: int = 60
    #: The database connections of this process (``PORTAL_DB_*``).
    pool: PoolSettings = field(default_factory=PoolSettings)
    #: Whether this process runs the background work: mail sender, notice pass, expiry of
    #: pending payments (``PORTAL_BACKGROUND_TASKS``, ``on`` by default). ``serve
    #: --workers N`` runs it once in its supervising process and turns it off in the
    #: workers, so a mail is never sent by two processes at once.
    background_tasks: bool = True

    def __post_init__(self) -> None:
        if self.payment_provider == "sandbox" and not (
            self.sandbox_bank_url and self.payment_secret
        ):
            raise DataError(
                "PORTAL_PAYMENT_PROVIDER",
                "sandbox demande PORTAL_SANDBOX_BANK_URL et PORTAL_PAYMENT_SECRET",
            )

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        """Settings from an explicit URL, else ``PORTAL_DATABASE_URL``, else the default;
        the other fields from their ``PORTAL_*`` variables (empty means unset)."""
        url = database_url or os.environ.get("PORTAL_DATABASE_URL") or DEFAULT_DATABASE_URL
        return cls(
            database_url=normalize_database_url(url),
            public_url=(_env("PORTAL_PUBLIC_URL") or cls.public_url).rstrip("/"),
            smtp_host=_env("PORTAL_SMTP_HOST"),
            smtp_port=_env_port("PORTAL_SMTP_PORT", cls.smtp_port),
            smtp_security=_env_choice("PORTAL_SMTP_SECURITY", SMTP_SECURITY, cls.smtp_security),
            smtp_user=_env("PORTAL_SMTP_USER"),
            smtp_password=_env("PORTAL_SMTP_PASSWORD"),
            smtp_ca_file=_env("PORTAL_SMTP_CA_FILE"),
            mail_from=_env("PORTAL_MAIL_FROM") or cls.mail_from,
            mail_dir=_env("PORTAL_MAIL_DIR"),
            secure_cookies=_env_choice(
                "PORTAL_SECURE_COOKIES", ("auto", "true", "false"), cls.secure_cookies
            ),
            day_refresh_seconds=_env_seconds("PORTAL_DAY_REFRESH_SECONDS", 15),
            payment_provider=_env_choice(
                "PORTAL_PAYMENT_PROVIDER", PAYMENT_PROVIDERS, cls.payment_provider
            ),
            sandbox_bank_url=(_env("PORTAL_SANDBOX_BANK_URL") or "").rstrip("/") or None,
            payment_secret=_env("PORTAL_PAYMENT_SECRET"),
            payment_pending_minutes=_env_minutes(
                "PORTAL_PAYMENT_PENDING_MINUTES", cls.payment_pending_minutes
            ),
            pool=PoolSettings(
                size=_env_count("PORTAL_DB_POOL_SIZE", PoolSettings.size, minimum=1),
                max_overflow=_env_count("PORTAL_DB_MAX_OVERFLOW", PoolSettings.max_overflow),
                timeout=_env_count("PORTAL_DB_POOL_TIMEOUT", PoolSettings.timeout, minimum=1),
                pgbouncer=_env_flag("PORTAL_DB_PGBOUNCER", default=False),
            ),
            background_tasks=_env_flag("PORTAL_BACKGROUND_TASKS", default=True),
        )


#: Accepted values of ``PORTAL_SMTP_SECURITY``.
SMTP_SECURITY = ("starttls", "tls", "none")
#: Accepted values of ``PORTAL_PAYMENT_PROVIDER``.
PAYMENT_PROVIDERS = ("none", "sandbox")


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _env_port(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise DataError(name, f"port invalide: {value!r}")
    return int(value)


def _env_seconds(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    if not value.isdigit() or not 0 < int(value) <= 3600:
        raise DataError(name, f"nombre de secondes de 1 à 3600 attendu: {value!r}")
    return int(value)


def _env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = (_env(name) or default).lower()
    if value not in choices:
        raise DataError(name, f"{value!r} n'est pas une valeur permise ({', '.join(choices)})")
    return value


def _env_minutes(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    if not value.isdigit() or not 0 < int(value) <= 7 * 24 * 60:
        raise DataError(name, f"durée en minutes invalide: {value!r}")
    return int(value)


def _env_count(name: str, default: int, *, minimum: int = 0) -> int:
    value = _env(name)
    if value is None:
        return default
    if not value.isdigit() or not minimum <= int(value) <= 1000:
        raise DataError(name, f"nombre entier de {minimum} à 1000 attendu: {value!r}")
    return int(value)


def _env_flag(name: str, *, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    flags = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}
    if value.lower() not in flags:
        raise DataError(name, f"on ou off attendu: {value!r}")
    return flags[value.lower()]
