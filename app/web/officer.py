"""The officers' pages under ``/web/o``: sign-in by link, the self-assessment sheet in the
official layout, files, submission and explanations.

Every change goes through the services the bot uses (:func:`forms.answers.record_answer`,
:func:`forms.evidence.attach_evidence`, :func:`forms.submission.submit`,
:func:`scoring.explanations.answer_explanation`), with the version the page was drawn from, so a
stale page cannot overwrite what a colleague saved in the bot meanwhile. The sheet is always the
signed-in officer's own unit's, taken from the session, never from the form.

Forms work without JavaScript (post, then redirect or the page again with the error on the
item); with the small script, the same endpoints answer JSON with the re-rendered item, so the
page updates in place, and the score is computed while typing (``/web/o/preview``).
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.api.deps import Files, Id, SettingsDep, get_settings
from app.api.uploads import MB
from app.web.deps import (
    CsrfError,
    Now,
    OfficerDep,
    WebRoute,
    form_with_csrf,
    redirect,
    refusal,
    status_of,
    wants_json,
)
from app.web.files import file_response
from app.web.render import render, render_fragment, request_lang
from app.web.security import set_cookie
from app.web.sessions import (
    OFFICER_COOKIE,
    OFFICER_SESSION_TTL,
    LinkError,
    claim_officer_link,
    end_officer_session,
    officer_cookie,
    read_link,
)
from app.web.sheet import (
    current_sheet_id,
    declared_from_form,
    describe_state,
    form_values,
    input_kind,
    load_sheet,
    posted_values,
    rule_lines,
)
from app.web.uploads import read_form_stream
from core.auth import NotFound
from core.files import FileStore
from core.i18n import N_, Msg, UserError
from core.numbers import format_score
from forms.answers import StaleAnswerError, record_answer
from forms.evidence import attach_evidence, remove_evidence
from forms.models import Assessment, Evidence
from forms.rules import describe, evaluate
from forms.submission import SubmissionBlockedError, submit
from scoring.explanations import answer_explanation, attach_explanation_file
from scoring.exports import scorecard
from scoring.models import Review
from scoring.publication import unit_outcome

router = APIRouter(prefix="/web/o", route_class=WebRoute, include_in_schema=False)


def _lang(request: Request, officer: OfficerDep | None = None) -> str:
    return request_lang(request, officer.officer.locale if officer else None)


async def _sheet_id(session: OfficerDep) -> int:
    sheet_id = await current_sheet_id(session.unit.id)
    if sheet_id is None:
        raise UserError(Msg(N_("Your unit has no score sheet yet.")))
    return sheet_id


# --- signing in ----------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, settings: SettingsDep, now: Now, t: str = "") -> Response:
    """The link's landing page: a button, because opening a link must not use it up (chat
    apps open links to draw previews)."""
    locale = request_lang(request)
    claims = read_link(settings, t)
    error = None
    if claims is None:
        error = Msg(N_("This sign-in link is not valid. Ask the bot for a new one (command /web)."))
    return await render(
        request,
        "web/officer_login.html",
        locale=locale,
        token=t if claims else "",
        error=error.render(locale) if error else None,
        status_code=200 if claims else 400,
    )


@router.post("/login")
async def login(request: Request, settings: SettingsDep, now: Now) -> Response:
    form = await form_with_csrf(request)
    client = request.client.host if request.client else ""
    try:
        officer, session_id = await claim_officer_link(
            settings, str(form.get("t", "")), now=now, client=client
        )
    except LinkError as exc:
        locale = request_lang(request)
        return await render(
            request,
            "web/officer_login.html",
            locale=locale,
            token="",
            error=exc.render(locale),
            status_code=400,
        )
    response = redirect("/web/o/")
    set_cookie(
        request,
        response,
        OFFICER_COOKIE,
        officer_cookie(settings, officer, session_id, now),
        max_age=int(OFFICER_SESSION_TTL.total_seconds()),
    )
    return response


@router.post("/logout")
async def logout(request: Request, session: OfficerDep) -> Response:
    await form_with_csrf(request)
    await end_officer_session(session)
    response = redirect("/web/o/signed-out")
    response.delete_cookie(OFFICER_COOKIE, path="/")
    return response


@router.get("/signed-out", response_class=HTMLResponse)
async def signed_out(request: Request) -> Response:
    return await render(request, "web/officer_signed_out.html", locale=request_lang(request))


# --- the sheet -----------------------------------------------------------------------------


async def _page(
    request: Request,
    session: OfficerDep,
    now: Any,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    posted: dict[str, dict[str, Any]] | None = None,
    message: str | None = None,
    page_error: str | None = None,
    blockers: Any = None,
) -> Response:
    locale = _lang(request, session)
    view = await load_sheet(await _sheet_id(session), now=now, tz=get_settings(request).tz)
    return await render(
        request,
        "web/officer_sheet.html",
        locale=locale,
        status_code=status_code,
        session=session,
        view=view,
        errors=errors or {},
        posted=posted or {},
        message=message,
        page_error=page_error,
        blockers=blockers,
        outcome=await unit_outcome(view.period.id, session.unit.id),
        **_helpers(locale),
    )


def _helpers(locale: str) -> dict[str, Any]:
    return {
        "input_kind": input_kind,
        "form_values": form_values,
        "describe_state": lambda item, state: describe_state(item, state, locale),
        "rule_lines": lambda rule, penalty=False: rule_lines(rule, locale, penalty=penalty),
        # a penalty item's points are deducted: shown "−0,5", never as if earned
        "deduction": lambda value: ("−" if value else "") + format_score(value, locale),
    }


@router.get("/", response_class=HTMLResponse)
async def sheet_page(
    request: Request, session: OfficerDep, now: Now, saved: str = "", done: str = ""
) -> Response:
    locale = _lang(request, session)
    message = None
    if saved:
        message = Msg(N_("Saved: item {code}."), code=saved[:32]).render(locale)
    if done == "submitted":
        message = Msg(N_("The score sheet was submitted. Thank you!")).render(locale)
    if done == "explained":
        message = Msg(N_("Your explanation was sent to the appraisal team.")).render(locale)
    if done == "removed":
        message = Msg(N_("The file was removed.")).render(locale)
    return await _page(request, session, now, message=message)


async def _row_response(
    request: Request,
    session: OfficerDep,
    now: Any,
    code: str,
    *,
    status_code: int = 200,
    message: str = "",
    error: str = "",
    posted: dict[str, Any] | None = None,
) -> Response:
    """JSON for the script: the item re-rendered, and the progress panel."""
    locale = _lang(request, session)
    view = await load_sheet(await _sheet_id(session), now=now, tz=get_settings(request).tz)
    row = next(r for r in view.rows if r.kind == "item" and r.code == code)
    row_html = await render_fragment(
        request,
        "web/_item.html",
        locale=locale,
        errors={code: error} if error else {},
        posted={code: posted} if posted else {},
        view=view,
        row=row,
        **_helpers(locale),
    )
    progress_html = await render_fragment(
        request, "web/_progress.html", locale=locale, view=view, **_helpers(locale)
    )
    return JSONResponse(
        {
            "ok": status_code < 400,
            "message": message,
            "error": error,
            "row": row_html,
            "progress": progress_html,
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


async def _item_refused(
    request: Request,
    session: OfficerDep,
    now: Any,
    code: str,
    exc: UserError,
    posted: dict[str, Any] | None = None,
) -> Response:
    """The item redrawn with the refusal under it (and what was typed): the row for the page's
    script, else the whole sheet."""
    error = exc.render(_lang(request, session))
    status = status_of(exc)
    if wants_json(request):
        return await _row_response(
            request, session, now, code, status_code=status, error=error, posted=posted
        )
    typed = {code: posted} if posted else None
    return await _page(
        request, session, now, status_code=status, errors={code: error}, posted=typed
    )


async def _item_done(
    request: Request, session: OfficerDep, now: Any, code: str, message: Msg, url: str
) -> Response:
    """After a change to an item: the row for the page's script, else back to the item."""
    if wants_json(request):
        text = message.render(_lang(request, session))
        return await _row_response(request, session, now, code, message=text)
    return redirect(f"{url}#item-{quote(code)}")


@router.post("/items/{code}")
async def save_item(
    request: Request, settings: SettingsDep, code: str, session: OfficerDep, now: Now
) -> Response:
    form = await form_with_csrf(request)
    sheet_id = await _sheet_id(session)
    view = await load_sheet(sheet_id, now=now, tz=settings.tz)
    item = view.tree.item(code)
    if item is None or item.rule is None:
        raise UserError(Msg(N_("There is no item “{code}” in this criteria set."), code=code))
    try:
        version = int(str(form.get("version", "0")))
    except ValueError:
        version = -1
    posted = posted_values(form)
    state = view.states.get(code)
    try:
        declared = declared_from_form(item.rule, form)
        note = str(form.get("note", "")).strip() if "note" in form else None
        if note is not None and note == (state.note if state else ""):
            note = None
        if declared is None and note is None:
            raise UserError(Msg(N_("Nothing to save: choose or type an answer first.")))
        await record_answer(
            session.actor,
            sheet_id,
            code,
            expected_version=version,
            now=now,
            declared=declared,
            note=note,
            tz=settings.tz,
        )
    except StaleAnswerError as exc:  # shown with what is stored now, not what was typed
        return await _item_refused(request, session, now, code, exc)
    except UserError as exc:
        return await _item_refused(request, session, now, code, exc, posted)
    saved = Msg(N_("Saved: item {code}."), code=code)
    return await _item_done(request, session, now, code, saved, f"/web/o/?saved={quote(code)}")


@router.get("/preview")
async def preview(
    request: Request, settings: SettingsDep, session: OfficerDep, now: Now, item: str = ""
) -> Response:
    """The score the inputs would give, computed by the item's rule (nothing is saved)."""
    locale = _lang(request, session)
    view = await load_sheet(await _sheet_id(session), now=now, tz=settings.tz)
    node = view.tree.item(item)
    if node is None or node.rule is None:
        return JSONResponse({"ok": False, "error": "unknown item"}, status_code=404)
    params = request.query_params
    form: dict[str, Any] = {k: params.get(k, "") for k in ("value", "na")}
    form["checked"] = params.getlist("checked")
    try:
        declared = declared_from_form(node.rule, form)
        if declared is None:
            return JSONResponse({"ok": True, "score": None, "text": ""})
        score = evaluate(node.rule, declared)
    except UserError as exc:
        return JSONResponse({"ok": False, "error": exc.render(locale)})
    return JSONResponse(
        {
            "ok": True,
            "score": None
            if score is None
            else ("−" if score and node.section == "penalty" else "") + format_score(score, locale),
            "text": describe(node.rule, declared, locale),
        },
        headers={"Cache-Control": "no-store"},
    )


# --- files ---------------------------------------------------------------------------------


@router.post("/items/{code}/files")
async def upload(
    request: Request, settings: SettingsDep, code: str, session: OfficerDep, now: Now
) -> Response:
    sheet_id = await _sheet_id(session)
    try:
        form = await read_form_stream(request, settings)
        if form.data is None:
            raise UserError(Msg(N_("Choose a file to upload.")))
        attached = await attach_evidence(
            session.actor,
            sheet_id,
            code,
            data=form.data,
            name=form.filename,
            files=FileStore(settings.data_dir),
            max_bytes=settings.max_upload_mb * MB,
            now=now,
            page_ref=form.get("page_ref"),
            tz=settings.tz,
        )
    except UserError as exc:
        if isinstance(exc, CsrfError):
            raise
        return await _item_refused(request, session, now, code, exc)
    message = (
        Msg(N_("This file was already attached to item {code}."), code=code)
        if attached.duplicate
        else Msg(N_("File attached to item {code}."), code=code)
    )
    return await _item_done(request, session, now, code, message, f"/web/o/?saved={quote(code)}")


@router.post("/files/{evidence_id}/remove")
async def remove_file(
    request: Request, settings: SettingsDep, evidence_id: Id, session: OfficerDep, now: Now
) -> Response:
    await form_with_csrf(request)
    evidence = await _own_evidence(session, evidence_id)
    code = evidence.answer.node.code
    await remove_evidence(session.actor, evidence_id, now=now, tz=settings.tz)
    removed = Msg(N_("The file was removed."))
    return await _item_done(request, session, now, code, removed, "/web/o/?done=removed")


async def _own_review(session: OfficerDep, review_id: Id) -> None:
    """Another unit's request is answered as one that does not exist: guessing ids learns
    nothing."""
    unit = await Review.filter(id=review_id).values_list("answer__assessment__unit_id", flat=True)
    if not unit or unit[0] != session.unit.id:
        raise NotFound(Msg(N_("This explanation request does not exist.")))


async def _own_evidence(session: OfficerDep, evidence_id: Id) -> Evidence:
    evidence = await Evidence.get_or_none(id=evidence_id).prefetch_related(
        "answer__assessment", "answer__node"
    )
    if evidence is None or evidence.answer.assessment.unit_id != session.unit.id:  # type: ignore[attr-defined]
        raise NotFound(Msg(N_("There is no file with the id {id}."), id=evidence_id))
    return evidence


@router.get("/files/{evidence_id}")
async def view_file(
    evidence_id: Id,
    files: Files,
    session: OfficerDep,
    download: bool = False,
) -> Response:
    evidence = await _own_evidence(session, evidence_id)
    return await file_response(files, evidence, download=download)


# --- the scorecard -------------------------------------------------------------------------


@router.get("/scorecard.xlsx")
async def scorecard_download(
    request: Request, settings: SettingsDep, session: OfficerDep, now: Now
) -> Response:
    """The unit's "Bảng tự đánh giá, chấm điểm" as it stands now (the sheet the page shows)."""
    sheet = await Assessment.get(id=await _sheet_id(session))
    buffer = io.BytesIO()
    export = await scorecard(
        session.actor,
        sheet.period_id,  # type: ignore[attr-defined]
        session.unit.id,
        buffer,
        now=now,
        tz=settings.tz,
        public_url=settings.public_url,
        locale=_lang(request, session),
        link_secret=settings.secret_key,
    )
    return Response(
        buffer.getvalue(),
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- submission ----------------------------------------------------------------------------


@router.post("/submit")
async def submit_sheet(
    request: Request, settings: SettingsDep, session: OfficerDep, now: Now
) -> Response:
    await form_with_csrf(request)
    locale = _lang(request, session)
    try:
        await submit(session.actor, await _sheet_id(session), now=now, tz=settings.tz)
    except SubmissionBlockedError as exc:
        return await _page(
            request,
            session,
            now,
            status_code=409,
            page_error=exc.render(locale),
            blockers=exc.blockers,
        )
    except UserError as exc:
        return await _page(request, session, now, **refusal(exc, locale))
    return redirect("/web/o/?done=submitted")


# --- explanations --------------------------------------------------------------------------


@router.post("/explanations/{review_id}")
async def explain(
    request: Request, settings: SettingsDep, review_id: Id, session: OfficerDep, now: Now
) -> Response:
    code = ""
    try:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/"):
            form = await read_form_stream(request, settings)
            fields = form.fields
            data, name = form.data, form.filename
        else:
            flat = await form_with_csrf(request)
            fields = flat["__lists__"]
            data, name = None, None
        await _own_review(session, review_id)
        code = (fields.get("item") or [""])[0]
        ids = [int(x) for x in fields.get("files", []) if x.isdigit()]
        if data:
            attached = await attach_explanation_file(
                session.actor,
                review_id,
                data=data,
                name=name,
                files=FileStore(settings.data_dir),
                max_bytes=settings.max_upload_mb * MB,
                now=now,
                tz=settings.tz,
            )
            ids.append(attached.evidence.id)
        proposed = (fields.get("proposed") or [""])[0].strip()
        await answer_explanation(
            session.actor,
            review_id,
            text=(fields.get("text") or [""])[0],
            proposed_score=proposed or None,
            evidence_ids=sorted(set(ids)),
            now=now,
            tz=settings.tz,
        )
    except UserError as exc:
        if isinstance(exc, CsrfError | NotFound) or not code:
            raise
        return await _item_refused(request, session, now, code, exc)
    sent = Msg(N_("Your explanation was sent to the appraisal team."))
    return await _item_done(request, session, now, code, sent, "/web/o/?done=explained")
