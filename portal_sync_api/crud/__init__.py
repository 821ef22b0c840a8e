"""Data access: plain keyword-only functions over a SQLAlchemy ``Session``.

Every function that changes something a station cares about records it in the changes
feed (``crud.changes``) inside the caller's transaction.
"""
