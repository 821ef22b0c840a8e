"""Readers: hardware input (keyboard wedge, evdev, serial, camera) to ``ScanEvent``.

Works without a UI: nothing here imports Textual. Readers know nothing of children or
money; the engine parses ``ScanEvent.code`` and applies the rules. Heavy optional
libraries (OpenCV, pyzbar, zxing-cpp, evdev) are imported only by the modules that need
them, so importing this package stays cheap.
"""

from station.readers.base import Backoff, Reader, ThreadedReader
from station.readers.events import ScanEvent

__all__ = ["Backoff", "Reader", "ScanEvent", "ThreadedReader"]
