"""The back-office pages through the services: periods and per-unit deadlines, units and
invites, criteria import with its error list, the progress board, appraisal decisions and the
results with their chart and heat map."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import httpx
from openpyxl import Workbook, load_workbook

from core.models import Officer
from core.timefmt import VIETNAM
from forms.answers import record_answer
from forms.models import Assessment, Period
from scheduler.delivery import SECRETARIAT
from scheduler.digests import digest_snapshot, digest_subject, post_digest
from scheduler.models import Reminder, ReminderStatus
from scoring.models import Review
from tests.api.world import NOW, World, fill_and_submit
from tests.factories import ROWS, workbook_bytes
from tests.web.conftest import csrf_of, sign_in_staff


async def _admin(client: httpx.AsyncClient) -> str:
    assert (await sign_in_staff(client, "admin")).status_code == 303
    return csrf_of((await client.get("/web/progress")).text)


async def test_progress_board(client: httpx.AsyncClient, world: World, store: object) -> None:
    token = await _admin(client)
    await fill_and_submit(world, "SNV", "lan", store=store)  # type: ignore[arg-type]
    await record_answer(
        world.officers["khac"],
        world.sheets["STP"].id,
        "1.1.1",
        text="1",
        expected_version=0,
        now=NOW,
    )
    await Officer.filter(id=world.officers["yte"].id).update(bot_blocked_at=NOW)
    page = (await client.get("/web/progress")).text
    assert "100%" in page and "11%" in page  # SNV complete, STP 1 of 9
    assert "Đỗ Thị Y" in page  # blocked the bot
    assert "1 đã gửi" in page and "0 quá hạn" in page
    assert 'class="overdue"' not in page
    # the board's figures as a workbook, downloaded with the same session
    link = f"/api/v1/periods/{world.period.id}/exports/progress.xlsx?lang=vi"
    assert f'href="{link}"' in page and "Bảng tiến độ tự đánh giá (.xlsx)" in page
    download = await client.get(link)
    assert download.status_code == 200
    assert load_workbook(BytesIO(download.content)).sheetnames == ["Tiến độ"]

    # after the deadline the two unsubmitted units are highlighted
    await Period.filter(id=world.period.id).update(
        self_assessment_closes_at=NOW - timedelta(hours=1)
    )
    page = (await client.get(f"/web/progress?period={world.period.id}&group={world.group.id}")).text  # type: ignore[union-attr]
    assert page.count('class="overdue"') == 2 and "2 quá hạn" in page
    assert token


async def test_periods_deadlines_and_extensions(client: httpx.AsyncClient, world: World) -> None:
    token = await _admin(client)
    r = await client.post(
        "/web/periods",
        data={
            "csrf": token,
            "code": "P2027",
            "name": "Đợt 2027",
            "year": "2027",
            "self_assessment_opens_at": "2027-01-01T00:00",
            "self_assessment_closes_at": "15/12/2027",
            f"set_{world.group.id}": "TEST-1",  # type: ignore[union-attr]
        },
    )
    assert r.status_code == 303, r.text
    period = await Period.get(code="P2027")
    assert period.self_assessment_closes_at.astimezone(NOW.tzinfo) == NOW.replace(
        year=2027, month=12, day=15, hour=16, minute=59
    )  # 23:59 in Hà Nội
    assert await Assessment.filter(period=period).count() == 3
    page = await client.get(r.headers["location"])
    assert "Đã tạo đợt đánh giá" in page.text

    r = await client.post(
        "/web/periods",
        data={"csrf": token, "code": "P2028", "name": "x", "year": "abc"},
    )
    assert r.status_code == 422 and "Năm là một số" in r.text

    sheet = world.sheets["STP"]
    r = await client.post(
        f"/web/periods/{world.period.id}/sheets/{sheet.id}/deadline",
        data={"csrf": token, "until": "2026-11-30T17:00", "reason": "Công văn xin gia hạn"},
    )
    assert r.status_code == 303
    sheet = await Assessment.get(id=sheet.id)
    assert sheet.deadline_extended_to is not None
    r = await client.post(
        f"/web/periods/{world.period.id}",
        data={"csrf": token, "name": "Đợt 2026 (sửa)", "status": "open", "explanation_due_at": ""},
    )
    assert r.status_code == 303
    assert (await Period.get(id=world.period.id)).name == "Đợt 2026 (sửa)"


def _units_workbook(bad: bool) -> bytes:
    from openpyxl import load_workbook

    from core.units_workbook import template_bytes

    wb = load_workbook(BytesIO(template_bytes()))
    ws = wb.worksheets[0]
    ws.append(["SO", "Khối sở, ban, ngành", "Sở, ban, ngành", "SXD", "Sở Xây dựng", ""])
    if bad:
        ws.append(["", "", "", "", "", ""])
        ws.append(["SO", "Khối sở", "không rõ", "SXD", "", ""])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def test_units_import_and_printable_invites(client: httpx.AsyncClient, world: World) -> None:
    token = await _admin(client)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    r = await client.post(
        "/web/units/import",
        data={"csrf": token},
        files={"file": ("don-vi.xlsx", _units_workbook(True), xlsx)},
    )
    assert r.status_code == 422
    assert "nothing was imported" in r.text or "không nhập" in r.text
    assert r.text.count("<li>") >= 1
    r = await client.post(
        "/web/units/import",
        data={"csrf": token},
        files={"file": ("don-vi.xlsx", _units_workbook(False), xlsx)},
    )
    assert r.status_code == 200 and "tạo 1 đơn vị" in r.text
    assert "Sở Xây dựng" in (await client.get("/web/units")).text

    officer = world.officers["lan"]
    r = await client.post(f"/web/officers/{officer.id}/invite", data={"csrf": token})
    assert r.status_code == 200
    assert "<svg" in r.text and 'class="qr"' in r.text
    assert "Nguyễn Thị Lan" in r.text and r.headers["cache-control"] == "no-store"


async def test_criteria_import_lists_every_problem(client: httpx.AsyncClient, world: World) -> None:
    token = await _admin(client)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    broken = [
        ROWS[0],
        (
            "1.1.9",
            "Tiêu chí thành phần",
            "Tự đánh giá",
            "X",
            "abc",
            "levels",
            "",
            "",
            "",
            "Không",
            "",
            "Không",
        ),
    ]
    r = await client.post(
        "/web/criteria/import",
        data={"csrf": token},
        files={"file": ("bo.xlsx", workbook_bytes(broken, {"code": "BAD"}), xlsx)},
    )
    assert r.status_code == 422
    assert 'class="problems"' in r.text and r.text.count("<li>") >= 2
    r = await client.post(
        "/web/criteria/import",
        data={"csrf": token},
        files={"file": ("bo.xlsx", workbook_bytes(info={"code": "NEW-1"}), xlsx)},
    )
    assert r.status_code == 303
    tree = await client.get(r.headers["location"])
    assert tree.status_code == 200 and "Đã nhập bộ chỉ số" in tree.text
    assert (
        "<code>levels</code> Ban hành đúng hạn = 1; Ban hành muộn = 0,5; Không ban hành = 0"
        in tree.text
    )
    assert 'class="lvl-item depth-2"' in tree.text

    r = await client.post(
        "/web/criteria/import",
        data={"csrf": token},
        files={"file": ("bo.xlsx", _not_a_workbook(), xlsx)},
    )
    assert r.status_code == 422


def _not_a_workbook() -> bytes:
    buf = BytesIO()
    Workbook().save(buf)
    return buf.getvalue()[:100]


async def test_appraisal_pages(
    client: httpx.AsyncClient, world: World, store: object, notifier: object
) -> None:
    await fill_and_submit(world, "SNV", "lan", store=store)  # type: ignore[arg-type]
    assert (await sign_in_staff(client, "td1")).status_code == 303
    queue = (await client.get("/web/appraisal")).text
    assert "CÔNG TÁC CHỈ ĐẠO" in queue and "KỶ LUẬT" not in queue  # td1 appraises field 1 only
    assert "6 tiêu chí thành phần" in queue
    sheet = world.sheets["SNV"].id
    item = await client.get(f"/web/appraisal/{sheet}/items/1.1.3")
    assert item.status_code == 200 and "<iframe" in item.text  # the PDF is previewed
    token = csrf_of(item.text)
    evidence_id = item.text.split('src="/web/evidence/')[1].split('"')[0]
    shown = await client.get(f"/web/evidence/{evidence_id}")
    assert shown.status_code == 200 and shown.headers["content-type"] == "application/pdf"

    r = await client.post(
        f"/web/appraisal/{sheet}/items/1.1.3/adjust",
        data={"csrf": token, "version": "0", "score": "1", "comment": ""},
    )
    assert r.status_code == 422 and "ý kiến" in r.text.lower()
    r = await client.post(
        f"/web/appraisal/{sheet}/items/1.1.3/adjust",
        data={"csrf": token, "version": "0", "score": "1", "comment": "Chỉ đạt 88%"},
    )
    assert r.status_code == 303
    review = await Review.get(answer__node__code="1.1.3")
    assert review.appraised_score == 1 and review.comment == "Chỉ đạt 88%"

    r = await client.post(
        f"/web/appraisal/{sheet}/items/1.1.1/request",
        data={"csrf": token, "version": "0", "comment": "Bổ sung kế hoạch", "due": ""},
    )
    assert r.status_code == 303
    assert notifier.notices  # type: ignore[attr-defined]

    # an item of another field is not this appraiser's
    r = await client.post(
        f"/web/appraisal/{sheet}/items/2.1.1/accept", data={"csrf": token, "version": "0"}
    )
    assert r.status_code in (403, 404)


async def test_results_with_chart_heat_map_and_workbooks(
    client: httpx.AsyncClient, world: World, store: object
) -> None:
    await fill_and_submit(world, "SNV", "lan", store=store)  # type: ignore[arg-type]
    token = await _admin(client)
    sheet = world.sheets["SNV"].id
    item = await client.get(f"/web/appraisal/{sheet}/items/1.1.3")
    r = await client.post(
        f"/web/appraisal/{sheet}/items/1.1.3/adjust",
        data={"csrf": csrf_of(item.text), "version": "0", "score": "1", "comment": "88%"},
    )
    assert r.status_code == 303
    page = await client.get("/web/results")
    assert page.status_code == 200
    text = page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in text
    assert "Sở Nội vụ" in text and "gap-down-" in text  # appraised below self in field 1
    assert f"/api/v1/periods/{world.period.id}/exports/consolidated.xlsx" in text
    # the page's session cookie opens the API's workbook download
    r = await client.get(f"/api/v1/periods/{world.period.id}/exports/consolidated.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert token


async def test_progress_board_shows_the_secretariats_daily_digest(
    client: httpx.AsyncClient, world: World
) -> None:
    """The scheduler posts the 08:00 digest into the ledger; the secretariat reads it here."""
    await _admin(client)
    day = NOW.astimezone(VIETNAM).date()
    subject = digest_subject(world.period.id, day)
    await Reminder.create(
        kind="digest",
        recipient=SECRETARIAT,
        subject=subject,
        deadline_at=world.period.self_assessment_closes_at,
        offset_key="digest",
        due_at=NOW,
        status=ReminderStatus.sent,
        sent_at=NOW,
    )
    found = await digest_snapshot(subject, NOW)
    assert found is not None
    await post_digest(*found)
    page = (await client.get("/web/progress")).text
    assert f"Bản tổng hợp hằng ngày {day.strftime('%d/%m/%Y')}: 3 đơn vị chậm tiến độ" in page
    assert "Sở Tư pháp (STP)" in page
