"""Monthly statements: the family's and the intendance's.

- ``/famille/releves``: the months with activity on the parent's account, each with its
  PDF and CSV (``/famille/releves/2026-12.pdf``, ``.csv``);
- ``/intendance/familles/{family_ref}/releves/2026-12.pdf`` (``.csv``): one family of the
  intendance's school (``intendance/_releves_famille.html`` links the last months from the
  family's page);
- ``/intendance/releves?mois=2026-12``: a ZIP of every family's PDF of the school for the
  month and one CSV of all families for the accountant; without ``mois``, the page that
  asks for it.

A statement exists for any month already begun; another family, another school's family
or a month to come is the 404 page, exactly like an unknown id. What a statement holds is
decided by ``crud.statements``; ``web.statement_pdf`` and ``web.statement_csv`` render it.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from portal_sync_api.crud.accounts import visible_family
from portal_sync_api.crud.statements import (
    Statement,
    family_periods,
    family_school,
    family_statement,
    parse_period,
    recent_periods,
    school_statements,
)
from portal_sync_api.crud.web_sessions import Person
from portal_sync_api.models import Family, School
from portal_sync_api.web.deps import CurrentIntendance, CurrentParent, SessionDep, now
from portal_sync_api.web.errors import WebError
from portal_sync_api.web.format import month_label, register
from portal_sync_api.web.render import SECURITY_HEADERS, environment, render
from portal_sync_api.web.statement_csv import statements_csv
from portal_sync_api.web.statement_pdf import statement_pdf

router = APIRouter()
register(environment)

#: Months the intendance's pages offer (the family page's links, the bulk form).
FAMILY_PAGE_MONTHS = 6
BULK_FORM_MONTHS = 12
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
MONTH_FORMAT = "Mois inconnu : choisissez un mois dans la liste."
MONTH_TO_COME = "Ce mois n'a pas encore commencé : il n'a pas encore de relevé."
NO_STATEMENT = (
    "Aucun relevé pour {month} : aucune famille de l'établissement n'avait d'opération "
    "sur son compte à la fin de ce mois."
)


def _today(request: Request, school: School) -> date:
    return now(request).astimezone(ZoneInfo(school.timezone)).date()


def _month(request: Request, school: School, period: str) -> tuple[int, int]:
    """``period`` as ``(year, month)``: a month already begun, else the 404 page."""
    try:
        year, month = parse_period(period)
    except ValueError:
        raise WebError(404) from None
    today = _today(request, school)
    if (year, month) > (today.year, today.month):
        raise WebError(404)
    return year, month


def _choices(periods: list[tuple[int, int]]) -> list[dict[str, str]]:
    return [{"period": f"{y:04d}-{m:02d}", "label": month_label(y, m)} for y, m in periods]


def statement_links(request: Request, school: School) -> list[dict[str, str]]:
    """The last months of the school's clock as ``period`` and ``label``, newest first (the
    family page's partial calls it as ``statement_links(request, school)``)."""
    return _choices(recent_periods(_today(request, school), FAMILY_PAGE_MONTHS))


environment.globals["statement_links"] = statement_links


def file_name(*parts: str) -> str:
    """A download's name from the school's ids, with only safe characters."""
    return "-".join(_UNSAFE.sub("_", part) for part in parts)


def _download(content: bytes, media_type: str, name: str) -> Response:
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type=media_type, headers=headers)


def _file(statement: Statement, extension: str) -> Response:
    name = file_name("releve", statement.school_code, statement.family_ref, statement.period)
    if extension == "pdf":
        return _download(statement_pdf(statement), "application/pdf", f"{name}.pdf")
    return _download(statements_csv([statement]), "text/csv; charset=utf-8", f"{name}.csv")


# -- the family ----------------------------------------------------------------------------


def _own_family(session: Session, family_id: str | None) -> tuple[Family, School]:
    family = session.get(Family, family_id) if family_id else None
    school = family_school(session, family) if family is not None else None
    if family is None or school is None:
        raise WebError(404)
    return family, school


@router.get("/famille/releves")
def family_statements(request: Request, session: SessionDep, person: CurrentParent) -> Response:
    """The months with activity on the family's account, newest first."""
    with session.begin():
        family, school = _own_family(session, person.family_id)
        months = _choices(family_periods(session, family=family, school=school))
    return render(request, "famille/releves.html", {"months": months})


def _family_file(
    request: Request, session: Session, person_family: str | None, period: str, extension: str
) -> Response:
    with session.begin():
        family, school = _own_family(session, person_family)
        year, month = _month(request, school, period)
        statement = family_statement(session, family=family, school=school, year=year, month=month)
    return _file(statement, extension)


@router.get("/famille/releves/{period}.pdf")
def family_pdf(
    request: Request, session: SessionDep, person: CurrentParent, period: str
) -> Response:
    """The family's statement of ``period`` (``2026-12``) as PDF."""
    return _family_file(request, session, person.family_id, period, "pdf")


@router.get("/famille/releves/{period}.csv")
def family_csv(
    request: Request, session: SessionDep, person: CurrentParent, period: str
) -> Response:
    """The family's statement of ``period`` as CSV for Excel."""
    return _family_file(request, session, person.family_id, period, "csv")


# -- the intendance ------------------------------------------------------------------------


def _school(session: Session, school_id: int | None) -> School:
    school = session.get(School, school_id) if school_id is not None else None
    if school is None:
        raise WebError(404)
    return school


def _intendance_file(
    request: Request,
    session: Session,
    person: Person,
    family_ref: str,
    period: str,
    extension: str,
) -> Response:
    with session.begin():
        school = _school(session, person.school_id)
        family = visible_family(session, person.principal, family_id=family_ref)
        if family is None:
            raise WebError(404)
        year, month = _month(request, school, period)
        statement = family_statement(session, family=family, school=school, year=year, month=month)
    return _file(statement, extension)


@router.get("/intendance/familles/{family_ref}/releves/{period}.pdf")
def intendance_family_pdf(
    request: Request, session: SessionDep, person: CurrentIntendance, family_ref: str, period: str
) -> Response:
    """A family's statement of ``period`` as PDF, for the intendance of its school."""
    return _intendance_file(request, session, person, family_ref, period, "pdf")


@router.get("/intendance/familles/{family_ref}/releves/{period}.csv")
def intendance_family_csv(
    request: Request, session: SessionDep, person: CurrentIntendance, family_ref: str, period: str
) -> Response:
    """A family's statement of ``period`` as CSV, for the intendance of its school."""
    return _intendance_file(request, session, person, family_ref, period, "csv")


class _Chunks:
    """A write-only file for :class:`zipfile.ZipFile`: what is written is taken in chunks
    (no ``tell``/``seek``, so the archive is written as a stream)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        """What was written since the last call."""
        data, self._parts = b"".join(self._parts), []
        return data


def statements_zip(
    statements: list[Statement], *, school_code: str, period: str
) -> Iterator[bytes]:
    """Every family's PDF and the accountant's CSV of all families, as a ZIP streamed one
    family at a time: the download starts at once and memory holds one PDF, however many
    families the school has."""
    sink = _Chunks()
    taken: set[str] = set()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for statement in statements:
            name = file_name("releve", school_code, statement.family_ref, period)
            while name in taken:  # two refs that differ only by unsafe characters
                name += "_"
            taken.add(name)
            archive.writestr(f"{name}.pdf", statement_pdf(statement))
            yield sink.take()
        archive.writestr(
            f"{file_name('releves', school_code, period)}.csv", statements_csv(statements)
        )
    yield sink.take()


@router.get("/intendance/releves")
def intendance_statements(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    mois: Annotated[str | None, Query()] = None,
) -> Response:
    """Without ``mois``: the page that asks for a month. With it: the ZIP of the month's
    statements of every family of the school; a wrong month is said on the page."""
    error, status = None, 200
    statements: list[Statement] = []
    with session.begin():
        school = _school(session, person.school_id)
        today = _today(request, school)
        if mois is not None:
            try:
                year, month = parse_period(mois.strip())
            except ValueError:
                error, status = MONTH_FORMAT, 400
            else:
                if (year, month) > (today.year, today.month):
                    error, status = MONTH_TO_COME, 400
                else:
                    statements = school_statements(session, school=school, year=year, month=month)
                    if not statements:
                        error = NO_STATEMENT.format(month=month_label(year, month))
    if statements:
        period = statements[0].period
        name = f"{file_name('releves', school.code, period)}.zip"
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return StreamingResponse(
            statements_zip(statements, school_code=school.code, period=period),
            media_type="application/zip",
            headers=headers,
        )
    context = {
        "months": _choices(recent_periods(today, BULK_FORM_MONTHS)),
        "chosen": (mois or "").strip(),
        "error": error,
    }
    return render(request, "intendance/releves.html", context, status=status)
