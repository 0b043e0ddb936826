"""Results per group: self and appraised figures by the pure roll-up, ranks, bands, gaps,
survey points, and the snapshot that publication freezes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.auth import AccessDenied, Conflict
from core.i18n import UserError
from core.models import Unit, UnitGroup
from core.notify import RecordingNotifier
from forms.models import (
    Assessment,
    AssessmentStatus,
    CriteriaNode,
    Period,
    PeriodGroup,
    PeriodStatus,
)
from forms.periods import update_period
from forms.rollup import ItemScore, Node, roll_up
from scoring import appraisal
from scoring.explanations import answer_explanation
from scoring.models import ResultSnapshot, SurveyScore
from scoring.results import compute, publish, results
from tests.api.world import ANSWERS, NOW, SYSTEM, World, build_world, fill_and_submit


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()


def _unit(tables: list[dict], code: str) -> dict:
    return next(u for t in tables for u in t["units"] if u["unit_code"] == code)


async def test_self_figures_match_the_pure_roll_up(world: World) -> None:
    await fill_and_submit(world, "SNV", "lan")
    tables = await results(world.actor("viewer"), world.period.id)
    assert len(tables) == 1 and tables[0]["group_code"] == "SO"
    snv = _unit(tables, "SNV")
    # computed here independently from the criteria set and the scores the answers give
    nodes = [
        Node(n.code, n.parent_code, n.level, n.section, Decimal(n.max_score))  # type: ignore[arg-type]
        for n in await CriteriaNode.filter(
            criteria_set_id=world.sheets["SNV"].criteria_set_id
        ).order_by("position")  # type: ignore[attr-defined]
    ]
    scores = {
        "1.1.1": ItemScore(Decimal(1)),
        "1.1.2": ItemScore(Decimal(1)),
        "1.1.3": ItemScore(Decimal(2)),
        "1.1.4": ItemScore(None, not_applicable=True),
        "1.1.5": ItemScore(Decimal("0.25")),
        "1.2.1": ItemScore(Decimal("1.5")),
        "2.1.1": ItemScore(Decimal(1)),
        "C.1": ItemScore(Decimal(1)),
        "T.1": ItemScore(Decimal(0)),
    }
    expected = roll_up(nodes, scores)
    assert snv["self"]["total"] == str(expected.total) == "7.75"
    assert snv["self"]["applicable_max"] == "9.25"
    assert snv["self"]["index"] == "83.78" and snv["self"]["band"] == "Khá"
    # nobody reviewed yet: appraised = self, gaps 0
    assert snv["appraised"] == snv["self"]
    assert [(f["code"], f["self"], f["gap"]) for f in snv["fields"]] == [
        ("1", "5.75", "0"),
        ("2", "1", "0"),
    ]
    # units that answered nothing still appear, with index 0, listed apart: no rank
    assert _unit(tables, "STP")["appraised"]["index"] == "0"
    assert _unit(tables, "STP")["appraised"]["rank"] is None
    assert snv["appraised"]["rank"] == 1


async def test_appraised_score_is_round_two_else_round_one_else_self(world: World) -> None:
    sheet = await fill_and_submit(world, "SNV", "lan")
    admin = world.actor("admin")
    await appraisal.adjust(
        admin, sheet.id, "1.1.3", score="1", comment="Tỷ lệ chưa đúng", expected_version=0, now=NOW
    )
    review = await appraisal.request_explanation(
        admin,
        sheet.id,
        "1.1.1",
        comment="Giải trình?",
        score="0",
        expected_version=0,
        now=NOW,
        notifier=RecordingNotifier(),
    )
    snv = _unit(await compute(world.period), "SNV")
    # 1.1.3: 2 → 1 (round 1); 1.1.1: 1 → 0 (provisional round 1); others at their self score
    assert snv["fields"][0]["appraised"] == "3.75" and snv["fields"][0]["gap"] == "-2"
    await answer_explanation(
        world.officers["lan"], review.id, text="Đã ban hành đúng hạn.", proposed_score="1", now=NOW
    )
    await appraisal.round2(
        admin, sheet.id, "1.1.1", score="0,5", comment="Muộn", expected_version=0, now=NOW
    )
    snv = _unit(await compute(world.period), "SNV")
    assert snv["fields"][0]["appraised"] == "4.25"  # round 2 (0,5) wins over round 1 (0)
    assert snv["self"]["total"] == "7.75" and snv["appraised"]["total"] == "6.25"
    assert snv["appraised"]["index"] == "67.57" and snv["appraised"]["band"] == "Trung bình"


async def test_a_reviewed_not_applicable_item_counts_again(world: World) -> None:
    sheet = await fill_and_submit(world, "SNV", "lan")
    await appraisal.adjust(
        world.actor("td1"),
        sheet.id,
        "1.1.4",
        score="0,25",
        comment="Đơn vị có thực hiện nhiệm vụ này.",
        expected_version=0,
        now=NOW,
    )
    snv = _unit(await compute(world.period), "SNV")
    assert snv["self"]["applicable_max"] == "9.25"
    assert snv["appraised"]["applicable_max"] == "10"  # 0,75 back in the denominator
    assert snv["appraised"]["total"] == "8"


async def test_survey_scores_bands_and_ranks_per_group(world: World) -> None:
    await fill_and_submit(world, "SNV", "lan")
    await fill_and_submit(world, "STP", "khac")
    snv = world.sheets["SNV"]
    await SurveyScore.create(
        period=world.period, unit_id=snv.unit_id, node_code="X.1", score=Decimal("1.5")
    )  # type: ignore[attr-defined]
    tables = await compute(world.period)
    a, b = _unit(tables, "SNV"), _unit(tables, "STP")
    assert a["self"]["survey"] == "1.5" == a["appraised"]["survey"]
    assert a["appraised"]["total"] == "9.25" and a["appraised"]["index"] == "100"
    assert (a["appraised"]["rank"], b["appraised"]["rank"]) == (1, 2)
    assert a["appraised"]["band"] == "Tốt"
    # equal indices share a rank (1, 1, 3)
    await fill_and_submit(world, "SYT", "yte")
    await SurveyScore.create(
        period=world.period,
        unit_id=world.sheets["STP"].unit_id,  # type: ignore[attr-defined]
        node_code="X.1",
        score=Decimal("1.5"),
    )
    tables = await compute(world.period)
    ranks = sorted(u["appraised"]["rank"] for u in tables[0]["units"])
    assert ranks == [1, 1, 3]


async def test_units_that_never_submitted_are_listed_apart_unless_ranked_last(
    world: World,
) -> None:
    """SYT never submitted: it has no rank and no band (not "0,00 % Yếu" among the others),
    unless the period ranks such units after the others."""
    await fill_and_submit(world, "SNV", "lan")
    await fill_and_submit(world, "STP", "khac")
    syt = world.sheets["SYT"]
    await SurveyScore.create(
        period=world.period, unit_id=syt.unit_id, node_code="X.1", score=Decimal(2)
    )  # type: ignore[attr-defined]
    tables = await compute(world.period)
    apart = _unit(tables, "SYT")
    assert apart["submitted"] is False and _unit(tables, "SNV")["submitted"] is True
    assert (apart["appraised"]["rank"], apart["appraised"]["band"]) == (None, None)
    assert apart["self"]["rank"] is None and apart["appraised"]["index"] is not None
    assert sorted(u["appraised"]["rank"] or 0 for u in tables[0]["units"]) == [0, 1, 1]
    assert tables[0]["rank_unsubmitted_last"] is False

    await update_period(
        SYSTEM, world.period.id, {"index_options": {"rank_unsubmitted_last": True}}, now=NOW
    )
    tables = await compute(await Period.get(id=world.period.id))
    last = _unit(tables, "SYT")["appraised"]
    assert (last["rank"], last["band"]) == (3, "Yếu")
    assert tables[0]["rank_unsubmitted_last"] is True
    with pytest.raises(UserError):
        await update_period(
            SYSTEM, world.period.id, {"index_options": {"rank_unsubmitted_last": "có"}}, now=NOW
        )


def test_ranks_apart_places_unsubmitted_units_after_every_ranked_one() -> None:
    from scoring.results import ranks_apart

    index = {1: Decimal(90), 2: Decimal(90), 3: None, 4: Decimal(5), 5: Decimal(7), 6: None}
    submitted = {1, 2, 3}
    assert ranks_apart(index, submitted, rank_last=False) == {
        1: 1, 2: 1, 3: None, 4: None, 5: None, 6: None
    }  # fmt: skip
    assert ranks_apart(index, submitted, rank_last=True) == {
        1: 1, 2: 1, 3: None, 4: 4, 5: 3, 6: None
    }  # fmt: skip


async def test_results_of_one_group_are_that_group_of_the_whole_table(world: World) -> None:
    """A period with two unit groups: asking for one gives exactly its table, and a survey score
    reaches the unit it belongs to, whichever group that is."""
    await fill_and_submit(world, "SNV", "lan")
    so = world.sheets["SNV"]
    xa = await UnitGroup.create(code="XA", name="Khối xã", kind="commune", sort_order=2)
    commune = await Unit.create(code="XPH", name="Xã Phú Hòa", group=xa, sort_order=1)
    await PeriodGroup.create(
        period=world.period,
        unit_group=xa,
        criteria_set_id=so.criteria_set_id,  # type: ignore[attr-defined]
        bands=[{"label": "Đạt", "min_index": "50"}, {"label": "Chưa đạt", "min_index": "0"}],
    )
    await Assessment.create(
        period=world.period,
        unit=commune,
        criteria_set_id=so.criteria_set_id,  # type: ignore[attr-defined]
        status=AssessmentStatus.submitted,
        submitted_at=NOW,
    )
    await SurveyScore.create(
        period=world.period, unit_id=commune.id, node_code="X.1", score=Decimal(1)
    )  # type: ignore[attr-defined]
    viewer = world.actor("viewer")
    everything = await results(viewer, world.period.id)
    assert [t["group_code"] for t in everything] == ["SO", "XA"]
    only_xa = await results(viewer, world.period.id, group_id=xa.id)
    assert only_xa == [everything[1]]
    assert [u["unit_code"] for u in only_xa[0]["units"]] == ["XPH"]
    figures = only_xa[0]["units"][0]["appraised"]
    assert (figures["survey"], figures["total"], figures["band"]) == ("1", "1", "Chưa đạt")
    only_so = await results(viewer, world.period.id, group_id=world.group.id)  # type: ignore[union-attr]
    assert only_so == [everything[0]]
    assert _unit(only_so, "SNV")["appraised"]["total"] == "7.75"


async def test_publication_freezes_the_results(world: World) -> None:
    sheet = await fill_and_submit(world, "SNV", "lan")
    admin = world.actor("admin")
    with pytest.raises(AccessDenied):
        await publish(world.actor("td1"), world.period.id, now=NOW)
    with pytest.raises(Conflict) as info:  # two sheets never submitted, one not appraised
        await publish(admin, world.period.id, now=NOW)
    assert "SNV" in info.value.render("vi") and "STP" in info.value.render("vi")
    with pytest.raises(UserError):  # forcing needs a reason
        await publish(admin, world.period.id, now=NOW, force=True)
    for code in ANSWERS:
        await appraisal.accept(admin, sheet.id, code, expected_version=0, now=NOW)
    assert (await Assessment.get(id=sheet.id)).status == AssessmentStatus.appraised
    before = await results(admin, world.period.id)
    outcome = await publish(
        admin, world.period.id, now=NOW, force=True, reason="STP, SYT không nộp phiếu"
    )
    assert outcome.not_appraised == ["STP", "SYT"] and outcome.units == 3
    period = await Period.get(id=world.period.id)
    assert period.status == PeriodStatus.published and period.published_at == NOW
    assert await Assessment.filter(status=AssessmentStatus.final).count() == 3
    assert await ResultSnapshot.all().count() == 1
    # later changes to the tables below never reach the published results
    await SurveyScore.create(
        period=world.period, unit_id=sheet.unit_id, node_code="X.1", score=Decimal(2)
    )  # type: ignore[attr-defined]
    after = await results(world.actor("viewer"), world.period.id)
    assert after[0]["published"] is True
    assert [u["appraised"] for u in after[0]["units"]] == [
        u["appraised"] for u in before[0]["units"]
    ]
    live = await compute(period)
    assert _unit(live, "SNV")["appraised"]["survey"] == "2"  # the live figures did change
    with pytest.raises(Conflict):
        await publish(admin, world.period.id, now=NOW, force=True, reason="lần 2")


async def test_results_need_a_back_office_account(world: World) -> None:
    with pytest.raises(AccessDenied):
        await results(world.officers["lan"], world.period.id)
