"""Cantine station: the serving-line side of the school canteen system.

The domain core (``cards``, ``money``, ``models``, ``rules``, ``clock``, ``errors``,
``config``, ``timeutil``) works without a UI, a database or a network: it imports
nothing from textual, requests, serial, cv2, sqlite3 or sqlite_utils.
"""

__version__ = "0.1.0"
