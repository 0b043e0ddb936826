"""The secretariat's pages for what the JSON API alone did before: accounts, appraiser
assignments, the survey import, corrections of answers and the audit trail. One router that
:func:`app.web.install` includes; each page lives in its own ``admin_*`` module."""

from __future__ import annotations

from fastapi import APIRouter

from app.web import admin_accounts, admin_answers, admin_assignments, admin_audit, admin_survey
from app.web.deps import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
for module in (admin_accounts, admin_assignments, admin_survey, admin_answers, admin_audit):
    router.include_router(module.router)
