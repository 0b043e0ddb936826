"""The secretariat's pages in real headless Chromium: the administrator imports a survey
workbook with one bad row (nothing imported, the row named), then the corrected one; assigns
an appraiser to a field of one unit; corrects an answer (refused without a reason, then saved)
and finds the correction in the audit trail with its reason; the pages fit a 390 px phone."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from openpyxl import load_workbook

from forms.answers import record_answer
from forms.models import Answer
from scoring import appraisal
from scoring.models import SurveyScore
from scoring.survey_workbook import SHEET
from tests.api.world import NOW, World
from tests.web.browser import skip_without_browser
from tests.web.test_browser import staff_sign_in

pytestmark = skip_without_browser


async def _expect() -> Any:
    from playwright.async_api import expect

    return expect


def _filled(template: Path, values: dict[tuple[int, int], object], out: Path) -> Path:
    wb = load_workbook(BytesIO(template.read_bytes()))
    for (row, col), value in values.items():
        wb[SHEET].cell(row, col).value = value
    wb.save(out)
    return out


async def test_admin_imports_survey_assigns_and_corrects(
    pages: Any, web_app: FastAPI, world: World, tmp_path: Path
) -> None:
    expect = await _expect()
    page = await pages()
    await staff_sign_in(page, "admin")

    # --- the survey import: template, a bad row, then the good file ---------------------------
    await page.get_by_role("link", name="Điểm điều tra XHH").click()
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Tải tệp mẫu").click()
    template = tmp_path / "mau.xlsx"
    await (await info.value).save_as(template)
    bad = _filled(template, {(2, 3): "1,5", (3, 3): "9"}, tmp_path / "dtxhh-loi.xlsx")
    await page.get_by_label("Tệp điểm điều tra XHH").set_input_files(str(bad))
    await page.get_by_role("button", name="Kiểm tra tệp").click()
    await expect(page.locator(".flash.err")).to_contain_text("có 1 lỗi nên không nhập dữ liệu nào")
    await expect(page.locator('#survey-preview tr[data-row="3"]')).to_contain_text(
        "dòng 3, cột C: Điểm 9 của “X.1” phải từ 0 đến 2"
    )
    await expect(page.locator('#survey-preview tr[data-row="2"]')).to_contain_text("1,5")
    await expect(page.get_by_role("button", name="Nhập các điểm này")).to_have_count(0)
    assert await SurveyScore.all().count() == 0

    good = _filled(template, {(2, 3): "1,5", (3, 3): "2"}, tmp_path / "dtxhh.xlsx")
    await page.get_by_label("Tệp điểm điều tra XHH").set_input_files(str(good))
    await page.get_by_role("button", name="Kiểm tra tệp").click()
    await expect(page.locator("#survey-preview")).to_contain_text("Sở Tư pháp")
    assert await SurveyScore.all().count() == 0  # still only a preview
    await page.get_by_role("button", name="Nhập các điểm này").click()
    await expect(page.locator(".flash.ok")).to_contain_text(
        "Đã nhập điểm điều tra xã hội học: 2 đơn vị thay đổi"
    )
    await expect(page.locator('#survey-stored tr[data-unit="SNV"]')).to_contain_text("1,5")

    # --- an appraiser for field 1 of one unit only ------------------------------------------
    await page.get_by_role("link", name="Phân công", exact=True).click()
    form = page.locator('form[method="post"][action="/web/assignments"]')
    await form.get_by_label("Thành viên tổ thẩm định").select_option(label="Thẩm định viên 2 (td2)")
    await form.get_by_label("Lĩnh vực hoặc tiêu chí").select_option("1")
    await form.locator('select[name="unit"]').select_option(label="Sở Nội vụ")
    await form.get_by_role("button", name="Phân công").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã lưu phân công")
    row = page.locator("#assignments tr", has_text="Thẩm định viên 2").filter(has_text="Sở Nội vụ")
    await expect(row).to_contain_text("1 –")
    await record_answer(
        world.officers["lan"],
        world.sheets["SNV"].id,
        "1.1.1",
        text="1",
        expected_version=0,
        now=NOW,
    )
    _total, views = await appraisal.item_views(
        world.actor("td2"), period_id=world.period.id, under="1"
    )
    assert [(v.unit_code, v.code) for v in views][:1] == [("SNV", "1.1.1")]
    assert {v.unit_code for v in views} == {"SNV"}

    # --- correcting an answer: the reason is required ---------------------------------------
    await record_answer(
        world.officers["lan"],
        world.sheets["SNV"].id,
        "1.1.3",
        text="95",
        expected_version=0,
        now=NOW,
    )
    answer = await Answer.get(assessment_id=world.sheets["SNV"].id, node__code="1.1.3")
    await page.goto(f"/web/answers/{answer.id}/correct")
    await expect(page.locator("[data-self-score]")).to_have_text("2")
    fix = page.locator("#correct-form")
    await fix.get_by_label("Giá trị").fill("60")
    await fix.get_by_label("Lý do điều chỉnh (bắt buộc)").fill("   ")
    await fix.get_by_role("button", name="Lưu điều chỉnh").click()
    await expect(page.locator(".flash.err")).to_contain_text("Lý do điều chỉnh")
    await expect(fix.get_by_label("Giá trị")).to_have_value("60")  # what was typed stays
    assert (await Answer.get(id=answer.id)).version == 1
    await fix.get_by_label("Lý do điều chỉnh (bắt buộc)").fill("Báo cáo tổng kết ghi 60%")
    await fix.get_by_role("button", name="Lưu điều chỉnh").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã lưu điều chỉnh")
    await expect(page.locator("[data-self-score]")).to_have_text("0")
    await expect(page.locator("#answer-history")).to_contain_text("Báo cáo tổng kết ghi 60%")

    # --- the audit trail finds it, and exports it ----------------------------------------------
    await page.get_by_role("link", name="Nhật ký", exact=True).click()
    filters = page.locator("#audit-filters")
    await filters.get_by_label("Hành động").select_option("answer.correct")
    await filters.get_by_label("Tiêu chí thành phần").fill("1.1.3")
    await filters.get_by_role("button", name="Lọc").click()
    await expect(page.locator("[data-total]")).to_have_text("1 sự kiện")
    await expect(page.locator("#audit-events")).to_contain_text("Báo cáo tổng kết ghi 60%")
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Tải CSV").click()
    csv_path = tmp_path / "nhat-ky.csv"
    await (await info.value).save_as(csv_path)
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and "answer.correct" in lines[1] and "60%" in lines[1]


async def test_admin_pages_fit_a_390_px_phone(pages: Any, world: World) -> None:
    phone = await pages(390, 844)
    await staff_sign_in(phone, "admin")
    for path in ("/web/accounts", "/web/assignments", "/web/survey", "/web/audit"):
        await phone.goto(path)
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide"
