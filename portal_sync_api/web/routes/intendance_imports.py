"""Imports by upload: roster, tariffs, reservations, credits, with a preview."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
