"""Formats shared by the station and the portal, owned by neither.

Both sides import these modules; neither imports the other's internals
(``tests/unit/station/test_layering.py`` checks it). Pure Python, no I/O library
(``card_sheet.py`` draws with reportlab and python-barcode, in memory or to a file).
"""
