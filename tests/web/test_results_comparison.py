"""The results page shows each unit beside the previous period, in a real browser."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from forms.models import Assessment
from forms.periods import GroupPlan, create_period
from tests.api.world import ANSWERS, NOW, SYSTEM, World, fill_and_submit
from tests.web.browser import skip_without_browser
from tests.web.test_browser import staff_sign_in

pytestmark = skip_without_browser


async def test_results_show_last_periods_index_rank_and_what_moved_it(
    pages: Any, world: World, store: Any
) -> None:
    from playwright.async_api import expect

    last = await create_period(
        SYSTEM,
        code="P2025",
        name="Đợt đánh giá năm 2025",
        year=2025,
        opens_at=NOW - timedelta(days=5),
        closes_at=NOW + timedelta(days=5),
        groups=[GroupPlan("SO", "TEST-1")],
    )
    sheet = await Assessment.get(period=last, unit__code="SNV")
    last_year = {**ANSWERS, "1.1.3": "50%"}  # last year: plan only half done
    await fill_and_submit(world, "SNV", "lan", store=store, sheet=sheet, answers=last_year)
    await fill_and_submit(world, "SNV", "lan", store=store)

    page = await pages()
    await staff_sign_in(page, "admin")
    await page.goto(f"/web/results?period={world.period.id}")
    section = page.locator("table.comparison")
    await expect(page.get_by_role("heading", name="So với Đợt đánh giá năm 2025")).to_be_visible()
    row = section.locator("tr", has_text="Sở Nội vụ")
    cells = row.locator("td")  # index, rank, last year's index and rank, change, fields
    await expect(cells.nth(2)).not_to_have_text("–")
    await expect(cells.nth(3)).to_have_text("1")
    await expect(cells.nth(4)).to_have_text("+21,62")  # 2 more points of 9,25 applicable
    await expect(cells.nth(5)).to_have_text("1 CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CCHC: +21,62")

    phone = await pages(360, 740)  # the comparison also fits a phone
    await staff_sign_in(phone, "admin")
    await phone.goto(page.url)
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
