"""/api/docs on a network without internet: Chromium may reach only the service itself, and
Swagger UI must still show the API (its scripts and styles come from the service)."""

from __future__ import annotations

from typing import Any

from tests.web.browser import Served, skip_without_browser

pytestmark = skip_without_browser


async def test_api_docs_work_without_internet(pages: Any, served: Served) -> None:
    from playwright.async_api import expect

    page = await pages()
    outside: list[str] = []

    async def only_the_service(route: Any) -> None:
        if route.request.url.startswith(served.base):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_the_service)
    await page.goto("/api/docs")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("cchc")
    await expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert outside == []
