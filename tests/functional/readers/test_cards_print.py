"""``station cards print``: page count, page size, and every barcode decodes back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from station.cards_print import CARD_HEIGHT, CARD_WIDTH, PAGE_HEIGHT, barcode_modules, card_origin
from station.cli import main
from station.readers.decode import decode
from station.store import Store
from station.store.cache import apply_changes
from tests.support.readers import write_station_config

pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (test extra) rasterises the PDF")

CLASSES = {"6B": 13, "5A": 4}  # 13 pupils in 6B: two pages for that class


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = write_station_config(tmp_path, 'school_name = "Collège Jean Moulin"')
    changes = []
    n = 0
    for class_name, count in CLASSES.items():
        for _ in range(count):
            n += 1
            child = f"C{n:04d}"
            changes.append(
                {"kind": "child", "key": child, "seq": n,
                 "data": {"id": child, "last_name": f"Élève{n}", "first_name": "Hervé",
                          "class": class_name}}
            )  # fmt: skip
            status = "lost" if n == 2 else "active"
            changes.append(
                {"kind": "card", "key": f"1849-{n * 37:05d}", "seq": 1000 + n,
                 "data": {"child_id": child, "status": status}}
            )  # fmt: skip
    store = Store(tmp_path / "station.db")
    with store.write() as conn:
        apply_changes(conn, changes, "ligne-1")
    store.close()
    return path


def _print(config: Path, out: Path, *selection: str) -> int:
    """``station cards print SELECTION --out OUT``; the exit code."""
    return main(["--config", str(config), "cards", "print", *selection, "--out", str(out)])


def _decode_pdf(pdf_path: Path, dpi: int = 300) -> list[list[str]]:
    """Per page, the code decoded from each card cell, in grid order."""
    scale = dpi / 72
    pages = []
    pdf = pdfium.PdfDocument(str(pdf_path))
    for page in pdf:
        width, height = page.get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 in points
        image = np.array(page.render(scale=scale, grayscale=True).to_pil().convert("L"))
        codes = []
        for index in range(10):
            x, y = card_origin(index)
            top = int((PAGE_HEIGHT - y - CARD_HEIGHT) * scale)
            left = int(x * scale)
            cell = image[
                top : top + int(CARD_HEIGHT * scale), left : left + int(CARD_WIDTH * scale)
            ]
            found = decode(np.ascontiguousarray(cell), "zxing")
            if not found:
                break
            codes.append(found[0])
        pages.append(codes)
    pdf.close()
    return pages


def test_class_sheets_have_ten_cards_per_a4_page_and_decode_back_to_card_numbers(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "6B.pdf"
    assert _print(config, out, "--class", "6B") == 0
    assert "12 carte(s) sur 2 page(s)" in capsys.readouterr().out
    pages = _decode_pdf(out)
    assert [len(p) for p in pages] == [10, 2]
    expected = sorted(f"1849-{n * 37:05d}" for n in range(1, 14) if n != 2)  # n=2: lost card
    assert sorted(c for p in pages for c in p) == expected


def test_selected_children_only(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "two.pdf"
    assert _print(config, out, "--child", "C0014", "C0017") == 0
    assert _decode_pdf(out) == [["1849-00518", "1849-00629"]]


def test_all_prints_every_active_card(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.pdf"
    assert _print(config, out, "--all") == 0
    assert sum(len(p) for p in _decode_pdf(out)) == sum(CLASSES.values()) - 1


def test_unknown_class_prints_nothing_and_says_so(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "none.pdf"
    assert _print(config, out, "--class", "3Z") == 1
    assert "Aucune carte" in capsys.readouterr().err
    assert not out.exists()


def test_selection_is_required(config: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _print(config, tmp_path / "x.pdf")
    assert exit_info.value.code == 2


def test_barcode_pattern_is_code128_of_the_card_code() -> None:
    modules = barcode_modules("1849-01234")
    assert set(modules) == {"0", "1"}
    assert modules.startswith("11010010000") or modules.startswith("11010011100")  # start B/C
    assert modules.endswith("1100011101011")  # stop pattern
