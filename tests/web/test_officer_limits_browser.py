"""Issue 14 items 2, 4 and 5 in a real headless Chromium: the officer's web form shows penalty
points as deductions (also while typing), the evidence badge follows the answer, and the note
box stops at the 2,000 characters the service accepts."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.api.world import World
from tests.web.browser import skip_without_browser
from tests.web.test_browser import _expect, item, officer_sign_in

pytestmark = skip_without_browser


async def test_penalties_evidence_and_the_note_box(
    pages: Any, web_app: FastAPI, world: World
) -> None:
    expect = await _expect()
    page = await pages()
    await officer_sign_in(page, web_app, world, "lan")

    penalty = item(page, "T.1")
    await expect(penalty).to_contain_text("trừ tối đa")
    await penalty.locator('input[name="value"]').fill("1")
    await expect(penalty.locator("[data-preview-out]")).to_contain_text("−")
    await penalty.get_by_role("button", name="Lưu").click()
    await expect(item(page, "T.1").locator("[data-score]")).to_contain_text("−")

    # C.1: 0 initiatives claim no points, so its evidence is not missing
    bonus = item(page, "C.1")
    await bonus.locator('input[name="value"]').fill("0")
    await bonus.get_by_role("button", name="Lưu").click()
    await expect(item(page, "C.1")).to_contain_text("Bắt buộc có TLKC khi có điểm")
    await expect(item(page, "C.1").locator(".badge.missing")).to_have_count(0)

    note = item(page, "1.1.2").locator('textarea[name="note"]')
    await note.press_sequentially("ả" * 5)
    await expect(note).to_have_attribute("maxlength", "2000")
