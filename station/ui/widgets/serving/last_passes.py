"""The last passes at this line, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple
from zoneinfo import ZoneInfo

from rich.cells import cell_len
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

from station.core.models import Pass
from station.ui.format import pass_line


class _Row(NamedTuple):
    heading: str
    what: str
    money: str
    style: str


class LastPasses(Widget):
    """Two lines a pass (time and child; verdict and amount), refusals red, voids struck.

    Drawn as plain :class:`Content` lines cut to the width, not a Rich table: a table is
    rendered once more to measure its height, and both renders were the most expensive
    part of the frame after a scan. The height is two lines a pass, known without drawing.
    """

    DEFAULT_CSS = """
    LastPasses { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[_Row] = []

    def show(self, passes: Sequence[Pass], tz: ZoneInfo) -> None:
        rows = []
        for item in passes:
            at, who, what, money = pass_line(item, tz)
            style = (
                "ansi_red"
                if item.status == "refused"
                else ("strike dim" if item.voided else "ansi_green")
            )
            rows.append(_Row(f"{at} {who}", f"   {what}", money, style))
        if rows == self._rows:
            return
        resized = len(rows) != len(self._rows)
        self._rows = rows
        self.refresh(layout=resized)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 2 * len(self._rows) or 1

    def render(self) -> Content:
        if not self._rows:
            return Content.styled("Aucun passage aujourd'hui.", "dim")
        width = self.size.width
        money_width = max(cell_len(row.money) for row in self._rows)
        left = max(width - money_width, 0)
        lines: list[Content] = []
        for row in self._rows:
            heading = Content.styled(row.heading, "bold").truncate(left, ellipsis=True, pad=True)
            what = Content.styled(row.what, row.style).truncate(left, ellipsis=True, pad=True)
            lines.append(heading.pad_right(money_width))
            lines.append(Content.assemble(what, Content(row.money).right(money_width)))
        return Content("\n").join(lines)
