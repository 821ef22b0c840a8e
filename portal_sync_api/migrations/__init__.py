"""Alembic migrations of the portal schema (one schema for SQLite and PostgreSQL)."""
