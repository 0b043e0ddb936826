"""Results of a period (every back-office role): per unit group the ranking with bands, the units
that never submitted listed apart ("chưa nộp", unless the period ranks them last), a bar chart of
the ranked units' appraised indices (inline SVG drawn here), a heat map of the appraised − self
gap per field, and links to the workbooks (the API's download routes, which check rights again and
accept the page's session cookie)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import OptionalId
from app.web.charts import Bar, bar_chart, gap_class
from app.web.deps import StaffDep, WebRoute, staff_page
from app.web.render import svg
from core.auth import NotFound, require_role
from core.i18n import N_, Msg
from forms.models import Period
from scoring.comparison import compare_with_previous
from scoring.publication import group_ranking
from scoring.results import results

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _d(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


@router.get("/results", response_class=HTMLResponse)
async def results_page(request: Request, staff: StaffDep, period: OptionalId = None) -> Response:
    await require_role(staff.actor)
    if period is not None:
        current = await Period.get_or_none(id=period)
        if current is None:
            raise NotFound(Msg(N_("There is no period with the id {id}."), id=period))
    else:
        current = await Period.all().order_by("-year", "-id").first()
    tables: list[dict[str, Any]] = []
    if current is not None:
        for table in await results(staff.actor, current.id):
            ranking = group_ranking(table)
            by_id = {u["unit_id"]: u for u in table["units"]}
            units = [by_id[r.unit_id] for r in ranking.ranked]
            apart = [by_id[r.unit_id] for r in ranking.apart]
            bands = [(b["label"], Decimal(str(b["min_index"]))) for b in table["bands"]]
            chart = bar_chart(
                [
                    Bar(
                        u["unit_name"],
                        _d(u["appraised"]["index"]),
                        u["appraised"]["band"],
                        u["appraised"]["rank"],
                    )
                    for u in units
                ],
                title=Msg(N_("Appraised index of {group}"), group=table["group_name"]).render(
                    staff.locale
                ),
                thresholds=[b for b in bands if b[1] > 0],
                locale=staff.locale,
            )
            fields = table["units"][0]["fields"] if table["units"] else []
            heat = [
                {
                    "unit": u,
                    "cells": [
                        {
                            "gap": _d(f["gap"]),
                            "cls": gap_class(_d(f["gap"]), _d(f["max_score"])),
                            "self": _d(f["self"]),
                            "appraised": _d(f["appraised"]),
                        }
                        for f in u["fields"]
                    ],
                }
                for u in [*units, *apart]
            ]
            tables.append(
                {
                    "table": table,
                    "units": units,
                    "apart": apart,
                    "chart": svg(chart),
                    "fields": fields,
                    "heat": heat,
                }
            )
    previous, comparison = (
        await compare_with_previous(staff.actor, current, [t["table"] for t in tables])
        if current is not None
        else (None, {})
    )
    return await staff_page(
        request,
        staff,
        "web/results.html",
        period=current,
        periods=await Period.all(),
        tables=tables,
        dec=_d,
        previous=previous,
        comparison=comparison,
    )
