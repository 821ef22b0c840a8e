"""The intendance's stations page: each station's sync state, tokens."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
