"""Central portal of the canteen system: schools, families, ledger, and the station sync API."""

__version__ = "0.1.0"
