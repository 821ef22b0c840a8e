"""Monthly statements: the family's and the intendance's."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
