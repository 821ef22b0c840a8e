"""The intendance's families: list, search, a family's page, meal corrections."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
