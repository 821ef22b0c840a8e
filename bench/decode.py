"""Camera decode benchmark (docs/design.md §6): pyzbar and zxing-cpp on the same 640×480 frames.

Frames: card barcodes (Code 128, Code 39, QR) pasted on noisy backgrounds at four
perturbation levels (rotation up to 30°, scale, blur, noise, darkness, perspective; see
``station/readers/synthetic.py``). Pinned to one core, OpenCV single-threaded. Reports
frames per second for each decoder, the decode rate per level, and false reads.

Then the camera reader's pipeline (``station/readers/pipeline.py``) beside the raw decoder
on the same frames, for two barcode generators (``bench/corpora.py``) at levels 2, 3 and
4 (level 4: up to 45°, a finger, motion blur; ``station/readers/handheld.py``), and a
30 fps stream of cards presented one after another through the reader's confirmation
rule: cards accepted, false accepts, and CPU time per frame (``time.process_time``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.common import table, write_section

CARDS_PER_SYMBOLOGY = 20
REPEATS = 2
TARGET_FPS = 20.0
PIPELINE_LEVELS = (2, 3, 4)
TARGET_RATE_LEVEL_3 = 0.95
STREAM_FPS = 30
STREAM_CARDS_PER_SYMBOLOGY = 4
HOLD_FRAMES = 30  # a card shown for one second
GAP_FRAMES = 15  # half a second of an empty scene before the next child
TARGET_CPU_MS = 1000 / STREAM_FPS / 4  # a 30 fps stream under 25 % of one core


def _pin_one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def _frames() -> dict[int, list[tuple[str, np.ndarray]]]:
    from station.readers.synthetic import (
        LEVELS,
        SYMBOLOGIES,
        card_number,
        card_symbol,
        perturbed_frame,
    )

    out: dict[int, list[tuple[str, np.ndarray]]] = {}
    for level in LEVELS:
        rng = np.random.default_rng(2024 + level)
        out[level] = [
            (code, perturbed_frame(card_symbol(code, symbology), level, rng))
            for symbology in SYMBOLOGIES
            for i in range(CARDS_PER_SYMBOLOGY)
            for code in [card_number(i + 100 * level)]
        ]
    return out


def _measure(decoder: str, frames: dict[int, list[tuple[str, np.ndarray]]]) -> dict[str, float]:
    from station.readers.decode import decode

    result: dict[str, float] = {"false": 0}
    total_time = 0.0
    total_frames = 0
    for level, items in frames.items():
        right = 0
        for repeat in range(REPEATS):
            for code, frame in items:
                start = time.perf_counter()
                found = decode(frame, decoder)
                total_time += time.perf_counter() - start
                total_frames += 1
                if repeat == 0:
                    right += code in found
                    result["false"] += any(text != code for text in found)
        result[f"rate{level}"] = right / len(items)
    result["fps"] = total_frames / total_time
    return result


def main() -> None:
    import cv2

    cv2.setNumThreads(1)
    pinned = _pin_one_core()
    frames = _frames()
    n = sum(len(v) for v in frames.values())
    results = {name: _measure(name, frames) for name in ("zxing", "pyzbar")}
    z, p = results["zxing"], results["pyzbar"]
    rows = [
        (
            "zxing-cpp decoded frames/s, 640×480",
            f"{z['fps']:.0f}",
            f"pyzbar {p['fps']:.0f}",
            f"{z['fps'] / p['fps']:.2f}×",
            f"≥ {TARGET_FPS:.0f}",
        ),
        (
            "pyzbar decoded frames/s, 640×480",
            f"{p['fps']:.0f}",
            f"zxing-cpp {z['fps']:.0f}",
            f"{p['fps'] / z['fps']:.2f}×",
            f"≥ {TARGET_FPS:.0f}",
        ),
    ]
    labels = {0: "flat", 1: "≤10°, light blur", 2: "≤20°, perspective, dim", 3: "≤30°, dark, blur"}
    for level, label in labels.items():
        zr, pr = z[f"rate{level}"], p[f"rate{level}"]
        rows.append(
            (
                f"decode rate level {level} ({label}): zxing-cpp",
                f"{zr:.0%}",
                f"pyzbar {pr:.0%}",
                f"{zr / pr:.2f}×" if pr else "∞",
                "—",
            )
        )
    rows.append(
        ("false reads (wrong number)", f"zxing-cpp {z['false']:.0f}", f"pyzbar {p['false']:.0f}",
         "—", "0")
    )  # fmt: skip
    body = (
        f"{n} frames × {REPEATS} passes (Code 128, Code 39, QR; 4 perturbation levels), "
        f"one core ({pinned}), OpenCV single-threaded.\n\n" + table(rows)
    )
    write_section("Camera decode", body)
    write_section("Camera pipeline", _pipeline_section(pinned))


def _level_frames(cards: list[Any], level: int, rng: np.random.Generator) -> list[Any]:
    from station.readers.handheld import handheld_frame
    from station.readers.synthetic import perturbed_frame

    if level == 4:
        return [handheld_frame(card.symbol, rng) for card in cards]
    return [perturbed_frame(card.symbol, level, rng) for card in cards]


def _per_frame_rates(renderer: str, level: int, decoder: str) -> dict[str, float]:
    """Share of frames read right, and wrong reads, raw decoder vs a fresh pipeline."""
    from bench.corpora import cards
    from station.readers.decode import decode
    from station.readers.pipeline import FramePipeline

    deck = cards(renderer, CARDS_PER_SYMBOLOGY, 300 * level)
    frames = _level_frames(deck, level, np.random.default_rng(4040 + level))
    out = {"raw": 0.0, "pipeline": 0.0, "raw_false": 0.0, "pipeline_false": 0.0}
    for card, frame in zip(deck, frames, strict=True):
        for name, found in (
            ("raw", decode(frame, decoder)),
            ("pipeline", FramePipeline(decoder).read(frame)),
        ):
            out[name] += (card.text in found) / len(deck)
            out[f"{name}_false"] += any(text != card.text for text in found)
    return out


def _stream(renderer: str, level: int) -> tuple[list[str], list[Any]]:
    """The expected texts and the frames of a 30 fps stream of cards shown in turn."""
    from bench.corpora import cards, empty_frame, held

    rng = np.random.default_rng(5050 + level)
    deck = cards(renderer, STREAM_CARDS_PER_SYMBOLOGY, 700 * level)
    order = rng.permutation(len(deck))
    frames: list[Any] = []
    for index in order:
        frames += [empty_frame(rng, 0.8, 7.0) for _ in range(GAP_FRAMES)]
        view = _level_frames([deck[index]], level, rng)[0]
        frames += list(held(view, HOLD_FRAMES, rng))
    return [deck[i].text for i in order], frames


def _run_stream(frames: list[Any], read: Callable[[Any], list[str]]) -> tuple[list[str], float]:
    """Codes the confirmation rule accepts over ``frames``, and mean CPU ms per frame."""
    from station.readers.decode import ConfirmationFilter

    confirm = ConfirmationFilter()
    accepted: list[str] = []
    start = time.process_time()
    for n, frame in enumerate(frames):
        accepted += confirm.feed(read(frame), n / STREAM_FPS)
    return accepted, (time.process_time() - start) * 1000 / len(frames)


def _stream_figures(renderer: str, level: int) -> dict[str, float]:
    from station.readers.decode import decode
    from station.readers.pipeline import FramePipeline

    expected, frames = _stream(renderer, level)
    out: dict[str, float] = {}
    for name, read in (("raw", decode), ("pipeline", FramePipeline().read)):
        accepted, cpu = _run_stream(frames, read)
        out[name] = sum(text in accepted for text in expected) / len(expected)
        out[f"{name}_false"] = sum(text not in expected for text in accepted)
        out[f"{name}_cpu"] = cpu
    return out


def _empty_scene_cpu() -> dict[str, float]:
    """CPU ms per frame of a scene with no card in view (most of a real stream)."""
    from bench.corpora import empty_frame
    from station.readers.decode import decode
    from station.readers.pipeline import FramePipeline

    rng = np.random.default_rng(6060)
    frames = [empty_frame(rng, 0.8, 7.0) for _ in range(STREAM_FPS * 5)]
    out: dict[str, float] = {}
    for name, read in (("raw", decode), ("pipeline", FramePipeline().read)):
        accepted, cpu = _run_stream(frames, read)
        out[name] = cpu
        out[f"{name}_false"] = len(accepted)
    return out


def _ratio(figure: float, reference: float) -> str:
    return f"{figure / reference:.2f}×" if reference else "∞"


def _pipeline_section(pinned: str) -> str:
    from bench.corpora import RENDERERS

    rows = []
    false_reads = {"pipeline": 0.0, "raw": 0.0}
    for renderer in RENDERERS:
        for decoder in ("zxing", "pyzbar"):
            for level in PIPELINE_LEVELS:
                r = _per_frame_rates(renderer, level, decoder)
                false_reads["pipeline"] += r["pipeline_false"]
                false_reads["raw"] += r["raw_false"]
                rows.append(
                    (
                        f"{renderer}, level {level}: frames read by the pipeline ({decoder})",
                        f"{r['pipeline']:.0%}",
                        f"raw {decoder} {r['raw']:.0%}",
                        _ratio(r["pipeline"], r["raw"]),
                        f"≥ {TARGET_RATE_LEVEL_3:.0%}" if level == 3 else "—",
                    )
                )
    rows.append(
        (
            "wrong texts read on single frames (all of the above)",
            f"pipeline {false_reads['pipeline']:.0f}",
            f"raw {false_reads['raw']:.0f}",
            "—",
            "0",
        )
    )
    stream_false = {"pipeline": 0.0, "raw": 0.0}
    for renderer in RENDERERS:
        for level in PIPELINE_LEVELS:
            s = _stream_figures(renderer, level)
            stream_false["pipeline"] += s["pipeline_false"]
            stream_false["raw"] += s["raw_false"]
            rows.append(
                (
                    f"{renderer}, level {level}, 30 fps stream: cards accepted",
                    f"{s['pipeline']:.0%}",
                    f"raw zxing-cpp {s['raw']:.0%}",
                    _ratio(s["pipeline"], s["raw"]),
                    f"≥ {TARGET_RATE_LEVEL_3:.0%}" if level == 3 else "—",
                )
            )
            rows.append(
                (
                    f"{renderer}, level {level}, 30 fps stream: CPU per frame",
                    f"{s['pipeline_cpu']:.1f} ms",
                    f"raw zxing-cpp {s['raw_cpu']:.1f} ms",
                    _ratio(s["pipeline_cpu"], s["raw_cpu"]),
                    f"≤ {TARGET_CPU_MS:.1f} ms",
                )
            )
    empty = _empty_scene_cpu()
    stream_false["pipeline"] += empty["pipeline_false"]
    stream_false["raw"] += empty["raw_false"]
    rows.append(
        (
            f"empty scene, {STREAM_FPS * 5} frames: CPU per frame",
            f"{empty['pipeline']:.1f} ms",
            f"raw zxing-cpp {empty['raw']:.1f} ms",
            _ratio(empty["pipeline"], empty["raw"]),
            f"≤ {TARGET_CPU_MS:.1f} ms",
        )
    )
    rows.append(
        (
            "wrong codes accepted over the streams",
            f"pipeline {stream_false['pipeline']:.0f}",
            f"raw {stream_false['raw']:.0f}",
            "—",
            "0",
        )
    )
    frames = len(PIPELINE_LEVELS) * len(RENDERERS) * 3 * CARDS_PER_SYMBOLOGY
    cards_shown = 3 * STREAM_CARDS_PER_SYMBOLOGY
    return (
        f"Per frame: {frames} frames (Code 128, Code 39, QR; two generators; levels 2, 3, "
        "4), each read once by a fresh pipeline and by the raw decoder. Stream: per "
        f"generator and level, {cards_shown} cards shown {HOLD_FRAMES} frames each after "
        f"{GAP_FRAMES} empty frames, at {STREAM_FPS} fps, through the confirmation rule "
        "(two identical reads within 0.5 s); CPU is `time.process_time` per frame over "
        f"the whole stream, empty frames included (and alone, over {STREAM_FPS * 5} frames "
        f"of an empty scene). One core ({pinned}), OpenCV "
        "single-threaded.\n\n" + table(rows)
    )


if __name__ == "__main__":
    main()
