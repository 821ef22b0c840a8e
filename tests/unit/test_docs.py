"""The documentation stands on its own: README.md and docs/ point only at files of this
repository, and never at folders outside it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE_MARK = "../shared"

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
# [text](target "title") and ![alt](target); the text may hold one level of brackets.
_INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)[^)]*\)")
# [label]: target
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.MULTILINE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def doc_files() -> list[Path]:
    """README.md and every file under docs/."""
    return [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").rglob("*") if p.is_file())]


def link_targets(markdown: str) -> list[str]:
    """Targets of the markdown links of ``markdown``, code blocks and code spans left out."""
    text = _CODE_SPAN.sub("", _FENCE.sub("", markdown))
    found = [m.group(1) for m in _INLINE.finditer(text)]
    found += [m.group(1) for m in _REFERENCE.finditer(text)]
    return [t[1:-1] if t.startswith("<") and t.endswith(">") else t for t in found]


def broken_links(markdown: str, folder: Path, root: Path = ROOT) -> list[str]:
    """Relative link targets that name no file or folder inside ``root``."""
    broken = []
    for target in link_targets(markdown):
        if _SCHEME.match(target) or target.startswith("#"):
            continue  # a URL (https:, mailto:) or an anchor of the same page
        path_part = unquote(target.split("#", 1)[0].split("?", 1)[0])
        resolved = (folder / path_part).resolve()
        if not resolved.is_relative_to(root) or not resolved.exists():
            broken.append(target)
    return broken


def test_readme_and_docs_never_mention_the_outside_shared_folder() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in doc_files()
        if OUTSIDE_MARK in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert offenders == []


def test_every_relative_link_of_readme_and_docs_names_a_file_of_the_repository() -> None:
    broken = {
        str(p.relative_to(ROOT)): links
        for p in doc_files()
        if p.suffix == ".md" and (links := broken_links(p.read_text(encoding="utf-8"), p.parent))
    }
    assert broken == {}


def test_the_link_check_flags_missing_and_outside_targets_only(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "here.md").write_text("x", encoding="utf-8")
    (tmp_path / "outside.md").write_text("x", encoding="utf-8")
    root = tmp_path / "docs"
    markdown = (
        "[ok](here.md#part) [gone](missing.md) [up](../outside.md) "
        "[web](https://example.org/x.md) [anchor](#top) `[code](nowhere.md)`\n"
        "```\n[fenced](nowhere-either.md)\n```\n"
        "[ref]: <also-missing.md>\n"
    )
    assert broken_links(markdown, root, root) == ["missing.md", "../outside.md", "also-missing.md"]


def test_the_design_document_is_the_one_place_for_the_design() -> None:
    assert (ROOT / "docs" / "design.md").is_file()
    assert not (ROOT / "docs" / "architecture.md").exists()
