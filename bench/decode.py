"""Camera decode benchmark (docs/design.md §6): pyzbar and zxing-cpp on the same 640×480 frames.

Frames: card barcodes (Code 128, Code 39, QR) pasted on noisy backgrounds at four
perturbation levels (rotation up to 30°, scale, blur, noise, darkness, perspective; see
``station/readers/synthetic.py``). Pinned to one core, OpenCV single-threaded. Reports
frames per second for each decoder, the decode rate per level, and false reads.
"""

from __future__ import annotations

import os
import time

import numpy as np

from bench.common import table, write_section

CARDS_PER_SYMBOLOGY = 20
REPEATS = 2
TARGET_FPS = 20.0


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


if __name__ == "__main__":
    main()
