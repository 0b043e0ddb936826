"""The JSON API under ``/api/v1`` (back-office): routers are included here."""

from __future__ import annotations

from fastapi import APIRouter

api_router = APIRouter(prefix="/api/v1")
