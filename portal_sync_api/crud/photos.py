"""A child's photo, uploaded by a parent so the serving line's staff recognise the child.

Whatever the parent sends is decoded with Pillow (JPEG or PNG only, judged by content: a
``.heic`` file that is really a JPEG is fine), checked against decompression bombs, turned
upright from its EXIF orientation, centre-cropped and re-encoded as a fresh 256×256 JPEG:
no byte of the original file and none of its metadata (GPS position, camera, date) is
kept. The result is stored in the database with its SHA-256, replacing the previous one,
with who consented and when. Seen by the child's family and its school's intendance only,
and, when the school's ``photo_at_line`` is true, by its stations: the changes feed
announces each photo by its SHA-256 (kind ``photo``, docs/sync-protocol.md) and a station
fetches the bytes of an announced hash only.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from datetime import UTC, datetime

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_sync_api.crud.accounts import Principal, visible_child
from portal_sync_api.crud.changes import ChangeBuffer, lock_schools
from portal_sync_api.crud.family_tables import ChildPhoto
from portal_sync_api.errors import PortalError
from portal_sync_api.models import Child, School

#: Largest file accepted (10 MB, docs/design.md §8).
MAX_PHOTO_BYTES = 10 * 1024 * 1024
#: Largest picture decoded: a 48-megapixel phone photo fits, a tiny file claiming
#: 30 000 × 30 000 pixels (a decompression bomb) does not.
MAX_PIXELS = 50_000_000
#: Side of the stored square picture, in pixels.
SIDE = 256
#: JPEG quality of the stored picture (sharp enough at 256 px, about 15 kB).
QUALITY = 85
#: Feed kind announcing a child's photo to its school's stations.
PHOTO_KIND = "photo"

NO_CONSENT = (
    "Cochez la case d'accord pour que la photo soit utilisée par le personnel de la "
    "cantine : aucune photo n'a été enregistrée."
)
NO_FILE = "Choisissez un fichier photo (JPEG ou PNG) : aucune photo n'a été enregistrée."
TOO_BIG = "La photo dépasse 10 Mo : rien n'a été enregistré. Choisissez une image plus petite."
NOT_AN_IMAGE = (
    "Ce fichier n'est pas une photo JPEG ou PNG lisible (fichier d'un autre type, "
    "incomplet ou endommagé) : rien n'a été enregistré."
)
TOO_MANY_PIXELS = (
    "Cette image est trop grande (plus de 50 millions de pixels) : rien n'a été enregistré."
)


class PhotoRefused(PortalError):
    """The upload cannot be stored; ``message`` is for the parent, ``field`` the form
    field it is about (``consent`` or ``photo``)."""

    def __init__(self, message: str, field: str = "photo") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ChildNotVisible(PortalError):
    """The child does not exist or is not one ``principal`` may act on (answered as 404)."""


def reencode(data: bytes) -> bytes:
    """``data`` (a JPEG or PNG file) as a 256×256 JPEG without metadata; raises
    :class:`PhotoRefused` for anything else, too big, truncated or a decompression bomb."""
    if not data:
        raise PhotoRefused(NO_FILE)
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused(TOO_BIG)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse as well.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as opened:
                if opened.width * opened.height > MAX_PIXELS:
                    raise PhotoRefused(TOO_MANY_PIXELS)
                opened.load()  # decodes everything now: a truncated file fails here
                upright = ImageOps.exif_transpose(opened)
                square = ImageOps.fit(
                    _flatten(upright), (SIDE, SIDE), Image.Resampling.LANCZOS, centering=(0.5, 0.5)
                )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused(TOO_MANY_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise PhotoRefused(NOT_AN_IMAGE) from None
    # A new image holding only the pixels: nothing of the source's info (EXIF, ICC, XMP,
    # comments) can ride along into the saved file.
    clean = Image.new("RGB", square.size)
    clean.paste(square)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels; transparent areas become white (not black) as on a printed card."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def _parent_child(session: Session, principal: Principal, child_id: str) -> Child:
    # Only a parent of the child's family changes its photo (the intendance only sees it).
    child = visible_child(session, principal, child_id=child_id)
    if child is None or principal.kind != "parent":
        raise ChildNotVisible(child_id)
    # The school's counter lock first (crud/changes.py): the photo's feed change is then
    # numbered in commit order.
    lock_schools(session, school_ids=[child.school_id])
    return child


def line_photo_data(
    school: School, child: Child, photo: ChildPhoto | None
) -> dict[str, str] | None:
    """Feed data of the child's photo for its school's stations; ``None`` (the station
    drops it) without a consented photo or when the school keeps photos off the line."""
    if photo is None or not photo.consent_at or not school.photo_at_line:
        return None
    return {"child_id": child.ref, "sha256": photo.sha256}


def _announce(session: Session, child: Child, photo: ChildPhoto | None) -> None:
    school = session.get_one(School, child.school_id)
    buffer = ChangeBuffer()
    data = line_photo_data(school, child, photo)
    buffer.put(school_id=school.id, kind=PHOTO_KIND, key=child.ref, data=data)
    buffer.flush(session)


def announce_school_photos(session: Session, *, school: School, buffer: ChangeBuffer) -> int:
    """Put the photo change of every child of ``school`` that has a photo into ``buffer``
    (after ``photo_at_line`` changed); returns how many. The caller holds the school's
    counter lock."""
    rows = session.execute(
        select(Child, ChildPhoto)
        .join(ChildPhoto, ChildPhoto.child_id == Child.id)
        .where(Child.school_id == school.id)
    ).all()
    for child, photo in rows:
        data = line_photo_data(school, child, photo)
        buffer.put(school_id=school.id, kind=PHOTO_KIND, key=child.ref, data=data)
    return len(rows)


def line_photo(session: Session, *, school_id: int, sha256: str) -> bytes | None:
    """The JPEG whose SHA-256 is ``sha256`` when it is announced to the school's stations
    right now (a consented photo of one of its children, ``photo_at_line`` true), else
    ``None``: another school's photo, a replaced or deleted one are never served."""
    school = session.get(School, school_id)
    if school is None or not school.photo_at_line:
        return None
    jpeg = session.execute(
        select(ChildPhoto.jpeg)
        .join(Child, Child.id == ChildPhoto.child_id)
        .where(
            Child.school_id == school_id,
            ChildPhoto.sha256 == sha256,
            ChildPhoto.consent_at.is_not(None),
        )
        .limit(1)
    ).scalar_one_or_none()
    return None if jpeg is None else bytes(jpeg)


def save_photo(
    session: Session,
    principal: Principal,
    *,
    child_id: str,
    user_id: int,
    email: str,
    data: bytes,
    consent: bool,
    now: datetime | None = None,
) -> ChildPhoto:
    """Store the child's new photo (replacing any previous one) with the consent of
    ``user_id`` / ``email`` given now. Raises :class:`ChildNotVisible` outside the
    parent's family and :class:`PhotoRefused` (nothing stored) without consent or for a
    file that is not a usable JPEG/PNG under 10 MB."""
    child = _parent_child(session, principal, child_id)
    if not consent:
        raise PhotoRefused(NO_CONSENT, "consent")
    jpeg = reencode(data)
    photo = session.get(ChildPhoto, child.id)
    if photo is None:
        photo = ChildPhoto(child_id=child.id)
        session.add(photo)
    photo.jpeg = jpeg
    photo.sha256 = hashlib.sha256(jpeg).hexdigest()
    photo.consent_user_id = user_id
    photo.consent_email = email
    photo.consent_at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    session.flush()
    _announce(session, child, photo)
    return photo


def delete_photo(session: Session, principal: Principal, *, child_id: str) -> bool:
    """Remove the child's photo; ``False`` when there was none. :class:`ChildNotVisible`
    outside the parent's family."""
    child = _parent_child(session, principal, child_id)
    photo = session.get(ChildPhoto, child.id)
    if photo is None:
        return False
    session.delete(photo)
    session.flush()
    _announce(session, child, None)  # the consent goes with it: stations drop the photo
    return True


def visible_photo(session: Session, principal: Principal, *, child_id: str) -> ChildPhoto | None:
    """The child's photo for its family or its school's intendance; ``None`` when there is
    none or the child is not theirs (the same answer, so nothing leaks)."""
    child = visible_child(session, principal, child_id=child_id)
    if child is None:
        return None
    return session.get(ChildPhoto, child.id)
