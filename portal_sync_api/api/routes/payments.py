"""Payments: a family's top-up and the provider's server-to-server notification."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["payments"])
