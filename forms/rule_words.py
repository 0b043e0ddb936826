"""A scoring rule in plain words ("Theo tỷ lệ: trên 90%: 2 điểm; …"), shown to the secretariat
before a rule read from a printed decision is imported, so it is checked against the decision
rather than against the parameters syntax."""

from __future__ import annotations

from decimal import Decimal

from core.i18n import N_, Msg, normalize_locale
from core.numbers import format_score
from forms.rules import Rule, Tier

HUNDRED = Decimal(100)
ZERO = Decimal(0)


class Num(Msg):
    """A number inside a message, written the reader's way ("0,5" / "0.5")."""

    __slots__ = ()

    def __init__(self, value: Decimal) -> None:
        super().__init__("{value}", value=value)

    def render(self, locale: str | None = None) -> str:
        return format_score(self.params["value"], normalize_locale(locale))


def _band_words(tier: Tier, locale: str) -> str:
    def pct(value: Decimal) -> str:
        return f"{format_score(value, locale)}%"

    if tier.low == tier.high:
        return Msg(N_("exactly {a}"), a=pct(tier.low)).render(locale)
    if tier.low == 0 and tier.low_inclusive:
        msgid = N_("up to {b}") if tier.high_inclusive else N_("below {b}")
        return Msg(msgid, b=pct(tier.high)).render(locale)
    if tier.high == HUNDRED and tier.high_inclusive:
        msgid = N_("{a} or more") if tier.low_inclusive else N_("above {a}")
        return Msg(msgid, a=pct(tier.low)).render(locale)
    msgid = {
        (True, True): N_("from {a} to {b}"),
        (True, False): N_("from {a} to below {b}"),
        (False, True): N_("above {a} up to {b}"),
        (False, False): N_("above {a} and below {b}"),
    }[(tier.low_inclusive, tier.high_inclusive)]
    return Msg(msgid, a=pct(tier.low), b=pct(tier.high)).render(locale)


def _points_words(value: Decimal, locale: str) -> str:
    return Msg(N_("{points} points"), points=Num(value)).render(locale)


def describe_rule(rule: Rule, locale: str | None = None) -> str:
    """The rule in plain words, shown before import so the secretariat checks what was read
    against the printed decision rather than against the interval syntax."""
    loc = normalize_locale(locale)
    if rule.type == "yes_no":
        return Msg(N_("Yes: {max}; no: 0 points"), max=_points_words(rule.max_score, loc)).render(
            loc
        )
    if rule.type == "survey":
        return Msg(N_("Points from the sociological survey")).render(loc)
    if rule.type == "percent_tiers":
        parts = [
            f"{_band_words(t, loc)}: {_points_words(t.points, loc)}"
            for t in sorted(rule.tiers, key=lambda t: (t.low, t.high), reverse=True)
        ]
        return Msg(N_("By percentage: {tiers}"), tiers="; ".join(parts)).render(loc)
    options = "; ".join(f"{o.label}: {_points_words(o.points, loc)}" for o in rule.options)
    if rule.type == "levels":
        return Msg(N_("One choice: {options}"), options=options).render(loc)
    if rule.type == "checklist":
        return Msg(
            N_("Sum of the lines met, at most {max}: {options}"),
            max=_points_words(rule.max_score, loc),
            options=options,
        ).render(loc)
    if rule.type == "count":
        return Msg(
            N_("{each} for each one counted, at most {max}"),
            each=_points_words(rule.each or ZERO, loc),
            max=_points_words(rule.cap or rule.max_score, loc),
        ).render(loc)
    if rule.type == "points":
        return Msg(
            N_("Scored from 0 to {max} in steps of {step}"),
            max=_points_words(rule.max_score, loc),
            step=Num(rule.step or Decimal("0.01")),
        ).render(loc)
    # deduction
    if rule.each is not None:
        return Msg(
            N_("{max} minus {each} for each violation, never below 0"),
            max=_points_words(rule.max_score, loc),
            each=_points_words(rule.each, loc),
        ).render(loc)
    return Msg(
        N_("{max} minus the level's deduction: {options}"),
        max=_points_words(rule.max_score, loc),
        options=options,
    ).render(loc)
