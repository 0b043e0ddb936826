"""The JSON API under ``/api/v1`` (back-office): routers are included here.

Every router uses :class:`app.api.errors.ApiRoute`, so errors leave as
``{"detail", "code", "problems"}`` in the caller's language; the documented error responses are
added to every operation here. See docs/api.md.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.api import assessments, audit, auth, criteria, exports, periods, units
from app.api.errors import ERROR_RESPONSES, ApiRoute

api_router = APIRouter(prefix="/api/v1", route_class=ApiRoute, responses=ERROR_RESPONSES)
api_router.include_router(auth.router)
api_router.include_router(auth.users)
api_router.include_router(periods.router)
api_router.include_router(units.router)
api_router.include_router(criteria.router)
api_router.include_router(assessments.router)
api_router.include_router(audit.router)
api_router.include_router(exports.router)
