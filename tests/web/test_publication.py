"""The publication page, results with the units that never submitted listed apart, the Word
annex, what officers see on the web form after publication, and the progress board's summary of
the latest state. In-process (httpx) for the refusals and details; in real headless Chromium
for the administrator's whole walk: publish, then download the annex."""

from __future__ import annotations

import io
from typing import Any

import httpx
from docx import Document
from fastapi import FastAPI

from core.timefmt import VIETNAM
from forms.models import Assessment, AssessmentStatus, Period, PeriodStatus
from scheduler.delivery import SECRETARIAT
from scheduler.digests import digest_snapshot, digest_subject, post_digest
from scheduler.models import Reminder, ReminderStatus
from scoring import appraisal
from scoring.results import publish
from tests.api.world import ANSWERS, NOW, World, fill_and_submit
from tests.web.browser import skip_without_browser
from tests.web.conftest import csrf_of, sign_in_officer, sign_in_staff
from tests.web.test_browser import officer_sign_in, staff_sign_in


async def _appraise_all(world: World, unit: str) -> None:
    admin = world.actor("admin")
    for code in ANSWERS:
        await appraisal.accept(admin, world.sheets[unit].id, code, expected_version=0, now=NOW)


async def test_results_list_units_that_never_submitted_apart(
    client: httpx.AsyncClient, world: World
) -> None:
    await fill_and_submit(world, "SNV", "lan")
    assert (await sign_in_staff(client, "viewer")).status_code == 303
    page = (await client.get("/web/results")).text
    ranking, _, rest = page.partition('class="ranking apart"')
    assert 'data-unit="SNV"' in ranking and 'data-unit="STP"' not in ranking
    assert "Chưa nộp (liệt kê riêng, không xếp hạng)" in page
    apart = rest.split("</table>")[0]
    assert 'data-unit="STP"' in apart and 'data-unit="SYT"' in apart
    chart = ranking.split('class="chart"')[1].split("</svg>")[0]
    assert "STP" not in chart and "Sở Tư pháp" not in chart  # not "0,00 % Yếu" in the chart


async def test_only_an_administrator_publishes_and_forcing_needs_a_reason(
    client: httpx.AsyncClient, world: World
) -> None:
    await fill_and_submit(world, "SNV", "lan")
    assert (await sign_in_staff(client, "viewer")).status_code == 303
    page = await client.get(f"/web/publication?period={world.period.id}")
    assert page.status_code == 200
    assert "Xếp hạng chính thức (sau thẩm định)" in page.text
    assert "Xếp hạng tạm (tự đánh giá)" in page.text
    assert 'id="publish-form"' not in page.text  # a viewer reads, does not publish
    r = await client.post(f"/web/publication/{world.period.id}", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 403 and "Chỉ quản trị viên" in r.text
    assert (await Period.get(id=world.period.id)).published_at is None

    client.cookies.clear()
    assert (await sign_in_staff(client, "admin")).status_code == 303
    page = await client.get(f"/web/publication?period={world.period.id}")
    assert "3 phiếu chấm điểm chưa thẩm định xong" in page.text
    unfinished = page.text.split('id="unfinished"')[1].split("</ul>")[0]
    assert "Sở Tư pháp (STP)" in unfinished and "chưa nộp" in unfinished
    token = csrf_of(page.text)
    r = await client.post(f"/web/publication/{world.period.id}", data={"csrf": "sai"})
    assert r.status_code == 403
    r = await client.post(f"/web/publication/{world.period.id}", data={"csrf": token})
    assert r.status_code == 409 and "công bố" in r.text and "SNV" in r.text
    r = await client.post(
        f"/web/publication/{world.period.id}", data={"csrf": token, "force": "1", "reason": " "}
    )
    assert r.status_code == 422
    assert "Công bố khi còn phiếu chưa thẩm định xong cần ghi lý do." in r.text
    assert 'name="force" value="1" checked' in r.text  # what was typed is kept
    assert (await Period.get(id=world.period.id)).published_at is None
    assert await Assessment.filter(status=AssessmentStatus.final).count() == 0

    r = await client.post(
        f"/web/publication/{world.period.id}",
        data={"csrf": token, "force": "1", "reason": "STP, SYT không nộp phiếu"},
    )
    assert r.status_code == 303
    page = await client.get(r.headers["location"])
    assert "Đã công bố kết quả." in page.text and 'id="publish-form"' not in page.text
    assert (await Period.get(id=world.period.id)).status == PeriodStatus.published
    r = await client.post(
        f"/web/publication/{world.period.id}", data={"csrf": token, "force": "1", "reason": "x"}
    )
    assert r.status_code == 409  # never twice


async def test_the_officer_sees_the_published_result_on_the_web_form(
    client: httpx.AsyncClient, web_app: FastAPI, world: World
) -> None:
    await fill_and_submit(world, "SNV", "lan")
    await _appraise_all(world, "SNV")
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    assert 'id="published-result"' not in (await client.get("/web/o/")).text
    await publish(world.actor("admin"), world.period.id, now=NOW, force=True, reason="hết hạn")
    page = (await client.get("/web/o/")).text
    panel = page.split('id="published-result"')[1].split("</section>")[0]
    assert "Kết quả đã công bố" in panel
    assert "Tổng điểm 7,75, chỉ số 83,78%, xếp hạng 1/1 trong Khối sở, ban, ngành" in panel
    assert "xếp loại Khá" in panel and "/web/o/scorecard.xlsx" in panel


async def test_the_progress_summary_reflects_the_latest_state(
    client: httpx.AsyncClient, world: World
) -> None:
    """The 08:00 digest counted 3 units behind; one submitted since: the board says 2 now."""
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
    await fill_and_submit(world, "STP", "khac")
    assert (await sign_in_staff(client, "admin")).status_code == 303
    page = (await client.get("/web/progress")).text
    now_line = page.split('id="digest-now"')[1].split("</summary>")[0]
    assert "2 đơn vị chưa nộp phiếu" in now_line
    assert "3 đơn vị chậm tiến độ" in page.split('id="digest-posted"')[1]
    behind = page.split('id="digest-now"')[1].split("</details>")[0]
    assert 'data-unit="SNV"' in behind and 'data-unit="STP"' not in behind


@skip_without_browser
async def test_admin_publishes_and_downloads_the_word_annex(
    pages: Any, web_app: FastAPI, world: World
) -> None:
    from playwright.async_api import expect

    await fill_and_submit(world, "SNV", "lan")
    await fill_and_submit(world, "STP", "khac")
    await _appraise_all(world, "SNV")
    page = await pages()
    await staff_sign_in(page, "admin")
    await page.get_by_role("link", name="Công bố", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Công bố kết quả Chỉ số CCHC")
    await expect(page.locator("#unfinished li")).to_have_count(2)  # STP unappraised, SYT
    form = page.locator("#publish-form")
    await form.get_by_role("button", name="Công bố kết quả").click()  # the dialog is accepted
    await expect(page.locator(".flash.err")).to_contain_text("chưa thẩm định xong (STP, SYT)")
    await form.get_by_label("Vẫn công bố, giữ nguyên các phiếu chưa thẩm định xong").check()
    await form.get_by_label("Lý do (bắt buộc khi vẫn công bố)").fill("SYT không nộp phiếu")
    await form.get_by_role("button", name="Công bố kết quả").click()
    await expect(page.locator("#published-note")).to_contain_text("Đã công bố kết quả.")
    await expect(page.locator("#publication-state")).to_contain_text("Đã công bố lúc")
    final = page.locator('table.publication tr[data-unit="SNV"] td.final-rank')
    await expect(final).to_have_text("1")
    await expect(page.locator('ul.apart li[data-unit="SYT"]')).to_be_visible()

    async with page.expect_download() as info:
        await page.locator("#annex-link").click()
    download = await info.value
    assert download.suggested_filename == "phu-luc-chi-so-cchc-2026-cong-bo.docx"
    doc = Document(io.BytesIO(open(await download.path(), "rb").read()))  # noqa: SIM115
    rows = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert rows[0] == ["STT", "Đơn vị", "Tổng điểm", "Chỉ số (%)", "Xếp hạng", "Xếp loại"]
    assert rows[1] == ["1", "Sở Nội vụ", "7,75", "83,78", "1", "Khá"]
    assert rows[3] == ["3", "Sở Y tế", "0,00", "0,00", "Chưa nộp", "Chưa nộp"]

    # the officer's web form shows the published result, on a phone as well
    phone = await pages(390, 800)
    await officer_sign_in(phone, web_app, world, "lan")
    await expect(phone.locator("#published-result")).to_contain_text("xếp hạng 1/2")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    admin_phone = await pages(390, 800)
    await staff_sign_in(admin_phone, "admin")
    await admin_phone.goto(f"/web/publication?period={world.period.id}")
    await expect(admin_phone.locator('table.publication tr[data-unit="SNV"]')).to_be_visible()
    assert await admin_phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_long_unit_names_wrap_in_the_chart_without_cutting_a_letter() -> None:
    from decimal import Decimal

    from app.web.charts import Bar, bar_chart

    name = "Ban Quản lý các khu công nghiệp và khu kinh tế cửa khẩu tỉnh"
    svg = bar_chart([Bar(name, Decimal("91.5"), "Tốt", 1)], title="Chỉ số")
    label = svg.split('class="unit-label"')[1].split("<title>")[0]
    lines = [part.rsplit(">", 1)[1] for part in label.split("</tspan>")[:-1]]
    assert len(lines) >= 2 and " ".join(lines) == f"1. {name}"
    assert "…" not in svg


async def test_the_admin_chooses_to_rank_units_that_never_submitted_last(
    client: httpx.AsyncClient, world: World
) -> None:
    await fill_and_submit(world, "SNV", "lan")
    assert (await sign_in_staff(client, "viewer")).status_code == 303
    page = await client.get("/web/publication")
    assert 'id="ranking-form"' not in page.text
    r = await client.post(
        f"/web/publication/{world.period.id}/ranking",
        data={"csrf": csrf_of(page.text), "rank_unsubmitted_last": "1"},
    )
    assert r.status_code == 403
    client.cookies.clear()
    assert (await sign_in_staff(client, "admin")).status_code == 303
    page = await client.get("/web/publication")
    assert "Được liệt kê riêng (chưa nộp), không xếp hạng, không xếp loại." in page.text
    r = await client.post(
        f"/web/publication/{world.period.id}/ranking",
        data={"csrf": csrf_of(page.text), "rank_unsubmitted_last": "1"},
    )
    assert r.status_code == 303
    page = (await client.get(r.headers["location"])).text
    assert "Được xếp hạng sau tất cả các đơn vị đã nộp phiếu." in page
    row = page.split('table class="ranking publication"')[1].split('data-unit="STP"')[1]
    assert '<td class="num final-rank" data-label="Xếp hạng">2</td>' in row.split("</tr>")[0]
    period = await Period.get(id=world.period.id)
    assert period.index_options["rank_unsubmitted_last"] is True
