"""Issue 14 items 2, 4, 5 and 6 on the officers' web form: the same limits and texts as the chat.

The note limit and the number parser live in the service (forms), so the web form refuses the
same note and the same number with the same Vietnamese sentence as the bot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from forms.models import Answer
from tests.api.world import World
from tests.web.conftest import csrf_of, sign_in_officer

JSON = {"Accept": "application/json"}


@pytest.fixture
async def officer(client: httpx.AsyncClient, web_app: FastAPI, world: World) -> AsyncIterator[str]:
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    page = await client.get("/web/o/")
    yield csrf_of(page.text)


async def test_an_over_long_note_is_refused_not_cut(
    client: httpx.AsyncClient, officer: str
) -> None:
    page = (await client.get("/web/o/")).text
    assert 'maxlength="2000"' in page
    r = await client.post(
        "/web/o/items/1.1.2",
        data={"csrf": officer, "version": "0", "value": "y", "note": "ả" * 2001},
        headers=JSON,
    )
    assert r.status_code == 422
    assert r.json()["error"] == "Ghi chú quá dài: 2.001 ký tự, chỉ được tối đa 2.000 ký tự."
    r = await client.post(
        "/web/o/items/1.1.2",
        data={"csrf": officer, "version": "0", "value": "y", "note": "a\x00b"},
        headers=JSON,
    )
    # refused by the forms' own guard before the service (the same for every back-office form)
    assert r.status_code == 422 and "“Ghi chú” có ký tự NUL" in r.json()["detail"]
    r = await client.post(
        "/web/o/items/1.1.2",
        data={"csrf": officer, "version": "0", "value": "y", "note": "a\x07b"},
        headers=JSON,
    )
    assert r.status_code == 422 and "ký tự điều khiển" in r.json()["error"]
    assert await Answer.all().count() == 0


@pytest.mark.parametrize(
    ("code", "typed", "error"),
    [
        ("1.2.1", "１", "“１” không phải là một số."),
        ("1.2.1", "99999999999999999999", "là số quá lớn"),
        ("1.1.3", "95," + "1" * 21, "có quá 4 chữ số thập phân"),
    ],
)
async def test_numbers_are_read_by_the_one_parser(
    client: httpx.AsyncClient, officer: str, code: str, typed: str, error: str
) -> None:
    r = await client.post(
        f"/web/o/items/{code}",
        data={"csrf": officer, "version": "0", "value": typed},
        headers=JSON,
    )
    assert r.status_code == 422 and error in r.json()["error"]
    assert "E+" not in r.json()["row"]
    assert await Answer.all().count() == 0


async def test_penalty_points_read_as_deductions(client: httpx.AsyncClient, officer: str) -> None:
    r = await client.post(
        "/web/o/items/T.1", data={"csrf": officer, "version": "0", "value": "1"}, headers=JSON
    )
    assert r.status_code == 200, r.text
    row = r.json()["row"]
    assert "<output data-score>−" in row  # the score deducted, with its minus sign
    assert "điểm cho mỗi trường hợp, trừ tối đa" in row
    assert "<output data-score>1<" not in row


async def test_the_preview_of_a_penalty_is_a_deduction(
    client: httpx.AsyncClient, officer: str
) -> None:
    r = await client.get("/web/o/preview?item=T.1&value=1")
    assert r.json()["ok"] and r.json()["score"].startswith("−")
    r = await client.get("/web/o/preview?item=T.1&value=0")
    assert r.json()["score"] == "0"
