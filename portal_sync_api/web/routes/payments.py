"""Online top-up pages (the provider's return) and payments at the counter."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
