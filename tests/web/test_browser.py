"""In a real headless Chromium (Debian's package, driven by Playwright): an officer signs in by
link, answers items of three rule types, uploads a file, meets a stale-edit refusal and submits
while the secretariat watches the board; an appraiser adjusts a score and asks for an
explanation, which the officer answers; the pages at 360 px. One browser for the whole run;
a failing test leaves screenshots in its tmp dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from core.files import FileStore
from forms.answers import record_answer
from tests.api.world import ANSWERS, NOW, PASSWORD, World, attach, fill_and_submit
from tests.web.browser import skip_without_browser
from tests.web.conftest import officer_link

pytestmark = skip_without_browser

PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 20 + b"%%EOF\n"


async def _expect() -> Any:
    from playwright.async_api import expect

    return expect


async def staff_sign_in(page: Any, username: str) -> None:
    await page.goto("/web/login")
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/web/progress")


async def officer_sign_in(page: Any, web_app: FastAPI, world: World, name: str) -> None:
    await page.goto(await officer_link(web_app, world, name))
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/web/o/")


def item(page: Any, code: str) -> Any:
    return page.locator(f'tbody[id="item-{code}"]')


async def test_officer_fills_uploads_is_refused_when_stale_and_submits(
    pages: Any, web_app: FastAPI, world: World, store: FileStore, tmp_path: Path
) -> None:
    expect = await _expect()
    admin = await pages()
    await staff_sign_in(admin, "admin")
    snv = admin.locator('tr[data-unit="SNV"]')
    await expect(snv.locator("[data-percent]")).to_have_text("0%")

    page = await pages()
    await officer_sign_in(page, web_app, world, "lan")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Sở Nội vụ")

    # levels: a radio per option
    plan = item(page, "1.1.1")
    await plan.get_by_label("Ban hành đúng hạn (1)").check()
    await plan.get_by_role("button", name="Lưu").click()
    await expect(item(page, "1.1.1").locator("[data-score]")).to_have_text("1")
    # yes/no
    await item(page, "1.1.2").get_by_label("Có (1)").check()
    await item(page, "1.1.2").get_by_role("button", name="Lưu").click()
    await expect(item(page, "1.1.2").locator("[data-score]")).to_have_text("1")
    # a percentage, typed: the score is computed while typing, before saving
    rate = item(page, "1.1.3")
    await rate.locator('input[name="value"]').fill("95")
    await expect(rate.locator("[data-preview-out]")).to_contain_text("2")
    await rate.get_by_role("button", name="Lưu").click()
    await expect(item(page, "1.1.3").locator("[data-score]")).to_have_text("2")
    await expect(page.locator("[data-answered]")).to_have_text("Đã trả lời 3/9 tiêu chí thành phần")

    # an evidence file
    pdf = tmp_path / "Kế hoạch CCHC 2026.pdf"
    pdf.write_bytes(PDF)
    await item(page, "1.1.1").get_by_text("Đính kèm tệp").click()
    await item(page, "1.1.1").locator('input[type="file"]').set_input_files(str(pdf))
    await item(page, "1.1.1").get_by_role("button", name="Tải lên").click()
    await expect(item(page, "1.1.1").locator(".files")).to_contain_text("Kế hoạch CCHC 2026.pdf")

    # meanwhile a colleague changes 1.1.2 in the bot; this page still shows "Có"
    sheet = world.sheets["SNV"].id
    await record_answer(
        world.officers["hung"], sheet, "1.1.2", text="không", expected_version=1, now=NOW
    )
    await item(page, "1.1.2").get_by_label("Không (0)").check()
    await item(page, "1.1.2").locator('textarea[name="note"]').fill("Đã rà soát")
    await item(page, "1.1.2").get_by_role("button", name="Lưu").click()
    refusal = item(page, "1.1.2").locator(".err")
    await expect(refusal).to_contain_text("Trần Văn Hùng")
    await expect(refusal).to_contain_text("Không")

    # the board of the secretariat follows
    await admin.reload()
    await expect(snv.locator("[data-percent]")).to_have_text("33%")

    # the rest comes from the bot; the page shows it at the next load, then Lan submits
    for code in ("1.1.4", "1.1.5", "1.2.1", "2.1.1", "C.1", "T.1"):
        await record_answer(
            world.officers["hung"], sheet, code, text=ANSWERS[code], expected_version=0, now=NOW
        )
    for code in ("1.1.3", "C.1"):
        await attach(world, "SNV", code, f"TLKC {code}".encode(), store=store)
    await page.reload()
    await page.get_by_role("button", name="Gửi phiếu tự đánh giá").click()  # confirm accepted
    await page.wait_for_url("**/web/o/?done=submitted")
    await expect(page.locator(".flash.ok")).to_contain_text("Đã gửi phiếu tự đánh giá")

    await admin.reload()
    await expect(snv.locator("[data-percent]")).to_have_text("100%")
    await expect(snv).to_contain_text("Đã gửi")

    # the ranking chart
    await admin.get_by_role("link", name="Kết quả").click()
    chart = admin.locator("svg.chart").first
    await expect(chart).to_be_visible()
    await expect(chart.locator("rect.bar")).to_have_count(1)  # the units that never submitted
    await expect(admin.locator("table.ranking").first).to_contain_text("Sở Nội vụ")
    await expect(admin.locator("table.apart")).to_contain_text("Sở Tư pháp")  # are listed apart


async def test_appraiser_adjusts_and_requests_an_explanation(
    pages: Any, web_app: FastAPI, world: World, store: FileStore
) -> None:
    expect = await _expect()
    await fill_and_submit(world, "SNV", "lan", store=store)
    page = await pages()
    await staff_sign_in(page, "td1")
    await page.get_by_role("link", name="Thẩm định", exact=True).click()
    await page.get_by_role("link", name="Mức độ thực hiện kế hoạch").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("1.1.3")
    await expect(page.locator("figure.preview iframe")).to_have_count(1)  # the PDF, in the page

    adjust = page.locator("#adjust-form")
    await adjust.get_by_label("Điểm thẩm định").fill("1")
    await adjust.get_by_label("Ý kiến (bắt buộc)").fill("Chỉ đạt 88% kế hoạch")
    await adjust.get_by_role("button", name="Điều chỉnh điểm").click()
    # the page moves on to the next undecided item of the unit, naming the one just decided
    await expect(page.locator(".flash.ok")).to_contain_text("1.1.3: Đã lưu điểm thẩm định")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("1.1.4")
    await page.get_by_role("link", name="Phiếu của đơn vị").click()
    await expect(page.locator('tr[data-item="1.1.3"] [data-round1]')).to_have_text("1")

    await page.get_by_role("link", name="← Thẩm định").click()
    await page.get_by_role("link", name="Ban hành kế hoạch CCHC năm").click()
    ask = page.locator("#request-form")
    await ask.get_by_label("Đơn vị cần giải trình nội dung gì? (bắt buộc)").fill(
        "Bổ sung văn bản ban hành kế hoạch"
    )
    await ask.get_by_role("button", name="Yêu cầu giải trình").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã yêu cầu đơn vị giải trình")

    # the officer sees the request on the item and answers it
    officer = await pages()
    await officer_sign_in(officer, web_app, world, "lan")
    request = item(officer, "1.1.1").locator("tr.request")
    await expect(request).to_contain_text("Bổ sung văn bản ban hành kế hoạch")
    await request.get_by_label("Nội dung giải trình").fill("Đã bổ sung Quyết định ban hành")
    await request.get_by_role("button", name="Gửi giải trình").click()
    await expect(item(officer, "1.1.1").locator("tr.request")).to_contain_text("Đã gửi giải trình")


async def test_pages_fit_a_360_px_phone(pages: Any, web_app: FastAPI, world: World) -> None:
    expect = await _expect()
    phone = await pages(360, 740)
    await officer_sign_in(phone, web_app, world, "lan")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
    await item(phone, "1.1.2").get_by_label("Có (1)").check()
    save = item(phone, "1.1.2").get_by_role("button", name="Lưu")
    box = await save.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    await save.click()
    await expect(item(phone, "1.1.2").locator("[data-score]")).to_have_text("1")
    # fields fold
    toggle = phone.locator('button.toggle[data-toggle="1"]')
    await toggle.click()
    await expect(item(phone, "1.1.2")).to_be_hidden()
    await toggle.click()
    await expect(item(phone, "1.1.2")).to_be_visible()

    admin = await pages(360, 740)
    await staff_sign_in(admin, "admin")
    assert await admin.evaluate("document.documentElement.scrollWidth") <= 360
    await expect(admin.locator('tr[data-unit="SNV"]')).to_be_visible()
