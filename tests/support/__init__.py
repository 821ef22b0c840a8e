"""Reusable helpers for tests: real processes, seeded databases."""
