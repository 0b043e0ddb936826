"""What reminders say, and why the scheduler does what it does (for the ledger and dry runs).

Messages stay :class:`~core.i18n.Msg` objects until the channel renders them in the reader's
language; every id here has a Vietnamese text in ``core/locales/vi/scheduler.po``.
"""

from __future__ import annotations

from datetime import timedelta

from core.i18n import N_, Msg

# -- to officers ------------------------------------------------------------------------------

SELF_BEFORE = N_(
    "Reminder: the self-assessment of {unit} is due by {deadline}. Still to do: {todo}."
)
SELF_READY = N_(
    "Reminder: the self-assessment of {unit} is complete but not submitted yet. Please submit "
    "it by {deadline}."
)
SELF_OVERDUE = N_(
    "The self-assessment deadline of {unit} ({deadline}) passed {days} day(s) ago and the score "
    "sheet has not been submitted: {todo}. If your unit needs more time, ask for an extension "
    "in the bot."
)
ESCALATION = N_(
    "For the attention of the unit leader: {unit} has not submitted its self-assessment, due "
    "{deadline} ({days} day(s) overdue). Still to do: {todo}."
)
EXPLANATION_BEFORE = N_(
    "Reminder: {count} explanation request(s) from the appraisal team to {unit} await an answer "
    "by {deadline}."
)
LOCKED_SELF = N_(
    "The self-assessment deadline of {unit} ({deadline}) has passed: the score sheet is now "
    "locked without having been submitted ({todo}). If your unit needs more time, ask for an "
    "extension in the bot."
)
# What is still to do, without a part that is zero ("0 items lacking evidence" reads as a task)
TODO_BOTH = N_(
    "{unanswered} item(s) unanswered and {missing} item(s) lacking the required evidence"
)
TODO_UNANSWERED = N_("{unanswered} item(s) unanswered")
TODO_MISSING = N_("{missing} item(s) lacking the required evidence")


def todo(unanswered: int, missing: int) -> Msg:
    """The to-do part of a reminder, naming only what is not zero."""
    if unanswered and missing:
        return Msg(TODO_BOTH, unanswered=unanswered, missing=missing)
    if missing:
        return Msg(TODO_MISSING, missing=missing)
    return Msg(TODO_UNANSWERED, unanswered=unanswered)


LOCKED_EXPLANATION = N_(
    "The time for explanations of {unit} ({deadline}) has passed: its explanations are now locked."
)
DIGEST = N_(
    "Daily digest: {behind} unit(s) have not submitted the self-assessment and {explaining} "
    "unit(s) have explanation requests awaiting an answer."
)

# -- why (ledger, dry run) ----------------------------------------------------------------------

WHY_BEFORE = N_("{offset} before the self-assessment deadline {deadline}")
WHY_AFTER = N_("{offset} after the self-assessment deadline {deadline}")
WHY_ESCALATION = N_("escalation to the unit leader, {offset} after the deadline {deadline}")
WHY_EXPLANATION = N_("{offset} before the explanation deadline {deadline}")
WHY_LOCKED_SELF = N_("the self-assessment locked at its deadline {deadline}")
WHY_LOCKED_EXPLANATION = N_("explanations locked at their deadline {deadline}")
WHY_DIGEST = N_("the daily digest for the secretariat")
WHY_RETRY = N_("attempt {attempt} after a delivery failure: {error}")

SKIP_SUBMITTED = N_("the unit has submitted its self-assessment")
SKIP_DEADLINE_MOVED = N_("the deadline moved to {deadline}")
SKIP_DEADLINE_PASSED = N_("the deadline {deadline} has passed")
SKIP_NO_REQUEST = N_("no explanation request is open any more")
SKIP_NOT_LOCKED = N_("the score sheet is no longer locked")
SKIP_STALE = N_("stale: due at {due}, more than {hours} hour(s) ago")
SKIP_OFFICER_GONE = N_("the officer is no longer active in this unit")
SKIP_NOT_BOUND = N_("the officer has not connected the bot")
SKIP_BLOCKED = N_("the officer has blocked the bot")
SKIP_GONE = N_("the score sheet no longer exists")
WAIT_QUIET = N_("quiet hours: postponed to {when}")


DAYS = N_("{n} day(s)")
HOURS = N_("{n} hour(s)")
MINUTES = N_("{n} minute(s)")


def hours(span: timedelta) -> int | float:
    """12 rather than 12.0; 1.5 stays 1.5."""
    value = round(span.total_seconds() / 3600, 1)
    return int(value) if value == int(value) else value


def duration(offset_key: str) -> Msg | str:
    """ "-3d" → "3 day(s)", "+1d" → "1 day(s)", "-2h" → "2 hour(s)"; anything else as is."""
    amount, unit = offset_key.lstrip("+-")[:-1], offset_key[-1:]
    msgid = {"d": DAYS, "h": HOURS, "m": MINUTES}.get(unit)
    if msgid is None or not amount.isdigit():
        return offset_key
    return Msg(msgid, n=int(amount))
