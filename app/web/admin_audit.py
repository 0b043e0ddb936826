"""The audit trail (administrators): filters by who, unit, item, action, channel and time, pages
of 100 events newest first, and the same selection as CSV or XLSX. Reads through
:mod:`core.audit_query` (the JSON API's service, with its exports); an item code is resolved to
its answers, reviews, files and explanations by :func:`scoring.audit_items.item_entities`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.audit import events_file
from app.api.deps import Tz
from app.web.audit_labels import ACTION_LABELS, ACTOR_LABELS, CHANNEL_LABELS, ENTITY_LABELS
from app.web.dates import parse_local
from app.web.deps import StaffDep, WebRoute, refusal, staff_page
from core import audit_query
from core.audit_query import AuditFilter
from core.auth import require_admin
from core.i18n import N_, Msg, UserError
from core.models import AuditEvent, BackofficeUser, Channel, Officer, Unit
from scoring.audit_items import item_entities

router = APIRouter(prefix="/web", route_class=WebRoute, include_in_schema=False)
PAGE = 100
FIELDS = ("who", "unit", "item", "action", "channel", "since", "until", "entity", "entity_id")


@dataclass(frozen=True)
class Filters:
    """The page's filters as typed (to show them again) and as the service's filter."""

    values: dict[str, str]
    query: AuditFilter


def _labelled(template: str, exc: UserError) -> UserError:
    """The date reader's sentence, prefixed with the field it is about."""
    return UserError(Msg(template, problem=exc.msg))


async def read_filters(request: Request, tz: Any) -> Filters:
    """The filters of the query string; a bad value is refused with the field named."""
    params = request.query_params
    values = {k: params.get(k, "").strip()[:64] for k in FIELDS}
    user_id = officer_id = unit_id = None
    who = values["who"]
    if who:
        kind, _, raw = who.partition(":")
        if kind not in ("user", "officer") or not raw.isdigit():
            raise UserError(Msg(N_("Who: choose a person from the list.")))
        user_id, officer_id = (int(raw), None) if kind == "user" else (None, int(raw))
    if values["unit"]:
        if not values["unit"].isdigit():
            raise UserError(Msg(N_("Unit: choose a unit from the list.")))
        unit_id = int(values["unit"])
    channel = values["channel"] or None
    if channel is not None and channel not in {c.value for c in Channel}:
        raise UserError(Msg(N_("Channel: choose a channel from the list.")))
    try:
        since = parse_local(values["since"], tz, end_of_day=False)
    except UserError as exc:
        raise _labelled(N_("From: {problem}"), exc) from None
    try:
        until = parse_local(values["until"], tz, end_of_day=True)
    except UserError as exc:
        raise _labelled(N_("To: {problem}"), exc) from None
    if until is not None:
        until += timedelta(minutes=1)  # "to" includes its last minute
    if since is not None and until is not None and until <= since:
        raise UserError(Msg(N_("To: the end of the time range must be after its start.")))
    any_of = await item_entities(values["item"], unit_id=unit_id) if values["item"] else None
    return Filters(
        values,
        AuditFilter(
            unit_id=unit_id,
            user_id=user_id,
            officer_id=officer_id,
            channel=channel,
            action=values["action"] or None,
            entity=values["entity"] or None,
            entity_id=values["entity_id"] or None,
            since=since,
            until=until,
            any_of=any_of,
        ),
    )


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request, staff: StaffDep, tz: Tz, offset: int = 0) -> Response:
    await require_admin(staff.actor)
    offset = max(0, offset)
    choices = await _choices()
    try:
        filters = await read_filters(request, tz)
        total, events = await audit_query.list_events(
            staff.actor, filters.query, limit=PAGE, offset=offset
        )
    except UserError as exc:
        values = {k: request.query_params.get(k, "").strip()[:64] for k in FIELDS}
        return await staff_page(
            request,
            staff,
            "web/audit.html",
            values=values,
            events=[],
            total=0,
            **refusal(exc, staff.locale),
            **choices,
            **_paging(values, 0, 0),
        )
    return await staff_page(
        request,
        staff,
        "web/audit.html",
        values=filters.values,
        events=events,
        total=total,
        **choices,
        **_paging(filters.values, offset, total),
    )


def _paging(values: dict[str, str], offset: int, total: int) -> dict[str, Any]:
    kept = {k: v for k, v in values.items() if v}
    query = urlencode(kept)
    return {
        "offset": offset,
        "page_size": PAGE,
        "query": query,
        "prev_url": f"/web/audit?{urlencode({**kept, 'offset': max(0, offset - PAGE)})}"
        if offset > 0
        else None,
        "next_url": f"/web/audit?{urlencode({**kept, 'offset': offset + PAGE})}"
        if offset + PAGE < total
        else None,
    }


async def _choices() -> dict[str, Any]:
    actions = sorted(
        set(await AuditEvent.all().order_by("action").distinct().values_list("action", flat=True))
        | set(ACTION_LABELS)
    )
    return {
        "users": await BackofficeUser.all().order_by("username"),
        "officers": await Officer.all().prefetch_related("unit").order_by("unit_id", "id"),
        "units": await Unit.all().order_by("sort_order", "id"),
        "unit_names": dict(await Unit.all().values_list("id", "name")),
        "actions": actions,
        "action_labels": ACTION_LABELS,
        "channels": CHANNEL_LABELS,
        "actor_labels": ACTOR_LABELS,
        "entity_labels": ENTITY_LABELS,
    }


@router.get("/audit/export")
async def audit_export(request: Request, staff: StaffDep, tz: Tz, format: str = "csv") -> Response:
    """The filtered events, oldest first, as CSV (streamed) or XLSX: the JSON API's exports."""
    await require_admin(staff.actor)
    filters = await read_filters(request, tz)
    if format not in ("csv", "xlsx"):
        raise UserError(Msg(N_("Format: choose CSV or XLSX.")))
    return await events_file(staff.actor, filters.query, tz, format)
