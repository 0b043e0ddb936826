"""The officers' score sheet: answers of every kind through the same service as the bot, stale
pages refused with the current value, uploads (size limits: tests/security/test_oversized.py),
submission with the same blocking checks, explanations answered on their items."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from core.files import FileStore
from core.models import Channel
from forms.answers import record_answer
from forms.models import Answer, Assessment, AssessmentStatus, Evidence
from scoring.appraisal import request_explanation
from tests.api.world import ANSWERS, NOW, World, attach, fill_and_submit
from tests.web.conftest import csrf_of, sign_in_officer

PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 20 + b"%%EOF\n"
JSON = {"Accept": "application/json"}


@pytest.fixture
async def officer(client: httpx.AsyncClient, web_app: FastAPI, world: World) -> AsyncIterator[str]:
    """Lan of Sở Nội vụ, signed in; yields the page's CSRF token."""
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    page = await client.get("/web/o/")
    yield csrf_of(page.text)


async def _answer(world: World, code: str) -> Answer | None:
    return await Answer.get_or_none(assessment_id=world.sheets["SNV"].id, node__code=code)


async def test_the_sheet_is_in_the_official_layout(client: httpx.AsyncClient, officer: str) -> None:
    page = (await client.get("/web/o/")).text
    headers = [
        "STT",
        "Lĩnh vực / Tiêu chí / Tiêu chí thành phần",
        "Điểm tối đa",
        "Số liệu kê khai",
        "Điểm tự đánh giá",
        "Tài liệu kiểm chứng",
        "Ghi chú",
    ]
    positions = [page.index(f">{h}</th>") for h in headers]
    assert positions == sorted(positions)
    assert "CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CCHC" in page and "Ban hành đúng hạn (1)" in page
    assert "X.1" not in page  # survey items are imported, never self-assessed
    assert "/static/web.css?v=" in page and "https://" not in page  # nothing from a CDN


async def test_every_kind_of_input_is_scored_by_the_items_rule(
    client: httpx.AsyncClient, officer: str, world: World
) -> None:
    posts = {
        "1.1.1": {"value": "2"},  # levels: "Ban hành muộn" = 0,5
        "1.1.2": {"value": "y"},  # yes_no
        "1.1.3": {"value": "45/50"},  # percent_tiers: 90% → 1
        "1.1.4": {"checked": ["1", "3"]},  # checklist: 0,25 + 0,25
        "1.1.5": {"value": "0,25"},  # points
        "1.2.1": {"value": "3"},  # count: 3 × 0,5
        "2.1.1": {"value": "1"},  # deduction by level: 1 − 0,5
        "T.1": {"value": "0"},  # count of penalties
    }
    expected = {
        "1.1.1": "0.5",
        "1.1.2": "1",
        "1.1.3": "1",
        "1.1.4": "0.5",
        "1.1.5": "0.25",
        "1.2.1": "1.5",
        "2.1.1": "0.5",
        "T.1": "0",
    }
    for code, data in posts.items():
        r = await client.post(
            f"/web/o/items/{code}", data={"csrf": officer, "version": "0", **data}
        )
        assert r.status_code == 303, (code, r.text)
        assert r.headers["location"].startswith(f"/web/o/?saved={code}")
        answer = await _answer(world, code)
        assert answer is not None and answer.channel == "web"
        assert (
            answer.self_score is not None and f"{answer.self_score.normalize():f}" == expected[code]
        ), code
    page = (await client.get("/web/o/?saved=1.1.3")).text
    assert "Đã lưu tiêu chí 1.1.3." in page
    assert "Đã trả lời 8/9 tiêu chí thành phần" in page

    # not applicable, where the item allows it
    r = await client.post(
        "/web/o/items/1.1.4", data={"csrf": officer, "version": "1", "na": "1"}, headers=JSON
    )
    assert r.status_code == 200 and r.json()["ok"]
    assert 'name="na" value="1" checked' in r.json()["row"]
    answer = await _answer(world, "1.1.4")
    assert answer is not None and answer.not_applicable and answer.self_score is None


async def test_the_score_is_computed_while_typing(client: httpx.AsyncClient, officer: str) -> None:
    r = await client.get("/web/o/preview?item=1.1.3&value=95")
    assert r.json() == {"ok": True, "score": "2", "text": "95%"}
    r = await client.get("/web/o/preview?item=1.2.1&value=3")
    assert r.json()["score"] == "1,5"
    r = await client.get("/web/o/preview?item=1.1.4&checked=1&checked=2")
    assert r.json()["score"] == "0,5"
    r = await client.get("/web/o/preview?item=1.1.3&value=abc")
    assert r.json()["ok"] is False and "phần trăm" in r.json()["error"]
    r = await client.get("/web/o/preview?item=1.1.3&value=120")
    assert r.json()["ok"] is False


async def test_a_wrong_value_is_shown_again_with_the_reason(
    client: httpx.AsyncClient, officer: str, world: World
) -> None:
    r = await client.post(
        "/web/o/items/1.2.1", data={"csrf": officer, "version": "0", "value": "2,5"}
    )
    assert r.status_code == 422
    assert "số nguyên" in r.text and 'value="2,5"' in r.text
    assert await _answer(world, "1.2.1") is None


async def test_a_stale_page_is_refused_with_the_current_value(
    client: httpx.AsyncClient, officer: str, world: World
) -> None:
    sheet = world.sheets["SNV"]
    # Meanwhile Hùng answers the same item in the bot.
    await record_answer(
        world.officers["hung"], sheet.id, "1.1.1", text="1", expected_version=0, now=NOW
    )
    r = await client.post(
        "/web/o/items/1.1.1", data={"csrf": officer, "version": "0", "value": "3"}, headers=JSON
    )
    assert r.status_code == 409
    body = r.json()
    assert "Ban hành đúng hạn" in body["error"] and "Trần Văn Hùng" in body["error"]
    # the re-drawn item shows what is stored now, with its version, so Lan can decide again
    assert 'name="version" value="1"' in body["row"]
    assert 'value="1" checked' in body["row"]
    answer = await _answer(world, "1.1.1")
    assert answer is not None and answer.declared == {"option": "1"}

    # without the script: the page again, status 409, the message on the item
    r = await client.post(
        "/web/o/items/1.1.1", data={"csrf": officer, "version": "0", "value": "3"}
    )
    assert r.status_code == 409 and "Trần Văn Hùng" in r.text

    # A change made in the bot is on the page at the next load.
    page = (await client.get("/web/o/")).text
    assert "Đã lưu: Ban hành đúng hạn · Trần Văn Hùng" in page


async def test_upload_attaches_through_the_evidence_service(
    client: httpx.AsyncClient, officer: str, world: World, store: FileStore
) -> None:
    r = await client.post(
        "/web/o/items/1.1.1/files",
        data={"csrf": officer, "page_ref": "trang 3"},
        files={"file": ("Kế hoạch CCHC.pdf", PDF, "application/pdf")},
        headers=JSON,
    )
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Đã đính kèm tệp cho tiêu chí 1.1.1."
    assert "Kế hoạch CCHC.pdf" in r.json()["row"]
    evidence = await Evidence.get(answer__assessment_id=world.sheets["SNV"].id)
    assert evidence.page_ref == "trang 3" and evidence.channel == "web"
    assert store.exists(evidence.sha256)
    shown = await client.get(f"/web/o/files/{evidence.id}")
    assert shown.status_code == 200 and shown.content == PDF
    assert shown.headers["content-disposition"].startswith("inline")

    # the same bytes again: recognised, nothing new stored
    r = await client.post(
        "/web/o/items/1.1.1/files",
        data={"csrf": officer},
        files={"file": ("copy.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 303
    assert await Evidence.filter(removed_at=None).count() == 1

    # a renamed program is refused by its content
    r = await client.post(
        "/web/o/items/1.1.1/files",
        data={"csrf": officer},
        files={"file": ("baocao.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
        headers=JSON,
    )
    assert r.status_code == 422 and "không thuộc loại được chấp nhận" in r.json()["error"]

    # removing a file
    r = await client.post(f"/web/o/files/{evidence.id}/remove", data={"csrf": officer})
    assert r.status_code == 303
    assert await Evidence.filter(removed_at=None).count() == 0


async def test_submission_with_the_same_blocking_checks(
    client: httpx.AsyncClient, officer: str, world: World, store: FileStore
) -> None:
    sheet = world.sheets["SNV"]
    page = (await client.get("/web/o/")).text
    assert 'id="submit-sheet"' not in page  # not complete yet
    r = await client.post("/web/o/submit", data={"csrf": officer})
    assert r.status_code == 409
    assert "9 tiêu chí thành phần chưa trả lời" in r.text
    assert 'href="#item-1.1.1"' in r.text

    for code, text in ANSWERS.items():
        await record_answer(
            world.officers["hung"], sheet.id, code, text=text, expected_version=0, now=NOW
        )
    for code in ("1.1.1", "1.1.3"):
        await attach(world, "SNV", code, f"TLKC {code}".encode(), store=store)
    r = await client.post("/web/o/submit", data={"csrf": officer})
    assert r.status_code == 409 and "1 tiêu chí thành phần thiếu" in r.text
    assert 'href="#item-C.1"' in r.text

    await attach(world, "SNV", "C.1", b"TLKC C.1", store=store)
    page = (await client.get("/web/o/")).text
    assert 'id="submit-sheet"' in page
    r = await client.post("/web/o/submit", data={"csrf": officer})
    assert r.status_code == 303 and r.headers["location"] == "/web/o/?done=submitted"
    sheet = await Assessment.get(id=sheet.id)
    assert sheet.status == AssessmentStatus.submitted
    page = (await client.get("/web/o/?done=submitted")).text
    assert "Đã gửi phiếu tự đánh giá" in page and "Đã gửi" in page
    assert 'class="save"' not in page  # read-only now
    r = await client.post(
        "/web/o/items/1.1.2", data={"csrf": officer, "version": "1", "value": "n"}
    )
    assert r.status_code == 409 and "chỉ còn xem" in r.text


async def test_explanation_requests_are_answered_on_their_items(
    client: httpx.AsyncClient, web_app: FastAPI, world: World, store: FileStore, notifier: object
) -> None:
    await fill_and_submit(world, "SNV", "lan", store=store)
    review = await request_explanation(
        world.actor("td1", Channel.web),
        world.sheets["SNV"].id,
        "1.1.3",
        comment="Thiếu báo cáo kết quả thực hiện",
        expected_version=0,
        now=NOW,
        notifier=notifier,  # type: ignore[arg-type]
    )
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    page = (await client.get("/web/o/")).text
    assert "Yêu cầu giải trình" in page and "Thiếu báo cáo kết quả thực hiện" in page
    token = csrf_of(page)
    r = await client.post(
        f"/web/o/explanations/{review.id}",
        data={"csrf": token, "item": "1.1.3", "text": "Bổ sung báo cáo", "proposed": "1,5"},
        files={"file": ("Báo cáo bổ sung.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 303, r.text
    page = (await client.get("/web/o/?done=explained")).text
    assert "Đã gửi giải trình: “Bổ sung báo cáo”" in page and "1,5" in page
    files = await Evidence.filter(answer__node__code="1.1.3").order_by("id")
    assert [f.original_name for f in files][-1] == "Báo cáo bổ sung.pdf"
