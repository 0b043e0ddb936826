"""A new period from the previous one: same unit groups with their bands, and for each group
last year's criteria set or the set that replaces it.

Unit groups, units and officers are not per period in this service, so carrying them over means
the new period takes the same groups and creates a score sheet for every active unit in them;
each unit's officers (and their Telegram binding) stay as they are. The deadlines move to the
new year on the same day and time, and the period starts as a draft so nobody is reminded until
the secretariat opens it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from core.audit import Actor
from core.i18n import N_, Msg, UserError
from forms.models import Period, PeriodGroup, PeriodStatus
from forms.periods import DEADLINE_FIELDS, GroupPlan, create_period


def shift_year(moment: datetime | None, years: int) -> datetime | None:
    """The same day and time ``years`` later; 29 February becomes 28 February."""
    if moment is None:
        return None
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


async def carry_over_period(
    actor: Actor,
    source_code: str,
    *,
    code: str,
    name: str,
    year: int,
    criteria: Mapping[str, str] | None = None,
) -> Period:
    """Create ``code`` from the period ``source_code``; ``criteria`` maps a group code to the
    criteria set code it uses from now on (the others keep last year's set)."""
    source = await Period.get_or_none(code=source_code.strip())
    if source is None:
        raise UserError(
            Msg(N_("There is no period with the code “{code}”."), code=source_code.strip())
        )
    links = await PeriodGroup.filter(period=source).prefetch_related("unit_group", "criteria_set")
    replacements = dict(criteria or {})
    known = {link.unit_group.code for link in links}
    unknown = sorted(set(replacements) - known)
    if unknown:
        raise UserError(
            Msg(
                N_("The period “{period}” has no unit group “{code}”."),
                period=source.code,
                code=", ".join(unknown),
            )
        )
    plans = [
        GroupPlan(
            link.unit_group.code,
            replacements.get(link.unit_group.code, link.criteria_set.code),
            list(link.bands),
        )
        for link in links
    ]
    years = year - source.year
    deadlines = {f: shift_year(getattr(source, f), years) for f in DEADLINE_FIELDS}
    opens_at, closes_at = (
        deadlines.pop("self_assessment_opens_at"),
        deadlines.pop("self_assessment_closes_at"),
    )
    assert opens_at is not None and closes_at is not None  # required on every period
    return await create_period(
        actor,
        code=code,
        name=name,
        year=year,
        opens_at=opens_at,
        closes_at=closes_at,
        groups=plans,
        status=PeriodStatus.draft,
        index_options=dict(source.index_options),
        reminder_policy=dict(source.reminder_policy),
        require_leader_approval=source.require_leader_approval,
        **deadlines,
    )
