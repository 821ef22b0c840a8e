"""Station ↔ portal synchronisation: push the outbox, pull the changes feed.

Sync never blocks a scan: it runs beside the line (``SyncRunner`` thread in the app, or
``station sync``) with its own database connection. Wire format: docs/sync-protocol.md.
"""
