"""Updating a widget's text without laying the screen out again when its size holds."""

from __future__ import annotations

from textual.geometry import Size
from textual.visual import VisualType
from textual.widgets import Static


def update_in_place(widget: Static, content: VisualType) -> None:
    """Show ``content`` in ``widget``; relayout only when its height changes.

    ``Static.update`` lays out the whole screen by default, which costs more than drawing
    the new text; most updates (a new count, another child's name) keep the same height.
    """
    widget.update(content, layout=False)
    width, height = widget.size
    if width and widget.get_content_height(Size(0, 0), Size(0, 0), width) != height:
        widget.refresh(layout=True)
