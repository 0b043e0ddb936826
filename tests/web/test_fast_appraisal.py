"""Appraisal at speed, in a real headless Chromium: the appraiser decides a whole demo sheet
(84 items: the sample departments' set) from the progress board with keyboard shortcuts and
"accept all", and the key presses and clicks are counted (docs/web.md quotes the figure); on a
390 px phone the sheet fits and a field is accepted in two taps."""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from app.demo import DEMO_PASSWORD, load_demo
from core.audit import Actor
from core.files import FileStore
from core.i18n import UserError
from core.models import AuditEvent, BackofficeUser, Channel, Officer, OfficerRole
from core.timefmt import VIETNAM
from forms.answers import record_answer
from forms.evidence import attach_evidence
from forms.models import Answer, Assessment, AssessmentStatus, CriteriaNode
from scoring.assignments import assign
from scoring.models import Review
from tests.api.world import NOW
from tests.web.browser import skip_without_browser
from tests.web.conftest import Clock

pytestmark = skip_without_browser

SYSTEM = Actor.system(Channel.cli, "test")
PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 20 + b"%%EOF\n"
# What an officer types per rule type; the next candidate is tried when one does not fit.
TYPED = {
    "yes_no": ["có"],
    "percent_tiers": ["95%"],
    "deduction": ["không vi phạm", "0"],
}


async def _expect() -> Any:
    from playwright.async_api import expect

    return expect


async def _demo_sheet(store: FileStore, skip: int = 0) -> Assessment:
    """The demo data, and a department's sheet (one nobody has touched) answered in full by
    its focal officer, a PDF on its first item; the appraiser ``thamdinh`` is assigned every
    field of the set."""
    await load_demo(VIETNAM, NOW)
    sheets = await (
        Assessment.filter(unit__group__code="SO")
        .prefetch_related("unit")
        .order_by("unit__sort_order", "unit_id")
    )
    untouched = [a for a in sheets if not await Answer.filter(assessment_id=a.id).exists()]
    sheet = untouched[-1 - skip]
    focal = await Officer.get(unit_id=sheet.unit_id, role=OfficerRole.focal)  # type: ignore[attr-defined]
    officer = Actor("officer", focal.id, focal.full_name, Channel.bot)
    items = (
        await CriteriaNode.filter(criteria_set_id=sheet.criteria_set_id, level="item")  # type: ignore[attr-defined]
        .exclude(section="survey")
        .order_by("position")
    )
    assert len(items) == 84, "the demo departments' sheet has 84 appraised items"
    for node in items:
        for text in [*TYPED.get(str(node.rule_type), []), "1", "0"]:
            try:
                await record_answer(
                    officer, sheet.id, node.code, text=text, expected_version=0, now=NOW
                )
                break
            except UserError:
                continue
    await attach_evidence(
        officer,
        sheet.id,
        items[0].code,
        data=PDF,
        name="ke-hoach.pdf",
        files=store,
        max_bytes=10**6,
        now=NOW,
    )
    thamdinh = await BackofficeUser.get(username="thamdinh")
    for field in await CriteriaNode.filter(
        criteria_set_id=sheet.criteria_set_id,
        parent_code=None,  # type: ignore[attr-defined]
    ).exclude(section="survey"):
        with suppress(UserError):  # richer sample data may assign it already
            await assign(SYSTEM, thamdinh.id, sheet.criteria_set_id, field.code)  # type: ignore[attr-defined]
    return sheet


async def _sign_in(page: Any) -> None:
    await page.goto("/web/login")
    await page.get_by_label("Tên đăng nhập").fill("thamdinh")
    await page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/web/progress")


class Counted:
    """The appraiser's hands: every click and every key press goes through here and counts."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.count = 0

    async def click(self, locator: Any) -> None:
        self.count += 1
        await locator.click()

    async def press(self, key: str) -> None:
        self.count += 1
        await self.page.keyboard.press(key)

    async def type(self, text: str) -> None:
        self.count += len(text)
        await self.page.keyboard.type(text)


async def test_an_appraiser_decides_a_whole_demo_sheet_with_bulk_accept(
    pages: Any, web_app: FastAPI, store: FileStore, clock: Clock
) -> None:
    expect = await _expect()
    sheet = await _demo_sheet(store)
    clock.now = NOW + timedelta(days=15)  # the self-assessment deadline has passed
    page = await pages(1280, 900)
    await _sign_in(page)
    hands = Counted(page)

    # from the progress board to the unit's sheet
    await hands.click(page.locator(f'a[href="/web/sheet/{sheet.id}"]'))
    await expect(page.get_by_role("heading", level=1)).to_contain_text(sheet.unit.name)
    await expect(page.locator("#keys")).to_be_visible()  # the shortcuts are printed
    await expect(page.locator("tr.lvl-item")).to_have_count(84)
    await expect(page.locator("#accept-all")).to_contain_text("Công nhận tất cả 84 mục")
    # the evidence is previewed in the sheet
    preview = page.locator("details.preview-box").first
    await preview.locator("summary").click()
    await expect(preview.locator("iframe")).to_be_visible()

    # N: the first undecided item; A accepts it and the next one opens
    await hands.press("n")
    first = (await page.locator("h1").text_content()).split(".")[0]
    await hands.press("a")
    await expect(page.locator(".flash.ok")).to_contain_text("Đã công nhận điểm tự đánh giá")
    # D: adjust (score, Tab, comment, Ctrl+Enter)
    await hands.press("d")
    await hands.type("0")
    await hands.press("Tab")
    await hands.type("Thiếu TLKC")
    await hands.press("Control+Enter")
    await expect(page.locator(".flash.ok")).to_contain_text("Đã lưu điểm thẩm định")
    # G: ask for an explanation (the period's due date)
    await hands.press("g")
    await hands.type("Bổ sung quyết định")
    await hands.press("Control+Enter")
    await expect(page.locator(".flash.ok")).to_contain_text("Đã yêu cầu đơn vị giải trình")
    # P: back to the sheet; T: accept all the rest; Enter confirms
    await hands.press("p")
    await expect(page.locator("#accept-all")).to_contain_text("Công nhận tất cả 81 mục")
    await hands.press("t")
    await expect(page.locator("#confirm-accept")).to_contain_text("Xác nhận: công nhận 81 mục này")
    await hands.press("Enter")
    await expect(page.locator(".flash.ok")).to_contain_text("Đã công nhận 81 mục")
    await expect(page.locator(".summary")).to_contain_text("0 mục chờ quyết định")
    await expect(page.locator("#accept-all")).to_have_count(0)

    print(f"\nkey presses and clicks to decide the 84-item demo sheet: {hands.count}")
    assert hands.count < 100
    assert hands.count == 40  # docs/web.md quotes this figure
    reviews = await Review.filter(answer__assessment_id=sheet.id, round_no=1)
    assert len(reviews) == 84
    assert sum(r.explanation_requested for r in reviews) == 1
    assert sum(not r.accepted and not r.explanation_requested for r in reviews) == 1
    events = await AuditEvent.filter(entity="review", unit_id=sheet.unit_id)  # type: ignore[attr-defined]
    assert len(events) == 84
    stored = await Assessment.get(id=sheet.id)
    assert stored.status == AssessmentStatus.explanation_requested
    assert first  # the first undecided item was opened by its code


async def test_the_sheet_on_a_390_px_phone(
    pages: Any, web_app: FastAPI, store: FileStore, clock: Clock
) -> None:
    expect = await _expect()
    sheet = await _demo_sheet(store)
    clock.now = NOW + timedelta(days=15)
    phone = await pages(390, 844)
    await _sign_in(phone)
    await phone.goto(f"/web/sheet/{sheet.id}")
    await expect(phone.locator("tr.lvl-item")).to_have_count(84)
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    await expect(phone.locator("#keys")).to_be_visible()
    button = phone.locator('[data-accept-field="1"]')
    box = await button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    field_items = await phone.locator('tr.lvl-item[data-item^="1."]').count()
    await button.click()
    confirm = phone.locator("#confirm-accept")
    await expect(confirm).to_contain_text(f"Xác nhận: công nhận {field_items} mục này")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    await confirm.click()
    await expect(phone.locator(".flash.ok")).to_contain_text(f"Đã công nhận {field_items} mục")
    assert await Review.filter(answer__assessment_id=sheet.id).count() == field_items
    # the item page fits too, with its shortcut hints
    await phone.goto(f"/web/appraisal/{sheet.id}/items/2.1.1")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    await expect(phone.locator("#keys")).to_be_visible()
