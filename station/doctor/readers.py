"""Doctor checks of the configured readers: device present, opens, decoder library loads.

Each kind names its probe, ``probe_KIND(label, options) -> list[Finding]`` below, in the
registry (:mod:`station.core.reader_kinds`); :func:`check_readers` runs the probe of each
configured reader's kind and knows no kind itself.

Nothing is grabbed or read: a running app keeps its devices. (A camera in use by the
running app cannot be opened twice: stop the service before checking it.)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from station.core.config import ReaderConfig, StationConfig
from station.core.errors import ReaderError
from station.core.reader_kinds import READER_KINDS, load
from station.doctor.findings import Finding, Level
from station.readers import decode
from station.readers.factory import reader_name

Probe = Callable[[str, Mapping[str, Any]], list[Finding]]
"""The signature of every kind's probe: a label for the findings, the entry's options."""


def _is_path(device: str) -> bool:
    return device.startswith("/")


def _absent(label: str, device: str, what: str, code: str) -> Finding:
    return Finding(
        label,
        Level.BLOCKING,
        f"{what} {device} absent (device not found)",
        "branchez le scanner / la caméra ; vérifiez le chemin dans station.toml (de préférence "
        "le lien stable de la règle udev 99-cantine-scanner.rules) ; `ls -l /dev/serial/by-id "
        "/dev/input/by-id /dev/v4l/by-id` liste ce qui est branché",
        code,
    )


def _denied(label: str, device: str, group: str, code: str) -> Finding:
    return Finding(
        label,
        Level.BLOCKING,
        f"{device} présent mais interdit à cet utilisateur (permission denied)",
        f"sudo usermod -aG {group} cantine (SupplementaryGroups={group} dans l'unité "
        "systemd) ou règle udev GROUP=…",
        code,
    )


def probe_serial(label: str, options: Mapping[str, Any]) -> list[Finding]:
    """A serial port: present, allowed, opens at the configured speed."""
    return [_serial(label, options)]


def _serial(label: str, options: Mapping[str, Any]) -> Finding:
    import serial

    port = str(options["port"])
    if _is_path(port) and not os.path.exists(port):
        return _absent(label, port, "port série (serial port)", "readers.serial_absent")
    try:
        handle = serial.serial_for_url(port, baudrate=int(options["baudrate"]))
    except PermissionError:
        return _denied(label, port, "dialout", "readers.serial_denied")
    except (serial.SerialException, OSError, ValueError) as e:
        if isinstance(e.__cause__ or e.__context__, PermissionError) or "ermission" in str(e):
            return _denied(label, port, "dialout", "readers.serial_denied")
        return Finding(
            label,
            Level.BLOCKING,
            f"port série {port} impossible à ouvrir : {e}",
            "vérifiez le câble et la vitesse (baudrate) ; un autre programme l'utilise-t-il ?",
            "readers.serial_open",
        )
    handle.close()
    return Finding(label, Level.OK, f"port série {port} ouvert", code="readers.ok")


def probe_evdev(label: str, options: Mapping[str, Any]) -> list[Finding]:
    """An input device: present (by path or name), allowed; it is not grabbed."""
    return [_evdev(label, options)]


def _evdev(label: str, options: Mapping[str, Any]) -> Finding:
    spec = str(options["device"])
    if _is_path(spec) and not os.path.exists(spec):
        return _absent(label, spec, "scanner (input device)", "readers.evdev_absent")
    try:
        import evdev
    except ImportError:
        return Finding(
            label,
            Level.BLOCKING,
            "module Python evdev absent",
            "réinstallez le poste dans son venv (pip install cantine-station) sous Linux",
            "readers.evdev_module",
        )
    from station.readers.evdev import find_device

    try:
        path = find_device(spec)
    except ReaderError as e:
        return Finding(
            label, Level.BLOCKING, e.message, "branchez le scanner", "readers.evdev_absent"
        )
    try:
        device = evdev.InputDevice(path)
    except FileNotFoundError:
        return _absent(label, path, "scanner (input device)", "readers.evdev_absent")
    except PermissionError:
        return _denied(label, path, "input", "readers.evdev_denied")
    name = device.name
    device.close()
    return Finding(label, Level.OK, f"{path} « {name} »", code="readers.ok")


def probe_camera(label: str, options: Mapping[str, Any]) -> list[Finding]:
    """A camera: its decoder library loads, the device is present, allowed and opens."""
    from station.readers.camera import camera_unavailable, capture_target, device_path

    findings: list[Finding] = []
    decoder = str(options["decoder"])
    try:
        decode.get_decoder(decoder)
    except ReaderError as e:
        fix = (
            "sudo apt install libzbar0"
            if decoder == "pyzbar"
            else 'pip install zxing-cpp dans le venv du poste, ou decoder = "pyzbar"'
        )
        findings.append(
            Finding(
                f"{label} : décodeur {decoder} (decoder library)",
                Level.BLOCKING,
                e.message,
                fix,
                "readers.decoder",
            )
        )
    else:
        findings.append(
            Finding(
                f"{label} : décodeur {decoder} (decoder library)",
                Level.OK,
                "chargé",
                code="readers.decoder_ok",
            )
        )
    device = str(options["device"])
    shown = device_path(device)
    if not os.path.exists(shown):
        findings.append(_absent(label, shown, "caméra (camera)", "readers.camera_absent"))
        return findings
    if not os.access(shown, os.R_OK | os.W_OK):
        findings.append(_denied(label, shown, "video", "readers.camera_denied"))
        return findings
    import cv2

    capture = cv2.VideoCapture(capture_target(device))
    try:
        opened = bool(capture.isOpened())
    finally:
        capture.release()
    if opened:
        findings.append(Finding(label, Level.OK, f"caméra {shown} ouverte", code="readers.ok"))
    else:
        findings.append(
            Finding(
                label,
                Level.BLOCKING,
                camera_unavailable(device).message,
                "arrêtez le service du poste s'il tourne (la caméra ne s'ouvre qu'une fois), "
                "puis vérifiez câble et groupe video",
                "readers.camera_open",
            )
        )
    return findings


def probe_wedge(label: str, _options: Mapping[str, Any]) -> list[Finding]:
    """A keyboard wedge: nothing to open (it types into the terminal)."""
    return [
        Finding(
            label,
            Level.OK,
            "scanner clavier (keyboard wedge) : rien à ouvrir ; essayez-le avec `station listen`",
            code="readers.ok",
        )
    ]


def _probe(reader: ReaderConfig, index: int) -> list[Finding]:
    label = f"lecteur {reader_name(reader, index)} ({reader.kind})"
    kind = READER_KINDS[reader.kind]  # the config was validated against the same registry
    probe: Probe = load(kind.probe)
    return probe(label, kind.with_defaults(reader.options))


def check_readers(config: StationConfig) -> list[Finding]:
    """Each configured reader. A missing one blocks only when no other reader works."""
    per_reader = [_probe(r, i) for i, r in enumerate(config.readers, start=1)]
    working = sum(1 for found in per_reader if all(f.level is Level.OK for f in found))
    findings: list[Finding] = []
    for found in per_reader:
        for f in found:
            if f.level is Level.BLOCKING and working:
                f = replace(
                    f, level=Level.WARNING, detail=f.detail + " (un autre lecteur fonctionne)"
                )
            findings.append(f)
    return findings
