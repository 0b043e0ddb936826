"""The secretariat's page of requests for an extension: linked from the progress board, approve
or refuse with the CSRF token (administrators only), the unit told through the notifier."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from core.notify import NullNotifier, RecordingNotifier
from forms.extensions import parse_day, request_extension
from forms.models import Assessment, ExtensionRequest, ExtensionStatus
from tests.api.world import NOW, World
from tests.web.conftest import csrf_of, sign_in_staff

NOV_30 = parse_day("30/11/2026")


async def _staff(client: httpx.AsyncClient, username: str) -> str:
    assert (await sign_in_staff(client, username)).status_code == 303
    return csrf_of((await client.get("/web/progress")).text)


async def _ask(world: World, unit: str, officer: str, reason: str) -> ExtensionRequest:
    return await request_extension(
        world.officers[officer], world.sheets[unit].id, reason=reason, until=NOV_30, now=NOW
    )


async def test_the_board_links_to_the_pending_requests(
    client: httpx.AsyncClient, world: World
) -> None:
    await _staff(client, "admin")
    board = (await client.get("/web/progress")).text
    assert f'href="/web/extensions?period={world.period.id}"' in board
    assert "chờ xử lý" not in board
    await _ask(world, "SNV", "lan", "Chờ số liệu <thống kê>")
    board = (await client.get("/web/progress")).text
    assert "1 đề nghị chờ xử lý" in board

    page = await client.get(f"/web/extensions?period={world.period.id}")
    assert page.status_code == 200
    html = page.text
    row = html[html.index('id="pending-extensions"') :]
    for part in (
        "Sở Nội vụ",
        "25/11/2026 10:00",  # the current deadline
        "30/11/2026 23:59",  # the date asked for
        "Chờ số liệu &lt;thống kê&gt;",
        "Nguyễn Thị Lan",
        "20/11/2026 10:00",  # when it was asked
        ">Phê duyệt</button>",
        ">Từ chối</button>",
    ):
        assert part in row, part


async def test_approve_moves_the_deadline_and_tells_the_officer(
    client: httpx.AsyncClient, world: World, notifier: RecordingNotifier
) -> None:
    token = await _staff(client, "admin")
    request = await _ask(world, "SNV", "lan", "Chờ số liệu")

    r = await client.post(f"/web/extensions/{request.id}", data={"action": "approve"})
    assert r.status_code == 403  # no CSRF token
    assert (await ExtensionRequest.get(id=request.id)).status == ExtensionStatus.pending

    r = await client.post(
        f"/web/extensions/{request.id}", data={"csrf": token, "action": "approve", "note": ""}
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/web/extensions?period={world.period.id}&done=approved"
    decided = await ExtensionRequest.get(id=request.id)
    assert decided.status == ExtensionStatus.approved
    assert decided.decided_by_id == world.users["admin"].id  # type: ignore[attr-defined]
    assert (await Assessment.get(id=world.sheets["SNV"].id)).deadline_extended_to == NOV_30
    (notice,) = notifier.notices
    assert notice.officer_id == world.officers["lan"].id and notice.kind == "extension_decided"
    assert "hạn tự đánh giá mới là 30/11/2026 23:59" in notice.msg.render("vi")

    page = (await client.get(r.headers["location"])).text
    assert "Đã phê duyệt gia hạn và chuyển hạn tự đánh giá của đơn vị" in page
    assert "Không có đề nghị nào đang chờ xử lý." in page
    assert "Đã xử lý gần đây" in page and "Quản trị SNV" in page

    # deciding twice: a clear conflict, nothing told again
    r = await client.post(
        f"/web/extensions/{request.id}", data={"csrf": token, "action": "refuse", "note": "x"}
    )
    assert r.status_code == 409 and "Đề nghị này đã được xử lý." in r.text
    assert len(notifier.notices) == 1


async def test_approve_with_another_date_and_refuse_with_a_reason(
    client: httpx.AsyncClient, world: World, notifier: RecordingNotifier
) -> None:
    token = await _staff(client, "admin")
    stp = await _ask(world, "STP", "khac", "Thiếu cán bộ")
    syt = await _ask(world, "SYT", "yte", "Chờ ý kiến")

    r = await client.post(
        f"/web/extensions/{stp.id}",
        data={
            "csrf": token,
            "action": "approve",
            "until": "2026-11-27T17:00",
            "note": "Cho 2 ngày",
        },
    )
    assert r.status_code == 303
    sheet = await Assessment.get(id=world.sheets["STP"].id)
    assert sheet.deadline_extended_to == NOW.replace(day=27, hour=10)  # 17:00 in Hà Nội
    assert notifier.notices[-1].msg.render("vi").endswith("27/11/2026 17:00. Ghi chú: Cho 2 ngày")

    r = await client.post(f"/web/extensions/{syt.id}", data={"csrf": token, "action": "refuse"})
    assert r.status_code == 422 and "Hãy ghi lý do không đồng ý." in r.text
    assert 'id="extension-' in r.text  # the page again, with the list
    r = await client.post(
        f"/web/extensions/{syt.id}",
        data={"csrf": token, "action": "refuse", "note": "Không đủ căn cứ"},
    )
    assert r.status_code == 303 and r.headers["location"].endswith("&done=refused")
    assert (await Assessment.get(id=world.sheets["SYT"].id)).deadline_extended_to is None
    text = notifier.notices[-1].msg.render("vi")
    assert "từ chối" in text and "Lý do: Không đủ căn cứ." in text

    r = await client.post(f"/web/extensions/{syt.id}", data={"csrf": token, "action": "maybe"})
    assert r.status_code == 422
    r = await client.post("/web/extensions/999", data={"csrf": token, "action": "approve"})
    assert r.status_code == 404


async def test_a_date_already_past_is_refused_on_approval(
    client: httpx.AsyncClient, world: World, clock: object
) -> None:
    request = await _ask(world, "SNV", "lan", "Chờ số liệu")
    clock.now = NOV_30 + timedelta(hours=1)  # type: ignore[attr-defined]
    token = await _staff(client, "admin")
    r = await client.post(
        f"/web/extensions/{request.id}", data={"csrf": token, "action": "approve"}
    )
    assert r.status_code == 422 and "phải ở tương lai" in r.text
    assert (await ExtensionRequest.get(id=request.id)).status == ExtensionStatus.pending


async def test_when_nobody_can_be_reached_the_page_says_so(
    client: httpx.AsyncClient, world: World, web_app: FastAPI
) -> None:
    web_app.state.notifier = NullNotifier()
    token = await _staff(client, "admin")
    request = await _ask(world, "SNV", "lan", "Chờ số liệu")
    r = await client.post(
        f"/web/extensions/{request.id}", data={"csrf": token, "action": "approve"}
    )
    assert r.headers["location"].endswith("&done=unreached")
    page = (await client.get(r.headers["location"])).text
    assert "vui lòng báo trực tiếp cho đơn vị" in page


async def test_viewers_read_and_only_administrators_decide(
    client: httpx.AsyncClient, world: World
) -> None:
    request = await _ask(world, "SNV", "lan", "Chờ số liệu")
    token = await _staff(client, "viewer")
    page = await client.get("/web/extensions")
    assert page.status_code == 200 and "Chờ số liệu" in page.text
    assert ">Phê duyệt</button>" not in page.text
    r = await client.post(
        f"/web/extensions/{request.id}", data={"csrf": token, "action": "approve"}
    )
    assert r.status_code == 403
    assert (await ExtensionRequest.get(id=request.id)).status == ExtensionStatus.pending

    await client.post("/web/logout", data={"csrf": token})
    await _staff(client, "td1")  # appraisers: not their business
    assert (await client.get("/web/extensions")).status_code == 403
    assert "/web/extensions" not in (await client.get("/web/progress")).text
