"""The child's photo in half blocks (rich-pixels), or large initials when there is none."""

from __future__ import annotations

from pathlib import Path

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from station.core.models import Child
from station.ui.format import initials


class ChildPhoto(Widget):
    """Shows who should be in front of the staff: a photo when cached, else initials."""

    DEFAULT_CSS = """
    ChildPhoto {
        width: 14; height: 7; content-align: center middle; text-style: bold;
        border: round white;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.child: Child | None = None
        self._picture: RenderableType | None = None

    def show(self, child: Child | None) -> None:
        self.child = child
        self._picture = None
        if child is not None and child.photo and Path(child.photo).is_file():
            self._picture = _load(Path(child.photo), self.size.width or 14, self.size.height or 7)
        self.display = child is not None
        self.refresh()

    def render(self) -> RenderableType:
        if self._picture is not None:
            return self._picture
        if self.child is None:
            return Text("")
        return Text(initials(self.child), justify="center", style="bold")


def _load(path: Path, width: int, height: int) -> RenderableType | None:
    """The photo fitted to ``width`` cells by ``height`` rows (two pixels per row)."""
    try:
        from PIL import Image
        from rich_pixels import Pixels

        with Image.open(path) as image:
            image.thumbnail((width, height * 2))
            return Pixels.from_image(image.convert("RGB"))  # type: ignore[no-any-return]
    except Exception:  # a broken photo file must never stop the line
        return None
