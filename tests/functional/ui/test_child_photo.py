"""The child's photo beside the verdict, through the real serving app under Pilot: a Sixel
image on a terminal that answers Sixel (the kiosk's ``foot``), half blocks elsewhere, the
initials when there is no usable photo — never an error.

Headless, ``textual-image`` finds no terminal to ask, so the Sixel path is chosen by
setting what its detection would have answered (``child_photo.GRAPHICS``); what is then
checked is the terminal data the app writes, the Sixel image in it decoded back to pixels.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.strip import Strip
from textual_image._terminal import get_cell_size

from station.core.clock import FixedClock
from station.core.models import Child, Source
from station.engine import ServingLine
from station.readers.events import ScanEvent
from station.store import cache
from station.ui.app import StationApp, build_app
from station.ui.messages import ScanReceived
from station.ui.widgets.block_font import big_text
from station.ui.widgets.serving import child_photo
from station.ui.widgets.serving.child_photo import PICTURES, TALL_COLS, TALL_ROWS, ChildPhoto
from station.ui.widgets.serving.photo_sixel import SIXELS, SixelCache, SixelLayer
from tests.support.photos import BACKGROUND, FACE, close_to, write_photo
from tests.support.sixel import TerminalOutput, sixels

pytestmark = pytest.mark.anyio

SIZE = (128, 40)  # a tall screen: the larger frame, 24 × 11 cells
REMI, SAM, PIA, ROSE = "C0001", "C0002", "C0004", "C0006"
CARDS = {REMI: "1849-00001", SAM: "1849-00002", PIA: "1849-00004", ROSE: "1849-00006"}


@pytest.fixture(autouse=True)
def empty_caches() -> Iterator[None]:
    PICTURES.clear()
    SIXELS.clear()
    yield
    PICTURES.clear()
    SIXELS.clear()


@pytest.fixture
def sixel_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``textual-image`` answers at import in a terminal that has Sixel."""
    monkeypatch.setattr(child_photo, "GRAPHICS", "sixel")


@pytest.fixture
def half_block_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """What it answers in a terminal with neither Sixel nor Kitty graphics."""
    monkeypatch.setattr(child_photo, "GRAPHICS", "halfblocks")


@pytest.fixture
def photos(line: ServingLine, tmp_path: Path) -> dict[str, Path]:
    """Rémi and Pia have a photo (each its own colours), Rose a file that is no picture,
    Sam none — as the photo sync leaves them."""
    folder = tmp_path / "station-photos"
    folder.mkdir()
    files = {
        REMI: write_photo(folder, BACKGROUND, FACE),
        PIA: write_photo(folder, (200, 60, 40), (90, 220, 120)),
        ROSE: folder / "broken.jpg",
    }
    files[ROSE].write_bytes(b"\xff\xd8 not a picture")
    with line.store.write() as conn:
        cache.set_photo_files(conn, {child: str(path) for child, path in files.items()})
    return files


def make_app(line: ServingLine, clock: FixedClock, tmp_path: Path) -> StationApp:
    return build_app(line, clock=clock, export_dir=tmp_path / "exports", flash_seconds=0)


async def scan(app: StationApp, pilot: object, child: str) -> ChildPhoto:
    app.post_message(ScanReceived(ScanEvent(CARDS[child], Source.SERIAL, app.clock.now(), "t")))
    await pilot.pause()  # type: ignore[attr-defined]
    return app.serving.query_one(ChildPhoto)


def frame_content(photo: ChildPhoto) -> list[Strip]:
    """The rows inside the photo frame's border, as the frame draws them."""
    lines = photo.render_lines(photo.region.reset_offset)
    return [line.crop(1, photo.outer_size.width - 1) for line in lines[1:-1]]


def expected_side() -> int:
    """A square photo in the larger frame, in pixels: the frame's height or width in
    pixels, whichever is smaller (this terminal's cell size)."""
    cell = get_cell_size()
    return min(TALL_COLS * cell.width, TALL_ROWS * cell.height)


async def test_a_sixel_terminal_gets_the_photo_as_a_sixel_image_in_the_frame(
    sixel_terminal: None,
    photos: dict[str, Path],
    line: ServingLine,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    child_photo.warm(sorted(photos.values()))  # the sync thread, after fetching
    assert SIXELS.has(photos[REMI], TALL_COLS, TALL_ROWS)
    app = make_app(line, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        output = TerminalOutput(app)
        photo = await scan(app, pilot, REMI)
        assert photo.shown_photo == photos[REMI]
        layer = photo.query_one(SixelLayer)
        # Written into the frame's last row: a Sixel image, as the terminal receives it.
        last = layer.render_lines(layer.size.region)[-1].render(app.console)
        bottom, right = layer.region.bottom, layer.region.right
        assert "\x1bP0;0;0q" in last and last.endswith(f"\x1b[{bottom};{right + 1}H")
        # Each colour defined in passing is selected again right after it (foot 1.13
        # drew with the colour the register held before).
        definitions = re.findall(r"#(\d+);2;\d+;\d+;\d+(#\d+)?", last)
        assert len(definitions) > 10
        assert all(selected == f"#{register}" for register, selected in definitions)
        # (A first verdict may repaint the frame in a second frame: the same picture.)
        *_, image = sixels(output.text())
        side = expected_side()
        assert (image.width, image.height) == (side, side)
        # Placed inside the frame, centred on whole cells.
        cell = get_cell_size()
        span = -(-side // cell.width), -(-side // cell.height)
        content = layer.region
        assert image.column == content.x + (TALL_COLS - span[0]) // 2
        assert image.row == content.y + (TALL_ROWS - span[1]) // 2
        # The picture itself: the face in the middle, the background in the corners.
        assert close_to(image.at(side // 2, side // 2), FACE)
        assert close_to(image.at(2, 2), BACKGROUND)
        assert close_to(image.at(side - 3, side - 3), BACKGROUND)
        # Under it the frame is blank: no half blocks drawn there.
        assert not any("▀" in row.text for row in frame_content(photo))
        # Were the frame partly hidden, the picture would spill past it: half blocks.
        partial = layer.render_lines(Region(0, 0, layer.size.width, 4))
        assert len(partial) == 4 and all("▀" in row.text for row in partial)
        assert not any("\x1bP" in row.text for row in partial)

        # The next child's photo replaces it.
        output.clear()
        await scan(app, pilot, PIA)
        *_, image = sixels(output.text())
        assert close_to(image.at(side // 2, side // 2), (90, 220, 120))


async def test_a_dialog_over_the_verdict_never_gets_the_picture_drawn_over_it(
    sixel_terminal: None,
    photos: dict[str, Path],
    line: ServingLine,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    child_photo.warm(sorted(photos.values()))
    app = make_app(line, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        photo = await scan(app, pilot, REMI)
        output = TerminalOutput(app)
        await pilot.press("f2")  # « Sans carte »: a dialog over the serving screen
        await pilot.pause()
        assert app.screen is not app.serving
        layer = photo.query_one(SixelLayer)
        assert layer.render_lines(layer.size.region) == []
        assert sixels(output.text()) == []
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.serving and len(sixels(output.text())) >= 1


async def test_no_photo_or_a_broken_file_shows_the_initials_on_a_sixel_terminal(
    sixel_terminal: None,
    photos: dict[str, Path],
    line: ServingLine,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    child_photo.warm(sorted(photos.values()))
    assert SIXELS.get(photos[ROSE], TALL_COLS, TALL_ROWS) is None  # not a picture
    app = make_app(line, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        output = TerminalOutput(app)
        for child, letters in ((SAM, "SS"), (ROSE, "RR")):
            output.clear()
            photo = await scan(app, pilot, child)
            assert photo.shown_photo is None
            assert photo.query_one(SixelLayer).render_lines(photo.content_region.reset_offset) == []
            drawn = [row.text.strip() for row in frame_content(photo) if row.text.strip()]
            assert drawn == [row.strip() for row in big_text(letters)]
            assert "\x1bP" not in output.text() and sixels(output.text()) == []
        # The line goes on: the next photo shows.
        photo = await scan(app, pilot, REMI)
        assert photo.shown_photo == photos[REMI] and sixels(output.text())


async def test_a_photo_not_encoded_yet_is_drawn_in_half_blocks_on_a_sixel_terminal(
    sixel_terminal: None,
    photos: dict[str, Path],
    line: ServingLine,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    app = make_app(line, clock, tmp_path)  # no sync has run: nothing encoded
    async with app.run_test(size=SIZE) as pilot:
        output = TerminalOutput(app)
        photo = await scan(app, pilot, REMI)
        assert photo.shown_photo == photos[REMI]
        assert photo.query_one(SixelLayer).render_lines(photo.content_region.reset_offset) == []
        assert sum(row.text.count("▀") for row in frame_content(photo)) > 100
        assert sixels(output.text()) == []
        # So does a frame of a size nothing was encoded for (a short terminal's).
        child_photo.warm(sorted(photos.values()))
        await pilot.resize_terminal(80, 24)
        output.clear()
        photo = await scan(app, pilot, REMI)
        assert "▀" in "".join(row.text for row in frame_content(photo))
        assert sixels(output.text()) == []


async def test_half_blocks_draw_the_photos_pixels_centred_in_the_frame(
    half_block_terminal: None,
    photos: dict[str, Path],
    line: ServingLine,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    child_photo.warm(sorted(photos.values()))
    picture = PICTURES.get(photos[REMI], TALL_COLS, TALL_ROWS)
    assert picture is not None and picture.size == (22, 22)
    app = make_app(line, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        photo = await scan(app, pilot, REMI)
        rows = frame_content(photo)
        assert len(rows) == TALL_ROWS
        for y, row in enumerate(rows):
            cells = [(s.text[i], s.style) for s in row for i in range(len(s.text))]
            assert [c for c, _ in cells] == [" "] + ["▀"] * 22 + [" "]  # centred
            for x, (_, style) in enumerate(cells[1:-1]):
                assert style is not None and style.color and style.bgcolor
                assert style.color.triplet == picture.getpixel((x, 2 * y))
                assert style.bgcolor.triplet == picture.getpixel((x, 2 * y + 1))


async def test_drawing_photos_leaves_their_colours_out_of_textuals_escape_code_cache(
    half_block_terminal: None,
    photos: dict[str, Path],
    line: ServingLine,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    """Each photo brings hundreds of colours: kept in Textual's table of escape codes,
    they stayed alive until full garbage collections, which then took long enough to put
    verdicts late. The cells carry their escape codes instead."""
    others = [write_photo(tmp_path, (60 * i, 200 - 40 * i, 90), FACE) for i in range(1, 4)]
    child_photo.warm([*photos.values(), *others])
    app = make_app(line, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        photo = await scan(app, pilot, REMI)
        output = TerminalOutput(app)
        before = Strip.render_ansi.cache_info().currsize
        for path in others:  # only the frame changes on screen
            photo.show(Child(REMI, "RESERVE", "Rémi", "CE2", photo=str(path)))
            await pilot.pause()
            assert photo.shown_photo == path
        assert output.text().count("▀") == 3 * 22 * 11  # each photo drawn, 22 × 22 pixels
        assert Strip.render_ansi.cache_info().currsize == before


def test_the_sixel_cache_stays_within_its_budget_and_forgets_removed_photos(
    tmp_path: Path,
) -> None:
    paths = [write_photo(tmp_path, (40 * i, 90, 200), FACE) for i in range(1, 5)]
    cache_ = SixelCache(budget=1)  # full after the first picture
    cache_.fill(paths, [(TALL_COLS, TALL_ROWS)])
    assert [cache_.has(p, TALL_COLS, TALL_ROWS) for p in paths] == [True, False, False, False]
    roomy = SixelCache(budget=10**9)
    roomy.fill(paths, [(TALL_COLS, TALL_ROWS), (12, 5)])
    assert all(roomy.get(p, 12, 5) is not None for p in paths)
    used = roomy.used
    roomy.fill(paths[1:], [(TALL_COLS, TALL_ROWS), (12, 5)])  # the first photo was removed
    assert not roomy.has(paths[0], 12, 5) and roomy.used < used
