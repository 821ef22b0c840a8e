"""Every action the portal writes to the audit log has a French label on the journal page."""

from __future__ import annotations

import re
from pathlib import Path

from portal_sync_api.crud.audit import ACTION_LABELS

PORTAL = Path(__file__).resolve().parents[3] / "portal_sync_api"
#: ``action="…"`` given to ``AuditEntry(...)`` or ``audit.record(...)``.
ACTION = re.compile(r'\baction="([a-z_]+)"')
#: argparse's own ``action=`` values, in the command-line modules.
ARGPARSE = {"append", "store_true", "store_false", "count", "store_const"}


def audit_actions() -> set[str]:
    found: set[str] = set()
    for path in PORTAL.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "AuditEntry" not in text and "audit.record" not in text and "record(" not in text:
            continue
        found.update(name for name in ACTION.findall(text) if name not in ARGPARSE)
    return found


def test_the_scan_finds_the_known_actions() -> None:
    assert {"card_block", "meal_void", "csv_import", "counter_payment"} <= audit_actions()


def test_every_audited_action_has_a_french_label() -> None:
    assert sorted(audit_actions() - ACTION_LABELS.keys()) == []
