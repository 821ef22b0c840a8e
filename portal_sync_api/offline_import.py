"""Import of an offline export made by ``station export`` (``import meals FILE``).

The file is verified before anything is applied: its Ed25519 signature must match the
station's public export key, which the portal learns when the token is issued or first
used (format and key: ``cantine_contract/offline_export.py``); the database holds no
secret that could sign a file. The items then go through
:func:`portal_sync_api.crud.meals.ingest` exactly like ``POST /v1/sync/meals``, in one
transaction: each id is applied once, so importing the same file again, or the station
syncing the same meals later, answers ``duplicate`` and debits nobody twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cantine_contract import offline_export as export
from portal_sync_api.crud.meals import ingest, parse_item
from portal_sync_api.crud.schools import require_school
from portal_sync_api.errors import DataError
from portal_sync_api.models import Station
from portal_sync_api.schemas import ItemResult

#: Larger files are refused unread (a week of a busy line is well under 10 MiB).
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass
class ImportSummary:
    """What an import did, for the French report."""

    station: str
    school: str
    created_at: str
    counts: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (id, reason)

    def lines(self) -> list[str]:
        head = (
            f"import du poste {self.station} (école {self.school}, export du "
            f"{self.created_at}) : {self.counts['applied']} appliqué(s), "
            f"{self.counts['duplicate']} déjà reçu(s), {self.counts['rejected']} rejeté(s)"
        )
        return [head] + [f"  rejeté {item_id} : {reason}" for item_id, reason in self.rejected]


def read_export(path: Path) -> dict[str, object]:
    """The parsed envelope of the file at ``path`` (signature not checked yet)."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise DataError("file", f"fichier introuvable ou illisible: {path}") from e
    if size > MAX_FILE_BYTES:
        raise DataError("file", f"fichier trop gros ({size} octets, au plus {MAX_FILE_BYTES})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError("file", f"fichier illisible: {path} ({e})") from e
    try:
        return export.parse(text)
    except export.ExportFormatError as e:
        raise DataError("file", str(e)) from e


def import_meals(session: Session, path: Path, *, now: datetime | None = None) -> ImportSummary:
    """Verify and apply the export at ``path`` inside the caller's transaction.

    Raises :class:`DataError` (nothing applied) for an unreadable file, an unknown
    station, or a signature that does not match (file edited, or signed by another token).
    """
    document = read_export(path)
    school_code, station_name = str(document["school"]), str(document["station"])
    school = require_school(session, code=school_code)
    station = session.execute(
        select(Station).where(Station.school_id == school.id, Station.name == station_name)
    ).scalar_one_or_none()
    if station is None:
        raise DataError("station", f"poste inconnu pour l'école {school_code}: {station_name}")
    if station.revoked_at is not None:
        raise DataError(
            "station", f"le jeton du poste {station_name} est révoqué : rien n'a été importé"
        )
    if station.export_key is None:
        raise DataError(
            "signature",
            f"clé de vérification du poste {station_name} encore inconnue : qu'il se "
            "synchronise une fois, ou donnez-lui un nouveau jeton (station rotate) avant "
            "d'exporter; rien n'a été importé",
        )
    if not export.verify(document, station.export_key):
        raise DataError(
            "signature",
            "signature invalide: le fichier a été modifié après l'export, ou signé avec un "
            f"autre jeton que celui du poste {station_name}; rien n'a été importé",
        )
    raw_items = document["items"]
    assert isinstance(raw_items, list)  # checked by export.parse
    results: list[ItemResult] = ingest(
        session,
        station=station,
        items=[parse_item(raw) for raw in raw_items],
        now=now or datetime.now(UTC),
    )
    summary = ImportSummary(station_name, school_code, str(document["created_at"]))
    for result in results:
        summary.counts[result.status] += 1
        if result.status == "rejected":
            summary.rejected.append((result.id or "?", result.reason or "rejected"))
    return summary
