"""Criteria sets (bộ chỉ số): read by every back-office role; template and import for
administrators (the import service is shared with the CLI; the role check is made here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response

from app.api.deps import CurrentActor, Id, SettingsDep
from app.api.errors import ApiRoute
from app.api.schemas import CriteriaSetDetail, CriteriaSetOut, NodeOut
from app.api.uploads import read_upload
from core.auth import NotFound, require_admin, require_role
from core.i18n import N_, Msg
from forms.criteria import import_draft, load_draft
from forms.criteria_workbook import export_bytes, read_workbook, template_bytes
from forms.models import CriteriaNode, CriteriaSet
from scoring.results import dec

router = APIRouter(route_class=ApiRoute, prefix="/criteria-sets", tags=["criteria"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _set(c: CriteriaSet) -> dict[str, object]:
    return {
        "id": c.id,
        "code": c.code,
        "version": c.version,
        "name": c.name,
        "unit_kind": c.unit_kind,
        "document_number": c.document_number,
        "issue_date": c.issue_date,
        "issuing_body": c.issuing_body,
        "total_max": dec(c.total_max),
        "bonus_cap": dec(c.bonus_cap),
        "penalty_cap": dec(c.penalty_cap),
        "is_sample": c.is_sample,
        "frozen_at": c.frozen_at,
    }


async def _get(set_id: int) -> CriteriaSet:
    cset = await CriteriaSet.get_or_none(id=set_id)
    if cset is None:
        raise NotFound(Msg(N_("There is no criteria set with the id {id}."), id=set_id))
    return cset


@router.get("", response_model=list[CriteriaSetOut])
async def list_sets(actor: CurrentActor) -> list[CriteriaSetOut]:
    await require_role(actor)
    return [CriteriaSetOut.model_validate(_set(c)) for c in await CriteriaSet.all()]


@router.get("/template.xlsx", response_class=Response)
async def template(actor: CurrentActor) -> Response:
    """The empty criteria workbook with drop-downs and notes (docs/criteria-template.md)."""
    await require_role(actor)
    return Response(
        template_bytes(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="bo-chi-so-mau.xlsx"'},
    )


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
    return CriteriaSetOut.model_validate(_set(cset))


@router.get("/{set_id}", response_model=CriteriaSetDetail)
async def get_set(set_id: Id, actor: CurrentActor) -> CriteriaSetDetail:
    """A set with its nodes in questionnaire order."""
    await require_role(actor)
    cset = await _get(set_id)
    nodes = await CriteriaNode.filter(criteria_set_id=cset.id).order_by("position")
    return CriteriaSetDetail.model_validate(
        _set(cset)
        | {
            "nodes": [
                NodeOut(
                    code=n.code,
                    parent_code=n.parent_code,
                    level=str(n.level),
                    section=str(n.section),
                    position=n.position,
                    title=n.title,
                    max_score=dec(n.max_score) or "0",
                    rule_type=n.rule_type,
                    rule_params=n.rule_params,
                    guidance=n.guidance,
                    evidence=n.evidence,
                    evidence_required=n.evidence_required,
                    evidence_when=n.evidence_when,
                    appraising_agency=n.appraising_agency,
                    na_allowed=n.na_allowed,
                )
                for n in nodes
            ]
        }
    )


@router.get("/{set_id}/export.xlsx", response_class=Response)
async def export_set(set_id: Id, actor: CurrentActor) -> Response:
    """The set in the template's layout, ready to edit and import again."""
    await require_role(actor)
    cset = await _get(set_id)
    data = export_bytes(await load_draft(cset))
    name = f"{cset.code}-v{cset.version}.xlsx"
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{_ascii(name)}"'},
    )


def _ascii(name: str) -> str:
    return "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in name)
