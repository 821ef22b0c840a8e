"""Tables of the parents' space (migration 0005): a child's photo with its consent, and
the changes parents ask the intendance to make to a child's record."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal_sync_api.models import Base


class ChildPhoto(Base):
    """The one photo of a child: a 256×256 JPEG re-encoded by the portal (no metadata),
    uploaded by a parent of the child's family who ticked the consent box."""

    __tablename__ = "child_photos"

    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), primary_key=True)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    #: Hex SHA-256 of ``jpeg`` (what a station compares to know it has the same picture).
    sha256: Mapped[str] = mapped_column(String(64))
    #: The parent who uploaded it and consented to its use at the serving line.
    consent_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    consent_email: Mapped[str] = mapped_column(String(254))
    consent_at: Mapped[str] = mapped_column(String(40))


class ChangeRequest(Base):
    """A parent's « signaler un changement » message about a child (class, diet,
    allergies…): the school's record is only changed by the intendance."""

    __tablename__ = "child_change_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    email: Mapped[str] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))
