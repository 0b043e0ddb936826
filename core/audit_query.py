"""Reading the audit trail: filter, page, export (CSV or XLSX). Administrators only.

The trail is append-only: there is deliberately no update or delete here or anywhere else.
Exports write every cell as text (XLSX cells typed as strings; CSV values starting with
``= + - @`` prefixed with an apostrophe) so a value typed by a user can never run as a
spreadsheet formula; the XLSX is written by core.xlsx (XlsxWriter, constant memory) off the
event loop, fetching events in chunks by id so memory stays flat for long trails.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from core.audit import Actor
from core.auth import require_admin
from core.i18n import N_, Msg, UserError
from core.models import AuditEvent, given
from core.timefmt import VIETNAM
from core.xlsx import Book

EXPORT_HEADERS = (
    "ID",
    "Thời gian",
    "Loại người thực hiện",
    "Mã người thực hiện",
    "Người thực hiện",
    "Kênh",
    "Hành động",
    "Đối tượng",
    "Mã đối tượng",
    "Mã đơn vị",
    "Giá trị cũ",
    "Giá trị mới",
    "Lý do",
)
EXPORT_LIMIT = 1_000_000
_CHUNK = 2000


@dataclass(frozen=True)
class AuditFilter:
    unit_id: int | None = None
    user_id: int | None = None  # a back-office user (actor_type "user")
    officer_id: int | None = None  # an officer (actor_type "officer")
    actor_type: str | None = None
    channel: str | None = None
    action: str | None = None  # exact ("review.adjust") or a prefix ending in "." ("review.")
    entity: str | None = None
    entity_id: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    # events about any of these entities (entity name -> ids), e.g. everything that happened
    # to one item's answers, reviews, files and explanations (see scoring.audit_items)
    any_of: Mapping[str, Sequence[str]] | None = None


def _query(f: AuditFilter):  # type: ignore[no-untyped-def]
    if f.since is not None and f.until is not None and f.until <= f.since:
        raise UserError(Msg(N_("The end of the time range must be after its start.")))
    q = AuditEvent.filter(
        **given(
            unit_id=f.unit_id,
            actor_type=f.actor_type or None,
            channel=f.channel or None,
            entity=f.entity or None,
            entity_id=f.entity_id or None,
            at__gte=f.since,
            at__lt=f.until,
        )
    )
    if f.user_id is not None:
        q = q.filter(actor_type="user", actor_id=f.user_id)
    if f.officer_id is not None:
        q = q.filter(actor_type="officer", actor_id=f.officer_id)
    if f.action:
        q = (
            q.filter(action__startswith=f.action)
            if f.action.endswith(".")
            else q.filter(action=f.action)
        )
    if f.any_of is not None:
        matches = [Q(entity=e, entity_id__in=list(ids)) for e, ids in f.any_of.items() if ids]
        q = q.filter(Q(*matches, join_type="OR")) if matches else q.filter(id__in=[])
    return q


async def list_events(
    actor: Actor, f: AuditFilter, *, limit: int = 100, offset: int = 0, newest_first: bool = True
) -> tuple[int, list[AuditEvent]]:
    """(total, page) of the events matching ``f``."""
    await require_admin(actor)
    q = _query(f)
    total = await q.count()
    rows = await q.order_by("-id" if newest_first else "id").offset(offset).limit(limit)
    return total, rows


async def _chunks(f: AuditFilter) -> AsyncIterator[list[AuditEvent]]:
    last = 0
    sent = 0
    while sent < EXPORT_LIMIT:
        rows = await _query(f).filter(id__gt=last).order_by("id").limit(_CHUNK)
        if not rows:
            return
        yield rows
        sent += len(rows)
        last = rows[-1].id


def _safe(text: str) -> str:
    """Text a spreadsheet shows as text, never evaluates."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _json(value: object) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _row(e: AuditEvent, tz: ZoneInfo) -> list[str]:
    return [
        str(e.id),
        e.at.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S"),
        e.actor_type,
        "" if e.actor_id is None else str(e.actor_id),
        e.actor_name,
        str(getattr(e.channel, "value", e.channel)),
        e.action,
        e.entity,
        e.entity_id,
        "" if e.unit_id is None else str(e.unit_id),
        _json(e.old_value),
        _json(e.new_value),
        e.reason,
    ]


async def export_csv(
    actor: Actor, f: AuditFilter, *, tz: ZoneInfo = VIETNAM
) -> AsyncIterator[bytes]:
    """CSV (UTF-8 with BOM, so Excel reads Vietnamese correctly), streamed chunk by chunk."""
    await require_admin(actor)
    _query(f)  # validate the filter before the first byte is sent

    async def stream() -> AsyncIterator[bytes]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(EXPORT_HEADERS)
        yield ("\ufeff" + buf.getvalue()).encode("utf-8")
        async for rows in _chunks(f):
            buf = io.StringIO()
            writer = csv.writer(buf)
            for e in rows:
                writer.writerow([_safe(c) for c in _row(e, tz)])
            yield buf.getvalue().encode("utf-8")

    return stream()


async def export_xlsx(actor: Actor, f: AuditFilter, *, tz: ZoneInfo = VIETNAM) -> bytes:
    """One sheet "Nhật ký", every value as text; built off the event loop."""
    await require_admin(actor)
    rows: list[list[str]] = []
    async for chunk in _chunks(f):
        rows.extend(_row(e, tz) for e in chunk)
    return await asyncio.to_thread(_xlsx, rows)


def _xlsx(rows: list[list[str]]) -> bytes:
    """Every value as text (format "@"), even when it starts with "=": never a formula;
    characters XML cannot carry (a username typed with control characters at the sign-in) are
    dropped by :mod:`core.xlsx` instead of failing the whole export."""
    buf = io.BytesIO()
    book = Book(buf, title="Nhật ký", constant_memory=True)
    ws = book.sheet("Nhật ký", widths=[8, 18, 10, 8, 20, 10, 22, 14, 10, 8, 40, 40, 30])
    ws.row(EXPORT_HEADERS, ws.styles(*["list_header"] * len(EXPORT_HEADERS)))
    ws.freeze("A2")
    text = ws.styles(*["list_code"] * len(EXPORT_HEADERS))
    for row in rows:
        ws.row(row, text)
    book.close()
    return buf.getvalue()
