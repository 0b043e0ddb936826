"""Scoring rules as a decision prints them, read into the rule types of :mod:`forms.rules`.

A province's decision (Quyết định) prints each item's scoring in prose: "Thực hiện trên 90% kế
hoạch: 2; Thực hiện từ 70% - 90%: 1", "Ban hành kịp thời: 1; Không ban hành: 0", "Mỗi sáng kiến
được 0,5 điểm, tối đa 2 điểm". Retyping that into the interval syntax is where mistakes come
from, so :func:`read_printed_rule` reads the printed text itself.

Nothing is guessed silently: the result either carries a :class:`~forms.rules.Rule` that passed
every check of :func:`forms.rules.parse_rule` (same gaps, overlaps and maxima as a workbook
import), or it carries no rule and the reasons, which the secretariat resolves by hand. Pure
functions only, so the table-driven tests pin every phrasing without a database.

The recognised phrasings are documented in docs/criteria-template.md (section 11.3); the
rule is shown back in plain words by :mod:`forms.rule_words`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.i18n import N_, Msg
from core.numbers import NumberError, parse_decimal
from forms.rule_words import Num
from forms.rules import Option, Rule, RuleDefinitionError, Tier, format_params, parse_rule

HUNDRED = Decimal(100)
ZERO = Decimal(0)
# A scoring cell of a real decision is a few lines; a longer text is refused rather than run
# through the patterns, which would then cost time in proportion to its length squared.
MAX_TEXT = 3000
MAX_ENTRY = 400


@dataclass(frozen=True)
class PrintedReading:
    """What one item's printed scoring text became: a checked rule, or the reasons it did not.

    ``params`` is the canonical parameters cell (what the workbook would hold), so a reading can
    be stored, exported and edited exactly like a rule typed into the workbook.
    """

    text: str
    rule_type: str | None
    params: str
    rule: Rule | None
    problems: tuple[Msg, ...]

    @property
    def recognised(self) -> bool:
        return self.rule is not None and not self.problems


# ---------------------------------------------------------------------------------------------
# Text preparation
# ---------------------------------------------------------------------------------------------

_DASHES = str.maketrans({"–": "-", "—": "-", "−": "-", "\u00a0": " ", "＞": ">", "＜": "<"})


def fold_letters(text: str) -> str:
    """Lower case without diacritics, one character for one character, so that a match found
    in the folded text slices the printed text at the same positions."""
    out = []
    for char in text:
        if char in "đĐ":
            out.append("d")
            continue
        base = unicodedata.normalize("NFD", char)[0].casefold()
        out.append(base if len(base) == 1 else char)
    return "".join(out)


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_DASHES)
    return text.replace(">=", "≥").replace("<=", "≤").replace("=>", "→").replace("->", "→")


_NUM = r"\d+(?:[.,]\d+)?"
_BULLET = re.compile(r"^\s*(?:[-+•*·]+|[a-zđ]\)|\d+\)|\(\d+\))\s*", re.IGNORECASE)
# Entries end at ";" or a line break, or after "... điểm." / "... điểm," before the next entry.
_ENTRY_SPLIT = re.compile(
    r"[;\n\r]+|(?<=điểm)[.,]\s+|(?<=diem)[.,]\s+|(?<=điểm\))[.,]\s+", re.IGNORECASE
)


def _entries(text: str) -> list[str]:
    out = []
    for part in _ENTRY_SPLIT.split(text):
        part = _BULLET.sub("", part).strip().rstrip(".;,").strip()
        if part:
            out.append(part)
    return out


def _number(text: str) -> Decimal:
    return parse_decimal(text)


# ---------------------------------------------------------------------------------------------
# One entry: "<condition> : <points>" or "<points> điểm nếu <condition>"
# ---------------------------------------------------------------------------------------------

_POINTS_LAST = re.compile(
    rf"^(?P<label>.*?)\s*(?:[:=→,]|\s-)?\s*(?:thi\s+)?(?:duoc\s+|dat\s+|cho\s+|cham\s+)?"
    rf"(?:(?P<minus>(?:bi\s+)?tru)\s+)?(?P<num>{_NUM})\s*(?P<pct>%\s*(?:so\s+)?diem)?\s*"
    rf"(?:diem|d)?\s*(?:/\s*\w+)?$"
)
_POINTS_FIRST = re.compile(
    rf"^(?:(?P<minus>(?:bi\s+)?tru)\s+)?(?P<num>{_NUM})\s*(?:diem|d)\s*(?::|-|neu|khi|,)\s*"
    rf"(?P<label>.+)$"
)


# Points written in words: "được điểm tối đa", "không chấm điểm".
_WORD_POINTS = re.compile(
    r"^(?P<label>.*?)\s*(?:[:=→,]|\s-)\s*(?:thi\s+)?(?:(?P<max>(?:duoc\s+|cham\s+)?"
    r"(?:diem toi da|toi da so diem|du so diem))|(?P<zero>khong (?:cham diem|duoc diem|co diem|"
    r"tinh diem|duoc tinh diem)))\s*$"
)


@dataclass(frozen=True)
class _Entry:
    label: str  # as printed, without the points
    folded: str
    points: Decimal | None
    minus: bool  # "trừ 0,5 điểm"


def _read_entry(entry: str, max_score: Decimal) -> _Entry:
    folded = fold_letters(entry)
    if len(entry) > MAX_ENTRY:
        return _Entry(entry, folded, None, False)
    for pattern in (_POINTS_FIRST, _POINTS_LAST):
        match = pattern.match(folded)
        if match is None or not match["label"].strip():
            continue
        if (
            pattern is _POINTS_LAST
            and folded[match.end("num") :].lstrip().startswith("%")
            and (match["pct"] is None)
        ):
            continue
        try:
            value = _number(match["num"])
        except NumberError:
            continue
        if pattern is _POINTS_LAST and match["pct"]:
            value = max_score * value / HUNDRED
        start, end = match.span("label")
        label = entry[start:end].strip().rstrip(":=,→-").strip()
        return _Entry(label, fold_letters(label), value, bool(match["minus"]))
    if words := _WORD_POINTS.match(folded):
        start, end = words.span("label")
        label = entry[start:end].strip()
        if label:
            value = max_score if words["max"] else ZERO
            return _Entry(label, fold_letters(label), value, False)
    return _Entry(entry, folded, None, False)


# ---------------------------------------------------------------------------------------------
# Percent phrasings
# ---------------------------------------------------------------------------------------------

_P = rf"(?P<a>{_NUM})\s*%?"
_Q = rf"(?P<b>{_NUM})\s*%?"
_TO = r"\s*(?:den|-|toi|cho den)\s*"
_ABOVE = r"(?:\b(?:tren|lon hon|cao hon|nhieu hon|vuot qua|vuot)|>)"
_BELOW = r"(?:\b(?:duoi|nho hon|thap hon|it hon|chua dat|khong dat)|<)"
_FROM = r"(?:tu|≥)"

# (pattern, low inclusive, high inclusive, shape); shape says which bounds the text gives:
# "both", "low" (up to 100%), "high" (down from 0%), "exact".
_TIER_PHRASES: tuple[tuple[re.Pattern[str], bool, bool, str], ...] = tuple(
    (re.compile(p), lo, hi, shape)
    for p, lo, hi, shape in (
        (rf"{_FROM}\s*{_P}{_TO}(?:duoi|<)\s*{_Q}", True, False, "both"),
        (rf"{_ABOVE}\s*{_P}{_TO}(?:duoi|<)\s*{_Q}", False, False, "both"),
        (rf"{_ABOVE}\s*{_P}{_TO}(?:≤\s*)?{_Q}", False, True, "both"),
        (rf"{_FROM}\s*{_P}{_TO}(?:≤\s*)?{_Q}", True, True, "both"),
        (rf"{_P}{_TO}duoi\s*{_Q}", True, False, "both"),
        (rf"(?<![\d.,]){_P}\s*(?:-|den)\s*{_Q}", True, True, "both"),
        (rf"{_P}\s*tro len", True, True, "low"),
        (rf"(?:lon|cao|nhieu) hon hoac bang\s*{_P}", True, True, "low"),
        (rf"(?:nho|thap|it) hon hoac bang\s*{_P}", True, True, "high"),
        (rf"(?:khong (?:duoi|thap hon|it hon)|it nhat|toi thieu|≥)\s*{_P}", True, True, "low"),
        (rf"{_ABOVE}\s*{_P}", False, True, "low"),
        (rf"{_P}\s*tro xuong", True, True, "high"),
        (rf"(?:khong (?:qua|vuot qua|vuot|lon hon|cao hon)|≤)\s*{_P}", True, True, "high"),
        (rf"{_BELOW}\s*{_P}", True, False, "high"),
        (rf"\btu\s*{_P}", True, True, "low"),
    )
)
_EXACT = re.compile(rf"(?<![\d.,])(?P<a>{_NUM})\s*%")
_INTERVAL = re.compile(
    rf"^(?P<a>{_NUM})\s*%?\s*(?P<lop><|≤)\s*x\s*(?P<hop><|≤)\s*(?P<b>{_NUM})\s*%?$"
)
_COMPARATOR = re.compile(r"[<>≤≥]")


@dataclass(frozen=True)
class _Band:
    tier: Tier
    shape: str


def _read_band(folded: str, points: Decimal) -> _Band | None:
    """The band a condition names, or None when it names no percentage."""
    if interval := _INTERVAL.match(folded.strip()):
        try:
            low, high = _number(interval["a"]), _number(interval["b"])
        except NumberError:
            return None
        return _Band(
            Tier(low, interval["lop"] == "≤", high, interval["hop"] == "≤", points), "both"
        )
    text = re.sub(r"\bx\b\s*", "", folded)
    if "%" not in text and not _COMPARATOR.search(text):
        return None
    for pattern, low_in, high_in, shape in _TIER_PHRASES:
        match = pattern.search(text)
        if match is None:
            continue
        try:
            a = _number(match["a"])
            b = _number(match["b"]) if "b" in pattern.groupindex else None
        except NumberError:
            return None
        if shape == "both" and b is not None:
            return _Band(Tier(a, low_in, b, high_in, points), shape)
        if shape == "low":
            return _Band(Tier(a, low_in, HUNDRED, True, points), shape)
        return _Band(Tier(ZERO, True, a, high_in, points), shape)
    numbers = _EXACT.findall(text)
    if len(numbers) == 1:
        value = _number(numbers[0])
        return _Band(Tier(value, True, value, True, points), "exact")
    return None


def _cascade(bands: list[_Band]) -> list[Tier]:
    """Threshold lists ("> 90 = 2; ≥ 70 = 1; < 70 = 0") name one bound per line and mean "up to
    the next line": a band open upwards stops where the next higher band starts, a band open
    downwards starts where the next lower band ends. Bands printed with both bounds stay as
    printed, so a real overlap or gap is still reported."""
    tiers = [b.tier for b in bands]
    out: list[Tier] = []
    for band in bands:
        t = band.tier
        if band.shape == "low":
            above = [o for o in tiers if o is not t and o.low > t.low]
            if above:
                nxt = min(above, key=lambda o: (o.low, not o.low_inclusive))
                t = Tier(t.low, t.low_inclusive, nxt.low, not nxt.low_inclusive, t.points)
        elif band.shape == "high":
            below = [o for o in tiers if o is not t and o.high < t.high]
            if below:
                prev = max(below, key=lambda o: (o.high, o.high_inclusive))
                t = Tier(prev.high, not prev.high_inclusive, t.high, t.high_inclusive, t.points)
        out.append(t)
    return out


# ---------------------------------------------------------------------------------------------
# Whole-text phrasings: points range, per-unit counts, deductions
# ---------------------------------------------------------------------------------------------

_RANGE = re.compile(
    rf"\btu\s*0\s*(?:diem)?{_TO}(?P<hi>{_NUM})\s*(?:diem|d)\b"
    rf"|^\s*0\s*-\s*(?P<hi2>{_NUM})\s*(?:diem|d)\b"
)
_STEP = re.compile(rf"(?:buoc|le den|moi buoc|bac)\s*(?:la\s*)?(?P<step>{_NUM})")
_CAP = re.compile(
    rf"toi da\s*(?:khong qua\s*|la\s*|duoc\s*|cong\s*|tru\s*)?(?P<cap>{_NUM})\s*(?:diem|d)\b"
    rf"|khong qua\s*(?P<cap2>{_NUM})\s*(?:diem|d)\b"
)
_EACH_DEDUCT = (
    re.compile(rf"tru\s*(?P<each>{_NUM})\s*(?:diem|d)\s*(?:cho\s*|doi voi\s*)?(?:moi|1|mot)\b"),
    re.compile(rf"(?:moi|1|mot)\b[^;:]*?(?:bi\s*)?tru\s*(?P<each>{_NUM})\s*(?:diem|d)\b"),
    re.compile(rf"tru\s*(?P<each>{_NUM})\s*(?:diem|d)\s*/"),
)
_EACH_COUNT = (
    re.compile(
        rf"\bmoi\b[^;:]*?(?:duoc|cong|tinh|dat)\s*(?:cong\s*|tinh\s*)?"
        rf"(?P<each>{_NUM})\s*(?:diem|d)\b"
    ),
    re.compile(rf"(?:duoc|cong)\s*(?P<each>{_NUM})\s*(?:diem|d)\s*(?:cho\s*|doi voi\s*)?moi\b"),
    re.compile(rf"(?:^|\s)(?P<each>{_NUM})\s*(?:diem|d)\s*/\s*\w"),
)
_YES = {"co", "dat", "dat yeu cau", "co thuc hien", "da thuc hien", "thuc hien", "co ban hanh"}
_NO = {"khong", "khong dat", "khong dat yeu cau", "khong thuc hien", "chua thuc hien",
       "khong co", "chua dat", "khong ban hanh"}  # fmt: skip
_BARE_YES_NO = re.compile(r"^\s*(co|dat|dat yeu cau)\s*/\s*(khong|khong dat|khong dat yeu cau)\s*$")
_SURVEY = re.compile(r"dieu tra xa hoi hoc|khao sat|\bxhh\b")


def _first(patterns: tuple[re.Pattern[str], ...], text: str) -> Decimal | None:
    for pattern in patterns:
        if match := pattern.search(text):
            try:
                return _number(match["each"])
            except NumberError:
                return None
    return None


# ---------------------------------------------------------------------------------------------
# The reader
# ---------------------------------------------------------------------------------------------


def _done(text: str, rule_type: str, params: str, max_score: Decimal) -> PrintedReading:
    """Run the workbook's own checks on what was read, so gaps, overlaps and points above the
    maximum are reported exactly as for a typed rule."""
    try:
        rule = parse_rule(rule_type, params, max_score)
    except RuleDefinitionError as exc:
        return PrintedReading(text, rule_type, params, None, tuple(exc.problems))
    return PrintedReading(text, rule_type, format_params(rule), rule, ())


def _refused(text: str, *problems: Msg, rule_type: str | None = None) -> PrintedReading:
    return PrintedReading(text, rule_type, "", None, problems)


def _refuse(
    text: str, problem: str, /, *, rule_type: str | None = None, **fields: Any
) -> PrintedReading:
    return _refused(text, Msg(problem, **fields), rule_type=rule_type)


def _params(rule_type: str, max_score: Decimal, **fields: object) -> str:
    return format_params(Rule(type=rule_type, max_score=max_score, **fields))  # type: ignore[arg-type]


def _not_recognised(text: str) -> PrintedReading:
    return _refuse(
        text,
        N_("The scoring text was not recognised; choose the rule type and enter its parameters."),
    )


def read_printed_rule(
    text: str | None, max_score: Decimal, section: str = "standard"
) -> PrintedReading:
    """Turn one item's printed scoring text into a checked rule, or say why it cannot.

    ``section`` matters because a decision prints a penalty as "bị trừ 0,5 điểm" while the
    service stores penalty items as the points taken off (see docs/criteria-template.md).
    """
    raw = (text or "").strip()
    if section == "survey":
        return _done(raw, "survey", "", max_score)
    if not raw:
        return _refuse(raw, N_("The item has no scoring text."))
    if len(raw) > MAX_TEXT:
        return _refuse(
            raw,
            N_("The scoring text is longer than {limit} characters; choose the rule type."),
            limit=MAX_TEXT,
        )
    prepared = _prepare(raw)
    folded = fold_letters(prepared)
    if _SURVEY.search(folded) and section == "standard" and not re.search(_NUM, folded):
        return _refuse(
            raw, N_("The text speaks of a survey but the item is not in the survey section.")
        )
    if _BARE_YES_NO.match(folded):
        return _done(raw, "yes_no", "", max_score)

    whole = _read_whole(raw, folded, max_score, section)
    if whole is not None:
        return whole

    entries = [_read_entry(e, max_score) for e in _entries(prepared)]
    # An introduction such as "Cách tính điểm:" carries no points and is not an option.
    entries = [e for e in entries if not (e.points is None and e.folded.endswith(":"))]
    scored = [e for e in entries if e.points is not None]
    if not scored:
        return _not_recognised(raw)
    unscored = [e for e in entries if e.points is None]
    if unscored:
        return _refused(
            raw,
            *(
                Msg(N_("“{entry}” gives no points; write e.g. “{entry}: 1”."), entry=e.label)
                for e in unscored
            ),
        )
    return _read_list(raw, scored, max_score, section)


def _read_whole(raw: str, folded: str, max_score: Decimal, section: str) -> PrintedReading | None:
    """Rules printed as one sentence: a points range, per-unit counts, per-violation
    deductions. None when the text is a list of options instead."""
    if match := _RANGE.search(folded):
        high = _number(match["hi"] or match["hi2"])
        if high != max_score:
            return _refuse(
                raw,
                N_("The text scores from 0 to {high} but the item's maximum is {max}."),
                high=Num(high),
                max=Num(max_score),
                rule_type="points",
            )
        step_match = _STEP.search(folded)
        step = _number(step_match["step"]) if step_match else None
        return _done(raw, "points", _params("points", max_score, step=step), max_score)

    each = _first(_EACH_DEDUCT, folded)
    rule_type = "deduction"
    if each is None:
        each = _first(_EACH_COUNT, folded)
        rule_type = "count"
    elif section in ("bonus", "penalty"):
        rule_type = "count"  # a penalty item's points are the points taken off
    if each is None:
        return None
    cap_match = _CAP.search(folded)
    cap = _number(cap_match["cap"] or cap_match["cap2"]) if cap_match else None
    if cap is not None and cap != max_score:
        return _refuse(
            raw,
            N_("The text caps the item at {cap} points but the item's maximum is {max}."),
            cap=Num(cap),
            max=Num(max_score),
            rule_type=rule_type,
        )
    if rule_type == "count":
        return _done(raw, "count", _params("count", max_score, each=each), max_score)
    return _done(raw, "deduction", _params("deduction", max_score, each=each), max_score)


def _read_list(raw: str, entries: list[_Entry], max_score: Decimal, section: str) -> PrintedReading:
    """A list of "condition: points" entries: percent bands, yes/no, deductions or levels."""
    bands = [_read_band(e.folded, e.points or ZERO) for e in entries]
    if all(b is not None for b in bands):
        tiers = _cascade([b for b in bands if b is not None])
        return _done(
            raw, "percent_tiers", _params("percent_tiers", max_score, tiers=tuple(tiers)), max_score
        )
    if any(b is not None for b in bands) and len(entries) > 1:
        mixed = [e.label for e, b in zip(entries, bands, strict=True) if b is None]
        return _refuse(
            raw,
            N_("Some lines name a percentage and others do not ({entries}); choose the rule type."),
            entries="; ".join(mixed),
        )
    points = [e.points or ZERO for e in entries]
    labels = {e.folded.strip(" :") for e in entries}
    if len(entries) == 2 and (labels & _YES) and (labels & _NO):
        best = max(points)
        if sorted(points) == [ZERO, max_score]:
            return _done(raw, "yes_no", "", max_score)
        return _refuse(
            raw,
            N_("A yes/no item gives its maximum {max} for yes and 0 for no, not {best}."),
            max=Num(max_score),
            best=Num(best),
            rule_type="yes_no",
        )
    options = tuple(
        Option(str(i), e.label, e.points or ZERO) for i, e in enumerate(entries, start=1)
    )
    minus = [e.minus for e in entries]
    if all(minus) and section == "standard":
        return _done(raw, "deduction", _params("deduction", max_score, options=options), max_score)
    if any(minus) and not all(minus):
        return _refuse(
            raw, N_("Some lines deduct points and others award them; choose the rule type.")
        )
    if section in ("bonus", "penalty"):
        if len(options) == 1 and options[0].points == max_score:
            return _done(raw, "yes_no", "", max_score)
        if all(o.points > 0 for o in options):
            none = "Không vi phạm" if section == "penalty" else "Không có"
            shifted = (Option(str(i), o.label, o.points) for i, o in enumerate(options, 2))
            options = (Option("1", none, ZERO), *shifted)
    if len(options) == 1:
        return _refuse(
            raw,
            N_("Only one scoring line was found; a choice needs at least two."),
            rule_type="levels",
        )
    best = max(o.points for o in options)
    total = sum((o.points for o in options), ZERO)
    if best < max_score and total >= max_score and all(o.points > 0 for o in options):
        return _done(raw, "checklist", _params("checklist", max_score, options=options), max_score)
    return _done(raw, "levels", _params("levels", max_score, options=options), max_score)
