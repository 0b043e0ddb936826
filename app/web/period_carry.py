"""A new period from this one (``forms.period_carry``): same unit groups, units, officers and
bands, deadlines a year on, each group's criteria set kept or replaced. A thin route."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.deps import Id
from app.web.deps import StaffDep, WebRoute, form_with_csrf, redirect
from core.auth import NotFound, require_admin
from core.i18n import N_, Msg, UserError
from forms.models import Period, PeriodGroup
from forms.period_carry import carry_over_period

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _text(form: dict[str, object], key: str) -> str:
    value = form.get(key, "")
    return value.strip() if isinstance(value, str) else ""


@router.post("/periods/{period_id}/carry-over")
async def carry_over_form(request: Request, period_id: Id, staff: StaffDep) -> Response:
    await require_admin(staff.actor)
    form = await form_with_csrf(request)
    source = await Period.get_or_none(id=period_id)
    if source is None:
        raise NotFound(Msg(N_("There is no period with the id {id}."), id=period_id))
    year_text = _text(form, "year")
    if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
        raise UserError(
            Msg(N_("“Year” must be a year such as 2027 (found “{value}”)."), value=year_text)
        )
    links = await PeriodGroup.filter(period=source).prefetch_related("unit_group")
    criteria = {
        link.unit_group.code: chosen
        for link in links
        if (chosen := _text(form, f"set-{link.unit_group.code}"))
    }
    period = await carry_over_period(
        staff.actor,
        source.code,
        code=_text(form, "code"),
        name=_text(form, "name"),
        year=int(year_text),
        criteria=criteria,
    )
    return redirect(f"/web/periods/{period.id}?done=created")
