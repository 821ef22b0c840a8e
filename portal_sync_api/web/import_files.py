"""Reading the intendance's CSV upload (``/intendance/imports``): the body counted while
it arrives, the multipart form parsed from it, the CSRF token checked, and the French
messages of a refused file. The page itself is ``web/routes/intendance_imports.py``."""

from __future__ import annotations

import hmac
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from portal_sync_api.imports import KINDS
from portal_sync_api.web.csrf import CSRF_FIELD
from portal_sync_api.web.errors import WebError

#: The largest file accepted (5 Mo: a school year of reservations of a big collège).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: The form around the file (CSRF token, type, multipart boundaries) on top of it.
MAX_BODY_BYTES = MAX_FILE_BYTES + 64 * 1024
#: A body announced larger than this is not read at all (the connection is closed); up
#: to it, a too large body is read and thrown away, so the browser gets the French page.
DRAIN_BYTES = 64 * 1024 * 1024

#: The four files, as the « Type de fichier » list names them.
KIND_LABELS = {
    "roster": "Liste des élèves",
    "tariffs": "Tarifs",
    "reservations": "Réservations",
    "credits": "Crédits (paiements reçus)",
}
#: Column headers of the preview's sample.
COLUMN_LABELS = {
    "child_id": "Identifiant élève",
    "last_name": "Nom",
    "first_name": "Prénom",
    "class": "Classe",
    "card_number": "Carte",
    "family_id": "Famille",
    "tariff": "Tarif",
    "service": "Service",
    "price_cents": "Prix (centimes)",
    "date": "Date",
    "prepaid": "Prépayé",
    "cancelled": "Annulé",
    "amount_cents": "Montant (centimes)",
    "reference": "Référence",
}

TOO_BIG = "Le fichier dépasse 5 Mo : rien n'a été importé. Découpez-le en plusieurs fichiers."
NO_FILE = "Choisissez un fichier CSV à envoyer."
NO_KIND = "Choisissez le type de fichier."
EMPTY = "Le fichier est vide : rien n'a été importé."
CSRF_REFUSED = (
    "Le formulaire a expiré ou ne vient pas de ce site : rien n'a été importé. "
    "Rechargez la page et recommencez."
)


def encoding_problem(data: bytes) -> str | None:
    """A French sentence when ``data`` is not UTF-8 text (what the import reads)."""
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            data.decode("cp1252")
            guess = ", il semble enregistré en Windows-1252 (« ANSI »)"
        except UnicodeDecodeError:
            guess = ""
        return (
            f"Le fichier n'est pas encodé en UTF-8 (premier caractère illisible à la ligne "
            f"{line}{guess}) : rien n'a été importé. Dans Excel ou LibreOffice, enregistrez-le "
            f"au format « CSV UTF-8 », puis envoyez-le à nouveau."
        )
    return None


def french_problem(problem: str) -> tuple[int | None, str, str]:
    """``line N: field: problem`` as (N, field, problem) for the page."""
    head, _, rest = problem.partition(": ")
    field, _, what = rest.partition(": ")
    number = head.removeprefix("line ")
    if not number.isdigit() or not what:
        return None, "", problem
    return int(number), field, what


async def read_body(request: Request) -> bytes | None:
    """The request body, or ``None`` when it is larger than ``MAX_BODY_BYTES`` (counted
    while reading, whatever the Content-Length says)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > DRAIN_BYTES:
        return None
    too_big = declared.isdigit() and int(declared) > MAX_BODY_BYTES
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > DRAIN_BYTES:
            return None
        if size > MAX_BODY_BYTES:
            too_big = True
            chunks.clear()
        if not too_big:
            chunks.append(chunk)
    return None if too_big else b"".join(chunks)


async def _once(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body


@dataclass(frozen=True)
class Upload:
    """A file sent through the form: its type (``""`` when none or unknown), name, bytes."""

    kind: str
    filename: str
    data: bytes


async def read_form(request: Request, body: bytes, expected: str | None) -> Upload | str:
    """The file of the form in ``body``, or a French sentence saying what is missing; a
    wrong CSRF token is the 403 page (as every form of the site)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return NO_FILE
    try:
        form = await MultiPartParser(
            request.headers, _once(body), max_files=1, max_fields=10
        ).parse()
    except MultiPartException:
        return NO_FILE
    try:
        sent = form.get(CSRF_FIELD)
        if (
            not isinstance(sent, str)
            or not expected
            or not hmac.compare_digest(sent.encode(), expected.encode())
        ):
            raise WebError(403, CSRF_REFUSED, title="Formulaire refusé")
        kind = form.get("type")
        file = form.get("fichier")
        data = await file.read() if isinstance(file, UploadFile) else b""
        filename = (file.filename or "fichier.csv") if isinstance(file, UploadFile) else ""
    finally:
        await form.close()
    kind = kind if isinstance(kind, str) and kind in KINDS else ""
    return Upload(kind, filename[-200:], data)
