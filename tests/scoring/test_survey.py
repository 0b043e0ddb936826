"""Survey scores from the XLSX template: all problems at once, nothing imported on error."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from core.auth import AccessDenied
from core.models import AuditEvent
from forms.answers import LockedError
from scoring.models import SurveyScore
from scoring.results import publish
from scoring.survey import import_scores, list_scores, template
from scoring.survey_workbook import SHEET, SurveyImportError
from tests.api.world import NOW, World, build_world


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()


def _filled(data: bytes, values: dict[tuple[int, int], object]) -> bytes:
    wb = load_workbook(BytesIO(data))
    ws = wb[SHEET]
    for (row, col), value in values.items():
        ws.cell(row, col).value = value
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def test_template_lists_units_and_imports_back(world: World) -> None:
    admin = world.actor("admin")
    data = await template(admin, world.period.id)
    ws = load_workbook(BytesIO(data))[SHEET]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["Mã đơn vị", "Tên đơn vị", "X.1"]
    assert [r[0] for r in rows[1:]] == ["SNV", "STP", "SYT"]
    assert "Mức độ hài lòng" in ws["C1"].comment.text
    filled = _filled(data, {(2, 3): "1,5", (3, 3): 2})  # SYT left empty
    summary = await import_scores(admin, world.period.id, filled, now=NOW, source_name="dtxhh.xlsx")
    assert (summary.created, summary.updated, summary.units) == (2, 0, 2)
    stored = {(s.unit_id, s.node_code): s.score for s in await list_scores(admin, world.period.id)}  # type: ignore[attr-defined]
    snv, stp = world.sheets["SNV"].unit_id, world.sheets["STP"].unit_id  # type: ignore[attr-defined]
    assert stored == {(snv, "X.1"): Decimal("1.5"), (stp, "X.1"): Decimal(2)}
    events = await AuditEvent.filter(action="survey.import").order_by("id")
    assert [e.unit_id for e in events] == [snv, stp]
    assert events[0].new_value == {"X.1": "1.5000"} and events[0].old_value == {"X.1": None}
    # the template now shows the stored scores; importing it again changes nothing
    again = await template(admin, world.period.id)
    summary = await import_scores(admin, world.period.id, again, now=NOW)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 2)
    changed = _filled(again, {(2, 3): "1.75"})
    summary = await import_scores(admin, world.period.id, changed, now=NOW)
    assert (summary.updated, summary.unchanged) == (1, 1)
    assert (await SurveyScore.get(unit_id=snv)).score == Decimal("1.75")


async def test_every_problem_is_reported_and_nothing_is_imported(world: World) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(["Mã đơn vị", "Tên đơn vị", "X.1", "X.9", "X.1"])
    ws.append(["SNV", "", "3", None, None])  # above the maximum 2
    ws.append(["STP", "", "abc", None, None])  # not a number
    ws.append(["KHONG", "", "1", None, None])  # unknown unit
    ws.append(["SYT", "", "1", None, None])  # fine, but nothing is imported
    buf = BytesIO()
    wb.save(buf)
    admin = world.actor("admin")
    with pytest.raises(SurveyImportError) as info:
        await import_scores(admin, world.period.id, buf.getvalue(), now=NOW)
    # header problems first: the columns must be known before the values can be checked
    assert [(p.row, p.column) for p in info.value.problems] == [(1, "D"), (1, "E")]
    wb2 = Workbook()
    ws2 = wb2.active
    ws2.title = SHEET
    ws2.append(["Mã đơn vị", "Tên đơn vị", "X.1"])
    for row in (
        ["SNV", "", "3"],
        ["STP", "", "abc"],
        ["KHONG", "", "1"],
        ["SNV", "", "1"],
        ["SYT", "", "0,12345"],
        ["SYT", "", "1"],
    ):
        ws2.append(row)
    buf = BytesIO()
    wb2.save(buf)
    with pytest.raises(SurveyImportError) as info:
        await import_scores(admin, world.period.id, buf.getvalue(), now=NOW)
    problems = info.value.problems
    assert [(p.row, p.column) for p in problems] == [
        (2, "C"),
        (3, "C"),
        (4, "A"),
        (5, "A"),
        (6, "C"),
        (7, "A"),
    ]
    text = info.value.render("vi")
    assert "6 lỗi" in text and "dòng 2, cột C" in text and "phải từ 0 đến 2" in text
    assert await SurveyScore.all().count() == 0
    with pytest.raises(SurveyImportError) as info:
        await import_scores(admin, world.period.id, b"not a workbook", now=NOW)
    assert "không phải là tệp Excel" in info.value.render("vi")


async def test_only_administrators_import_and_never_after_publication(world: World) -> None:
    data = await template(world.actor("admin"), world.period.id)
    for who in ("td1", "viewer"):
        with pytest.raises(AccessDenied):
            await import_scores(world.actor(who), world.period.id, data, now=NOW)
    with pytest.raises(AccessDenied):
        await template(world.actor("viewer"), world.period.id)
    await publish(world.actor("admin"), world.period.id, now=NOW, force=True, reason="thử")
    with pytest.raises(LockedError):
        await import_scores(world.actor("admin"), world.period.id, data, now=NOW)
