"""Station sync: pull the changes feed, push meals and voids (docs/sync-protocol.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.exc import IntegrityError

from portal_sync_api.api.deps import CurrentStation, SessionDep
from portal_sync_api.api.errors import ERROR_RESPONSES, ApiError, require_json
from portal_sync_api.core.config import DEFAULT_PAGE, MAX_BATCH_ITEMS, MAX_BODY_BYTES, MAX_PAGE
from portal_sync_api.crud import changes as feed
from portal_sync_api.crud import journal_proof, stations
from portal_sync_api.crud.meals import BatchItem, Rejected, ingest, parse_item
from portal_sync_api.crud.photos import line_photo
from portal_sync_api.crud.stations import BadHeader, Telemetry, read_telemetry
from portal_sync_api.models import School
from portal_sync_api.schemas import ChangesPage, MealBatchResult, MealIn, VoidIn

router = APIRouter(prefix="/v1/sync", tags=["sync"], responses=ERROR_RESPONSES)


def station_telemetry(request: Request) -> Telemetry:
    """The optional ``X-Station-*`` headers; a malformed one is a 422 naming it."""
    try:
        return read_telemetry(request.headers)
    except BadHeader as bad:
        raise ApiError(422, f"{bad.field} : {bad.message}", field=bad.field) from None


StationTelemetry = Annotated[Telemetry, Depends(station_telemetry)]


@router.get("/changes", response_model=ChangesPage)
def read_changes(
    session: SessionDep,
    station: CurrentStation,
    telemetry: StationTelemetry,
    since: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> Response:
    """Changes of the station's school after ``since``, oldest first, paginated.

    The JSON is assembled from the stored ``data`` texts without re-parsing them: a first
    pull moves hundreds of thousands of rows.
    """
    received = datetime.now(UTC)  # before the read: the station's clock is compared to it
    school = session.get_one(School, station.school_id)
    rows, more = feed.page(session, school_id=school.id, since=since, limit=limit)
    session.commit()  # end the read before recording the contact in a short write
    try:
        with session.begin():
            stations.record_contact(
                session,
                station=station,
                telemetry=telemetry,
                now=received,
                pull=True,
                complete=not more,
            )
    except IntegrityError:
        pass  # the station's first pull and push at the same instant: the other one wrote
    dumps = json.dumps
    parts = [
        f'{{"seq":{seq},"kind":{dumps(kind)},"key":{dumps(key, ensure_ascii=False)},'
        f'"data":{data if data is not None else "null"}}}'
        for seq, kind, key, data in rows
    ]
    head = {
        "school": school.code,
        "since": since,
        "next": rows[-1][0] if rows else since,
        "more": more,
        "server_time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    body = json.dumps(head, separators=(",", ":"))[:-1] + ',"changes":[' + ",".join(parts) + "]}"
    return Response(body.encode("utf-8"), media_type="application/json")


@dataclass(frozen=True)
class Batch:
    """A pushed batch: its items, and each item's kind and journal link (``None``: none)."""

    items: list[BatchItem]
    kinds: list[str]
    links: list[journal_proof.Link | None]


def _with_link(raw: Any) -> tuple[BatchItem, str, journal_proof.Link | None]:
    """An item, its kind (``""`` when unread) and its journal link; a malformed link
    rejects the item as ``invalid: journal…``."""
    item = parse_item(raw)
    kind = "meal" if isinstance(item, MealIn) else "void" if isinstance(item, VoidIn) else ""
    try:
        link = journal_proof.parse_link(raw)
    except journal_proof.BadLink as bad:
        return Rejected(id=getattr(item, "id", None), reason=f"invalid: {bad.field}"), "", None
    return item, kind, link


async def read_batch(request: Request) -> Batch:
    """The request body as batch items: JSON content type (415), ≤ 1 MiB (413), JSON (422),
    ≤ 1000 items (413)."""
    require_json(request)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, "corps de requête > 1 Mio", field="body")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, "JSON invalide", field="body") from None
    except RecursionError:  # thousands of nested brackets: bad input, not a crash
        raise ApiError(422, "JSON trop imbriqué", field="body") from None
    meals = payload.get("meals") if isinstance(payload, dict) else None
    if not isinstance(meals, list):
        raise ApiError(422, "meals: liste attendue", field="meals")
    if len(meals) > MAX_BATCH_ITEMS:
        raise ApiError(413, f"meals: au plus {MAX_BATCH_ITEMS} éléments", field="meals")
    read = [_with_link(raw) for raw in meals]
    return Batch([r[0] for r in read], [r[1] for r in read], [r[2] for r in read])


_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MealBatchIn"}}},
    }
}


@router.post(
    "/meals",
    response_model=MealBatchResult,
    openapi_extra=_BATCH_BODY,
)
def push_meals(
    session: SessionDep,
    station: CurrentStation,
    telemetry: StationTelemetry,
    batch: Annotated[Batch, Depends(read_batch)],
) -> Response:
    """Apply meals and voids in order, each id exactly once forever, and check each
    item's journal link (``crud/journal_proof.py``) in the same transaction.

    The answer is serialized here in one pass (``response_model`` only documents it):
    FastAPI would dump the model to dicts, validate them back and serialize again.
    """
    for attempt in range(3):
        try:
            with session.begin():
                now = datetime.now(UTC)
                results = ingest(session, station=station, items=batch.items, now=now)
                # Meals without a link are counted once, when first applied (not on a retry).
                applied = [
                    kind if result.status == "applied" else ""
                    for kind, result in zip(batch.kinds, results, strict=True)
                ]
                journal_proof.check(
                    session, station=station, kinds=applied, links=batch.links, now=now
                )
                stations.record_contact(session, station=station, telemetry=telemetry, now=now)
            body = MealBatchResult(results=results).model_dump_json()
            return Response(body.encode("utf-8"), media_type="application/json")
        except IntegrityError:
            # Another request inserted one of these ids between our read and our write
            # (possible only across schools); the next attempt reports it as duplicate.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


_SHA256 = re.compile(r"[0-9a-f]{64}")
_RANGE = re.compile(r"bytes=(\d{1,9})-")


@router.get(
    "/photos/{sha256}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 206: {"content": {"image/jpeg": {}}}},
)
def read_photo(
    session: SessionDep,
    station: CurrentStation,
    sha256: str,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    """The JPEG of a photo the feed announces to the station's school (kind ``photo``),
    by its SHA-256; 404 for any other hash. ``Range: bytes=N-`` resumes a cut download."""
    if not _SHA256.fullmatch(sha256):
        raise ApiError(422, "sha256 : 64 chiffres hexadécimaux attendus", field="sha256")
    with session.begin():
        jpeg = line_photo(session, school_id=station.school_id, sha256=sha256)
    if jpeg is None:
        raise ApiError(404, "photo introuvable", field="sha256")
    # The name is the content's hash: the bytes behind it never change.
    headers = {
        "ETag": f'"{sha256}"',
        "Cache-Control": "private, max-age=31536000, immutable",
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }
    if if_none_match is not None and sha256 in if_none_match:
        return Response(status_code=304, headers=headers)
    wanted = _RANGE.fullmatch(range_header.strip()) if range_header else None
    if wanted is not None:
        start = int(wanted.group(1))
        if start >= len(jpeg):
            headers["Content-Range"] = f"bytes */{len(jpeg)}"
            raise ApiError(416, "range : début au-delà de la photo", field="range", headers=headers)
        headers["Content-Range"] = f"bytes {start}-{len(jpeg) - 1}/{len(jpeg)}"
        return Response(jpeg[start:], status_code=206, media_type="image/jpeg", headers=headers)
    return Response(jpeg, media_type="image/jpeg", headers=headers)
