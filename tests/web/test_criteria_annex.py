"""The secretariat uploads the decision's annex, resolves what was not recognised on the review
page and imports, in a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forms.criteria import get_set, load_draft
from forms.models import CriteriaSet
from tests.api.world import World
from tests.forms.annexes import WORD_ROWS, word_annex
from tests.web.browser import skip_without_browser
from tests.web.test_browser import staff_sign_in

pytestmark = skip_without_browser


async def test_annex_is_reviewed_resolved_and_imported(
    pages: Any, world: World, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    rows = list(WORD_ROWS)
    rows[3] = ("b)", "Mức độ thực hiện kế hoạch", "1",
               "Thực hiện trên 90% kế hoạch: 1; Dưới 70%: 0", "", False)  # fmt: skip
    annex = tmp_path / "Phu luc QD 2845.docx"
    annex.write_bytes(word_annex(rows))

    page = await pages()
    await staff_sign_in(page, "admin")
    await page.goto("/web/criteria")
    await page.locator("input[type=file]").set_input_files(str(annex))
    await page.get_by_label("Mã bộ chỉ số (khi tải phụ lục quyết định)").fill("SO-2027")
    await page.get_by_role("button", name="Nhập", exact=True).click()
    await page.wait_for_url("**/web/criteria/annex/**")

    await expect(page.locator("[data-summary]")).to_contain_text(
        "Nhận diện được 6/7 tiêu chí thành phần."
    )
    ok = page.locator("#item-1\\.1\\.1")
    await expect(ok.locator(".plain")).to_have_text(
        "Chọn một mức: Ban hành kịp thời: 1 điểm; Ban hành không kịp thời: 0,5 điểm; "
        "Không ban hành: 0 điểm"
    )
    gap = page.locator("#item-1\\.1\\.2")
    await expect(gap.locator(".reasons")).to_contain_text(
        "Không có mức nào áp dụng cho các tỷ lệ trong khoảng từ 70% đến 90%."
    )
    await expect(page.get_by_role("button", name="Nhập bộ chỉ số")).to_be_disabled()
    assert await CriteriaSet.filter(code="SO-2027").count() == 0

    phone = await pages(360, 740)  # the review page also fits a phone
    await staff_sign_in(phone, "admin")
    await phone.goto(page.url)
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360

    params = gap.get_by_label("Tham số của 1.1.2")
    await expect(params).to_have_value("90 < x <= 100 = 1; 0 <= x < 70 = 0")  # the parsed tiers
    await params.fill("90 < x <= 100 = 1; 70 <= x <= 90 = 0,5; 0 <= x < 70 = 0")
    await page.get_by_role("button", name="Kiểm tra lại").click()
    await expect(page.locator("[data-summary]")).to_contain_text("Nhận diện được 7/7")
    await expect(page.locator("#item-1\\.1\\.2 .plain")).to_have_text(
        "Theo tỷ lệ: trên 90%: 1 điểm; từ 70% đến 90%: 0,5 điểm; dưới 70%: 0 điểm"
    )
    await page.get_by_role("button", name="Nhập bộ chỉ số").click()
    await page.wait_for_url("**/web/criteria/*?done=imported")
    await expect(page.get_by_text("1.1.2", exact=True)).to_be_visible()

    draft = await load_draft(await get_set("SO-2027"))
    item = next(n for n in draft.nodes if n.code == "1.1.2")
    assert (item.rule_type, item.rule_params) == (
        "percent_tiers",
        "90 < x <= 100 = 1; 70 <= x <= 90 = 0,5; 0 <= x < 70 = 0",
    )


async def test_only_the_secretariat_reviews_and_bad_addresses_are_refused(
    client: Any, world: World, tmp_path: Path
) -> None:
    from tests.web.conftest import csrf_of, sign_in_staff

    await sign_in_staff(client, "admin")
    page = await client.get("/web/criteria")
    sent = await client.post(
        "/web/criteria/import",
        data={"csrf": csrf_of(page.text), "code": "SO-2027"},
        files={"file": ("phu-luc.docx", word_annex(), "application/octet-stream")},
    )
    assert sent.status_code == 303
    review = sent.headers["location"]
    assert review.startswith("/web/criteria/annex/") and review.endswith("?code=SO-2027")
    shown = await client.get(review)
    assert "Nhận diện được 7/7 tiêu chí thành phần." in shown.text
    forged = await client.post(review.split("?")[0], data={"action": "import", "code": "X"})
    assert forged.status_code == 403  # no CSRF token: refused, nothing imported
    assert await CriteriaSet.filter(code="X").count() == 0
    missing = await client.get("/web/criteria/annex/" + "0" * 64)
    assert missing.status_code == 404 and "tải lên lại" in missing.text

    await client.post("/web/logout", data={"csrf": csrf_of(shown.text)})
    await sign_in_staff(client, "td1")
    assert (await client.get(review)).status_code == 403


async def test_copy_last_years_set_and_compare_the_two(pages: Any, world: World) -> None:
    from playwright.async_api import expect

    from forms.criteria import import_draft
    from forms.criteria_workbook import read_workbook
    from tests.api.world import SYSTEM
    from tests.factories import ROWS, workbook_bytes

    page = await pages()
    await staff_sign_in(page, "admin")
    await page.goto("/web/criteria")
    await page.get_by_role("link", name="TEST-1").click()
    await page.get_by_label("Mã bộ chỉ số mới").fill("TEST-2027")
    await page.get_by_label("Tên bộ chỉ số mới").fill("Bộ chỉ số năm 2027")
    await page.get_by_role("button", name="Tạo bộ chỉ số mới từ bộ này").click()
    await expect(page.locator(".flash.ok")).to_contain_text("Đã tạo bản sao")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("TEST-2027 v1")

    # This year's decision renames 1.1.1; the copy (not in use yet) is replaced by the workbook.
    rows = [
        (r[0], r[1], r[2], "Ban hành kế hoạch CCHC năm kịp thời", *r[4:]) if r[0] == "1.1.1" else r
        for r in ROWS
    ]
    await import_draft(SYSTEM, read_workbook(workbook_bytes(rows, info={"code": "TEST-2027"})))
    await page.goto("/web/criteria")
    compare = page.get_by_role("form", name="So sánh bộ chỉ số")
    await compare.get_by_label("Bộ chỉ số trước").select_option(label="TEST-1 v1")
    await compare.get_by_label("Bộ chỉ số sau").select_option(label="TEST-2027 v1")
    await compare.get_by_role("button", name="So sánh bộ chỉ số").click()
    await expect(page.locator(".summary")).to_have_text("1 thay đổi.")
    row = page.locator("table.diff tbody tr")
    await expect(row.locator("td").nth(0)).to_have_text("đổi tên")
    await expect(row.locator("td").nth(1)).to_contain_text("1.1.1 Ban hành kế hoạch CCHC năm (1)")
    await expect(row.locator("td").nth(2)).to_contain_text("Ban hành kế hoạch CCHC năm kịp thời")

    phone = await pages(360, 740)  # the comparison and the set's page fit a phone
    await staff_sign_in(phone, "admin")
    for url in (page.url, "/web/criteria"):
        await phone.goto(url)
        assert await phone.evaluate("document.documentElement.scrollWidth") <= 360, url


async def test_a_copied_set_is_edited_on_the_review_page(pages: Any, world: World) -> None:
    from playwright.async_api import expect

    from forms.criteria_copy import copy_set
    from tests.api.world import SYSTEM

    copy = await copy_set(SYSTEM, "TEST-1", "TEST-2027", "Bộ chỉ số năm 2027")
    page = await pages()
    await staff_sign_in(page, "admin")
    await page.goto(f"/web/criteria/{copy.id}")
    await page.get_by_role("link", name="Sửa cách tính điểm trên trang rà soát").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sửa cách tính điểm của bộ chỉ số TEST-2027"
    )
    row = page.locator("#item-1\\.1\\.1")
    await expect(row.locator(".plain")).to_contain_text("Chọn một mức: Ban hành đúng hạn: 1 điểm")
    await row.locator("summary").click()
    await row.get_by_label("Cách tính điểm của 1.1.1").select_option(label="Có / Không")
    await row.get_by_label("Tham số của 1.1.1").fill("")
    await page.get_by_role("button", name="Kiểm tra lại").click()
    await expect(page.locator("#item-1\\.1\\.1 .plain")).to_have_text("Có: 1 điểm; Không: 0 điểm")
    await page.get_by_role("button", name="Lưu cách tính điểm").click()
    await page.wait_for_url(f"**/web/criteria/{copy.id}?done=imported")

    edited = await load_draft(await get_set("TEST-2027"))
    assert next(n for n in edited.nodes if n.code == "1.1.1").rule_type == "yes_no"
    original = await load_draft(await get_set("TEST-1"))
    assert next(n for n in original.nodes if n.code == "1.1.1").rule_type == "levels"


async def test_a_word_file_without_the_table_is_refused_on_the_criteria_page(
    client: Any, world: World
) -> None:
    from io import BytesIO

    from docx import Document

    from tests.web.conftest import csrf_of, sign_in_staff

    doc = Document()
    doc.add_paragraph("QUYẾT ĐỊNH về việc ban hành Bộ chỉ số CCHC")
    buf = BytesIO()
    doc.save(buf)
    await sign_in_staff(client, "admin")
    page = await client.get("/web/criteria")
    sent = await client.post(
        "/web/criteria/import",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("quyet-dinh.docx", buf.getvalue(), "application/octet-stream")},
    )
    assert sent.status_code == 422
    assert "Không tìm thấy bảng có cột “Nội dung”" in sent.text
