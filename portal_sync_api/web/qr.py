"""QR codes drawn into the pages as inline SVG (segno): nothing to load from elsewhere,
so the pages' Content-Security-Policy stays as strict as it is."""

from __future__ import annotations

import segno
from markupsafe import Markup, escape

#: Pixels per module: a day pass (41 modules and the quiet zone) is 245 px wide, which a
#: phone screen shows whole and a camera at the line reads at arm's length.
SCALE = 5


def qr_svg(payload: str, label: str) -> Markup:
    """An SVG ``<svg role="img">`` of ``payload``, black on white (also in a dark theme),
    named ``label`` for screen readers (its ``aria-label`` and ``<title>``)."""
    code = segno.make(payload, error="m", micro=False)
    svg = code.svg_inline(scale=SCALE, dark="#000", light="#fff", title=label, svgclass="qr")
    named = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    return Markup(named)  # segno's own markup; the label was escaped above
