"""Camera reader (``kind = "camera"``): OpenCV capture, decoding off the UI thread.

``device`` is a camera index (``"0"``), a device path (``/dev/video0``, better a stable
``/dev/v4l/by-id/…`` path) or a video file (tests, demos: the reader stops at its end).
Each frame is converted to grayscale and read in the reader's own thread by a
:class:`station.readers.pipeline.FramePipeline` (the frame as is, then straightened and
enhanced bars, within ``frame_budget`` seconds); a code is accepted only after it was read
identically on ``confirm_frames`` frames within ``confirm_window`` seconds
(:class:`station.readers.decode.ConfirmationFilter`), then debounced like any other reader.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

from station.core.errors import ReaderError
from station.core.models import Source
from station.readers.base import BuildRequest, ErrorCallback, ScanCallback, ThreadedReader
from station.readers.decode import (
    DEFAULT_CONFIRM_WINDOW,
    DEFAULT_DECODER,
    ConfirmationFilter,
    get_decoder,
)
from station.readers.pipeline import DEFAULT_BUDGET, FramePipeline


def capture_target(device: str) -> int | str:
    """What to hand to ``cv2.VideoCapture``: an index for ``"0"``, else the path."""
    text = device.strip()
    return int(text) if text.isdigit() else text


def is_video_file(device: str) -> bool:
    """True when ``device`` names a regular file (a recording), not a camera."""
    target = capture_target(device)
    return isinstance(target, str) and Path(target).is_file()


def device_path(device: str) -> str:
    """The file behind ``device``: ``/dev/videoN`` for an index, else ``device`` itself."""
    target = capture_target(device)
    return f"/dev/video{target}" if isinstance(target, int) else device


def camera_unavailable(device: str) -> ReaderError:
    """The French error for a camera that cannot be opened, saying what to check."""
    if is_video_file(device):
        return ReaderError(f"vidéo « {device} » illisible : fichier corrompu ou format inconnu")
    return ReaderError(
        f"caméra {device_path(device)} impossible à ouvrir : vérifiez le câble et que "
        "l'utilisateur est dans le groupe video (sudo usermod -aG video UTILISATEUR)"
    )


class CameraReader(ThreadedReader):
    """Read codes from a camera (or a video file) with pyzbar or zxing-cpp."""

    source: ClassVar[Source] = Source.CAMERA

    def __init__(
        self,
        name: str,
        on_scan: ScanCallback,
        on_error: ErrorCallback,
        *,
        device: str = "0",
        decoder: str = DEFAULT_DECODER,
        confirm_frames: int = 2,
        confirm_window: float = DEFAULT_CONFIRM_WINDOW,
        frame_budget: float = DEFAULT_BUDGET,
        width: int = 640,
        height: int = 480,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, on_scan, on_error, **kwargs)
        self.device = device
        self.decoder = decoder
        self.confirm_frames = confirm_frames
        self.confirm_window = confirm_window
        self.frame_budget = frame_budget
        self.width = width
        self.height = height
        self.frames_read = 0
        self._capture: Any = None

    def _open(self) -> None:
        get_decoder(self.decoder)  # fails early, with what to install
        import cv2

        capture = cv2.VideoCapture(capture_target(self.device))
        if not capture.isOpened():
            capture.release()
            raise camera_unavailable(self.device)
        if not is_video_file(self.device):
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            # Decode the newest frame, not a queue of stale ones.
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._capture = capture

    def _read(self) -> bool:
        import cv2

        confirm = ConfirmationFilter(self.confirm_frames, self.confirm_window)
        pipeline = FramePipeline(self.decoder, self.frame_budget)
        from_file = is_video_file(self.device)
        while not self._stop.is_set():
            ok, frame = self._capture.read()
            if not ok or frame is None:
                if from_file:
                    return True
                raise ReaderError(
                    f"caméra {self.device} : plus d'image (débranchée ?) ; "
                    "reconnexion automatique en cours"
                )
            self.frames_read += 1
            gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            at = self._frame_time(from_file)
            for code in confirm.feed(pipeline.read(gray), at):
                self._emit(code)
        return False

    def _frame_time(self, from_file: bool) -> float:
        """Seconds at which the frame just read was taken: its position in a recording
        (played faster than real time), else now."""
        import cv2

        if from_file:
            return float(self._capture.get(cv2.CAP_PROP_POS_MSEC)) / 1000
        return time.monotonic()

    def _release(self) -> None:
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.release()


def build(request: BuildRequest) -> CameraReader:
    """The reader of a ``kind = "camera"`` entry (the kind's constructor in the registry)."""
    o = request.options
    return CameraReader(
        request.name,
        request.on_scan,
        request.on_error,
        device=str(o["device"]),
        decoder=str(o["decoder"]),
        confirm_frames=int(o["confirm_frames"]),
        confirm_window=float(o["confirm_window"]),
        frame_budget=float(o["frame_budget"]),
        width=int(o["width"]),
        height=int(o["height"]),
        clock=request.clock,
        debounce_seconds=request.debounce_seconds,
        on_status=request.on_status,
    )
