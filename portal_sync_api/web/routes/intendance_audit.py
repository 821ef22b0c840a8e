"""The intendance's audit log: every change made by an intendance or admin user."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
