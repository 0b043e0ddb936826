"""A new period that carries last year's unit groups, units and officers over."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.i18n import UserError
from core.models import Officer, Unit, UnitGroup
from forms.criteria_copy import copy_set
from forms.models import Assessment, Period, PeriodGroup, PeriodStatus
from forms.period_carry import carry_over_period, shift_year
from tests.forms.conftest import NOW, SYSTEM


async def test_new_period_takes_the_groups_units_and_officers_of_the_last(
    sheet: dict[str, object],
) -> None:
    group = await UnitGroup.get(code="SO")
    await Unit.create(code="SXD", name="Sở Xây dựng", group=group)  # joined during the year
    await Unit.create(code="SCU", name="Sở đã giải thể", group=group, active=False)
    await copy_set(SYSTEM, "TEST-1", "TEST-2027", "Bộ chỉ số năm 2027")

    period = await carry_over_period(
        SYSTEM, "P2026", code="P2027", name="Đợt 2027", year=2027, criteria={"SO": "TEST-2027"}
    )
    old = await Period.get(code="P2026")
    assert (period.status, period.year) == (PeriodStatus.draft, 2027)
    assert period.self_assessment_opens_at == shift_year(old.self_assessment_opens_at, 1)
    assert period.self_assessment_closes_at - period.self_assessment_opens_at == timedelta(days=10)
    assert period.self_assessment_opens_at.year == (NOW - timedelta(days=5)).year + 1
    link = await PeriodGroup.get(period=period).prefetch_related("unit_group", "criteria_set")
    old_link = await PeriodGroup.get(period=old)
    assert (link.unit_group.code, link.criteria_set.code) == ("SO", "TEST-2027")
    assert link.bands == old_link.bands
    sheets = await Assessment.filter(period=period).prefetch_related("unit")
    assert sorted(a.unit.code for a in sheets) == ["SNV", "STP", "SXD"]
    lan = await Officer.get(full_name="Nguyễn Thị Lan").prefetch_related("unit")
    assert lan.unit.code == "SNV"  # the same officer answers the new sheet


async def test_unknown_period_or_group_changes_nothing(sheet: dict[str, object]) -> None:
    with pytest.raises(UserError) as caught:
        await carry_over_period(SYSTEM, "P1999", code="P2027", name="Đợt 2027", year=2027)
    assert "P1999" in caught.value.render("vi")
    with pytest.raises(UserError) as caught:
        await carry_over_period(
            SYSTEM, "P2026", code="P2027", name="Đợt 2027", year=2027, criteria={"XA": "TEST-1"}
        )
    assert "không có khối “XA”" in caught.value.render("vi")
    assert not await Period.filter(code="P2027").exists()


def test_leap_day_moves_to_the_28th() -> None:
    from datetime import UTC, datetime

    moved = shift_year(datetime(2028, 2, 29, 8, 0, tzinfo=UTC), 1)
    assert moved == datetime(2029, 2, 28, 8, 0, tzinfo=UTC)
