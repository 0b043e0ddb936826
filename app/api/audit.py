"""The audit trail: read with filters and export (administrators). Append-only: there is no
route that changes or deletes an event."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from app.api.deps import CurrentActor, Limit, Offset, OptionalId, Tz
from app.api.errors import ApiRoute
from app.api.schemas import NO_NUL, AuditEventOut, Moment, Page
from app.web.files import XLSX, workbook_download
from core import audit_query
from core.audit import Actor
from core.audit_query import AuditFilter
from core.models import Channel

router = APIRouter(route_class=ApiRoute, prefix="/audit-events", tags=["audit"])

Short = Annotated[str | None, Query(min_length=1, max_length=64, pattern=NO_NUL)]


def audit_filter(
    unit_id: OptionalId = None,
    user_id: OptionalId = None,
    officer_id: OptionalId = None,
    actor_type: Annotated[Literal["user", "officer", "system"] | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    action: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            pattern=NO_NUL,
            description='Exact, or a prefix ending in ".".',
        ),
    ] = None,
    entity: Short = None,
    entity_id: Short = None,
    since: Annotated[Moment | None, Query(description="Inclusive.")] = None,
    until: Annotated[Moment | None, Query(description="Exclusive.")] = None,
) -> AuditFilter:
    return AuditFilter(
        unit_id=unit_id,
        user_id=user_id,
        officer_id=officer_id,
        actor_type=actor_type,
        channel=channel.value if channel else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        since=since,
        until=until,
    )


Filter = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("", response_model=Page[AuditEventOut])
async def list_events(
    actor: CurrentActor, f: Filter, limit: Limit = 100, offset: Offset = 0
) -> Page[AuditEventOut]:
    """Events newest first, filtered by unit, user or officer, channel, action, entity, time."""
    total, rows = await audit_query.list_events(actor, f, limit=limit, offset=offset)
    return Page(
        total=total,
        limit=limit,
        offset=offset,
        items=[AuditEventOut.model_validate(r) for r in rows],
    )


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}, XLSX: {}},
            "description": "The filtered events, oldest first.",
        }
    },
)
async def export(
    actor: CurrentActor,
    f: Filter,
    tz: Tz,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> Response:
    """All filtered events as CSV (UTF-8, streamed) or XLSX; times in the province's zone."""
    return await events_file(actor, f, tz, format)


async def events_file(actor: Actor, f: AuditFilter, tz: ZoneInfo, format: str) -> Response:
    """The events as the API and the audit page send them."""
    if format == "xlsx":
        data = await audit_query.export_xlsx(actor, f, tz=tz)
        return workbook_download(data, "nhat-ky.xlsx")
    stream = await audit_query.export_csv(actor, f, tz=tz)
    return StreamingResponse(
        stream,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="nhat-ky.csv"'},
    )
