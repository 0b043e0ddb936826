"""Unit groups, units, officers and their invite codes.

Reading units and groups: every back-office role. Officers (personal data): administrators
and viewers. Changes and invites: administrators. The import service in :mod:`core.units` is
shared with the CLI; the role check is made here through :func:`core.auth.require_role` before
it is called.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

from app.api.deps import CurrentActor, Id, Now, OptionalId, SettingsDep
from app.api.errors import ApiRoute
from app.api.schemas import (
    ImportOut,
    InviteIn,
    InviteOut,
    OfficerIn,
    OfficerOut,
    UnitGroupOut,
    UnitIn,
    UnitOut,
)
from app.api.uploads import read_upload
from app.web.files import workbook_download
from core.auth import NotFound, require_admin, require_role
from core.i18n import N_, Msg
from core.invites import create_invite
from core.models import Officer, Unit, UnitGroup, UserRole, given
from core.units import import_units
from core.units_workbook import (
    OfficerRow,
    UnitRow,
    read_units_workbook,
    template_bytes,
)

router = APIRouter(route_class=ApiRoute, tags=["units"])


@router.get("/unit-groups", response_model=list[UnitGroupOut])
async def list_groups(actor: CurrentActor) -> list[UnitGroupOut]:
    await require_role(actor)
    return [UnitGroupOut.model_validate(g) for g in await UnitGroup.all()]


@router.get("/units", response_model=list[UnitOut])
async def list_units(
    actor: CurrentActor,
    group_id: OptionalId = None,
    active: Annotated[bool | None, Query()] = None,
) -> list[UnitOut]:
    await require_role(actor)
    units = await Unit.filter(**given(group_id=group_id, active=active))
    return [UnitOut.model_validate(u) for u in units]


@router.get("/units/{unit_id}", response_model=UnitOut)
async def get_unit(unit_id: Id, actor: CurrentActor) -> UnitOut:
    await require_role(actor)
    unit = await Unit.get_or_none(id=unit_id)
    if unit is None:
        raise NotFound(Msg(N_("There is no unit with the id {id}."), id=unit_id))
    return UnitOut.model_validate(unit)


@router.post("/units", response_model=UnitOut)
async def save_unit(body: UnitIn, actor: CurrentActor) -> UnitOut:
    """Create a unit (and its group if new), or update the unit with that code."""
    await require_admin(actor)
    await import_units(actor, [UnitRow(**body.model_dump())], [])
    return UnitOut.model_validate(await Unit.get(code=body.code))


@router.get("/units-template.xlsx", response_class=Response)
async def units_template(actor: CurrentActor) -> Response:
    """The empty units and officers workbook to fill in and import."""
    await require_admin(actor)
    return workbook_download(template_bytes(), "don-vi.xlsx")


@router.post("/units/import", response_model=ImportOut)
async def import_units_workbook(
    settings: SettingsDep, actor: CurrentActor, file: Annotated[UploadFile, File()]
) -> ImportOut:
    """Import units and officers from the workbook: every problem listed, nothing imported
    unless there are none."""
    await require_admin(actor)
    data = await read_upload(file, settings.max_upload_mb)
    known = set(await Unit.all().values_list("code", flat=True))
    units, officers = read_units_workbook(data, known_units=known)  # type: ignore[arg-type]
    summary = await import_units(actor, units, officers)
    return ImportOut(**asdict(summary))


@router.get("/officers", response_model=list[OfficerOut])
async def list_officers(
    actor: CurrentActor,
    unit_id: OptionalId = None,
    active: Annotated[bool | None, Query()] = None,
) -> list[OfficerOut]:
    """Officers of the units (administrators and viewers: phone numbers are personal data)."""
    await require_role(actor, UserRole.admin, UserRole.viewer)
    officers = await Officer.filter(**given(unit_id=unit_id, active=active))
    return [OfficerOut.model_validate(o) for o in officers]


@router.get("/officers/{officer_id}", response_model=OfficerOut)
async def get_officer(officer_id: Id, actor: CurrentActor) -> OfficerOut:
    await require_role(actor, UserRole.admin, UserRole.viewer)
    officer = await Officer.get_or_none(id=officer_id)
    if officer is None:
        raise NotFound(Msg(N_("There is no officer with the id {id}."), id=officer_id))
    return OfficerOut.model_validate(officer)


@router.post("/officers", response_model=OfficerOut)
async def save_officer(body: OfficerIn, actor: CurrentActor) -> OfficerOut:
    """Create an officer of a unit, or update the one with that unit and full name."""
    await require_admin(actor)
    unit = await Unit.get_or_none(code=body.unit_code)
    if unit is None:
        raise NotFound(Msg(N_("There is no unit with the code “{code}”."), code=body.unit_code))
    full_name = unicodedata.normalize("NFC", " ".join(body.full_name.split()))
    await import_units(
        actor,
        [],
        [OfficerRow(body.unit_code, full_name, body.position, body.role, body.phone, body.email)],
    )
    return OfficerOut.model_validate(await Officer.get(unit_id=unit.id, full_name=full_name))


@router.post("/officers/{officer_id}/invites", response_model=InviteOut, status_code=201)
async def invite_officer(
    officer_id: Id, body: InviteIn, actor: CurrentActor, now: Now
) -> InviteOut:
    """A one-time code binding the officer's Telegram account; shown only in this response.
    Earlier unused codes of the officer stop working."""
    await require_admin(actor)
    if not await Officer.exists(id=officer_id):
        raise NotFound(Msg(N_("There is no officer with the id {id}."), id=officer_id))
    issued = await create_invite(actor, officer_id, now=now, days=body.days)
    return InviteOut(
        officer_id=officer_id, code=issued.code, pretty=issued.pretty, expires_at=issued.expires_at
    )
