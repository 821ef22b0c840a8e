"""The intendance's cards: block a lost card, issue a replacement, print."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
