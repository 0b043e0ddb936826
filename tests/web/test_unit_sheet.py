"""A unit's whole sheet and "accept all" through the pages (httpx, in process): links from the
board, the results and the queue; figures and filters; roles; CSRF; all-or-nothing refusals in
Vietnamese; typed scores and comments kept on a validation error."""

from __future__ import annotations

import re

import httpx

from core.models import AuditEvent
from scoring import appraisal
from scoring.models import Review
from tests.api.world import NOW, World, fill_and_submit
from tests.web.conftest import csrf_of, sign_in_staff


async def test_the_sheet_is_linked_and_shows_the_whole_tree(
    client: httpx.AsyncClient, world: World, store: object
) -> None:
    submitted = await fill_and_submit(world, "SNV", "lan", store=store)  # type: ignore[arg-type]
    await appraisal.adjust(
        world.actor("admin"),
        submitted.id,
        "1.1.3",
        score="1",
        comment="Chỉ đạt 88% kế hoạch",
        expected_version=0,
        now=NOW,
    )
    assert (await sign_in_staff(client, "admin")).status_code == 303
    link = f'href="/web/sheet/{submitted.id}"'
    assert link in (await client.get("/web/progress")).text
    assert link in (await client.get("/web/results")).text
    assert link in (await client.get("/web/appraisal?state=all")).text

    page = await client.get(f"/web/sheet/{submitted.id}")
    assert page.status_code == 200
    html = page.text
    assert "Phiếu chấm điểm: Sở Nội vụ" in html
    for code in ("1.1.1", "1.2.1", "2.1.1", "C.1", "T.1"):
        assert f'data-item="{code}"' in html
    assert "Chỉ đạt 88% kế hoạch" in html and "Điều chỉnh" in html
    assert "Xếp hạng tạm thời" in html and "Tổng điểm thẩm định" in html
    assert "Công nhận tất cả 8 mục chưa thẩm định" in html  # 9 items, one adjusted, survey out
    assert "<kbd>T</kbd>" in html  # the shortcut is printed

    adjusted = (await client.get(f"/web/sheet/{submitted.id}?state=adjusted")).text
    assert re.findall(r'data-item="([^"]+)"', adjusted) == ["1.1.3"]
    field2 = (await client.get(f"/web/sheet/{submitted.id}?field=2")).text
    assert re.findall(r'data-item="([^"]+)"', field2) == ["2.1.1"]
    td2 = world.users["td2"].id
    theirs = (await client.get(f"/web/sheet/{submitted.id}?assigned={td2}")).text
    assert re.findall(r'data-item="([^"]+)"', theirs) == ["2.1.1", "C.1", "T.1"]
    # an item's own "accept" button on the sheet stays on the sheet
    one = await client.post(
        f"/web/appraisal/{submitted.id}/items/1.1.1/accept",
        data={"csrf": csrf_of(html), "version": "0", "back": "sheet"},
    )
    assert one.status_code == 303
    assert one.headers["location"] == f"/web/sheet/{submitted.id}?done=one&decided=1.1.1#i-1.1.1"
    again = (await client.get(one.headers["location"].split("#")[0])).text
    assert "Mục 1.1.1: đã công nhận điểm tự đánh giá." in again
    assert "Công nhận tất cả 7 mục chưa thẩm định" in again
    # the unit picker goes to another unit's sheet, keeping the filters
    other = world.sheets["STP"]
    chosen = await client.get(
        f"/web/sheet?period={world.period.id}&unit={other.unit_id}&state=adjusted"  # type: ignore[attr-defined]
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == f"/web/sheet/{other.id}?state=adjusted"


async def test_accept_all_is_confirmed_then_applied_once(
    client: httpx.AsyncClient, world: World
) -> None:
    submitted = await fill_and_submit(world, "SNV", "lan")
    assert (await sign_in_staff(client, "td1")).status_code == 303
    page = (await client.get(f"/web/sheet/{submitted.id}")).text
    # an appraiser's sheet is their fields: 6 items of field 1
    assert re.findall(r'data-item="([^"]+)"', page) == [
        "1.1.1",
        "1.1.2",
        "1.1.3",
        "1.1.4",
        "1.1.5",
        "1.2.1",
    ]
    confirm = await client.get(f"/web/sheet/{submitted.id}/accept?field=1")
    assert confirm.status_code == 200 and "Xác nhận: công nhận 6 mục này" in confirm.text
    assert await Review.all().count() == 0  # showing the list saves nothing
    token = csrf_of(confirm.text)
    items = re.findall(r'name="item" value="([^"]+)"', confirm.text)

    refused = await client.post(
        f"/web/sheet/{submitted.id}/accept", data={"item": items, "field": "1"}
    )
    assert refused.status_code == 403 and await Review.all().count() == 0  # no CSRF token

    done = await client.post(
        f"/web/sheet/{submitted.id}/accept", data={"csrf": token, "item": items, "field": "1"}
    )
    assert done.status_code == 303
    assert await Review.all().count() == 6
    assert await AuditEvent.filter(action="review.accept").count() == 6
    after = (await client.get(done.headers["location"])).text
    assert "Đã công nhận 6 mục theo điểm tự đánh giá." in after

    # the same list again (a second tab): refused as a whole, naming the items
    again = await client.post(
        f"/web/sheet/{submitted.id}/accept", data={"csrf": token, "item": items, "field": "1"}
    )
    assert again.status_code == 409
    assert "Chưa công nhận mục nào" in again.text and "1.1.1" in again.text
    assert await Review.all().count() == 6

    # items of another appraiser's field are refused, nothing saved
    other = await client.post(
        f"/web/sheet/{submitted.id}/accept", data={"csrf": token, "item": ["2.1.1"]}
    )
    assert other.status_code == 403 and "2.1.1" in other.text
    assert await Review.all().count() == 6


async def test_viewers_read_the_sheet_but_cannot_accept(
    client: httpx.AsyncClient, world: World
) -> None:
    submitted = await fill_and_submit(world, "SNV", "lan")
    assert (await sign_in_staff(client, "viewer")).status_code == 303
    page = await client.get(f"/web/sheet/{submitted.id}")
    assert page.status_code == 200 and 'data-item="1.1.1"' in page.text
    assert "Công nhận tất cả" not in page.text
    refused = await client.post(
        f"/web/sheet/{submitted.id}/accept", data={"csrf": csrf_of(page.text), "item": ["1.1.1"]}
    )
    assert refused.status_code == 403
    assert "Chỉ thành viên tổ thẩm định và quản trị viên" in refused.text
    assert await Review.all().count() == 0


async def test_a_refused_score_keeps_what_was_typed(
    client: httpx.AsyncClient, world: World
) -> None:
    submitted = await fill_and_submit(world, "SNV", "lan")
    assert (await sign_in_staff(client, "td1")).status_code == 303
    item = await client.get(f"/web/appraisal/{submitted.id}/items/1.1.3")
    r = await client.post(
        f"/web/appraisal/{submitted.id}/items/1.1.3/adjust",
        data={
            "csrf": csrf_of(item.text),
            "version": "0",
            "score": "9",
            "comment": "Chỉ đạt 88% kế hoạch",
            "order": "unit",
        },
    )
    assert r.status_code == 422
    assert "Điểm phải từ 0 đến 2" in r.text  # the field and its maximum are named
    assert 'value="9"' in r.text and ">Chỉ đạt 88% kế hoạch</textarea>" in r.text
    assert await Review.all().count() == 0

    # a good score lands on the next undecided item of the unit
    ok = await client.post(
        f"/web/appraisal/{submitted.id}/items/1.1.3/adjust",
        data={
            "csrf": csrf_of(r.text),
            "version": "0",
            "score": "1",
            "comment": "Chỉ đạt 88% kế hoạch",
            "order": "unit",
        },
    )
    assert ok.status_code == 303
    assert ok.headers["location"].startswith(f"/web/appraisal/{submitted.id}/items/1.1.4?")
    landed = (await client.get(ok.headers["location"])).text
    assert "1.1.3: Đã lưu điểm thẩm định" in landed


async def test_the_appraiser_chooses_the_same_item_in_the_next_unit(
    client: httpx.AsyncClient, world: World
) -> None:
    snv = await fill_and_submit(world, "SNV", "lan")
    stp = await fill_and_submit(world, "STP", "khac")
    assert (await sign_in_staff(client, "td1")).status_code == 303
    item = await client.get(f"/web/appraisal/{snv.id}/items/1.1.1?order=item")
    assert 'name="order" value="item"' in item.text  # the choice travels with the forms
    r = await client.post(
        f"/web/appraisal/{snv.id}/items/1.1.1/accept",
        data={"csrf": csrf_of(item.text), "version": "0", "order": "item"},
    )
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"/web/appraisal/{stp.id}/items/1.1.1?")
    landed = (await client.get(r.headers["location"])).text
    assert "Sở Tư pháp" in landed and "1.1.1: Đã công nhận điểm tự đánh giá" in landed


async def test_the_sheet_in_english(client: httpx.AsyncClient, world: World) -> None:
    submitted = await fill_and_submit(world, "SNV", "lan")
    assert (await sign_in_staff(client, "admin")).status_code == 303
    client.cookies.set("cchc_lang", "en")
    page = (await client.get(f"/web/sheet/{submitted.id}")).text
    assert "Score sheet: Sở Nội vụ" in page and "Accept all 9 items not yet reviewed" in page
    assert "Rank so far" in page and "Not reviewed" in page


async def test_assigned_to_counts_assignments_made_for_one_unit(
    client: httpx.AsyncClient, world: World, store: object
) -> None:
    """An appraiser given field 1 of one unit only is offered in that unit's "assigned to"
    filter, and the filter shows exactly that field's items there."""
    from scoring.models import AppraiserUnitAssignment

    submitted = await fill_and_submit(world, "SNV", "lan", store=store)  # type: ignore[arg-type]
    td2 = world.users["td2"]
    await AppraiserUnitAssignment.create(
        user=td2,
        unit_id=submitted.unit_id,  # type: ignore[attr-defined]
        criteria_set_id=submitted.criteria_set_id,  # type: ignore[attr-defined]
        node_code="1",
    )
    assert (await sign_in_staff(client, "admin")).status_code == 303
    theirs = (await client.get(f"/web/sheet/{submitted.id}?assigned={td2.id}")).text
    codes = re.findall(r'data-item="([^"]+)"', theirs)
    assert codes[:2] == ["1.1.1", "1.1.2"]  # field 1, from the unit's own assignment
    assert codes[-3:] == ["2.1.1", "C.1", "T.1"]  # the whole-set assignment as before
