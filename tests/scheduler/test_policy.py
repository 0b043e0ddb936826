"""When reminders are due: offsets, quiet hours, weekends, the opening of the period."""

from __future__ import annotations

from datetime import date

import pytest

from core.timefmt import VIETNAM
from scheduler.policy import (
    Policy,
    escalation_slots,
    explanation_slots,
    latest_due,
    parse_offset,
    self_assessment_slots,
)
from tests.scheduler.conftest import local


def table(slots: list) -> list[tuple[str, str]]:
    return [(s.key, s.due_at.astimezone(VIETNAM).strftime("%a %d/%m %H:%M")) for s in slots]


CASES = [
    pytest.param(
        {},
        local(2026, 12, 1, 17, 0),
        None,
        [
            ("-7d", "Tue 24/11 17:00"),
            ("-3d", "Sat 28/11 17:00"),
            ("-1d", "Mon 30/11 17:00"),
            ("-2h", "Tue 01/12 15:00"),
            ("+1d", "Wed 02/12 17:00"),
            ("+2d", "Thu 03/12 17:00"),
            ("+3d", "Fri 04/12 17:00"),
            ("+4d", "Sat 05/12 17:00"),
            ("+5d", "Sun 06/12 17:00"),
        ],
        id="defaults, a Tuesday 17:00 deadline",
    ),
    pytest.param(
        {"weekends": False},
        local(2026, 12, 1, 17, 0),
        None,
        [
            ("-7d", "Tue 24/11 17:00"),
            ("-3d", "Mon 30/11 07:00"),  # Saturday moves to Monday morning
            ("-1d", "Mon 30/11 17:00"),
            ("-2h", "Tue 01/12 15:00"),
            ("+1d", "Wed 02/12 17:00"),
            ("+2d", "Thu 03/12 17:00"),
            ("+3d", "Fri 04/12 17:00"),
            ("+5d", "Mon 07/12 07:00"),  # Saturday and Sunday both land on Monday: sent once
        ],
        id="weekends off",
    ),
    pytest.param(
        {},
        local(2026, 12, 1, 23, 59),
        None,
        [
            ("-7d", "Wed 25/11 07:00"),
            ("-3d", "Sun 29/11 07:00"),
            ("-1d", "Tue 01/12 07:00"),
            ("-2h", "Tue 01/12 20:00"),  # 21:59 is quiet, 07:00 would be too late: 20:00
            ("+1d", "Thu 03/12 07:00"),
            ("+2d", "Fri 04/12 07:00"),
            ("+3d", "Sat 05/12 07:00"),
            ("+4d", "Sun 06/12 07:00"),
            ("+5d", "Mon 07/12 07:00"),
        ],
        id="a 23:59 deadline and quiet hours",
    ),
    pytest.param(
        {},
        local(2026, 12, 1, 8, 0),
        None,
        [
            ("-7d", "Tue 24/11 08:00"),
            ("-3d", "Sat 28/11 08:00"),
            ("-1d", "Mon 30/11 08:00"),
            ("-2h", "Tue 01/12 07:00"),  # 06:00 is quiet; 07:00 is still before 08:00
            ("+1d", "Wed 02/12 08:00"),
            ("+2d", "Thu 03/12 08:00"),
            ("+3d", "Fri 04/12 08:00"),
            ("+4d", "Sat 05/12 08:00"),
            ("+5d", "Sun 06/12 08:00"),
        ],
        id="an 08:00 deadline",
    ),
    pytest.param(
        {"weekends": False, "after_daily_days": 0},
        local(2026, 11, 30, 0, 30),
        None,
        [
            ("-7d", "Mon 23/11 07:00"),
            ("-3d", "Fri 27/11 07:00"),
            ("-2h", "Fri 27/11 20:00"),  # Sunday night: back to Friday evening, "-1d" merged
        ],
        id="a Monday 00:30 deadline, weekends off, nothing after",
    ),
    pytest.param(
        {},
        local(2026, 12, 1, 17, 0),
        local(2026, 11, 27, 12, 0),
        [
            ("-3d", "Sat 28/11 17:00"),  # "-7d" fell before the opening
            ("-1d", "Mon 30/11 17:00"),
            ("-2h", "Tue 01/12 15:00"),
            ("+1d", "Wed 02/12 17:00"),
            ("+2d", "Thu 03/12 17:00"),
            ("+3d", "Fri 04/12 17:00"),
            ("+4d", "Sat 05/12 17:00"),
            ("+5d", "Sun 06/12 17:00"),
        ],
        id="opened four days before the deadline",
    ),
    pytest.param(
        {"before": ["1d", "14d"], "after_daily_days": 2, "quiet_hours": None},
        local(2026, 12, 1, 23, 0),
        None,
        [
            ("-14d", "Tue 17/11 23:00"),
            ("-1d", "Mon 30/11 23:00"),
            ("+1d", "Wed 02/12 23:00"),
            ("+2d", "Thu 03/12 23:00"),
        ],
        id="a custom policy without quiet hours",
    ),
]


@pytest.mark.parametrize(("raw", "deadline", "opens", "expected"), CASES)
def test_self_assessment_slots(raw, deadline, opens, expected) -> None:
    policy = Policy.from_json(raw)
    assert table(self_assessment_slots(policy, deadline, VIETNAM, opens_at=opens)) == expected


@pytest.mark.parametrize(
    ("escalate", "expected"),
    [
        (1, ["+1d", "+2d", "+3d", "+4d", "+5d"]),
        (3, ["+3d", "+4d", "+5d"]),
        (0, []),
        (6, []),
    ],
)
def test_escalation_to_the_leader_starts_after_the_overdue_days(escalate, expected) -> None:
    policy = Policy.from_json({"escalate_after_days": escalate})
    slots = escalation_slots(policy, local(2026, 12, 1, 17, 0), VIETNAM)
    assert [s.key for s in slots] == expected


def test_explanation_reminders_only_before_and_after_the_request() -> None:
    policy = Policy()
    due = local(2027, 1, 15, 17, 0)
    slots = explanation_slots(policy, due, VIETNAM, not_before=local(2027, 1, 10, 9, 0))
    assert table(slots) == [
        ("-3d", "Tue 12/01 17:00"),
        ("-1d", "Thu 14/01 17:00"),
        ("-2h", "Fri 15/01 15:00"),
    ]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (local(2026, 11, 24, 16, 59), None),
        (local(2026, 11, 24, 17, 0), "-7d"),
        (local(2026, 11, 29, 9, 0), "-3d"),  # "-7d" is superseded, never sent late
        (local(2026, 12, 1, 16, 0), "-2h"),
        (local(2026, 12, 1, 17, 30), None),  # past the deadline, before the first overdue day
        (local(2026, 12, 2, 17, 0), "+1d"),
        (local(2026, 12, 20, 9, 0), "+5d"),
    ],
)
def test_latest_due_is_the_one_reminder_worth_sending(now, expected) -> None:
    deadline = local(2026, 12, 1, 17, 0)
    slot = latest_due(self_assessment_slots(Policy(), deadline, VIETNAM), now, deadline)
    assert (slot.key if slot else None) == expected


@pytest.mark.parametrize(
    ("raw", "when", "quiet"),
    [
        ({}, local(2026, 12, 1, 20, 59), False),
        ({}, local(2026, 12, 1, 21, 0), True),
        ({}, local(2026, 12, 2, 6, 59), True),
        ({}, local(2026, 12, 2, 7, 0), False),
        ({}, local(2026, 12, 5, 10, 0), False),  # Saturday, weekends allowed
        ({"weekends": False}, local(2026, 12, 5, 10, 0), True),
        ({"quiet_hours": [0, 6]}, local(2026, 12, 2, 5, 0), True),
        ({"quiet_hours": [0, 6]}, local(2026, 12, 2, 6, 0), False),
        ({"quiet_hours": [0, 6]}, local(2026, 12, 2, 23, 0), False),
        ({"quiet_hours": None}, local(2026, 12, 2, 3, 0), False),
    ],
)
def test_quiet_hours(raw, when, quiet) -> None:
    assert Policy.from_json(raw).is_quiet(when, VIETNAM) is quiet


def test_a_broken_policy_falls_back_to_the_defaults_key_by_key() -> None:
    policy = Policy.from_json(
        {
            "before": ["2h", "7d", "7d"],
            "after_daily_days": "x",
            "quiet_hours": [8, 8],
            "weekends": "no",
            "digest_hour": 30,
        }
    )
    assert [o.key for o in policy.before] == ["-7d", "-2h"]
    assert policy.after_daily_days == 5
    assert policy.quiet_hours is None
    assert policy.weekends is True
    assert policy.digest_hour == 8
    assert Policy.from_json({"before": ["0d"]}).before == Policy().before
    with pytest.raises(ValueError):
        parse_offset("soon")


def test_digest_time() -> None:
    assert Policy().digest_at(date(2026, 12, 1), VIETNAM) == local(2026, 12, 1, 8, 0)
    assert Policy.from_json({"weekends": False}).digest_at(date(2026, 12, 5), VIETNAM) is None
