"""CSV imports of the school's files (docs/design.md §5): validated whole, applied whole or
not at all.

Files are UTF-8 with or without BOM, with a header row, ``;`` or ``,`` separated (sniffed
from the header). Every bad row is reported as ``line N: field: problem``.

The web upload (``/intendance/imports``) runs the same loaders through
:func:`portal_sync_api.import_preview.run_import`, which also says what the file changes.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_sync_api.crud.changes import ChangeBuffer, lock_schools
from portal_sync_api.crud.ledger import RESERVED_PREFIXES, CreditIn, add_credits
from portal_sync_api.crud.roster import (
    CARD_STATUSES,
    REGIMES,
    ReservationRow,
    RosterRow,
    card_conflicts,
    import_reservations,
    import_roster,
)
from portal_sync_api.crud.schools import set_tariff
from portal_sync_api.errors import PortalError
from portal_sync_api.models import Child, Family, School, Service

KINDS = ("roster", "tariffs", "reservations", "credits")
REQUIRED = {
    "roster": ("child_id", "last_name", "first_name", "class", "school"),
    "tariffs": ("school", "tariff", "service", "price_cents"),
    "reservations": ("child_id", "date", "service"),
    "credits": ("family_id", "amount_cents", "reference"),
}
_MAX_ERRORS = 50
T = TypeVar("T")


class RowProblem(Exception):
    """A problem with one field of the current row."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


class ImportFailed(PortalError):
    """The file was refused; ``problems`` holds ``line N: field: problem`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_rows(path: Path | bytes, kind: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by lower-case column name) of a CSV file (a path, or the file's
    bytes); raises ImportFailed."""
    raw = path if isinstance(path, bytes) else path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFailed([f"line {line}: file: encodage non UTF-8"]) from None
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise ImportFailed(["line 1: header: fichier vide"])
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED[kind] if c not in names]
    if missing:
        raise ImportFailed([f"line 1: {c}: colonne manquante" for c in missing])
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(names):
            raise ImportFailed(
                [f"line {reader.line_num}: row: {len(cells)} colonnes, {len(names)} attendues"]
            )
        yield (
            reader.line_num,
            {n: (cells[i].strip() if i < len(cells) else "") for i, n in enumerate(names)},
        )


def _text(row: dict[str, str], field: str, *, required: bool = True, max_len: int = 200) -> str:
    value = row.get(field, "")
    if required and not value:
        raise RowProblem(field, "valeur manquante")
    if len(value) > max_len:
        raise RowProblem(field, f"plus de {max_len} caractères")
    if "\x00" in value:
        raise RowProblem(field, "caractère NUL")
    return value


def _int(row: dict[str, str], field: str, *, minimum: int, maximum: int) -> int:
    value = _text(row, field)
    try:
        number = int(value)
    except ValueError:
        raise RowProblem(field, f"nombre entier attendu, reçu {value!r}") from None
    if not minimum <= number <= maximum:
        raise RowProblem(field, f"doit être entre {minimum} et {maximum}")
    return number


def _date(value: str, field: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    raise RowProblem(field, f"date AAAA-MM-JJ attendue, reçu {value!r}")


def _flag(row: dict[str, str], field: str) -> bool:
    value = row.get(field, "").lower()
    if value in ("", "0", "false", "non", "n", "no"):
        return False
    if value in ("1", "true", "oui", "o", "y", "yes"):
        return True
    raise RowProblem(field, f"0 ou 1 attendu, reçu {value!r}")


def _validate(
    rows: Iterator[tuple[int, dict[str, str]]], parse: Callable[[dict[str, str]], T]
) -> list[T]:
    parsed: list[T] = []
    problems: list[str] = []
    for line, row in rows:
        try:
            parsed.append(parse(row))
        except RowProblem as exc:
            problems.append(f"line {line}: {exc.field}: {exc.problem}")
            if len(problems) >= _MAX_ERRORS:
                break
    if problems:
        raise ImportFailed(problems)
    return parsed


def _schools(session: Session) -> dict[str, School]:
    return {s.code: s for s in session.execute(select(School)).scalars()}


def _services(session: Session) -> set[tuple[int, str]]:
    return set(session.execute(select(Service.school_id, Service.code)).all())


def load_roster(session: Session, path: Path | bytes, school_code: str | None = None) -> int:
    """Import a roster file; returns the number of feed changes it caused. Each line names
    its school; with ``school_code`` every line must name that one."""
    schools = _schools(session)
    seen_children: set[str] = set()
    seen_cards: set[str] = set()

    def parse(row: dict[str, str]) -> tuple[School, RosterRow]:
        child_id = _text(row, "child_id", max_len=64)
        if child_id in seen_children:
            raise RowProblem("child_id", f"{child_id} apparaît deux fois")
        seen_children.add(child_id)
        code = _text(row, "school", max_len=16)
        school = schools.get(code)
        if school is None:
            raise RowProblem("school", f"école inconnue: {code} (créez-la avec `school set`)")
        if school_code and code != school_code:
            raise RowProblem(
                "school", f"{code} : ce fichier est importé pour l'école {school_code}"
            )
        card_code = None
        number = _text(row, "card_number", required=False, max_len=32)
        if number:
            prefix, _, digits = number.rpartition("-")
            if prefix and prefix != code:
                raise RowProblem("card_number", f"préfixe {prefix} ≠ école {code}")
            if not (digits.isdigit() and len(digits) == 5):
                raise RowProblem("card_number", f"5 chiffres attendus, reçu {number!r}")
            card_code = f"{code}-{digits}"
            if card_code in seen_cards:
                raise RowProblem("card_number", f"carte {card_code} attribuée deux fois")
            seen_cards.add(card_code)
        status = row.get("card_status", "").lower() or "active"
        if status not in CARD_STATUSES:
            raise RowProblem("card_status", f"doit être {' | '.join(CARD_STATUSES)}")
        regime = row.get("regime", "").lower() or "ticket"
        if regime not in REGIMES:
            raise RowProblem("regime", f"doit être {' | '.join(REGIMES)}")
        days = row.get("forfait_days", "")
        if any(d not in "1234567" for d in days) or len(set(days)) != len(days):
            raise RowProblem("forfait_days", f"chiffres 1 à 7 attendus, reçu {days!r}")
        birth = row.get("birth_date", "")
        email = _text(row, "family_email", required=False, max_len=254) or None
        if email and "@" not in email:
            raise RowProblem("family_email", f"adresse invalide: {email!r}")
        return school, RosterRow(
            child_id=child_id,
            last_name=_text(row, "last_name"),
            first_name=_text(row, "first_name"),
            class_name=_text(row, "class", max_len=32),
            birth_date=_date(birth, "birth_date") if birth else None,
            card_code=card_code,
            card_status=status,
            regime=regime,
            forfait_days="".join(sorted(days)),
            tariff=_text(row, "tariff", required=False, max_len=32),
            diet=tuple(d.strip() for d in row.get("diet", "").split("|") if d.strip()),
            allergies=tuple(a.strip() for a in row.get("allergies", "").split("|") if a.strip()),
            family_id=_text(row, "family_id", required=False, max_len=64) or None,
            family_email=email,
            photo=_text(row, "photo", required=False, max_len=500) or None,
        )

    lines: list[int] = []
    parsed = _validate(_numbered(read_rows(path, "roster"), lines), parse)
    by_school: dict[str, list[RosterRow]] = defaultdict(list)
    for line, (school, roster_row) in zip(lines, parsed, strict=True):
        by_school[school.code].append(replace(roster_row, line=line))
    lock_schools(session, school_ids={schools[c].id for c in by_school})
    problems = [
        f"line {line}: {field}: {problem}"
        for code, rows in by_school.items()
        for line, field, problem in card_conflicts(session, school=schools[code], rows=rows)
    ]
    if problems:
        raise ImportFailed(sorted(problems, key=_line_number)[:_MAX_ERRORS])
    return sum(import_roster(session, school=schools[c], rows=r) for c, r in by_school.items())


def _numbered(
    rows: Iterator[tuple[int, dict[str, str]]], lines: list[int]
) -> Iterator[tuple[int, dict[str, str]]]:
    """``rows`` as they are, noting each line number in ``lines`` on the way."""
    for line, row in rows:
        lines.append(line)
        yield line, row


def _line_number(problem: str) -> int:
    return int(problem.split(":", 1)[0].removeprefix("line "))


def _school_of(
    row: dict[str, str],
    *,
    schools: dict[str, School],
    school_code: str | None,
    candidates: set[int],
    what: str,
    unknown: str,
) -> School:
    """The school a line of a file without a mandatory ``school`` column is about: its
    ``school`` cell, else the one given on the command line, else the only school where
    the id exists (an id of several schools must say which, docs/design.md §7)."""
    code = row.get("school", "") or school_code
    if code:
        school = schools.get(code)
        if school is None:
            raise RowProblem("school", f"école inconnue: {code}")
        if school_code and code != school_code:
            raise RowProblem(
                "school", f"{code} : ce fichier est importé pour l'école {school_code}"
            )
        if school.id not in candidates:
            raise RowProblem(what, f"{unknown} dans l'école {code}: {row.get(what, '')}")
        return school
    if not candidates:
        raise RowProblem(what, f"{unknown}: {row.get(what, '')}")
    if len(candidates) > 1:
        raise RowProblem(
            what, "présent dans plusieurs écoles : ajoutez la colonne school ou --school CODE"
        )
    by_id = {s.id: s for s in schools.values()}
    return by_id[next(iter(candidates))]


def load_tariffs(session: Session, path: Path | bytes, school_code: str | None = None) -> int:
    """Import a tariffs file; returns the number of prices that changed. With
    ``school_code`` every line must name that school."""
    schools = _schools(session)
    services = _services(session)

    def parse(row: dict[str, str]) -> tuple[School, str, str, int]:
        code = _text(row, "school", max_len=16)
        school = schools.get(code)
        if school is None:
            raise RowProblem("school", f"école inconnue: {code}")
        if school_code and code != school_code:
            raise RowProblem(
                "school", f"{code} : ce fichier est importé pour l'école {school_code}"
            )
        service = _text(row, "service", max_len=32)
        if (school.id, service) not in services:
            raise RowProblem("service", f"service inconnu pour l'école {code}: {service}")
        tariff = _text(row, "tariff", max_len=32)
        return school, tariff, service, _int(row, "price_cents", minimum=0, maximum=100_000)

    parsed = _validate(read_rows(path, "tariffs"), parse)
    lock_schools(session, school_ids={s.id for s, *_ in parsed})
    buffer = ChangeBuffer()
    changed = sum(
        set_tariff(session, school=s, tariff=t, service=sv, price_cents=p, buffer=buffer)
        for s, t, sv, p in parsed
    )
    session.flush()
    buffer.flush(session)
    return changed


def load_reservations(session: Session, path: Path | bytes, school_code: str | None = None) -> int:
    """Import reservations (optional ``cancelled`` column 0/1 removes one; optional
    ``school`` column, or ``school_code``, where a child id alone is ambiguous)."""
    schools = _schools(session)
    child_schools: dict[str, set[int]] = defaultdict(set)
    for ref, school_id in session.execute(select(Child.ref, Child.school_id)):
        child_schools[ref].add(school_id)
    services = _services(session)

    def parse(row: dict[str, str]) -> tuple[School, ReservationRow]:
        child_id = _text(row, "child_id", max_len=64)
        school = _school_of(
            row,
            schools=schools,
            school_code=school_code,
            candidates=child_schools.get(child_id, set()),
            what="child_id",
            unknown="enfant inconnu",
        )
        day = _date(_text(row, "date"), "date")
        service = _text(row, "service", max_len=32)
        if (school.id, service) not in services:
            raise RowProblem("service", f"service inconnu: {service}")
        return school, ReservationRow(
            child_id=child_id,
            day=day,
            service=service,
            prepaid=_flag(row, "prepaid"),
            cancelled=_flag(row, "cancelled"),
        )

    parsed = _validate(read_rows(path, "reservations"), parse)
    by_school: dict[str, list[ReservationRow]] = defaultdict(list)
    for school, reservation in parsed:
        by_school[school.code].append(reservation)
    return sum(
        import_reservations(session, school=schools[code], rows=rows)
        for code, rows in sorted(by_school.items())
    )


def load_credits(session: Session, path: Path | bytes, school_code: str | None = None) -> int:
    """Import payments received; a reference already imported is skipped. The family is
    found as a reservation's child is (``school`` column, ``school_code``, or unique)."""
    schools = _schools(session)
    family_schools: dict[str, set[int]] = defaultdict(set)
    query = select(Family.ref, Family.school_id)
    for ref, school_id in session.execute(query):
        if school_id is not None:
            family_schools[ref].add(school_id)
    seen: set[str] = set()

    def parse(row: dict[str, str]) -> tuple[School, CreditIn]:
        family_id = _text(row, "family_id", max_len=64)
        school = _school_of(
            row,
            schools=schools,
            school_code=school_code,
            candidates=family_schools.get(family_id, set()),
            what="family_id",
            unknown="famille inconnue",
        )
        reference = _text(row, "reference", max_len=128)
        if reference.startswith(RESERVED_PREFIXES):
            raise RowProblem(
                "reference",
                f"{reference}: préfixes meal:, void:, booking:, refund:, payment: réservés",
            )
        if reference in seen:
            raise RowProblem("reference", f"{reference} apparaît deux fois")
        seen.add(reference)
        amount = _int(row, "amount_cents", minimum=1, maximum=10_000_000)
        return school, CreditIn(family_id=family_id, amount_cents=amount, reference=reference)

    parsed = _validate(read_rows(path, "credits"), parse)
    by_school: dict[str, list[CreditIn]] = defaultdict(list)
    for school, credit in parsed:
        by_school[school.code].append(credit)
    return sum(
        add_credits(session, school=schools[code], credits=credits)
        for code, credits in sorted(by_school.items())
    )


LOADERS: dict[str, Callable[[Session, Path | bytes, str | None], int]] = {
    "roster": load_roster,
    "tariffs": load_tariffs,
    "reservations": load_reservations,
    "credits": load_credits,
}
