"""Doctor checks inside the station database: integrity, meal journal, cache, outbox, scan log."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime

from station.core.cards import looks_azerty
from station.core.config import StationConfig
from station.doctor.findings import Finding, Level
from station.store import Store, cache, ledger, outbox

#: Pending entries older than this mean the meals are not reaching the portal.
OUTBOX_OLD_HOURS = 24
#: How many recent scans the keyboard-layout hint looks at.
SCAN_LOG_WINDOW = 200

_SYNC_OR_EXPORT = (
    "vérifiez le réseau puis `station sync --once` ; sans réseau : "
    "`station export --out FICHIER` et `portal-sync-api import meals FICHIER` sur le portail"
)


def _hours_since(text: str) -> float:
    """Hours from the ISO instant ``text`` to now (naive values are taken as UTC)."""
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (datetime.now(UTC) - at).total_seconds() / 3600


def check_contents(config: StationConfig, store: Store) -> list[Finding]:
    """Integrity, journal, then cache, outbox and scan log in one read snapshot."""
    findings: list[Finding] = []
    integrity = store.integrity_check()
    if integrity == "ok":
        findings.append(
            Finding("intégrité SQLite (integrity_check)", Level.OK, "ok", code="database.ok")
        )
    else:
        findings.append(
            Finding(
                "intégrité SQLite (integrity_check)",
                Level.BLOCKING,
                integrity,
                "arrêtez le poste et restaurez la dernière sauvegarde de la base",
                "database.integrity",
            )
        )
    journal = store.verify_journal()
    if journal.ok:
        findings.append(
            Finding(
                "journal des passages (hash chain)",
                Level.OK,
                f"{journal.records} enregistrements, chaîne intacte",
                code="journal.ok",
            )
        )
    else:
        findings.append(
            Finding(
                "journal des passages (hash chain)",
                Level.BLOCKING,
                f"maillon cassé en position {journal.position} : {journal.problem}",
                "ne modifiez rien ; prévenez l'intendance (la base a été modifiée hors du poste) "
                "et gardez une copie du fichier",
                "journal.broken",
            )
        )
    with store.read() as conn:
        findings += _cache(config, conn)
        findings += _outbox(conn)
        findings += _scan_log(conn)
    return findings


def _cache(config: StationConfig, conn: sqlite3.Connection) -> list[Finding]:
    children = cache.children_count(conn)
    pulled = cache.meta(conn, "pulled_at")
    if children == 0 or pulled is None:
        return [
            Finding(
                "cache de l'école (cache)",
                Level.BLOCKING,
                "aucun élève dans le cache : le poste ne reconnaîtra aucune carte",
                "sudo -u cantine station sync --once (le portail doit être joignable)",
                "cache.empty",
            )
        ]
    findings: list[Finding] = []
    if not cache.services(conn):
        findings.append(
            Finding(
                "services (services)",
                Level.BLOCKING,
                "aucun service (déjeuner…) reçu du portail : tout passage serait refusé",
                "portal-sync-api school set CODE --service dejeuner=11:15-13:45, puis "
                "station sync --once",
                "cache.no_services",
            )
        )
    age_hours = _hours_since(pulled)
    if age_hours > config.station.stale_after_hours:
        findings.append(
            Finding(
                "âge du cache (cache age)",
                Level.WARNING,
                f"dernière mise à jour depuis le portail il y a {age_hours:.0f} h ({pulled}) : "
                "réservations et soldes peuvent être périmés",
                _SYNC_OR_EXPORT,
                "cache.stale",
            )
        )
    else:
        findings.append(
            Finding(
                "âge du cache (cache age)",
                Level.OK,
                f"{children} élèves, mis à jour le {pulled}",
                code="cache.ok",
            )
        )
    return findings


def _outbox(conn: sqlite3.Connection) -> list[Finding]:
    pending, rejected = outbox.counts(conn)
    findings: list[Finding] = []
    oldest = outbox.oldest_pending_at(conn)
    age_hours = 0.0
    if oldest:
        age_hours = _hours_since(oldest)
    if pending and age_hours > OUTBOX_OLD_HOURS:
        findings.append(
            Finding(
                "passages en attente (outbox)",
                Level.WARNING,
                f"{pending} passage(s)/annulation(s) pas encore reçus par le portail, "
                f"le plus ancien depuis {age_hours:.0f} h ({oldest})",
                _SYNC_OR_EXPORT,
                "outbox.pending_old",
            )
        )
    else:
        findings.append(
            Finding(
                "passages en attente (outbox)",
                Level.OK,
                f"{pending} en attente d'envoi",
                code="outbox.ok",
            )
        )
    if rejected:
        reasons = Counter(str(row["rejected_reason"]) for row in outbox.rejected(conn))
        shown = ", ".join(f"{reason} ×{n}" for reason, n in reasons.most_common())
        findings.append(
            Finding(
                "passages rejetés par le portail (rejected)",
                Level.WARNING,
                f"{rejected} passage(s) refusé(s) par le portail ({shown}) : ils ne sont pas "
                "comptés côté portail",
                "transmettez la liste à l'intendance : sqlite3 BASE \"SELECT record_id, "
                'rejected_reason FROM outbox WHERE rejected_reason IS NOT NULL"',
                "outbox.rejected",
            )
        )
    return findings


def _scan_log(conn: sqlite3.Connection) -> list[Finding]:
    rows = ledger.recent_raw_scans(conn, "wedge", SCAN_LOG_WINDOW)
    garbled = sum(1 for raw in rows if looks_azerty(raw))
    if not garbled:
        return []
    # Never show the raw input: it is a card number.
    return [
        Finding(
            "disposition du clavier (keyboard layout)",
            Level.WARNING,
            f"{garbled} des {len(rows)} dernières lectures du scanner sont arrivées en AZERTY "
            "décalé (&é\"'(…) : scanner réglé en QWERTY (US) sur un poste AZERTY. Les codes "
            "sont corrigés, mais une touche mal interprétée peut rendre une carte illisible",
            "programmez le scanner en clavier « France / AZERTY » (codes-barres de réglage de "
            'son manuel), ou lisez-le en kind = "evdev" qui ne dépend pas du clavier',
            "readers.azerty",
        )
    ]
