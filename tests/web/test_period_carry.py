"""A new period from last year's, from the period page, in a real browser."""

from __future__ import annotations

from typing import Any

from forms.models import Assessment, Period, PeriodGroup, PeriodStatus
from tests.api.world import World
from tests.web.browser import skip_without_browser
from tests.web.test_browser import staff_sign_in

pytestmark = skip_without_browser


async def test_new_period_from_the_period_page(pages: Any, world: World) -> None:
    from playwright.async_api import expect

    page = await pages()
    await staff_sign_in(page, "admin")
    await page.goto(f"/web/periods/{world.period.id}")
    form = page.locator("form[action$='/carry-over']")
    await form.get_by_label("Mã đợt mới").fill("P2027")
    await form.get_by_label("Tên đợt mới").fill("Đợt đánh giá năm 2027")
    await form.get_by_label("Năm").fill("hai không hai bảy")
    await form.get_by_role("button", name="Tạo đợt mới").click()
    await expect(page.get_by_role("alert")).to_contain_text("“Năm” phải là một năm, ví dụ 2027")
    assert not await Period.filter(code="P2027").exists()

    await page.goto(f"/web/periods/{world.period.id}")
    await form.get_by_label("Mã đợt mới").fill("P2027")
    await form.get_by_label("Tên đợt mới").fill("Đợt đánh giá năm 2027")
    await expect(form.get_by_label("Năm")).to_have_value("2027")
    await expect(form.get_by_label("Bộ chỉ số của Khối sở, ban, ngành")).to_have_value("TEST-1")
    await form.get_by_role("button", name="Tạo đợt mới").click()
    await expect(page.locator(".flash.ok")).to_be_visible()
    new = await Period.get(code="P2027")
    assert (new.year, new.status) == (2027, PeriodStatus.draft)
    assert page.url.endswith(f"/web/periods/{new.id}?done=created")
    link = await PeriodGroup.get(period=new).prefetch_related("criteria_set")
    assert link.criteria_set.code == "TEST-1"
    units = await Assessment.filter(period=new).prefetch_related("unit")
    old_units = await Assessment.filter(period=world.period).prefetch_related("unit")
    assert sorted(a.unit.code for a in units) == sorted(a.unit.code for a in old_units)

    phone = await pages(360, 740)  # the period page with the new form fits a phone
    await staff_sign_in(phone, "admin")
    await phone.goto(f"/web/periods/{world.period.id}")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
