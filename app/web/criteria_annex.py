"""The review page of a decision's annex: what was recognised (shown back in plain words), what
is left to resolve (choose the rule type, edit the parsed tiers), and the import once nothing
is left. The uploaded file is kept in the content-addressed file store and named by its hash in
the page address, so the review reads it again on every step and nothing is imported before the
secretariat presses "Import" with every row resolved. The same page edits the rules of a stored
set (a copy of last year's, say). Routes stay thin: reading, resolving and checking are
:mod:`forms.annex`, :mod:`forms.annex_import` and :mod:`forms.criteria_edit`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import Files, Id
from app.web.deps import StaffDep, WebRoute, form_with_csrf, redirect, status_of
from app.web.render import render
from app.web.uploads import Upload
from core.auth import NotFound, require_admin
from core.files import FileStore, MissingFileError
from core.i18n import N_, Msg, UserError
from forms.annex import AnnexReading, read_annex
from forms.annex_import import annex_draft, resolve
from forms.criteria import get_set, import_draft, load_draft
from forms.criteria_edit import apply_reading, reading_of
from forms.criteria_rows import UNIT_KIND_LABELS
from forms.models import CriteriaSet
from forms.rule_words import describe_rule
from forms.rules import RULE_TYPES

router = APIRouter(route_class=WebRoute, include_in_schema=False)

RULE_TYPE_LABELS = {
    "yes_no": N_("Yes / no"),
    "levels": N_("One of several levels"),
    "percent_tiers": N_("Percentage tiers"),
    "checklist": N_("Checklist (sum of lines met)"),
    "count": N_("Points per unit counted"),
    "points": N_("Points entered directly"),
    "deduction": N_("Deduction from the maximum"),
    "survey": N_("Sociological survey"),
}
_SHA = 64


async def stash(files: FileStore, upload: Upload) -> str:
    """Keep an uploaded annex and return the address of its review page; a file without the
    annex table is refused here, on the criteria page, with the columns it needs."""
    read_annex(upload.data or b"")
    stored = await files.put(upload.data or b"")
    query = {k: upload.get(k) for k in ("code", "name", "unit_kind") if upload.get(k)}
    return f"/web/criteria/annex/{stored.sha256}" + (f"?{urlencode(query)}" if query else "")


async def _annex(files: FileStore, sha: str) -> AnnexReading:
    if len(sha) != _SHA or not all(c in "0123456789abcdef" for c in sha):
        raise NotFound(Msg(N_("This annex is no longer available; upload it again.")))
    try:
        data = await files.get(sha)
    except MissingFileError:
        raise NotFound(Msg(N_("This annex is no longer available; upload it again."))) from None
    return read_annex(data)


def _choices(form: dict[str, Any], reading: AnnexReading) -> dict[str, tuple[str, str]]:
    """The rule chosen for each item that was not recognised (or that the secretary changed)."""
    out: dict[str, tuple[str, str]] = {}
    for item in reading.scored:
        rule_type = form.get(f"type-{item.code}")
        if isinstance(rule_type, str) and rule_type:
            params = form.get(f"params-{item.code}")
            out[item.code] = (rule_type, params if isinstance(params, str) else "")
    return out


async def _review(
    request: Request,
    staff: StaffDep,
    sha: str,
    reading: AnnexReading,
    info: dict[str, str],
    *,
    status_code: int = 200,
    problems: list[str] | None = None,
    changed: set[str] | None = None,
    stored: CriteriaSet | None = None,
) -> Response:
    locale = staff.locale
    rows = []
    for item in reading.items:
        result = item.reading
        rows.append(
            {
                "item": item,
                "recognised": result is not None and result.recognised,
                "plain": describe_rule(result.rule, locale) if result and result.rule else "",
                "reasons": [p.render(locale) for p in result.problems] if result else [],
                "rule_type": result.rule_type if result else None,
                "params": result.params if result else "",
                "changed": item.code in (changed or set()),
            }
        )
    return await render(
        request,
        "web/criteria_annex.html",
        locale=locale,
        status_code=status_code,
        staff=staff,
        action=f"/web/criteria/{stored.id}/review" if stored else f"/web/criteria/annex/{sha}",
        stored=stored,
        info=info,
        rows=rows,
        recognised=len(reading.recognised),
        items=len(reading.scored),
        unresolved=len(reading.unresolved),
        rule_types=[(t, RULE_TYPE_LABELS[t]) for t in RULE_TYPES],
        unit_kinds=UNIT_KIND_LABELS,
        problems=problems or [],
    )


def _info(source: Any) -> dict[str, str]:
    def get(key: str) -> str:
        value = source.get(key, "")
        return value.strip() if isinstance(value, str) else ""

    return {"code": get("code"), "name": get("name"), "unit_kind": get("unit_kind") or "other"}


@router.get("/criteria/annex/{sha}", response_class=HTMLResponse)
async def annex_review(request: Request, sha: str, staff: StaffDep, files: Files) -> Response:
    await require_admin(staff.actor)
    reading = await _annex(files, sha)
    return await _review(request, staff, sha, reading, _info(request.query_params))


@router.post("/criteria/annex/{sha}")
async def annex_resolve(request: Request, sha: str, staff: StaffDep, files: Files) -> Response:
    await require_admin(staff.actor)
    form = await form_with_csrf(request)
    first = await _annex(files, sha)
    choices = _choices(form, first)
    reading = resolve(first, choices)
    info = _info(form)
    if form.get("action") != "import" or reading.unresolved:
        return await _review(request, staff, sha, reading, info, changed=set(choices))
    try:
        if not info["code"]:
            raise UserError(Msg(N_("Write the set's code (Mã bộ chỉ số) before importing.")))
        draft = annex_draft(reading, {**info, "name": info["name"] or f"Bộ chỉ số {info['code']}"})
        cset = await import_draft(staff.actor, draft)
    except UserError as exc:
        problems = [p.render(staff.locale) for p in getattr(exc, "problems", [])]
        if not problems:
            problems = [exc.render(staff.locale)]
        return await _review(
            request,
            staff,
            sha,
            reading,
            info,
            status_code=status_of(exc),
            problems=problems,
            changed=set(choices),
        )
    return redirect(f"/web/criteria/{cset.id}?done=imported")


# --- the rules of a stored set (e.g. a copy of last year's) on the same page ------------------


async def _stored(set_id: int) -> CriteriaSet:
    cset = await CriteriaSet.get_or_none(id=set_id)
    if cset is None:
        raise NotFound(Msg(N_("There is no criteria set with the id {id}."), id=set_id))
    return cset


def _stored_info(cset: CriteriaSet) -> dict[str, str]:
    return {"code": cset.code, "name": cset.name, "unit_kind": str(cset.unit_kind)}


@router.get("/criteria/{set_id}/review", response_class=HTMLResponse)
async def stored_review(request: Request, set_id: Id, staff: StaffDep) -> Response:
    await require_admin(staff.actor)
    cset = await _stored(set_id)
    reading = reading_of(await load_draft(cset))
    return await _review(request, staff, "", reading, _stored_info(cset), stored=cset)


@router.post("/criteria/{set_id}/review")
async def stored_resolve(request: Request, set_id: Id, staff: StaffDep) -> Response:
    """Replace the set's rules (a new version when the set is in use, see docs §9)."""
    await require_admin(staff.actor)
    form = await form_with_csrf(request)
    cset = await _stored(set_id)
    draft = await load_draft(cset)
    first = reading_of(draft)
    choices = _choices(form, first)
    reading = resolve(first, choices)
    info = _stored_info(cset)
    if form.get("action") != "import" or reading.unresolved:
        return await _review(request, staff, "", reading, info, changed=set(choices), stored=cset)
    try:
        latest = await get_set(cset.code)
        if latest.id != cset.id:
            raise UserError(Msg(N_("A newer version of this set exists; edit that one.")))
        saved = await import_draft(staff.actor, apply_reading(draft, reading))
    except UserError as exc:
        problems = [p.render(staff.locale) for p in getattr(exc, "problems", [])]
        return await _review(
            request,
            staff,
            "",
            reading,
            info,
            status_code=422,
            problems=problems or [exc.render(staff.locale)],
            changed=set(choices),
            stored=cset,
        )
    return redirect(f"/web/criteria/{saved.id}?done=imported")
