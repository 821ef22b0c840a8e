"""Imports by upload: roster, tariffs, reservations, credits, with a preview.

The intendance sends a CSV file of its school (« Type de fichier », « Fichier CSV »,
« Prévisualiser »). The file goes through the CLI's loader (``portal_sync_api.imports``,
whole file or nothing, ``line N: field: problem``) in a transaction that is rolled back,
and the page says what it would change. The file waits in ``import_uploads`` under a
random id that only this web session can use, for ``UPLOAD_LIFETIME``. « Valider » runs
the import again and commits it only when it changes exactly what the preview said;
otherwise nothing is kept and the new preview is shown. An applied import writes an
audit row (the file's name, type and counts; no child's data).
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from portal_sync_api.core.security import hash_token
from portal_sync_api.crud import audit
from portal_sync_api.crud.web_sessions import Person, iso
from portal_sync_api.import_preview import SAMPLE_COLUMNS, ImportSummary, run_import, sample_rows
from portal_sync_api.imports import ImportFailed
from portal_sync_api.models import AuditEntry, ImportUpload, School
from portal_sync_api.web.csrf import expected_token
from portal_sync_api.web.deps import CsrfChecked, CurrentIntendance, SessionDep, now
from portal_sync_api.web.errors import WebError
from portal_sync_api.web.import_files import (
    COLUMN_LABELS,
    EMPTY,
    KIND_LABELS,
    MAX_FILE_BYTES,
    NO_FILE,
    NO_KIND,
    TOO_BIG,
    Upload,
    encoding_problem,
    french_problem,
    read_body,
    read_form,
)
from portal_sync_api.web.render import flash, render
from portal_sync_api.web.session import SESSION_COOKIE

router = APIRouter()

PATH = "/intendance/imports"
#: How long an uploaded file waits for « Valider ».
UPLOAD_LIFETIME = timedelta(minutes=30)

EXPIRED = (
    "Cet aperçu n'est plus disponible (il expire au bout de 30 minutes) : "
    "envoyez le fichier à nouveau."
)
GONE = (
    "Cet aperçu n'est plus disponible : le fichier a déjà été importé ou abandonné, ou "
    "l'aperçu a expiré (30 minutes). Rien de plus n'a été importé."
)
CHANGED = (
    "Les données ont changé depuis l'aperçu : rien n'a été importé. "
    "Vérifiez le nouvel aperçu ci-dessous, puis validez à nouveau."
)
# -- pages -----------------------------------------------------------------------------------


def _recent(session: Session, school_id: int | None) -> list[dict[str, Any]]:
    """The school's last applied imports, from the audit log."""
    rows = session.execute(
        select(AuditEntry)
        .where(AuditEntry.school_id == school_id, AuditEntry.action == "csv_import")
        .order_by(AuditEntry.id.desc())
        .limit(10)
    ).scalars()
    recent = []
    for row in rows:
        after = json.loads(row.detail).get("after") or {}
        recent.append(
            {
                "at": row.at,
                "actor": row.actor,
                "filename": after.get("file", ""),
                "kind": KIND_LABELS.get(after.get("kind", ""), after.get("kind", "")),
                "lines": after.get("counts", {}).get("lines", 0),
            }
        )
    return recent


def _form_page(
    request: Request,
    session: Session,
    person: Person,
    *,
    error: str | None = None,
    problems: list[str] | None = None,
    kind: str = "",
    filename: str = "",
    status: int = 200,
) -> Response:
    with session.begin():
        recent = _recent(session, person.school_id)
    return render(
        request,
        "intendance/imports.html",
        {
            "kinds": KIND_LABELS,
            "kind": kind,
            "error": error,
            "problems": [french_problem(p) for p in problems or []],
            "filename": filename,
            "recent": recent,
        },
        status=status,
    )


@router.get(PATH)
def imports_page(request: Request, session: SessionDep, person: CurrentIntendance) -> Response:
    """The upload form and the school's last imports."""
    return _form_page(request, session, person)


@router.post(PATH)
async def upload(request: Request, session: SessionDep, person: CurrentIntendance) -> Response:
    """Receive a file: refuse it in French (too large, not UTF-8, bad lines), or keep it
    and show what it would change."""
    body = await read_body(request)
    if body is None:
        return await run_in_threadpool(
            _form_page, request, session, person, error=TOO_BIG, status=413
        )
    sent = await read_form(request, body, expected_token(request, person))
    if isinstance(sent, str):
        return await run_in_threadpool(_form_page, request, session, person, error=sent, status=422)
    return await run_in_threadpool(_preview_upload, request, session, person, sent)


def _preview_upload(request: Request, session: Session, person: Person, sent: Upload) -> Response:
    def refuse(error: str | None, problems: list[str] | None = None) -> Response:
        return _form_page(
            request,
            session,
            person,
            error=error,
            problems=problems,
            kind=sent.kind,
            filename=sent.filename,
            status=413 if error == TOO_BIG else 422,
        )

    if not sent.kind:
        return refuse(NO_KIND)
    if not sent.filename:
        return refuse(NO_FILE)
    if len(sent.data) > MAX_FILE_BYTES:
        return refuse(TOO_BIG)
    if not sent.data.strip():
        return refuse(EMPTY)
    problem = encoding_problem(sent.data)
    if problem:
        return refuse(problem)
    summary, problems = _dry_run(session, person, sent.kind, sent.data)
    if summary is None:
        return refuse(None, problems)
    instant = now(request)
    upload_id = secrets.token_urlsafe(24)
    with session.begin():
        session.execute(delete(ImportUpload).where(ImportUpload.expires_at <= iso(instant)))
        session.add(
            ImportUpload(
                id=upload_id,
                session_hash=_session_hash(request),
                user_id=person.user_id,
                school_id=person.school_id,
                kind=sent.kind,
                filename=sent.filename,
                content=sent.data,
                preview=json.dumps(summary.as_dict()),
                created_at=iso(instant),
                expires_at=iso(instant + UPLOAD_LIFETIME),
            )
        )
    return RedirectResponse(f"{PATH}/{upload_id}", status_code=303)


def _dry_run(
    session: Session, person: Person, kind: str, data: bytes
) -> tuple[ImportSummary | None, list[str]]:
    """What importing ``data`` would change, by the real import in a transaction rolled
    back; or its ``line N: field: problem`` list."""
    with session.begin() as transaction:
        school = session.get_one(School, person.school_id)
        try:
            summary = run_import(session, kind=kind, data=data, school=school)
        except ImportFailed as failed:
            transaction.rollback()
            return None, failed.problems
        transaction.rollback()
    return summary, []


def _session_hash(request: Request) -> str:
    return hash_token(request.cookies.get(SESSION_COOKIE, ""))


def _pending(session: Session, request: Request, person: Person, upload_id: str) -> ImportUpload:
    """The upload ``upload_id`` of this web session, school and user, not expired; else
    the 404 page (another session's id is answered as an unknown one)."""
    upload = session.get(ImportUpload, upload_id) if len(upload_id) <= 64 else None
    if (
        upload is None
        or upload.session_hash != _session_hash(request)
        or upload.user_id != person.user_id
        or upload.school_id != person.school_id
    ):
        raise WebError(404)
    if upload.expires_at <= iso(now(request)):
        raise WebError(404, EXPIRED, title="Aperçu expiré")
    return upload


def _preview_page(
    request: Request, upload: ImportUpload, *, message: str | None = None, status: int = 200
) -> Response:
    summary = ImportSummary.from_dict(json.loads(upload.preview))
    return render(
        request,
        "intendance/imports_apercu.html",
        {
            "upload_id": upload.id,
            "filename": upload.filename,
            "kind_label": KIND_LABELS[upload.kind],
            "summary": summary,
            "columns": [COLUMN_LABELS[c] for c in SAMPLE_COLUMNS[upload.kind]],
            "sample": sample_rows(upload.content, upload.kind),
            "message": message,
        },
        status=status,
    )


@router.get(PATH + "/{upload_id}")
def preview(
    request: Request, session: SessionDep, person: CurrentIntendance, upload_id: str
) -> Response:
    """What the uploaded file would change, with « Valider » and « Abandonner »."""
    with session.begin():
        upload = _pending(session, request, person, upload_id)
        return _preview_page(request, upload)


@router.post(PATH + "/{upload_id}/valider")
def apply(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    _csrf: CsrfChecked,
    upload_id: str,
) -> Response:
    """Apply the file: committed only when it changes what the preview said. The upload is
    taken (deleted) in the same transaction, so a double click applies it once; a file
    already applied, abandoned or expired sends back to the form with a message."""
    try:
        with session.begin():
            upload = _pending(session, request, person, upload_id)
            kind, filename, data = upload.kind, upload.filename, upload.content
            promised = ImportSummary.from_dict(json.loads(upload.preview))
    except WebError:
        return _gone(request)
    with session.begin() as transaction:
        taken = session.execute(delete(ImportUpload).where(ImportUpload.id == upload_id))
        if getattr(taken, "rowcount", 0) != 1:  # another « Valider » took it meanwhile
            transaction.rollback()
            return _gone(request)
        school = session.get_one(School, person.school_id)
        try:
            summary = run_import(session, kind=kind, data=data, school=school)
        except ImportFailed as failed:
            transaction.rollback()
            with session.begin():  # refused now: the upload goes, nothing is imported
                session.execute(delete(ImportUpload).where(ImportUpload.id == upload_id))
            return _form_page(
                request,
                session,
                person,
                problems=failed.problems,
                kind=kind,
                filename=filename,
                status=422,
            )
        if summary != promised:
            transaction.rollback()
        else:
            audit.record(
                session,
                school=school,
                actor=person.email,
                action="csv_import",
                subject=f"import {kind} {filename}"[:200],
                before=None,
                after={"file": filename, "kind": kind, "counts": summary.as_dict()},
                now=now(request),
            )
    if summary != promised:
        try:
            with session.begin():
                upload = _pending(session, request, person, upload_id)
                upload.preview = json.dumps(summary.as_dict())
                return _preview_page(request, upload, message=CHANGED, status=409)
        except WebError:
            return _gone(request)
    return flash(request, RedirectResponse(PATH, status_code=303), _applied(filename, summary))


@router.post(PATH + "/{upload_id}/abandonner")
def abandon(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    _csrf: CsrfChecked,
    upload_id: str,
) -> Response:
    """Forget the uploaded file; nothing is imported."""
    try:
        with session.begin():
            upload = _pending(session, request, person, upload_id)
            session.delete(upload)
    except WebError:
        return _gone(request)
    message = "Import abandonné : rien n'a été importé."
    return flash(request, RedirectResponse(PATH, status_code=303), message)


def _gone(request: Request) -> Response:
    """Back to the form, saying the preview is no longer there (the same answer for an
    id of another session: nothing is told about it)."""
    return flash(request, RedirectResponse(PATH, status_code=303), GONE)


def _applied(filename: str, summary: ImportSummary) -> str:
    """The one-line French message of an applied import."""
    parts = [f"{summary.lines} ligne{'s' if summary.lines > 1 else ''}"]
    for count, label in (
        (summary.children_added, "élève(s) ajouté(s)"),
        (summary.children_changed, "élève(s) modifié(s)"),
        (summary.cards_added, "carte(s) ajoutée(s)"),
        (summary.reservations_added, "réservation(s) ajoutée(s)"),
        (summary.reservations_cancelled, "réservation(s) annulée(s)"),
        (summary.tariffs_added + summary.tariffs_changed, "tarif(s) modifié(s)"),
        (summary.credits, "crédit(s)"),
    ):
        if count:
            parts.append(f"{count} {label}")
    return f"Fichier « {filename[:80]} » importé : " + ", ".join(parts) + "."
