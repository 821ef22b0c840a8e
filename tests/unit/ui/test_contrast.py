"""Verdict states stay readable on a dim kiosk screen and for colour-blind staff: white
text passes WCAG AA on every state's background, and no two states share a frame."""

from __future__ import annotations

import re
from pathlib import Path

import station.ui

STYLES = Path(station.ui.__file__).parent / "styles" / "serving.tcss"
STATES = ("served", "warning", "allergy", "refused", "voided", "error")


def rules() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for state, body in re.findall(r"#verdict\.-(\w+)\s*\{([^}]*)\}", STYLES.read_text()):
        found[state] = dict(
            (k.strip(), v.strip().rstrip(";"))
            for k, v in (line.split(":", 1) for line in body.strip().splitlines() if ":" in line)
        )
    return found


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_white_text_passes_wcag_aa_on_every_verdict_state() -> None:
    styles = rules()
    for state in STATES:
        assert styles[state]["color"] == "white"
        ratio = contrast("#ffffff", styles[state]["background"])
        assert ratio >= 4.5, f"{state}: {ratio:.2f}"


def test_every_state_has_its_own_frame_not_only_its_own_colour() -> None:
    styles = rules()
    frames = [styles[state]["border"].split()[0] for state in STATES]
    assert len(set(frames)) == len(STATES), frames


def test_the_contrast_formula_matches_wcag() -> None:
    assert round(contrast("#ffffff", "#000000"), 1) == 21.0
    assert round(contrast("#ffffff", "#767676"), 1) == 4.5
