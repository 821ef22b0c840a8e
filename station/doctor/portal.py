"""Doctor checks against the portal: reachable, token accepted, right school, clock skew."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from station.core.config import StationConfig
from station.core.errors import SyncError
from station.doctor.findings import Finding, Level
from station.sync.client import PortalClient

#: Skew beyond which the portal flags meals ``clock_skew`` and service windows shift.
CLOCK_BLOCKING_SECONDS = 5 * 60
#: The HTTP ``Date`` header has a one-second resolution; beyond this, warn.
CLOCK_WARNING_SECONDS = 30
#: Doctor does not wait as long as the sync loop for a portal that does not answer.
MAX_TIMEOUT_SECONDS = 5.0

_NTP_FIX = (
    "activez la mise à l'heure automatique : sudo timedatectl set-ntp true "
    "(systemd-timesyncd), puis vérifiez avec timedatectl status"
)


class _LastResponse:
    """Session hook keeping the status, ``Date`` header and timing of the last answer."""

    def __init__(self) -> None:
        self.status = 0
        self.date = ""
        self.sent = 0.0
        self.received = 0.0

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.received = time.time()
        self.sent = self.received - response.elapsed.total_seconds()
        self.status = response.status_code
        self.date = response.headers.get("Date", "")


def _clock(last: _LastResponse) -> Finding | None:
    if not last.date:
        return None
    try:
        portal_time = parsedate_to_datetime(last.date).timestamp()
    except (TypeError, ValueError):
        return None
    # The portal stamped its Date somewhere between send and receive; the header is
    # truncated to the second.
    skew = (last.sent + last.received) / 2 - portal_time - 0.5
    shown = f"horloge du poste {'en avance' if skew > 0 else 'en retard'} de {abs(skew):.0f} s"
    if abs(skew) > CLOCK_BLOCKING_SECONDS:
        return Finding(
            "horloge (clock skew)",
            Level.BLOCKING,
            f"{shown} sur le portail : services, date du jour et soldes seraient faux",
            _NTP_FIX,
            "portal.clock_skew",
        )
    if abs(skew) > CLOCK_WARNING_SECONDS:
        return Finding(
            "horloge (clock skew)",
            Level.WARNING,
            f"{shown} sur le portail",
            _NTP_FIX,
            "portal.clock_drift",
        )
    return Finding("horloge (clock skew)", Level.OK, f"{shown} (±1 s)", code="portal.clock_ok")


def check_portal(config: StationConfig) -> list[Finding]:
    """Reachability (``/healthz``), then the token on one feed page, then the clock."""
    portal = config.portal
    if not portal.url:
        return []
    last = _LastResponse()
    try:
        client = PortalClient(
            portal.url,
            portal.token,
            timeout=min(portal.timeout_seconds, MAX_TIMEOUT_SECONDS),
            ca_bundle=portal.ca_bundle,
        )
    except SyncError as e:
        return [Finding("portail (portal)", Level.BLOCKING, e.message, code="portal.config")]
    client.session.hooks["response"].append(last)
    findings: list[Finding] = []
    try:
        try:
            health = client.health()
        except SyncError as e:
            return [
                Finding(
                    "portail joignable (reachability)",
                    Level.WARNING,
                    e.message + " — le poste continue de servir hors ligne",
                    f"vérifiez le réseau, le pare-feu, le proxy et l'adresse {portal.url} "
                    f"(curl {portal.url.rstrip('/')}/healthz) ; certificat : [portal] ca_bundle",
                    "portal.unreachable",
                )
            ]
        clock = _clock(last)
        if health.get("database") not in (None, "ok"):
            findings.append(
                Finding(
                    "portail joignable (reachability)",
                    Level.WARNING,
                    f"le portail répond mais sa base est en défaut ({health})",
                    "prévenez l'administrateur du portail (journalctl -u portal-sync-api)",
                    "portal.unhealthy",
                )
            )
        else:
            findings.append(
                Finding(
                    "portail joignable (reachability)",
                    Level.OK,
                    f"{portal.url} répond",
                    code="portal.ok",
                )
            )
        if portal.token:
            findings.append(_token(client, config, last))
        if clock is not None:
            findings.append(clock)
    finally:
        client.close()
    return findings


def _token(client: PortalClient, config: StationConfig, last: _LastResponse) -> Finding:
    try:
        page = client.changes(0, 1)
    except SyncError as e:
        if last.status == 401:
            return Finding(
                "jeton du poste (token)",
                Level.BLOCKING,
                "jeton refusé par le portail (401 Unauthorized) : aucun passage ne peut être "
                "envoyé",
                f"sur le portail : portal-sync-api station create --school "
                f"{config.station.school} --name AUTRE-NOM (ou redemandez le jeton de "
                f"{config.station.name}), puis copiez-le dans [portal] token",
                "portal.token",
            )
        return Finding(
            "jeton du poste (token)",
            Level.WARNING,
            e.message,
            "relancez `station doctor` ; si cela persiste, journalctl -u portal-sync-api",
            "portal.sync",
        )
    school = page.get("school")
    if school is not None and str(school) != config.station.school:
        return Finding(
            "jeton du poste (token)",
            Level.BLOCKING,
            f"le jeton appartient à un poste de l'école {school}, pas {config.station.school}",
            "utilisez le jeton d'un poste de cette école, ou corrigez station.school",
            "portal.wrong_school",
        )
    return Finding("jeton du poste (token)", Level.OK, "accepté", code="portal.token_ok")
