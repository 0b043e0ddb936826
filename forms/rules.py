"""The scoring rule of one item (tiêu chí thành phần): read it, check it, apply it.

The officer states a fact (the option chosen, the percentage reached, how many rules were
issued...) and the service computes the points, so nobody does arithmetic by hand. The bot, the
web form, the workbook import and the roll-up must all agree on those points, which is why this
module is pure functions over frozen dataclasses: no ORM, no aiogram, no FastAPI, only
:class:`~decimal.Decimal` arithmetic, and every message a person reads is a :class:`Msg` rendered
later in the reader's language.

Parameters are written in one workbook cell (entries separated by ";" or a new line), e.g.
``Ban hành đúng hạn = 1; Ban hành muộn = 0,5; Không ban hành = 0`` or
``90 < x <= 100 = 2; 70 <= x <= 90 = 1; 0 <= x < 70 = 0``. :func:`format_params` writes the
canonical form back, and :func:`parse_rule` reads it to the same :class:`Rule`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from core.echo import echo
from core.i18n import N_, Msg, UserError, normalize_locale
from core.numbers import (
    MAX_DECIMALS,
    MAX_INTEGER_DIGITS,
    NumberBoundsError,
    NumberError,
    format_score,
    parse_decimal,
    round_half_up,
)

RULE_TYPES = (
    "yes_no",
    "levels",
    "percent_tiers",
    "checklist",
    "count",
    "points",
    "deduction",
    "survey",
)

HUNDRED = Decimal(100)
DEFAULT_STEP = Decimal("0.01")

MAX_COUNT = 100_000
"""Upper bound of a count or a number of violations: no unit issues 100,000 documents or
commits 100,000 violations in a year, so more is a typing slip (documented in docs/limits.md)."""

MAX_RATIO_TERM = 1_000_000_000
"""Upper bound of either number of a ratio ("45/50"): a province handles fewer than a billion
dossiers a year."""


# ---------------------------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One choice of a levels, checklist or deduction-by-level rule.

    ``key`` is positional ("1", "2", ...) so that an officer can answer "2" in a chat and stored
    answers survive a relabelling of the workbook text.
    """

    key: str
    label: str
    points: Decimal


@dataclass(frozen=True)
class Tier:
    """One band of a percent_tiers rule; both bounds carry their inclusiveness explicitly."""

    low: Decimal
    low_inclusive: bool
    high: Decimal
    high_inclusive: bool
    points: Decimal

    def contains(self, value: Decimal) -> bool:
        above = value > self.low or (self.low_inclusive and value == self.low)
        below = value < self.high or (self.high_inclusive and value == self.high)
        return above and below

    def is_empty(self) -> bool:
        return self.low > self.high or (
            self.low == self.high and not (self.low_inclusive and self.high_inclusive)
        )


@dataclass(frozen=True)
class Rule:
    """How one item is scored; build it with :func:`parse_rule` so it is always checked."""

    type: str
    max_score: Decimal
    na_allowed: bool = False
    options: tuple[Option, ...] = ()
    tiers: tuple[Tier, ...] = ()
    each: Decimal | None = None  # count: points per unit; deduction: points per violation
    cap: Decimal | None = None  # count: cap on points (None means max_score)
    step: Decimal | None = None  # points: the allowed step (None means 0.01)


class RuleDefinitionError(Exception):
    """A rule as written in the workbook cannot be used; ``problems`` lists every reason at once
    so the secretariat fixes a cell in one go instead of one error per upload."""

    def __init__(self, problems: list[Msg]) -> None:
        super().__init__(problems)
        self.problems = problems

    def render(self, locale: str | None = None) -> str:
        return "\n".join(p.render(locale) for p in self.problems)

    def __str__(self) -> str:
        return self.render()


class DeclaredValueError(UserError):
    """What an officer declared cannot be scored; the message tells them what to type instead."""


def _declared(msgid: str, /, **fields: Any) -> DeclaredValueError:
    return DeclaredValueError(Msg(msgid, **fields))


# ---------------------------------------------------------------------------------------------
# Numbers inside messages
# ---------------------------------------------------------------------------------------------


class _Number(Msg):
    """A number inside a message, written as the reader writes numbers ("0,5" vs "0.5").

    Msg renders nested Msg parameters in the reader's locale, so a number stays a Decimal until
    the locale is known instead of being preformatted for one language.
    """

    __slots__ = ()

    def __init__(self, value: Decimal) -> None:
        super().__init__("{value}", value=value)

    def render(self, locale: str | None = None) -> str:
        return _show(self.params["value"], normalize_locale(locale))


_SHOWN_MAX = Decimal(10) ** MAX_INTEGER_DIGITS - 1


def _show(value: Decimal, locale: str) -> str:
    """A number as the reader writes it, never in scientific notation ("1E+20" means nothing
    to an officer). Typed numbers are bounded (:data:`core.numbers.MAX_INTEGER_DIGITS`); an
    absurd stored or API value is shown as "> 999.999.999.999.999" or "≈ 0", short and
    readable, rather than with its hundred digits."""
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        return ("< −" if value < 0 else "> ") + format_score(_SHOWN_MAX, locale)
    if value != 0 and value.adjusted() < -MAX_DECIMALS - 2:
        return "≈ 0"
    return format_score(value, locale)


class _TierText(Msg):
    """A tier as a reader recognises it ("70 ≤ x ≤ 90"), since tiers have no labels to quote."""

    __slots__ = ()

    def __init__(self, tier: Tier) -> None:
        super().__init__("{tier}", tier=tier)

    def render(self, locale: str | None = None) -> str:
        tier: Tier = self.params["tier"]
        loc = normalize_locale(locale)
        low_op = "≤" if tier.low_inclusive else "<"
        high_op = "≤" if tier.high_inclusive else "<"
        return f"{_show(tier.low, loc)} {low_op} x {high_op} {_show(tier.high, loc)}"


def _n(value: Decimal | int) -> _Number:
    return _Number(Decimal(value))


# ---------------------------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Compare labels the way a person would: case, Unicode form and spacing do not matter."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _fold_ascii(text: str) -> str:
    """Also drop diacritics: officers on a phone often type "khong" for "không"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _plain(value: Decimal) -> str:
    """A Decimal as stored in JSON: dot, no exponent, no trailing zeros ("0.5", "100")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _write_number(value: Decimal) -> str:
    """A Decimal as written in the parameters cell: decimal comma, no grouping, no trailing
    zeros. Grouping is avoided because "1.234" would read back as one point two three four."""
    return _plain(value).replace(".", ",")


def _is_finite_decimal(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


def _is_multiple(value: Decimal, step: Decimal) -> bool:
    """Exact test (no rounding) that ``value`` is a whole number of ``step``s."""
    v, s = value.normalize(), step.normalize()
    if v == 0:
        return True
    exponent_v, exponent_s = v.as_tuple().exponent, s.as_tuple().exponent
    if isinstance(exponent_v, int) and isinstance(exponent_s, int) and exponent_v < exponent_s:
        return False  # more decimals than the step has: cannot be a multiple
    return (Fraction(v) / Fraction(s)).denominator == 1


# ---------------------------------------------------------------------------------------------
# Reading the parameters cell
# ---------------------------------------------------------------------------------------------

_ENTRY_SEPARATOR = re.compile(r"[;\r\n]")
_POINTS_SUFFIX = re.compile(r"\s*(điểm|đ)\s*$", re.IGNORECASE)
_NUM = r"[-+]?\d[\d.,]*"
_LE = r"<=|≤|<"
_GE = r">=|≥|>"
_TIER_SPLIT = re.compile(r"^(?P<cond>.*?)\s*[=:]\s*(?P<value>[^=:<>≤≥]+)$")
_TIER_FULL = re.compile(
    rf"^(?P<low>{_NUM})\s*%?\s*(?P<lop>{_LE})\s*x\s*(?P<hop>{_LE})\s*(?P<high>{_NUM})\s*%?$",
    re.IGNORECASE,
)
_TIER_BELOW = re.compile(rf"^x\s*(?P<op>{_LE})\s*(?P<bound>{_NUM})\s*%?$", re.IGNORECASE)
_TIER_ABOVE = re.compile(rf"^x\s*(?P<op>{_GE})\s*(?P<bound>{_NUM})\s*%?$", re.IGNORECASE)

# Parameter names, compared without diacritics; "mới" (a typo seen in real forms) folds to "moi".
_KEYWORDS = {
    "each": "each",
    "moi": "each",
    "cap": "cap",
    "toi da": "cap",
    "step": "step",
    "buoc": "step",
}


class _EntryError(Exception):
    """One unreadable entry; collected, never shown as an exception."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(msg.msgid)
        self.msg = msg


def _entry_error(msgid: str, /, **fields: Any) -> _EntryError:
    return _EntryError(Msg(msgid, **fields))


def _split_entries(text: str | None) -> list[str]:
    if not text:
        return []
    return [part.strip() for part in _ENTRY_SEPARATOR.split(text) if part.strip()]


def _split_label_value(number: int, entry: str, example: Msg) -> tuple[str, str]:
    """Split "label = value" at the last "=" (labels may contain "="), or else the last ":"."""
    for separator in ("=", ":"):
        label, found, value = entry.rpartition(separator)
        if found and label.strip() and value.strip():
            return label.strip(), value.strip()
    raise _entry_error(
        N_("Entry {number} “{entry}”: expected {example}."),
        number=number,
        entry=entry,
        example=example,
    )


def _parse_amount(number: int, entry: str, text: str, max_score: Decimal) -> Decimal:
    """Points as written: "0,5", "0.5 điểm", or "50%" meaning half of the item's maximum."""
    cleaned = _POINTS_SUFFIX.sub("", unicodedata.normalize("NFC", text)).strip()
    percent = cleaned.endswith("%")
    try:
        # unbounded here: the rule's own checks name the entry (decimals: _check_numbers)
        value = parse_decimal(cleaned[:-1] if percent else cleaned, bounded=False)
    except NumberError:
        raise _entry_error(
            N_("Entry {number} “{entry}”: “{value}” is not a number."),
            number=number,
            entry=entry,
            value=text,
        ) from None
    return max_score * value / HUNDRED if percent else value


def _parse_options(
    entries: Iterable[tuple[int, str]], max_score: Decimal, problems: list[Msg]
) -> tuple[Option, ...]:
    example = Msg(N_("“label = points”, e.g. “Ban hành đúng hạn = 1”"))
    options: list[Option] = []
    for number, entry in entries:
        try:
            label, value = _split_label_value(number, entry, example)
            points = _parse_amount(number, entry, value, max_score)
        except _EntryError as exc:
            problems.append(exc.msg)
            continue
        options.append(Option(key=str(len(options) + 1), label=label, points=points))
    return tuple(options)


def _parse_keywords(
    entries: Iterable[tuple[int, str]],
    allowed: tuple[str, ...],
    max_score: Decimal,
    unknown: str,
    problems: list[Msg],
) -> dict[str, Decimal]:
    """Read "each = 0,5; cap = 2" style entries into field name -> value."""
    example = Msg(N_("“name = number”, e.g. “each = 0.5”"))
    found: dict[str, Decimal] = {}
    for number, entry in entries:
        try:
            key, value = _split_label_value(number, entry, example)
            name = _KEYWORDS.get(_fold_ascii(key))
            if name not in allowed:
                raise _entry_error(unknown, number=number, entry=entry)
            amount = _parse_amount(number, entry, value, max_score)
        except _EntryError as exc:
            problems.append(exc.msg)
            continue
        if name in found:
            problems.append(Msg(N_("The parameter “{name}” is given more than once."), name=name))
            continue
        found[name] = amount
    return found


def _parse_tier(number: int, entry: str, max_score: Decimal) -> Tier:
    syntax = Msg(
        N_(
            "Entry {number} “{entry}”: expected a tier such as “90 < x <= 100 = 2” or “x < 70 = 0”."
        ),
        number=number,
        entry=entry,
    )
    split = _TIER_SPLIT.match(entry)
    if split is None:
        raise _EntryError(syntax)
    cond, value = split["cond"].strip(), split["value"].strip()

    def bound(text: str) -> Decimal:
        try:
            return parse_decimal(text, bounded=False)
        except NumberError:
            raise _entry_error(
                N_("Entry {number} “{entry}”: “{value}” is not a number."),
                number=number,
                entry=entry,
                value=text,
            ) from None

    points = _parse_amount(number, entry, value, max_score)
    if full := _TIER_FULL.match(cond):
        return Tier(
            bound(full["low"]), full["lop"] != "<", bound(full["high"]), full["hop"] != "<", points
        )
    if below := _TIER_BELOW.match(cond):
        return Tier(Decimal(0), True, bound(below["bound"]), below["op"] != "<", points)
    if above := _TIER_ABOVE.match(cond):
        return Tier(bound(above["bound"]), above["op"] != ">", HUNDRED, True, points)
    raise _EntryError(syntax)


def _parse_tiers(
    entries: Iterable[tuple[int, str]], max_score: Decimal, problems: list[Msg]
) -> tuple[Tier, ...]:
    tiers: list[Tier] = []
    for number, entry in entries:
        try:
            tiers.append(_parse_tier(number, entry, max_score))
        except _EntryError as exc:
            problems.append(exc.msg)
    return tuple(tiers)


def _is_keyword_entry(entry: str) -> bool:
    label = entry.rpartition("=")[0] or entry.rpartition(":")[0]
    return _fold_ascii(label) in _KEYWORDS


def _parse_fields(
    rule_type: str, entries: list[tuple[int, str]], max_score: Decimal, problems: list[Msg]
) -> dict[str, Any]:
    """The Rule fields that a rule type reads from its entries."""
    if rule_type in ("yes_no", "survey"):
        if entries:
            problems.append(
                Msg(
                    N_(
                        "A survey item takes no parameters: its points are imported "
                        "from the survey results."
                    )
                )
                if rule_type == "survey"
                else Msg(
                    N_(
                        "A yes/no item takes no parameters: “Có” earns the maximum "
                        "score and “Không” earns 0."
                    )
                )
            )
        return {}
    if rule_type in ("levels", "checklist"):
        return {"options": _parse_options(entries, max_score, problems)}
    if rule_type == "percent_tiers":
        return {"tiers": _parse_tiers(entries, max_score, problems)}
    if rule_type == "count":
        unknown = N_(
            "Entry {number} “{entry}”: a count item takes “each” (“mỗi”) and optionally "
            "“cap” (“tối đa”)."
        )
        return _parse_keywords(entries, ("each", "cap"), max_score, unknown, problems)
    if rule_type == "points":
        unknown = N_("Entry {number} “{entry}”: a points item takes only “step” (“bước”).")
        return _parse_keywords(entries, ("step",), max_score, unknown, problems)
    # deduction: "each = 0,5" or a list of violation levels
    keyword_entries = [(n, e) for n, e in entries if _is_keyword_entry(e)]
    level_entries = [(n, e) for n, e in entries if not _is_keyword_entry(e)]
    unknown = N_(
        "Entry {number} “{entry}”: a deduction item takes “each” (“mỗi”) or a list "
        "of violation levels."
    )
    fields: dict[str, Any] = _parse_keywords(
        keyword_entries, ("each",), max_score, unknown, problems
    )
    fields["options"] = _parse_options(level_entries, max_score, problems)
    return fields


def parse_rule(
    rule_type: str, params_text: str | None, max_score: Decimal, na_allowed: bool = False
) -> Rule:
    """Read a rule from the workbook's "rule parameters" cell; raise with every problem found."""
    head: list[Msg] = []
    if rule_type not in RULE_TYPES:
        head.append(_unknown_type(rule_type))
    if not _is_finite_decimal(max_score):
        head.append(Msg(N_("The maximum score is not a number.")))
    if head:
        raise RuleDefinitionError(head)
    problems: list[Msg] = []
    entries = list(enumerate(_split_entries(params_text), start=1))
    fields = _parse_fields(rule_type, entries, max_score, problems)
    rule = Rule(type=rule_type, max_score=max_score, na_allowed=na_allowed, **fields)
    # With an unreadable entry the rule is incomplete, so whole-rule checks ("the maximum cannot
    # be reached", "no tier covers 95%") would blame the wrong thing; report only local ones.
    problems.extend(_validate(rule, complete=not problems))
    if problems:
        raise RuleDefinitionError(problems)
    return rule


# ---------------------------------------------------------------------------------------------
# Writing the parameters cell
# ---------------------------------------------------------------------------------------------


def _format_tier(tier: Tier) -> str:
    low_op = "<=" if tier.low_inclusive else "<"
    high_op = "<=" if tier.high_inclusive else "<"
    return (
        f"{_write_number(tier.low)} {low_op} x {high_op} {_write_number(tier.high)} = "
        f"{_write_number(tier.points)}"
    )


def format_params(rule: Rule) -> str:
    """The canonical parameters text: what the workbook export writes and the import reads back
    to an equal Rule (shorthands are expanded, "%" is written as points)."""
    entries: list[str] = []
    if rule.type == "percent_tiers":
        entries = [_format_tier(tier) for tier in rule.tiers]
    elif rule.type in ("levels", "checklist", "deduction"):
        entries = [f"{o.label} = {_write_number(o.points)}" for o in rule.options]
    if rule.each is not None:
        entries.append(f"each = {_write_number(rule.each)}")
    if rule.cap is not None:
        entries.append(f"cap = {_write_number(rule.cap)}")
    if rule.step is not None:
        entries.append(f"step = {_write_number(rule.step)}")
    return "; ".join(entries)


# ---------------------------------------------------------------------------------------------
# Checking a rule
# ---------------------------------------------------------------------------------------------

_USED_FIELDS: dict[str, frozenset[str]] = {
    "yes_no": frozenset(),
    "levels": frozenset({"options"}),
    "checklist": frozenset({"options"}),
    "percent_tiers": frozenset({"tiers"}),
    "count": frozenset({"each", "cap"}),
    "points": frozenset({"step"}),
    "deduction": frozenset({"options", "each"}),
    "survey": frozenset(),
}


def _unknown_type(rule_type: object) -> Msg:
    return Msg(
        N_("Unknown scoring rule type “{rule_type}”; valid types: {valid}."),
        rule_type=rule_type,
        valid=", ".join(RULE_TYPES),
    )


def validate_rule(rule: Rule) -> list[Msg]:
    """Every reason the rule cannot be used; empty when it is sound.

    Public so that rules built by code (tests, migrations, stored rows) get the same checks as
    rules read from a workbook.
    """
    return _validate(rule, complete=True)


def _validate(rule: Rule, complete: bool) -> list[Msg]:
    if rule.type not in RULE_TYPES:
        return [_unknown_type(rule.type)]
    problems = _check_numbers(rule)
    if problems:
        return problems  # later checks compare these numbers
    for name in ("options", "tiers", "each", "cap", "step"):
        if name not in _USED_FIELDS[rule.type] and getattr(rule, name) not in (None, ()):
            problems.append(
                Msg(
                    N_("A “{rule_type}” rule does not use “{field}”."),
                    rule_type=rule.type,
                    field=name,
                )
            )
    if rule.max_score < 0:
        problems.append(
            Msg(N_("The maximum score must not be negative (it is {max})."), max=_n(rule.max_score))
        )
        return problems
    checker = _CHECKERS.get(rule.type)
    if checker is not None:
        problems.extend(checker(rule, complete))
    return problems


def _check_numbers(rule: Rule) -> list[Msg]:
    """Hand-built rules may carry floats or NaN; everything after this compares Decimals."""
    values: list[tuple[str, object]] = [("max_score", rule.max_score)]
    values += [
        (name, value)
        for name, value in (("each", rule.each), ("cap", rule.cap), ("step", rule.step))
        if value is not None
    ]
    values += [(f"options[{i}].points", o.points) for i, o in enumerate(rule.options, 1)]
    for i, tier in enumerate(rule.tiers, 1):
        values += [
            (f"tiers[{i}].low", tier.low),
            (f"tiers[{i}].high", tier.high),
            (f"tiers[{i}].points", tier.points),
        ]
    return [
        Msg(N_("“{field}” must be a finite decimal number."), field=name)
        for name, value in values
        if not _is_finite_decimal(value)
    ]


def _check_options(rule: Rule) -> Iterator[Msg]:
    seen: set[str] = set()
    reported: set[str] = set()
    for number, option in enumerate(rule.options, 1):
        yield from _check_label(number, option, rule.type)
        if option.key != str(number):
            yield Msg(
                N_("Option {number} has the key “{key}”; keys must be “1”, “2”, … in order."),
                number=number,
                key=option.key,
            )
        folded = _fold(option.label)
        if folded in seen and folded not in reported:
            reported.add(folded)
            yield Msg(N_("The label “{label}” appears more than once."), label=option.label)
        seen.add(folded)
        if option.points < 0:
            yield Msg(
                N_("Option “{label}”: points must not be negative ({points})."),
                label=option.label,
                points=_n(option.points),
            )
        elif option.points > rule.max_score:
            yield Msg(
                N_("Option “{label}”: {points} points is more than the maximum score {max}."),
                label=option.label,
                points=_n(option.points),
                max=_n(rule.max_score),
            )


def _check_label(number: int, option: Option, rule_type: str) -> list[Msg]:
    """Labels must survive a trip through the parameters cell and stay recognisable."""
    label = option.label
    if not isinstance(label, str) or not label.strip():
        return [Msg(N_("Option {number}: the label is empty."), number=number)]
    if label != label.strip() or _ENTRY_SEPARATOR.search(label):
        return [
            Msg(
                N_(
                    "Option {number} “{label}”: a label cannot start or end with spaces or "
                    "contain “;” or a line break."
                ),
                number=number,
                label=label,
            )
        ]
    if rule_type == "deduction" and _fold_ascii(label) in _KEYWORDS:
        return [
            Msg(
                N_("Option “{label}”: this word is reserved for parameters; choose another label."),
                label=label,
            )
        ]
    return []


def _check_levels(rule: Rule, complete: bool) -> Iterator[Msg]:
    yield from _check_options(rule)
    if not complete:
        return
    if len(rule.options) < 2:
        yield Msg(N_("A levels item needs at least 2 options, e.g. “Đúng hạn = 1; Muộn = 0”."))
    best = max((o.points for o in rule.options), default=None)
    if best is not None and best < rule.max_score:
        yield Msg(
            N_(
                "The best option gives {best} points, less than the maximum "
                "score {max}, so the maximum cannot be reached."
            ),
            best=_n(best),
            max=_n(rule.max_score),
        )


def _check_checklist(rule: Rule, complete: bool) -> Iterator[Msg]:
    yield from _check_options(rule)
    if not complete:
        return
    if not rule.options:
        yield Msg(N_("A checklist item needs at least 1 item, e.g. “Cấp tỉnh = 0.25”."))
        return
    total = sum((o.points for o in rule.options), Decimal(0))
    if total < rule.max_score:
        yield Msg(
            N_(
                "Ticking every item gives {total} points, less than the maximum "
                "score {max}, so the maximum cannot be reached."
            ),
            total=_n(total),
            max=_n(rule.max_score),
        )


def _check_count(rule: Rule, complete: bool) -> Iterator[Msg]:
    if rule.each is None:
        if complete:
            yield Msg(N_("The points per unit are missing; write e.g. “each = 0.5”."))
    elif rule.each <= 0:
        yield Msg(N_("The points per unit must be more than 0 (it is {each})."), each=_n(rule.each))
    if rule.cap is not None:
        if rule.cap > rule.max_score:
            yield Msg(
                N_("The cap {cap} is more than the maximum score {max}."),
                cap=_n(rule.cap),
                max=_n(rule.max_score),
            )
        elif rule.cap < rule.max_score:
            yield Msg(
                N_(
                    "The cap {cap} is less than the maximum score {max}, so the "
                    "maximum cannot be reached."
                ),
                cap=_n(rule.cap),
                max=_n(rule.max_score),
            )


def _check_points(rule: Rule, complete: bool) -> list[Msg]:
    step = DEFAULT_STEP if rule.step is None else rule.step
    if step <= 0:
        return [Msg(N_("The step must be more than 0 (it is {step})."), step=_n(step))]
    if not _is_multiple(rule.max_score, step):
        return [
            Msg(
                N_("The maximum score {max} is not a multiple of the step {step}."),
                max=_n(rule.max_score),
                step=_n(step),
            )
        ]
    return []


def _check_deduction(rule: Rule, complete: bool) -> Iterator[Msg]:
    yield from _check_options(rule)
    if rule.each is not None and rule.options:
        yield Msg(
            N_("A deduction item takes either “each = …” or a list of violation levels, not both.")
        )
    elif rule.each is not None and rule.each <= 0:
        yield Msg(
            N_("The points deducted per violation must be more than 0 (it is {each})."),
            each=_n(rule.each),
        )
    elif complete and rule.each is None and not rule.options:
        yield Msg(
            N_(
                "A deduction item needs either “each = 0.5” (points per "
                "violation) or violation levels, e.g. “Vi phạm nhẹ = 50%; "
                "Vi phạm nghiêm trọng = 100%”."
            )
        )


def _check_tiers(rule: Rule, complete: bool) -> Iterator[Msg]:
    if complete and not rule.tiers:
        yield Msg(
            N_("The percent tiers are missing; write e.g. “90 < x <= 100 = 2; 0 <= x <= 90 = 0”.")
        )
        return
    for tier in rule.tiers:
        yield from _check_tier(tier, rule.max_score)
    if not complete:
        return
    in_range = [(t, c) for t in rule.tiers if (c := _clip(t)) is not None]
    yield from _tier_overlaps(in_range)
    yield from _tier_gaps([c for _, c in in_range])
    if rule.tiers:
        best = max(t.points for t in rule.tiers)
        if best < rule.max_score:
            yield Msg(
                N_(
                    "The best tier gives {best} points, less than the maximum "
                    "score {max}, so the maximum cannot be reached."
                ),
                best=_n(best),
                max=_n(rule.max_score),
            )


def _check_tier(tier: Tier, max_score: Decimal) -> Iterator[Msg]:
    text = _TierText(tier)
    if tier.is_empty():
        yield Msg(N_("Tier “{tier}” contains no value."), tier=text)
    elif tier.low < 0 or tier.high > HUNDRED:
        yield Msg(N_("Tier “{tier}” goes outside 0–100%."), tier=text)
    if tier.points < 0:
        yield Msg(
            N_("Tier “{tier}”: points must not be negative ({points})."),
            tier=text,
            points=_n(tier.points),
        )
    elif tier.points > max_score:
        yield Msg(
            N_("Tier “{tier}”: {points} points is more than the maximum score {max}."),
            tier=text,
            points=_n(tier.points),
            max=_n(max_score),
        )


def _clip(tier: Tier) -> Tier | None:
    """The part of a tier inside 0..100 (None if none): values outside are reported once as
    "outside 0–100%" and must not also show up as overlaps or gaps."""
    if tier.low < 0:
        tier = Tier(Decimal(0), True, tier.high, tier.high_inclusive, tier.points)
    if tier.high > HUNDRED:
        tier = Tier(tier.low, tier.low_inclusive, HUNDRED, True, tier.points)
    return None if tier.is_empty() else tier


def _tier_overlaps(tiers: list[tuple[Tier, Tier]]) -> Iterator[Msg]:
    """Every pair of tiers sharing a value; ``tiers`` pairs each tier with its clipped part."""
    for i, (first, a) in enumerate(tiers):
        for second, b in tiers[i + 1 :]:
            low = max(a.low, b.low)
            high = min(a.high, b.high)
            low_in = all(t.low_inclusive for t in (a, b) if t.low == low)
            high_in = all(t.high_inclusive for t in (a, b) if t.high == high)
            if low == high and low_in and high_in:
                yield Msg(
                    N_("Tiers “{first}” and “{second}” overlap at {value}%."),
                    first=_TierText(first),
                    second=_TierText(second),
                    value=_n(low),
                )
            elif low < high:
                yield Msg(
                    N_("Tiers “{first}” and “{second}” overlap between {low}% and {high}%."),
                    first=_TierText(first),
                    second=_TierText(second),
                    low=_n(low),
                    high=_n(high),
                )


def _tier_gaps(tiers: list[Tier]) -> Iterator[Msg]:
    """Walk the tiers (clipped to 0..100) upwards and name every stretch that none covers."""
    reach, reach_in = Decimal(0), False  # everything below reach is covered (reach itself iff in)
    for tier in sorted(tiers, key=lambda t: (t.low, not t.low_inclusive)):
        if tier.low > reach:
            yield _gap(reach, tier.low)
        elif tier.low == reach and not reach_in and not tier.low_inclusive:
            yield _gap(reach, reach)
        if tier.high > reach:
            reach, reach_in = tier.high, tier.high_inclusive
        elif tier.high == reach:
            reach_in = reach_in or tier.high_inclusive
    if reach < HUNDRED:
        yield _gap(reach, HUNDRED)
    elif not reach_in:
        yield _gap(reach, reach)


def _gap(low: Decimal, high: Decimal) -> Msg:
    if low == high:
        return Msg(N_("No tier covers {value}%."), value=_n(low))
    return Msg(
        N_("No tier covers the values between {low}% and {high}%."), low=_n(low), high=_n(high)
    )


_CHECKERS: dict[str, Callable[[Rule, bool], Iterable[Msg]]] = {
    "levels": _check_levels,
    "checklist": _check_checklist,
    "percent_tiers": _check_tiers,
    "count": _check_count,
    "points": _check_points,
    "deduction": _check_deduction,
}


# ---------------------------------------------------------------------------------------------
# Evaluating a declared value
# ---------------------------------------------------------------------------------------------


def _survey_error() -> DeclaredValueError:
    return _declared(
        N_("Survey points are imported from the survey results; units do not self-assess them.")
    )


def _shape_error() -> DeclaredValueError:
    return _declared(
        N_("This answer does not fit the item (it may be out of date); please answer it again.")
    )


def _number_field(raw: object) -> Decimal:
    """A number from a stored answer: plain strings (dot or comma), ints, Decimals."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise _shape_error()
    try:
        return parse_decimal(raw, bounded=False)
    except NumberError as exc:
        raise DeclaredValueError(exc.msg) from None


def _whole_field(raw: object, not_whole: str) -> Decimal:
    value = _number_field(raw)
    if value != value.to_integral_value():
        raise _declared(not_whole, value=_n(value))
    return value


def _expect_keys(value: Mapping[str, Any], *shapes: set[str]) -> None:
    if set(value) not in shapes:
        raise _shape_error()


def _find_option(rule: Rule, key: object) -> Option:
    if not isinstance(key, str):
        raise _shape_error()
    for option in rule.options:
        if option.key == key:
            return option
    raise _declared(N_("There is no option “{key}” for this item."), key=echo(key))


def _eval_yes_no(rule: Rule, value: Mapping[str, Any]) -> Decimal:
    _expect_keys(value, {"yes"})
    if not isinstance(value["yes"], bool):
        raise _shape_error()
    return rule.max_score if value["yes"] else Decimal(0)


def _eval_levels(rule: Rule, value: Mapping[str, Any]) -> Decimal:
    _expect_keys(value, {"option"})
    return _find_option(rule, value["option"]).points


def _percent_of(value: Mapping[str, Any]) -> Decimal:
    """The percentage declared, from "percent" or from "numerator"/"denominator"."""
    _expect_keys(value, {"percent"}, {"numerator", "denominator"})
    if "percent" in value:
        percent = _number_field(value["percent"])
        if percent < 0:
            raise _declared(N_("A percentage cannot be negative."))
        if percent > HUNDRED:
            raise _declared(
                N_("A percentage cannot be more than 100% (got {percent}%)."), percent=_n(percent)
            )
        return percent
    numerator = _number_field(value["numerator"])
    denominator = _number_field(value["denominator"])
    params = {"numerator": _n(numerator), "denominator": _n(denominator)}
    if numerator < 0 or denominator < 0:
        raise _declared(
            N_("In “{numerator}/{denominator}” neither number can be negative."), **params
        )
    if denominator == 0:
        raise _declared(
            N_("In “{numerator}/{denominator}” the second number (the total) cannot be 0."),
            **params,
        )
    if numerator > denominator:
        raise _declared(
            N_(
                "In “{numerator}/{denominator}” the first number cannot "
                "be larger than the second (the total)."
            ),
            **params,
        )
    with localcontext() as ctx:
        ctx.prec = 50
        return numerator * HUNDRED / denominator


def _eval_percent_tiers(rule: Rule, value: Mapping[str, Any]) -> Decimal:
    percent = _percent_of(value)
    for tier in rule.tiers:
        if tier.contains(percent):
            return tier.points
    raise ValueError(f"invalid rule: no tier covers {percent}%")  # validate_rule prevents this


def _eval_checklist(rule: Rule, value: Mapping[str, Any]) -> Decimal:
    _expect_keys(value, {"checked"})
    checked = value["checked"]
    if not isinstance(checked, list | tuple):
        raise _shape_error()
    seen: set[str] = set()
    total = Decimal(0)
    for key in checked:
        option = _find_option(rule, key)
        if key in seen:
            raise _declared(N_("Item {key} is ticked more than once."), key=echo(key))
        seen.add(key)
        total += option.points
    return total


def _capped_product(units: Decimal, each: Decimal, limit: Decimal) -> Decimal:
    """units × each, but at most limit; never multiplies absurd counts (no Overflow)."""
    if units >= limit / each:
        return limit
    return min(units * each, limit)


def _eval_count(rule: Rule, value: Mapping[str, Any]) -> Decimal:
    _expect_keys(value, {"count"})
    count = _whole_field(value["count"], N_("The count must be a whole number (got {value})."))
    if count < 0:
        raise _declared(N_("The count cannot be negative."))
    assert rule.each is not None
    limit = rule.max_score if rule.cap is None else min(rule.cap, rule.max_score)
    return _capped_product(count, rule.each, limit)


def _eval_points(rule: Rule, value: Mapping[str, Any]) -> Decimal:
    _expect_keys(value, {"points"})
    points = _number_field(value["points"])
    if points < 0:
        raise _declared(N_("Points cannot be negative."))
    if points > rule.max_score:
        raise _declared(
            N_("{points} points is more than the maximum score {max}."),
            points=_n(points),
            max=_n(rule.max_score),
        )
    step = DEFAULT_STEP if rule.step is None else rule.step
    if not _is_multiple(points, step):
        raise _declared(N_("Points must be a multiple of {step}."), step=_n(step))
    return points


def _eval_deduction(rule: Rule, value: Mapping[str, Any]) -> Decimal:
    _expect_keys(value, {"violations"}, {"option"})
    if "option" in value:
        if value["option"] is None:
            return rule.max_score
        if rule.each is not None:
            raise _shape_error()
        return rule.max_score - _find_option(rule, value["option"]).points
    violations = _whole_field(
        value["violations"], N_("The number of violations must be a whole number (got {value}).")
    )
    if violations < 0:
        raise _declared(N_("The number of violations cannot be negative."))
    if violations == 0:
        return rule.max_score
    if rule.each is None:
        raise _shape_error()
    return rule.max_score - _capped_product(violations, rule.each, rule.max_score)


_EVALUATORS: dict[str, Callable[[Rule, Mapping[str, Any]], Decimal]] = {
    "yes_no": _eval_yes_no,
    "levels": _eval_levels,
    "percent_tiers": _eval_percent_tiers,
    "checklist": _eval_checklist,
    "count": _eval_count,
    "points": _eval_points,
    "deduction": _eval_deduction,
}


def _is_na(value: Mapping[str, Any]) -> bool:
    return "na" in value


def evaluate(rule: Rule, value: dict[str, Any]) -> Decimal | None:
    """The points a declared value earns, or None when the item is not applicable.

    The value is checked again here because it may come from the web form or be stale (saved
    before the workbook changed); the score is always within [0, max_score].
    """
    if rule.type == "survey":
        raise _survey_error()
    if not isinstance(value, dict):
        raise _shape_error()
    if _is_na(value):
        if set(value) != {"na"} or value["na"] is not True:
            raise _shape_error()
        if not rule.na_allowed:
            raise DeclaredValueError(_na_refused())
        return None
    score = _EVALUATORS[rule.type](rule, value)
    return max(Decimal(0), min(score, rule.max_score))


def _na_refused() -> Msg:
    return Msg(N_("This item cannot be marked “not applicable”."))


# ---------------------------------------------------------------------------------------------
# Reading what an officer types
# ---------------------------------------------------------------------------------------------

_NA_WORDS = frozenset({"khong ap dung", "kad", "k/a", "n/a", "na", "not applicable"})
_YES_WORDS = frozenset({"co", "c", "yes", "y", "dat", "true", "1"})
_NO_WORDS = frozenset(
    {"khong", "k", "ko", "kg", "khg", "no", "n", "khong dat", "chua dat", "false", "0"}
)
_NONE_WORDS = frozenset(
    {
        "khong",
        "k",
        "ko",
        "kg",
        "khg",
        "no",
        "none",
        "0",
        "khong co",
        "khong vi pham",
        "khong co vi pham",
        "no violation",
        "no violations",
    }
)
_ALL_WORDS = frozenset({"tat ca", "all"})
_KEY_LIST = re.compile(r"[0-9]+(?:[\s,;]+[0-9]+)*")


def _word(text: str) -> str:
    """Folded text without trailing punctuation, for matching fixed answers like "Có."."""
    return _fold_ascii(text).strip(" .!")


def _match_label(rule: Rule, text: str) -> Option | None:
    """The option whose label the officer typed: exactly (ignoring case and spacing), or
    without diacritics when that still names exactly one option."""
    exact = [o for o in rule.options if _fold(o.label) == _fold(text)]
    if len(exact) == 1:
        return exact[0]
    bare = [o for o in rule.options if _fold_ascii(o.label) == _fold_ascii(text)]
    return bare[0] if len(bare) == 1 else None


def _option_number(text: str) -> str | None:
    """ "2", "02", "2." or "2)": people copy the numbering they see in the list."""
    bare = text.rstrip(".)").strip()
    return _digits_key(bare) if bare.isascii() and bare.isdigit() else None


def _digits_key(digits: str) -> str:
    """ "02" -> "2" without int(), which refuses strings of more than 4300 digits."""
    return digits.lstrip("0") or "0"


def _declare_option(rule: Rule, text: str) -> dict[str, Any]:
    key = _option_number(text)
    if key is None:
        option = _match_label(rule, text)
        if option is None:
            raise _declared(
                N_(
                    "“{text}” is not one of the options; reply with the "
                    "option number (1–{count}) or its exact wording."
                ),
                text=echo(text),
                count=len(rule.options),
            )
        key = option.key
    return {"option": key}


def _declare_checklist(rule: Rule, text: str) -> dict[str, Any]:
    if _KEY_LIST.fullmatch(text):
        keys = [_digits_key(k) for k in re.split(r"[\s,;]+", text)]
        return {"checked": [k for k in keys if k != "0"]}
    if (option := _match_label(rule, text)) is not None:
        return {"checked": [option.key]}
    if _word(text) in _NONE_WORDS:
        return {"checked": []}
    if _word(text) in _ALL_WORDS:
        return {"checked": [o.key for o in rule.options]}
    keys: list[str] = []
    for part in _split_entries(text):
        option = _match_label(rule, part)
        if option is None:
            raise _declared(
                N_(
                    "“{text}” does not name items of this list; reply "
                    "with item numbers such as “1, 3”."
                ),
                text=echo(part),
            )
        keys.append(option.key)
    return {"checked": keys}


def _declare_percent(text: str) -> dict[str, Any]:
    cleaned = text.strip().removesuffix("%").strip()
    try:
        if "/" in cleaned:
            numerator, _, denominator = cleaned.partition("/")
            return {
                "numerator": _plain(parse_decimal(numerator)),
                "denominator": _plain(parse_decimal(denominator)),
            }
        return {"percent": _plain(parse_decimal(cleaned))}
    except NumberBoundsError as exc:
        raise DeclaredValueError(exc.msg) from None
    except NumberError:
        raise _declared(
            N_("“{text}” is not a percentage; write e.g. “95”, “95%” or “45/50”."), text=echo(text)
        ) from None


def _declare_number(text: str) -> Decimal:
    try:
        return parse_decimal(text)
    except NumberError as exc:
        raise DeclaredValueError(exc.msg) from None


_WITH_UNIT = re.compile(r"(?P<number>[0-9][0-9.,]*)\s+(?P<unit>\S.*)")
_UNIT_WORDS = re.compile(r"[a-z]+(?: [a-z]+){0,3}")
_MULTIPLIERS = frozenset({"nghin", "ngan", "trieu", "ty", "ti", "tram", "chuc", "muoi", "k"})


def _without_unit(text: str) -> str:
    """ "3 sáng kiến" -> "3": a count typed with what it counts, as people say it. Only words
    are dropped, and never one that multiplies ("3 nghìn", "2 triệu"), so the number read is
    the number meant; anything else is left for the parser to refuse."""
    found = _WITH_UNIT.fullmatch(text.strip())
    if found is None:
        return text
    unit = _fold_ascii(found["unit"])
    if not _UNIT_WORDS.fullmatch(unit) or unit.split()[0] in _MULTIPLIERS:
        return text
    return found["number"]


def _declare_whole(text: str, not_whole: str) -> int:
    value = _declare_number(_without_unit(text))
    if value != value.to_integral_value():
        raise _declared(not_whole, value=_n(value))
    return int(value)


def _declare_deduction(rule: Rule, text: str) -> dict[str, Any]:
    if rule.each is not None:
        if _word(text) in _NONE_WORDS:
            return {"violations": 0}
        return {
            "violations": _declare_whole(
                text, N_("The number of violations must be a whole number (got {value}).")
            )
        }
    key = _option_number(text)
    if key == "0":
        return {"option": None}
    if key is None and _match_label(rule, text) is None and _word(text) in _NONE_WORDS:
        return {"option": None}
    return _declare_option(rule, text)


def _declare_yes_no(text: str) -> dict[str, Any]:
    word = _word(text)
    if word in _YES_WORDS:
        return {"yes": True}
    if word in _NO_WORDS:
        return {"yes": False}
    raise _declared(N_("“{text}” is not a yes/no answer; reply “có” or “không”."), text=echo(text))


def _declare(rule: Rule, text: str) -> dict[str, Any]:
    if rule.type == "yes_no":
        return _declare_yes_no(text)
    if rule.type == "levels":
        return _declare_option(rule, text)
    if rule.type == "checklist":
        return _declare_checklist(rule, text)
    if rule.type == "percent_tiers":
        return _declare_percent(text)
    if rule.type == "count":
        return {
            "count": _declare_whole(text, N_("The count must be a whole number (got {value})."))
        }
    if rule.type == "points":
        return {"points": _plain(_declare_number(_POINTS_SUFFIX.sub("", text)))}
    return _declare_deduction(rule, text)


_NUMBER_KEYS = ("percent", "numerator", "denominator", "count", "points", "violations")


def check_declared(value: object) -> None:
    """Hold a value about to be stored (typed, from the web form or the JSON API) to the
    documented bounds: numbers sent as text have ASCII digits and at most 4 decimals, a count
    or a number of violations is at most :data:`MAX_COUNT`, either number of a ratio at most
    :data:`MAX_RATIO_TERM`. Stored answers are not re-checked, so an old answer still shows;
    :func:`evaluate` then checks the rest (negative, above the maximum...)."""
    if not isinstance(value, dict):
        return
    for key in _NUMBER_KEYS:
        raw = value.get(key)
        if isinstance(raw, str):
            try:
                parse_decimal(raw)
            except NumberError as exc:
                raise DeclaredValueError(exc.msg) from None
    for key, limit, msgid in (
        ("count", MAX_COUNT, N_("The count cannot be more than {max}.")),
        ("violations", MAX_COUNT, N_("The number of violations cannot be more than {max}.")),
        ("numerator", MAX_RATIO_TERM, N_("Neither number of a ratio can be more than {max}.")),
        ("denominator", MAX_RATIO_TERM, N_("Neither number of a ratio can be more than {max}.")),
    ):
        raw = value.get(key)
        if isinstance(raw, str | int | Decimal) and not isinstance(raw, bool):
            try:
                number = parse_decimal(raw, bounded=False)
            except NumberError:
                continue  # evaluate() names the problem
            if number > limit:
                raise _declared(msgid, max=_n(limit))


def parse_declared(rule: Rule, text: str) -> dict[str, Any]:
    """Turn what an officer typed (a chat message or a form cell) into a stored answer.

    The result is checked with :func:`evaluate` before it is returned, so the caller gets either
    an answer that scores or one sentence telling the officer what to type instead.
    """
    if rule.type == "survey":
        raise _survey_error()
    if not isinstance(text, str):
        raise _shape_error()
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise _declared(N_("Please enter an answer."))
    if _word(text) in _NA_WORDS and _match_label(rule, text) is None:
        if not rule.na_allowed:
            raise DeclaredValueError(_na_refused())
        return {"na": True}
    value = _declare(rule, text)
    check_declared(value)
    evaluate(rule, value)
    return value


# ---------------------------------------------------------------------------------------------
# Describing a declared value
# ---------------------------------------------------------------------------------------------


def describe(rule: Rule, value: dict[str, Any], locale: str = "vi") -> str:
    """A short text of the declared fact for summaries and confirmations ("45/50 (90%)").

    The value is evaluated first so a stale answer is never described as if it still scored.
    """
    evaluate(rule, value)
    loc = normalize_locale(locale)
    if _is_na(value):
        return Msg(N_("Not applicable")).render(loc)
    if rule.type == "yes_no":
        return Msg(N_("Yes") if value["yes"] else N_("No")).render(loc)
    if rule.type == "percent_tiers":
        return _describe_percent(value, loc)
    if rule.type == "checklist":
        checked = set(value["checked"])
        labels = [o.label for o in rule.options if o.key in checked]
        return "; ".join(labels) if labels else Msg(N_("No item ticked")).render(loc)
    if rule.type == "count":
        return _show(_number_field(value["count"]), loc)
    if rule.type == "points":
        return _show(_number_field(value["points"]), loc)
    if rule.type == "levels":
        return _find_option(rule, value["option"]).label
    return _describe_deduction(rule, value, loc)


def _describe_percent(value: Mapping[str, Any], loc: str) -> str:
    if "percent" in value:
        return _show(_number_field(value["percent"]), loc) + "%"
    numerator = _show(_number_field(value["numerator"]), loc)
    denominator = _show(_number_field(value["denominator"]), loc)
    percent = _show(round_half_up(_percent_of(value)), loc)
    return f"{numerator}/{denominator} ({percent}%)"


def _describe_deduction(rule: Rule, value: Mapping[str, Any], loc: str) -> str:
    if value.get("option") is not None:
        return _find_option(rule, value["option"]).label
    violations = _number_field(value.get("violations", 0))
    if violations == 0:
        return Msg(N_("No violation")).render(loc)
    return Msg(N_("Violations: {count}"), count=_n(violations)).render(loc)
