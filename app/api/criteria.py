"""Criteria sets (bộ chỉ số): read by every back-office role; template and import for
administrators (the import service is shared with the CLI; the role check is made here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response

from app.api.deps import CurrentActor, Id, SettingsDep
from app.api.errors import ApiRoute
from app.api.schemas import CriteriaSetDetail, CriteriaSetOut
from app.api.uploads import read_upload
from app.web.files import workbook_download
from core.auth import NotFound, require_admin, require_role
from core.i18n import N_, Msg
from forms.criteria import import_draft, load_draft
from forms.criteria_workbook import export_bytes, read_workbook, template_bytes
from forms.models import CriteriaNode, CriteriaSet

router = APIRouter(route_class=ApiRoute, prefix="/criteria-sets", tags=["criteria"])


async def _get(set_id: int) -> CriteriaSet:
    cset = await CriteriaSet.get_or_none(id=set_id)
    if cset is None:
        raise NotFound(Msg(N_("There is no criteria set with the id {id}."), id=set_id))
    return cset


@router.get("", response_model=list[CriteriaSetOut])
async def list_sets(actor: CurrentActor) -> list[CriteriaSetOut]:
    await require_role(actor)
    return [CriteriaSetOut.model_validate(c) for c in await CriteriaSet.all()]


@router.get("/template.xlsx", response_class=Response)
async def template(actor: CurrentActor) -> Response:
    """The empty criteria workbook with drop-downs and notes (docs/criteria-template.md)."""
    await require_role(actor)
    return workbook_download(template_bytes(), "bo-chi-so-mau.xlsx")


@router.post("/import", response_model=CriteriaSetOut, status_code=201)
async def import_set(
    settings: SettingsDep, actor: CurrentActor, file: Annotated[UploadFile, File()]
) -> CriteriaSetOut:
    """Import a criteria workbook: every problem listed (422), nothing imported unless there
    are none. A code whose latest version is in use gets a new version."""
    await require_admin(actor)
    data = await read_upload(file, settings.max_upload_mb)
    draft = read_workbook(data)
    cset = await import_draft(actor, draft)
    return CriteriaSetOut.model_validate(cset)


@router.get("/{set_id}", response_model=CriteriaSetDetail)
async def get_set(set_id: Id, actor: CurrentActor) -> CriteriaSetDetail:
    """A set with its nodes in questionnaire order."""
    await require_role(actor)
    cset = await _get(set_id)
    nodes = await CriteriaNode.filter(criteria_set_id=cset.id).order_by("position")
    summary = CriteriaSetOut.model_validate(cset).model_dump()
    return CriteriaSetDetail(**summary, nodes=nodes)  # type: ignore[arg-type]


@router.get("/{set_id}/export.xlsx", response_class=Response)
async def export_set(set_id: Id, actor: CurrentActor) -> Response:
    """The set in the template's layout, ready to edit and import again."""
    await require_role(actor)
    cset = await _get(set_id)
    data = export_bytes(await load_draft(cset))
    name = f"{cset.code}-v{cset.version}.xlsx"
    return workbook_download(data, f"{_ascii(name)}")


def _ascii(name: str) -> str:
    return "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in name)
