"""A child's photo: uploaded by a parent with consent, re-encoded to a 256×256 JPEG with no
metadata, replaced, deleted, seen only by the family and the school's intendance; every
refusal is a French sentence on the page with nothing stored; no CSRF token, no change."""

from __future__ import annotations

import hashlib
import html
import io

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.family_tables import ChildPhoto
from portal_sync_api.crud.photos import MAX_PHOTO_BYTES, PhotoRefused, reencode
from portal_sync_api.crud.schools import require_school
from portal_sync_api.models import Child
from tests.support.family_pages import PARENT, Family

ORIENTATION, MAKE, DATETIME = 0x0112, 0x010F, 0x0132


def picture(
    kind: str,
    size: tuple[int, int] = (400, 300),
    *,
    exif: bool = False,
    top: tuple[int, int, int] = (255, 0, 0),
) -> bytes:
    """A picture whose top half is ``top`` (red) and bottom half blue, as a JPEG or PNG
    file; with ``exif``, tagged « rotate 90° clockwise to display » and with camera
    metadata."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste(top, (0, 0, size[0], size[1] // 2))
    out = io.BytesIO()
    if exif:
        tags = Image.Exif()
        tags[ORIENTATION] = 6
        tags[MAKE] = "Appareil de test"
        tags[DATETIME] = "2026:11:24 12:04:00"
        image.save(out, format=kind, exif=tags.tobytes())
    else:
        image.save(out, format=kind)
    return out.getvalue()


def _upload(
    family: Family,
    data: bytes,
    name: str = "photo.jpg",
    *,
    consent: bool = True,
    csrf: bool = True,
    mime: str = "image/jpeg",
) -> httpx.Response:
    path = f"/famille/enfants/{family.herve}/photo"
    return family.parent.post(
        path,
        {"consent": "oui"} if consent else {},
        page=f"/famille/enfants/{family.herve}",
        files={"photo": (name, data, mime)},
        csrf=csrf,
    )


def _school_id(session: Session, code: str) -> int:
    return require_school(session, code=code).id


def _stored(family: Family) -> ChildPhoto | None:
    with session_scope(family.engine) as session:
        photo = session.execute(
            select(ChildPhoto)
            .join(Child, Child.id == ChildPhoto.child_id)
            .where(Child.ref == family.herve, Child.school_id == _school_id(session, "1849"))
        ).scalar_one_or_none()
        if photo is not None:
            session.expunge(photo)
        return photo


def _count(family: Family) -> int:
    with session_scope(family.engine) as session:
        return int(session.execute(select(func.count()).select_from(ChildPhoto)).scalar_one())


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_uploaded_photo_is_stored_as_256_square_jpeg_without_exif(
    family: Family, kind: str
) -> None:
    answer = _upload(family, picture(kind, exif=kind == "JPEG"), f"enfant.{kind.lower()}")
    assert answer.status_code == 303
    stored = _stored(family)
    assert stored is not None
    assert stored.sha256 == hashlib.sha256(stored.jpeg).hexdigest()
    assert stored.consent_email == PARENT and stored.consent_at
    image = Image.open(io.BytesIO(stored.jpeg))
    assert image.format == "JPEG" and image.size == (256, 256) and image.mode == "RGB"
    assert not image.getexif() and "exif" not in image.info
    served = family.parent.client.get(f"/famille/enfants/{family.herve}/photo")
    assert served.status_code == 200 and served.content == stored.jpeg
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "private, no-store"
    page = family.parent.client.get(f"/famille/enfants/{family.herve}").text
    assert "La photo a été enregistrée." in page
    assert f'src="/famille/enfants/{family.herve}/photo?v=' in page


def test_exif_orientation_is_applied_before_the_metadata_is_dropped() -> None:
    # Displayed upright, the red top half is turned to the right side.
    image = Image.open(io.BytesIO(reencode(picture("JPEG", exif=True))))
    red, blue = image.getpixel((220, 128)), image.getpixel((36, 128))
    assert isinstance(red, tuple) and isinstance(blue, tuple)
    assert red[0] > 200 and red[2] < 60, red
    assert blue[2] > 200 and blue[0] < 60, blue


def test_a_heic_named_file_that_is_really_a_jpeg_is_accepted(family: Family) -> None:
    answer = _upload(family, picture("JPEG"), "IMG_0042.HEIC", mime="image/heic")
    assert answer.status_code == 303
    assert _stored(family) is not None


def test_a_new_photo_replaces_the_previous_one(family: Family) -> None:
    _upload(family, picture("PNG"))
    first = _stored(family)
    _upload(family, picture("PNG", top=(0, 160, 0)))
    second = _stored(family)
    assert first is not None and second is not None
    assert first.sha256 != second.sha256 and _count(family) == 1


@pytest.mark.parametrize(
    ("data", "consent", "message"),
    [
        (b"x" * (MAX_PHOTO_BYTES + 1), True, "La photo dépasse 10 Mo"),
        (b"%PDF-1.4 pas une image", True, "n'est pas une photo JPEG ou PNG lisible"),
        (picture("JPEG")[:400], True, "n'est pas une photo JPEG ou PNG lisible"),
        (b"", True, "Choisissez un fichier photo"),
        (picture("PNG"), False, "Cochez la case d'accord"),
    ],
    ids=["too_big", "not_an_image", "truncated", "empty", "no_consent"],
)
def test_refused_upload_says_why_in_french_on_the_page_and_stores_nothing(
    family: Family, data: bytes, consent: bool, message: str
) -> None:
    answer = _upload(family, data, consent=consent)
    assert answer.status_code == 422
    text = answer.text
    assert message in html.unescape(text)
    assert 'aria-invalid="true"' in text
    field = "consent" if not consent else "photo"
    assert f'id="{field}-erreur"' in text and f'aria-describedby="{field}-erreur' in text
    assert _count(family) == 0


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # 81 Mpx in a few kB
    with pytest.raises(PhotoRefused, match="trop grande"):
        reencode(out.getvalue())


def test_delete_removes_the_photo(family: Family) -> None:
    _upload(family, picture("PNG"))
    page = f"/famille/enfants/{family.herve}"
    answer = family.parent.post(f"{page}/photo/supprimer", page=page)
    assert answer.status_code == 303
    assert _stored(family) is None
    assert "La photo a été supprimée." in family.parent.client.get(page).text
    assert family.parent.client.get(f"{page}/photo").status_code == 404


def test_photo_is_served_to_the_family_and_its_schools_intendance_only(family: Family) -> None:
    _upload(family, picture("PNG"))
    path = f"/famille/enfants/{family.herve}/photo"
    assert family.parent.client.get(path).status_code == 200
    assert family.intendance.client.get(path).status_code == 200
    for outsider in (family.neighbour, family.other_intendance):
        answer = outsider.client.get(path)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert family.anonymous.client.get(path, follow_redirects=False).status_code == 303


def test_another_family_cannot_upload_or_delete_the_childs_photo(family: Family) -> None:
    _upload(family, picture("PNG"))
    before = _stored(family)
    own_page = f"/famille/enfants/{family.tom}"  # the neighbour's own child: a valid token
    target = f"/famille/enfants/{family.herve}/photo"
    files = {"photo": ("x.png", picture("PNG", (200, 200)), "image/png")}
    upload = family.neighbour.post(target, {"consent": "oui"}, page=own_page, files=files)
    delete = family.neighbour.post(f"{target}/supprimer", page=own_page)
    assert upload.status_code == delete.status_code == 404
    after = _stored(family)
    assert before is not None and after is not None and after.sha256 == before.sha256


def test_upload_and_delete_without_csrf_token_are_refused_and_change_nothing(
    family: Family,
) -> None:
    refused = _upload(family, picture("PNG"), csrf=False)
    assert refused.status_code == 403
    assert "Formulaire refusé" in refused.text
    assert _count(family) == 0
    _upload(family, picture("PNG"))
    page = f"/famille/enfants/{family.herve}"
    assert family.parent.post(f"{page}/photo/supprimer", page=page, csrf=False).status_code == 403
    assert _stored(family) is not None
