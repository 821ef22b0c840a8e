"""The station's domain core: card parsing, rules, models, money, French texts, clock,
ids, time utilities, errors and config parsing.

Everything in this folder works without a UI, a database, a network or hardware: it
imports no I/O library (``tests/unit/station/test_layering.py`` checks the whole folder
in a fresh interpreter).
"""
