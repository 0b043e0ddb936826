"""Everything the bot says, rendered in the reader's language (Vietnamese first).

Pure functions from plain data to Telegram HTML: no aiogram, so tests import them cheaply.
Message ids are English and marked with ``N_``; the Vietnamese texts live in
``core/locales/vi/bot.po``. Any text that comes from people (titles, notes, names) is escaped.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from html import escape
from zoneinfo import ZoneInfo

from bot.fit import clip, fits
from bot.walk import progress_bar
from core.i18n import N_, Msg
from core.numbers import format_score
from core.timefmt import format_datetime
from forms.evidence_policy import WHEN_POINTS
from forms.models import Section
from forms.outline import Outline, OutlineNode
from forms.progress import Progress
from forms.queries import StoredAnswer
from forms.rules import DEFAULT_STEP, Rule, Tier, describe

# How many characters of people's text a card shows (before escaping). With the fixed text of
# a card they keep it under Telegram's 4,096 units; a card that is still too long (a set with
# very long guidance) is drawn again compact, see :func:`item_card`.
TITLE_CHARS = 300
CRUMB_CHARS = 100
GUIDANCE_CHARS = 1200
EVIDENCE_CHARS = 500
NOTE_PREVIEW_CHARS = 300
ANSWER_CHARS = 300
COMPACT_CHARS = 150


CODES_SHOWN = 30
"""Item codes listed in one line (missing evidence, unanswered); the rest are counted, so a
set of several hundred items still gives a message that fits."""


def codes_text(codes: list[str], limit: int = CODES_SHOWN) -> str:
    """ "1.1.1, 1.1.3, … (+12)": item codes (escaped) as one line of bounded length."""
    shown = ", ".join(escape(c) for c in codes[:limit])
    return shown if len(codes) <= limit else f"{shown}, … (+{len(codes) - limit})"


def t(locale: str, msgid: str, **params: object) -> str:
    if not params:
        return _plain(locale, msgid)
    return Msg(msgid, **params).render(locale)


@lru_cache(maxsize=4096)
def _plain(locale: str, msgid: str) -> str:
    """A text without parameters (button labels, prompts): the same few on every card."""
    return Msg(msgid).render(locale)


def n(value: Decimal | int | None, locale: str) -> str:
    """A score as officials write it ("0,5"); cached, as babel's formatting is slow and a
    card shows the same few numbers again and again."""
    return _formatted(Decimal(value) if value is not None else None, locale)


@lru_cache(maxsize=4096)
def _formatted(value: Decimal | None, locale: str) -> str:
    return format_score(value, locale)


# ---------------------------------------------------------------------------------------------
# Buttons (short labels)
# ---------------------------------------------------------------------------------------------

BTN_YES = N_("Yes")
BTN_NO = N_("No")
BTN_NA = N_("Not applicable")
BTN_DONE = N_("✔️ Done")
BTN_NO_VIOLATION = N_("No violation")
BTN_NEXT = N_("Next ▶")
BTN_SKIP = N_("Skip ▶")
BTN_PREV = N_("◀ Previous")
BTN_LIST = N_("📋 List")
BTN_STATUS = N_("📊 Progress")
BTN_FILES = N_("📎 Files ({n})")
BTN_NOTE = N_("📝 Note")
BTN_FULL_NOTE = N_("📄 Full note")
BTN_ONLY_OPEN = N_("🔎 Only unanswered")
BTN_ALL_ITEMS = N_("🔎 All items")
BTN_EDIT = N_("✏️ Change")
BTN_CONTINUE = N_("▶ Continue")
BTN_SUMMARY = N_("🗂 Summary by field")
BTN_SUBMIT = N_("📨 Submit the score sheet")
BTN_CONFIRM_SUBMIT = N_("✅ Yes, submit")
BTN_CANCEL = N_("✖️ Cancel")
BTN_BACK_FIELDS = N_("⬅️ Fields")
BTN_REMOVE = N_("🗑 Remove {name}")
BTN_TELL_LEADER = N_("📣 Ask the leader to approve")
BTN_EXPLAIN = N_("✍️ Explain")
BTN_NO_SCORE = N_("No proposed score")
BTN_SEND_EXPLANATION = N_("📨 Send the explanation")
BTN_FIRST_BLOCKER = N_("➡️ Go to item {code}")
BTN_SEND_EXTENSION = N_("📨 Send the request")


# ---------------------------------------------------------------------------------------------
# Scoring guidance and prompts per rule type
# ---------------------------------------------------------------------------------------------


def _pts(value: Decimal, locale: str) -> str:
    return t(locale, N_("{points} points"), points=n(value, locale))


def _minus(value: Decimal, locale: str) -> str:
    """A deduction as a deduction: "trừ 0,5 điểm", never "0,5 điểm" that reads as earned."""
    return t(locale, N_("minus {points} points"), points=n(value, locale))


def is_penalty(item: OutlineNode) -> bool:
    """Items of the penalty section (Điểm trừ): their points are subtracted from the total."""
    return item.section == Section.penalty


def tier_text(tier: Tier, locale: str) -> str:
    """ "70% ≤ x < 90%", or "x = 100%" when the band is a single value."""
    if tier.low == tier.high:
        return f"x = {n(tier.low, locale)}%"
    low = "≤" if tier.low_inclusive else "<"
    high = "≤" if tier.high_inclusive else "<"
    return f"{n(tier.low, locale)}% {low} x {high} {n(tier.high, locale)}%"


def scoring_text(rule: Rule, locale: str, *, penalty: bool = False) -> str:
    """How the item is scored, as the criteria decision prints it; in the penalty section
    every amount is a deduction ("trừ 0,5 điểm")."""
    if penalty:
        return _penalty_scoring_text(rule, locale)
    if rule.type == "yes_no":
        return (
            f"{t(locale, BTN_YES)}: {_pts(rule.max_score, locale)}; "
            f"{t(locale, BTN_NO)}: {_pts(Decimal(0), locale)}"
        )
    if rule.type == "levels":
        return "; ".join(f"{escape(o.label)}: {_pts(o.points, locale)}" for o in rule.options)
    if rule.type == "checklist":
        parts = "; ".join(f"{escape(o.label)} (+{n(o.points, locale)})" for o in rule.options)
        return t(locale, N_("points of each item done are added: {parts}"), parts=parts)
    if rule.type == "percent_tiers":
        return "; ".join(
            escape(tier_text(tier, locale) + ": ") + _pts(tier.points, locale)
            for tier in rule.tiers
        )
    if rule.type == "count":
        cap = rule.max_score if rule.cap is None else min(rule.cap, rule.max_score)
        return t(
            locale,
            N_("{each} points for each one, at most {cap} points"),
            each=n(rule.each, locale),
            cap=n(cap, locale),
        )
    if rule.type == "points":
        return t(
            locale,
            N_("self-scored from 0 to {max} points, in steps of {step}"),
            max=n(rule.max_score, locale),
            step=n(rule.step or DEFAULT_STEP, locale),
        )
    if rule.type == "deduction":
        if rule.each is not None:
            return t(
                locale,
                N_("{max} points, minus {each} for each violation (not below 0)"),
                max=n(rule.max_score, locale),
                each=n(rule.each, locale),
            )
        parts = [f"{t(locale, BTN_NO_VIOLATION)}: {_pts(rule.max_score, locale)}"]
        parts += [
            f"{escape(o.label)}: {t(locale, N_('minus {points}'), points=n(o.points, locale))}"
            for o in rule.options
        ]
        return "; ".join(parts)
    return ""


def _penalty_scoring_text(rule: Rule, locale: str) -> str:
    """A penalty item's rule: what each event deducts, and the most it can deduct."""
    most = t(locale, N_("at most {points} deducted"), points=n(rule.max_score, locale))
    if rule.type == "count":
        cap = rule.max_score if rule.cap is None else min(rule.cap, rule.max_score)
        return t(
            locale,
            N_("{each} points deducted for each one, at most {cap} points deducted"),
            each=n(rule.each, locale),
            cap=n(cap, locale),
        )
    if rule.type in ("levels", "checklist"):
        parts = "; ".join(f"{escape(o.label)}: {_minus(o.points, locale)}" for o in rule.options)
        return f"{parts} ({most})"
    if rule.type == "yes_no":
        return f"{t(locale, BTN_YES)}: {_minus(rule.max_score, locale)}"
    if rule.type == "percent_tiers":
        return "; ".join(
            escape(tier_text(tier, locale) + ": ") + _minus(tier.points, locale)
            for tier in rule.tiers
        )
    return f"{scoring_text(rule, locale)} ({most})"


def prompt_text(rule: Rule, locale: str) -> str:
    """What to do now, in one sentence."""
    if rule.type == "yes_no":
        return t(locale, N_("Press “Yes” or “No” below."))
    if rule.type == "levels":
        return t(locale, N_("Press the level that applies, below."))
    if rule.type == "checklist":
        return t(locale, N_("Tick what was done (press again to untick), then press “Done”."))
    if rule.type == "percent_tiers":
        return t(locale, N_("Type the percentage reached and send it, e.g. 95, 95% or 45/50."))
    if rule.type == "count":
        return t(locale, N_("Type the number (a whole number) and send it, e.g. 3."))
    if rule.type == "points":
        return t(
            locale,
            N_("Type the points and send them, e.g. {example}."),
            example=n(rule.step or Decimal("0.5"), locale),
        )
    if rule.type == "deduction" and rule.each is not None:
        return t(locale, N_("Type the number of violations and send it (0 if none)."))
    if rule.type == "deduction":
        return t(locale, N_("Press “No violation” or the level of the violation."))
    return ""


# ---------------------------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------------------------


def deadline_text(p: Progress, locale: str) -> str:
    return t(
        locale,
        N_("deadline {when} ({remaining})"),
        when=p.deadline_text,
        remaining=p.remaining.render(locale),
    )


def progress_line(p: Progress, locale: str) -> str:
    """The one line on top of every item card."""
    line = t(
        locale,
        N_("{bar} {answered}/{total} answered · {score} points · {deadline}"),
        bar=progress_bar(p.answered, p.total),
        answered=p.answered,
        total=p.total,
        score=n(p.self_score, locale),
        deadline=deadline_text(p, locale),
    )
    if p.missing_evidence:
        line += "\n" + t(
            locale,
            N_("⚠️ Missing required evidence: {codes}"),
            codes=codes_text(p.missing_evidence),
        )
    return line


def status_text(
    p: Progress,
    locale: str,
    *,
    unit: str,
    period: str,
    submitted_at: datetime | None,
    tz: ZoneInfo,
) -> str:
    lines = [
        "<b>" + t(locale, N_("📊 Self-assessment progress — {unit}"), unit=escape(unit)) + "</b>",
        t(locale, N_("Assessment period: {period}"), period=escape(period)),
        t(
            locale,
            N_("{bar} {answered}/{total} items answered"),
            bar=progress_bar(p.answered, p.total),
            answered=p.answered,
            total=p.total,
        ),
        t(locale, N_("Self-assessed score so far: {score}"), score=n(p.self_score, locale)),
    ]
    if p.missing_evidence:
        lines.append(
            t(
                locale,
                N_("Items lacking required evidence: {codes}"),
                codes=codes_text(p.missing_evidence),
            )
        )
    lines.append(
        t(
            locale,
            N_("Deadline: {when} ({remaining})"),
            when=p.deadline_text,
            remaining=p.remaining.render(locale),
        )
    )
    if submitted_at is not None:
        lines.append(
            "🔒 "
            + t(
                locale,
                N_("Submitted on {when}: the answers are read-only."),
                when=format_datetime(submitted_at, tz),
            )
        )
    elif p.unanswered:
        lines.append(t(locale, N_("Still unanswered: {count} item(s)."), count=len(p.unanswered)))
    elif p.missing_evidence:
        # answered, but not yet submittable: say so, never "you can submit" beside the list
        lines.append(
            t(
                locale,
                N_(
                    "Every item is answered, but the score sheet can be submitted only once "
                    "the required evidence is attached."
                ),
            )
        )
    else:
        lines.append(t(locale, N_("Every item is answered: you can submit the score sheet.")))
    return "\n".join(lines)


def summary_text(p: Progress, locale: str) -> str:
    lines = ["<b>" + t(locale, N_("🗂 Summary by field")) + "</b>"]
    for f in p.fields:
        lines.append("")
        lines.append(f"<b>{escape(f.code)}. {escape(clip(f.title, CRUMB_CHARS))}</b>")
        msgid = (
            N_("{answered}/{total} answered · minus {score} points (maximum deduction {max})")
            if f.section == Section.penalty
            else N_("{answered}/{total} answered · {score}/{max} points")
        )
        lines.append(
            t(
                locale,
                msgid,
                answered=f.answered,
                total=f.total,
                score=n(f.score, locale),
                max=n(f.max_score, locale),
            )
        )
        for msgid, codes in (
            (N_("Unanswered: {codes}"), f.unanswered),
            (N_("Lacking required evidence: {codes}"), f.missing_evidence),
        ):
            if codes:
                lines.append(t(locale, msgid, codes=codes_text(codes)))
    lines.append("")
    lines.append(
        t(locale, N_("Self-assessed score so far: {score}"), score=n(p.self_score, locale))
    )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The item card
# ---------------------------------------------------------------------------------------------


def answer_text(item: OutlineNode, state: StoredAnswer | None, locale: str) -> str:
    """ "Ban hành muộn → 0,5/1 points" """
    if state is None or not state.answered or item.rule is None:
        return ""
    try:
        value = describe(item.rule, state.declared or {"na": True}, locale)
    except Exception:  # a stale value the rule no longer accepts: show it was answered
        value = "?"
    value = clip(value, ANSWER_CHARS)
    if state.not_applicable:
        return escape(value)
    msgid = (
        N_("{value} → minus {score} points (maximum deduction {max})")
        if is_penalty(item)
        else N_("{value} → {score}/{max} points")
    )
    return t(
        locale,
        msgid,
        value=escape(value),
        score=n(state.self_score or 0, locale),
        max=n(item.max_score, locale),
    )


def item_card(
    tree: Outline,
    item: OutlineNode,
    state: StoredAnswer | None,
    p: Progress,
    locale: str,
    *,
    tz: ZoneInfo,
    locked: bool,
    submitted: bool = True,
    only_unanswered: bool = False,
    notice: str = "",
    pending_ticks: list[str] | None = None,
) -> str:
    """One item with everything needed to answer it, and where the sheet stands. A locked
    card shows no answer buttons; ``submitted`` says why (else the notice gives the reason,
    such as the deadline).

    People's text is cut to a known size (a long note shows its start, the rest is one tap
    away), so the card fits Telegram's limit; should a set's guidance still make it too long,
    the card is drawn compact, and at worst without the notice: it always opens."""
    text = ""
    for compact, with_notice in ((False, True), (True, True), (True, False)):
        text = _item_card(
            tree,
            item,
            state,
            p,
            locale,
            tz=tz,
            locked=locked,
            submitted=submitted,
            only_unanswered=only_unanswered,
            notice=notice if with_notice else "",
            pending_ticks=pending_ticks,
            compact=compact,
        )
        if fits(text):
            break
    return text


def note_is_cut(state: StoredAnswer | None) -> bool:
    """Whether the card shows only the start of the note (then a button shows all of it)."""
    return bool(state and len(state.note) > NOTE_PREVIEW_CHARS)


def _item_card(
    tree: Outline,
    item: OutlineNode,
    state: StoredAnswer | None,
    p: Progress,
    locale: str,
    *,
    tz: ZoneInfo,
    locked: bool,
    submitted: bool,
    only_unanswered: bool,
    notice: str,
    pending_ticks: list[str] | None,
    compact: bool,
) -> str:
    lines = [progress_line(p, locale)]
    if only_unanswered:
        lines.append(t(locale, N_("🔎 Showing only unanswered items")))
    if notice:
        lines += ["", notice]
    lines.append("")
    lines.append(
        tree.memo(
            ("card", item.code, locale, compact), lambda: _card_head(tree, item, locale, compact)
        )
    )
    files = state.files if state else 0
    if files:
        lines.append(t(locale, N_("📎 Files attached: {n}"), n=files))
    if state and state.note:
        shown = clip(state.note, COMPACT_CHARS if compact else NOTE_PREVIEW_CHARS)
        lines.append(t(locale, N_("📝 Note: {text}"), text=escape(shown)))
        if note_is_cut(state):
            lines.append(
                t(
                    locale,
                    N_("(the note is shortened: press “{button}” to read all of it)"),
                    button=t(locale, BTN_FULL_NOTE),
                )
            )
    lines.append("")
    if state is not None and state.answered:
        lines.append(
            "✅ " + t(locale, N_("Answer: {answer}"), answer=answer_text(item, state, locale))
        )
        if state.updated_by and state.updated_at:
            lines.append(
                "<i>"
                + t(
                    locale,
                    N_("set by {who}, {when}"),
                    who=escape(state.updated_by),
                    when=format_datetime(state.updated_at, tz),
                )
                + "</i>"
            )
        if files == 0 and not locked and item.needs_evidence(state):
            lines.append(
                "⚠️ "
                + t(
                    locale,
                    N_(
                        "This item requires evidence: send the files here (press 📎 next to "
                        "the message box). PDF, Word, Excel or photos."
                    ),
                )
            )
    else:
        lines.append("❔ " + t(locale, N_("Not answered yet.")))
    if locked and submitted:
        lines.append("🔒 " + t(locale, N_("The score sheet is submitted: read only.")))
    elif item.rule is not None:
        if pending_ticks is not None and item.rule.type == "checklist":
            ticked = sum(
                (o.points for o in item.rule.options if o.key in pending_ticks), Decimal(0)
            )
            lines.append(
                t(
                    locale,
                    N_("Ticked now: {count} → {score} points (press “Done” to save)"),
                    count=len(pending_ticks),
                    score=n(min(ticked, item.max_score), locale),
                )
            )
        lines.append("👉 " + prompt_text(item.rule, locale))
    return "\n".join(lines)


def _card_head(tree: Outline, item: OutlineNode, locale: str, compact: bool = False) -> str:
    """The part of an item card that only depends on the item: where it sits, its title, how
    it is scored, what evidence it expects (compact: each cut short, for sets whose guidance
    would make the card too long for Telegram)."""
    lines = []
    crumb_chars = 40 if compact else CRUMB_CHARS
    crumbs = " › ".join(
        f"{escape(g.code)}. {escape(clip(g.title, crumb_chars))}"
        for g in tree.breadcrumb(item.code)
    )
    if crumbs:
        lines.append(f"<i>{crumbs}</i>")
    title = clip(item.title, COMPACT_CHARS if compact else TITLE_CHARS)
    lines.append(f"<b>{escape(item.code)}. {escape(title)}</b>")
    if is_penalty(item):
        lines.append(t(locale, N_("Maximum deduction: {max}"), max=n(item.max_score, locale)))
    else:
        lines.append(t(locale, N_("Maximum score: {max}"), max=n(item.max_score, locale)))
    if item.rule is not None:
        how = scoring_text(item.rule, locale, penalty=is_penalty(item))
        if compact and len(how) > 4 * COMPACT_CHARS:
            how = t(locale, N_("see the criteria decision or the web form (/web)"))
        lines.append(t(locale, N_("Scoring: {how}"), how=how))
    if item.guidance:
        guidance = clip(item.guidance, COMPACT_CHARS if compact else GUIDANCE_CHARS)
        lines.append(t(locale, N_("Guidance: {text}"), text=escape(guidance)))
    when_points = item.evidence_when == WHEN_POINTS
    if item.evidence:
        if not item.evidence_required:
            msgid = N_("Evidence: {what}")
        elif when_points:
            msgid = N_("Evidence (required when points are claimed): {what}")
        else:
            msgid = N_("Evidence (required): {what}")
        evidence = clip(item.evidence, COMPACT_CHARS if compact else EVIDENCE_CHARS)
        lines.append(t(locale, msgid, what=escape(evidence)))
    elif item.evidence_required:
        lines.append(
            t(
                locale,
                N_("Evidence: required when points are claimed")
                if when_points
                else N_("Evidence: required"),
            )
        )
    if item.na_allowed:
        lines.append(t(locale, N_("This item may be marked “not applicable”.")))
    return "\n".join(lines)


def answered_line(item: OutlineNode, state: StoredAnswer, locale: str) -> str:
    """What an item card becomes once answered, when the walk moves on."""
    title = clip(item.title, TITLE_CHARS)
    return f"✅ <b>{escape(item.code)}. {escape(title)}</b>\n" + t(
        locale, N_("Answer: {answer}"), answer=answer_text(item, state, locale)
    )


# ---------------------------------------------------------------------------------------------
# Conversation texts
# ---------------------------------------------------------------------------------------------

HELP = N_(
    "<b>How to self-assess with this bot</b>\n"
    "\n"
    "This bot lets your unit score itself on every item of the PAR index (Chỉ số CCHC) right "
    "here in Telegram.\n"
    "\n"
    "1. The bot shows one item at a time: its field and criterion, the maximum score, how it "
    "is scored and which evidence is expected.\n"
    "2. To answer, press one of the buttons under the message (e.g. “Yes”, “No” or a level). "
    "When a number is asked for, type it in the message box at the bottom and press send "
    "(e.g. 95, 45/50 or 0,5). The score is computed for you and shown at once.\n"
    "3. To send evidence, press the paper clip 📎 next to the message box, choose files (PDF, "
    "Word, Excel) or photos and send them; several at once is fine. Each file up to {limit}. "
    "Add a caption such as “page 3” to say where the proof is.\n"
    "4. “Next ▶” and “◀ Previous” move between items; “📋 List” jumps to any field or "
    "criterion; “📝 Note” adds a note or explanation to the item.\n"
    "5. /status shows your progress and deadline; when everything is answered, /submit sends "
    "the score sheet. After that the answers can no longer be changed.\n"
    "6. When the appraisal team asks for an explanation, the bot tells you here: press "
    "“✍️ Explain” to answer.\n"
    "7. Prefer a big screen? /web gives a one-time link to the same score sheet in a browser.\n"
    "8. /scorecard sends your unit's self-assessment and scoring table (an Excel file) as it "
    "stands now.\n"
    "9. Need more time? /extend asks the secretariat for a later self-assessment deadline: "
    "type the date and the reason; the bot tells you when it is approved or refused.\n"
    "\n"
    "Everything is saved the moment you press or send; stop any time and come back with "
    "/continue. Press the “Menu” button next to the message box to see all commands; /language "
    "switches between Vietnamese and English.\n"
    "Need help? Contact the PAR team of the Department of Home Affairs."
)

NOT_BOUND = N_(
    "Hello! This bot is for the officers in charge of the PAR index self-assessment of their "
    "unit.\n"
    "\n"
    "Your Telegram account is not linked yet. Ask the Department of Home Affairs (PAR team) for "
    "an invite code, then either open the link they send you, or type /start followed by the "
    "code, for example:\n"
    "/start ABCD-EFGH-JKMN"
)

WELCOME = N_(
    "Welcome, {name}! Your Telegram account is now linked to {unit}.\n"
    "\n"
    "Type /help at any time to see how it works. Let us start with the first item."
)

WELCOME_BACK = N_("Hello {name} ({unit}). Type /help to see how it works.")
NO_SHEET = N_(
    "Your unit has no score sheet open for self-assessment right now. The bot will tell you "
    "when the period opens."
)
ALL_ANSWERED = N_(
    "🎉 Every item is answered. Check the summary, add any missing evidence, then submit the "
    "score sheet."
)
END_OF_LIST = N_("This is the last item. Use “📋 List” to jump elsewhere, or /submit.")
START_OF_LIST = N_("This is the first item.")
NOTE_PROMPT = N_(
    "Type a note or explanation for item {code} and send it (/cancel to go back without saving)."
)
NOTE_SAVED = N_("📝 Note saved for item {code}.")
NOTE_FULL = N_("📝 Note of item {code}:")
TEXT_OUTSIDE_WALK = N_(
    "To answer, open an item first: /continue. Type /help to see how the bot works."
)
TYPED_BEFORE_CARD = N_(
    "⚠️ “{text}” was sent before the item now open was shown, so it was not saved for that "
    "item. Check the item above and answer it again if needed."
)
TYPED_NOT_SAVED = N_(
    "⚠️ “{text}” was not saved: the bot had lost track of the item you were on. This is the "
    "item to answer now; please check it and answer again."
)
FILE_BEFORE_CARD = N_(
    "⚠️ The file “{name}” was sent before the item now open was shown, so it was not "
    "attached to that item. Send it again if it belongs there."
)
FILE_NOT_SAVED = N_(
    "⚠️ The file “{name}” was not attached: the bot had lost track of the item you were on. "
    "This is the item open now; send the file again if it belongs here."
)
FILE_OUTSIDE_WALK = N_(
    "To attach evidence, open the item first (/continue or /list), then send the file again."
)
LANGUAGE_PROMPT = N_("Choose your language:")
LANGUAGE_SET = N_("The bot now speaks English.")
CANCELLED = N_("Cancelled. Back to the item.")
ERROR = N_("Something went wrong on our side; your last action may not be saved. Please try again.")

CHOOSE_FIELD = N_("📋 Choose a field:")
CHOOSE_ITEM = N_("📋 {code}. {title}\nChoose an item (✅ answered, ⬜ not yet):")
CHOOSE_CRITERION = N_("📋 {code}. {title}\nChoose a criterion:")

FILES_SAVED = N_("📎 Saved {count} file(s) for item {code}: {names}")
FILES_DUPLICATE = N_("Already attached (same content): {names}")
FILES_REFUSED = N_("Not saved:")
FILES_LIST = N_("📎 Files of item {code}:")
FILES_NONE = N_("No file is attached to item {code} yet. Send files here to attach them.")
FILE_REMOVED = N_("🗑 Removed “{name}” from item {code}.")
FILES_MORE = N_("… and {count} more file(s): see them all on the web form (/web).")

SUBMIT_BLOCKED = N_("The score sheet cannot be submitted yet.")
SUBMIT_UNANSWERED = N_("Unanswered items ({count}): {codes}")
SUBMIT_MISSING = N_("Items lacking required evidence ({count}): {codes}")
SUBMIT_CONFIRM = N_(
    "<b>Submit the self-assessment score sheet of {unit}?</b>\n"
    "All {total} items are answered; self-assessed score: {score}.\n"
    "After submission the answers cannot be changed any more; the appraisal team will review "
    "them."
)
SUBMIT_DONE = N_(
    "✅ The self-assessment score sheet of {unit} was submitted on {when}. Self-assessed score: "
    "{score}. The answers are now read-only; the bot will tell you if the appraisal team asks "
    "for an explanation."
)
SUBMIT_CANCELLED = N_("Not submitted. You can keep working on the score sheet.")
LEADER_NEEDED = N_(
    "This period requires the unit leader's approval: the leader submits the score sheet. "
    "Press the button to ask your leader."
)
LEADER_ASKED = N_("Your leader(s) were asked to approve and submit: {names}.")
LEADER_NONE = N_(
    "No leader of your unit has linked Telegram yet; please ask them directly, or ask the "
    "secretariat for the leader's invite code."
)
LEADER_REQUEST = N_(
    "📣 {name} reports that the self-assessment score sheet of {unit} is complete and asks "
    "you, as the unit leader, to review and submit it."
)

EXPLAIN_REQUEST = N_(
    "📮 <b>Explanation requested — item {code}. {title}</b>\n"
    "Self-assessed score: {self_score} · Appraised score: {appraised}\n"
    "Appraiser's comment: {comment}\n"
    "Explanation due: {due}"
)
EXPLAIN_NONE = N_("There is no open explanation request for your unit.")
EXPLAIN_LIST = N_("📮 Open explanation requests ({count}):")
EXPLAIN_TEXT_PROMPT = N_(
    "✍️ Type your explanation for item {code} in one message and send it (/cancel to stop)."
)
EXPLAIN_SCORE_PROMPT = N_(
    "Propose a score between 0 and {max} (e.g. {example}), or press “No proposed score”."
)
EXPLAIN_FILES_PROMPT = N_(
    "Send any supporting files now (optional), then press “📨 Send the explanation”."
)
EXPLAIN_FILES_COUNT = N_("Files attached to this explanation: {count}.")
EXPLAIN_SENT = N_("✅ Your explanation for item {code} was sent to the appraisal team on {when}.")
EXPLAIN_SCORE_RANGE = N_("The proposed score must be between 0 and {max}.")
WEB_LINK = N_(
    "🌐 Open your unit's score sheet in a browser (same answers, same files): {url}\n"
    "The link works once and until {when}; do not forward it."
)
WEB_UNAVAILABLE = N_("The web form is not available on this server.")
UNKNOWN_COMMAND = N_("Unknown command. Type /help to see what the bot can do.")

SCORECARD_CAPTION = N_("📊 Self-assessment and scoring table of {unit} — {period}, as of {when}.")

EXTEND_START = N_(
    "📅 <b>Request an extension of the self-assessment deadline — {unit}</b>\n"
    "Current deadline: {deadline}.\n"
    "Type the new deadline you ask for as dd/mm/yyyy (at the latest {latest}) and send it. "
    "/cancel to stop."
)
EXTEND_REASON = N_(
    "Date asked for: {until}.\nNow type the reason for the extension in one message and send it."
)
EXTEND_CONFIRM = N_(
    "<b>Send this request for an extension to the secretariat?</b>\n"
    "Unit: {unit}\n"
    "Current deadline: {deadline}\n"
    "New deadline asked for: {until}\n"
    "Reason: {reason}"
)
EXTEND_SENT = N_(
    "✅ The request for an extension until {until} was sent to the secretariat on {when}. The "
    "bot will tell you when it is approved or refused; until then the current deadline "
    "({deadline}) applies."
)
EXTEND_CANCELLED = N_("Cancelled: no request for an extension was sent.")
