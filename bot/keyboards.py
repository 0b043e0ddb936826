"""Inline buttons and their callback data (aiogram CallbackData factories).

Every button that changes an answer carries the assessment, the item and the answer version
it was drawn from, so a press on an old message is checked against what is stored now (a
colleague may have changed it meanwhile) instead of silently overwriting it. Callback data
stays under Telegram's 64 bytes: short prefixes, item codes such as "1.2.3".
"""

from __future__ import annotations

from functools import lru_cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import texts
from bot.texts import n, t
from bot.walk import shorten
from forms.evidence import size_text
from forms.models import Evidence
from forms.outline import Outline, OutlineNode
from forms.progress import Progress
from forms.queries import StoredAnswer
from forms.rules import Option


class AnswerCb(CallbackData, prefix="an"):
    """Answer an item by button: y/n (yes_no), an option key, "na", "0" (no violation)."""

    a: int
    i: str
    v: int
    x: str


class TickCb(CallbackData, prefix="tk"):
    """Toggle a checklist entry (k = option key) or save the ticks (k = "ok")."""

    a: int
    i: str
    v: int
    k: str


class NavCb(CallbackData, prefix="nv"):
    """Move from item i: d = "next", "prev", "go" (open item i in this message) or "open"
    (item i in a new message, leaving this one, e.g. a reminder, as it is)."""

    a: int
    i: str
    d: str


class ItemCb(CallbackData, prefix="it"):
    """Item tools: "files", "note", "fullnote" (the whole note as a message), "only" (toggle
    only-unanswered), "new" (send afresh)."""

    a: int
    i: str
    d: str


class ListCb(CallbackData, prefix="ls"):
    """The jump list: f = "" lists fields, f = a field code lists its items."""

    a: int
    f: str = ""


class FileCb(CallbackData, prefix="fl"):
    """Remove one evidence file (e) from item i."""

    a: int
    i: str
    e: int


class MenuCb(CallbackData, prefix="mn"):
    """Sheet-level actions: "status", "summary", "continue" (in this message), "resume" (in a
    new one), "submit", "confirm", "cancel", "leader"."""

    a: int
    d: str


class ExplainCb(CallbackData, prefix="ex"):
    """Explanation flow for review r: "open", "noscore", "send", "cancel"."""

    r: int
    d: str


class ExtendCb(CallbackData, prefix="gh"):
    """The request for an extension of sheet a: "send" or "cancel"."""

    a: int
    d: str


class LangCb(CallbackData, prefix="lg"):
    lang: str


def _btn(text: str, data: CallbackData) -> InlineKeyboardButton:
    if "v" in type(data).model_fields:  # carries an answer version: drawn once only
        return InlineKeyboardButton(text=text, callback_data=data.pack())
    return _button(text, data.pack())


@lru_cache(maxsize=4096)
def _button(text: str, data: str) -> InlineKeyboardButton:
    """A button, built once: every card draws mostly the same ones (next, list, files...).
    Shared instances are never changed after they are built."""
    return InlineKeyboardButton(text=text, callback_data=data)


def _keyboard(locale: str, *rows: list[tuple[str, CallbackData]]) -> InlineKeyboardMarkup:
    """A keyboard of fixed labels (message ids, in the reader's language), row by row."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[_btn(t(locale, label), data) for label, data in row] for row in rows]
    )


@lru_cache(maxsize=4096)
def _option_label(option: Option, deduction: bool, locale: str) -> str:
    """A level's button label; the same few on every card, so computed once."""
    return f"{shorten(option.label, 48)} ({'−' if deduction else ''}{n(option.points, locale)})"


@lru_cache(maxsize=4096)
def _tick_label(option: Option, penalty: bool, locale: str) -> str:
    return f"{shorten(option.label, 44)} ({'−' if penalty else '+'}{n(option.points, locale)})"


def item_keyboard(
    assessment_id: int,
    item: OutlineNode,
    state: StoredAnswer | None,
    locale: str,
    *,
    locked: bool,
    only_unanswered: bool,
    pending_ticks: list[str] | None = None,
) -> InlineKeyboardMarkup:
    a, code = assessment_id, item.code
    version = state.version if state else 0
    rows: list[list[InlineKeyboardButton]] = []
    rule = item.rule
    current = (state.declared or {}) if state else {}

    def mark(selected: bool, label: str) -> str:
        return f"● {label}" if selected else label

    if rule is not None and not locked:
        if rule.type == "yes_no":
            rows.append(
                [
                    _btn(
                        mark(current.get("yes") is True, t(locale, texts.BTN_YES)),
                        AnswerCb(a=a, i=code, v=version, x="y"),
                    ),
                    _btn(
                        mark(current.get("yes") is False, t(locale, texts.BTN_NO)),
                        AnswerCb(a=a, i=code, v=version, x="n"),
                    ),
                ]
            )
        elif rule.type == "levels" or (rule.type == "deduction" and rule.each is None):
            if rule.type == "deduction":
                rows.append(
                    [
                        _btn(
                            mark(
                                "option" in current and current["option"] is None,
                                t(locale, texts.BTN_NO_VIOLATION),
                            ),
                            AnswerCb(a=a, i=code, v=version, x="0"),
                        )
                    ]
                )
            for option in rule.options:
                label = _option_label(
                    option, rule.type == "deduction" or texts.is_penalty(item), locale
                )
                rows.append(
                    [
                        _btn(
                            mark(current.get("option") == option.key, label),
                            AnswerCb(a=a, i=code, v=version, x=option.key),
                        )
                    ]
                )
        elif rule.type == "checklist":
            ticks = pending_ticks if pending_ticks is not None else list(current.get("checked", []))
            for option in rule.options:
                box = "☑️" if option.key in ticks else "⬜"
                label = f"{box} {_tick_label(option, texts.is_penalty(item), locale)}"
                rows.append([_btn(label, TickCb(a=a, i=code, v=version, k=option.key))])
            rows.append([_btn(t(locale, texts.BTN_DONE), TickCb(a=a, i=code, v=version, k="ok"))])
        if rule.na_allowed:
            rows.append(
                [
                    _btn(
                        mark(bool(state and state.not_applicable), t(locale, texts.BTN_NA)),
                        AnswerCb(a=a, i=code, v=version, x="na"),
                    )
                ]
            )
    files = state.files if state else 0
    tools = [_btn(t(locale, texts.BTN_FILES, n=files), ItemCb(a=a, i=code, d="files"))]
    if not locked:
        tools.append(_btn(t(locale, texts.BTN_NOTE), ItemCb(a=a, i=code, d="note")))
    rows.append(tools)
    if texts.note_is_cut(state):
        rows.append([_btn(t(locale, texts.BTN_FULL_NOTE), ItemCb(a=a, i=code, d="fullnote"))])
    answered = bool(state and state.answered)
    rows.append(
        [
            _btn(t(locale, texts.BTN_PREV), NavCb(a=a, i=code, d="prev")),
            _btn(
                t(locale, texts.BTN_NEXT if answered else texts.BTN_SKIP),
                NavCb(a=a, i=code, d="next"),
            ),
        ]
    )
    rows.append(
        [
            _btn(t(locale, texts.BTN_LIST), ListCb(a=a)),
            _btn(t(locale, texts.BTN_STATUS), MenuCb(a=a, d="status")),
        ]
    )
    rows.append(
        [
            _btn(
                t(locale, texts.BTN_ALL_ITEMS if only_unanswered else texts.BTN_ONLY_OPEN),
                ItemCb(a=a, i=code, d="only"),
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def continue_keyboard(assessment_id: int, code: str | None, locale: str) -> InlineKeyboardMarkup:
    """Under a notice: straight to the item it is about, or back to the walk."""
    rows = []
    if code:
        rows.append(
            [
                _btn(
                    t(locale, texts.BTN_FIRST_BLOCKER, code=code),
                    NavCb(a=assessment_id, i=code, d="open"),
                )
            ]
        )
    rows.append([_btn(t(locale, texts.BTN_CONTINUE), MenuCb(a=assessment_id, d="resume"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def status_keyboard(assessment_id: int, locale: str, *, can_submit: bool) -> InlineKeyboardMarkup:
    a = assessment_id
    rows = [
        [(texts.BTN_CONTINUE, MenuCb(a=a, d="continue"))],
        [(texts.BTN_SUMMARY, MenuCb(a=a, d="summary"))],
    ]
    if can_submit:
        rows.append([(texts.BTN_SUBMIT, MenuCb(a=a, d="submit"))])
    return _keyboard(locale, *rows)


def fields_keyboard(
    assessment_id: int, tree: Outline, p: Progress, locale: str
) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    for f in p.fields:
        b.row(
            _btn(
                f"{f.code}. {shorten(f.title, 40)} ({f.answered}/{f.total})",
                ListCb(a=assessment_id, f=f.code),
            )
        )
    return b.as_markup()


def summary_keyboard(
    assessment_id: int, tree: Outline, p: Progress, locale: str
) -> InlineKeyboardMarkup:
    """Under the summary: the fields to jump to, then back to the item."""
    rows = fields_keyboard(assessment_id, tree, p, locale).inline_keyboard
    back = [_btn(t(locale, texts.BTN_CONTINUE), MenuCb(a=assessment_id, d="continue"))]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, back])


def group_items_keyboard(
    assessment_id: int,
    tree: Outline,
    group_code: str,
    answered: set[str],
    locale: str,
) -> InlineKeyboardMarkup:
    """The items under a field or a criterion, ticked when answered."""
    b = InlineKeyboardBuilder()
    for item in tree.items:
        if group_code not in {g.code for g in tree.breadcrumb(item.code)}:
            continue
        box = "✅" if item.code in answered else "⬜"
        b.row(
            _btn(
                f"{box} {item.code} {shorten(item.title, 40)}",
                NavCb(a=assessment_id, i=item.code, d="go"),
            )
        )
    group = tree.groups.get(group_code)
    if group is not None and group.parent_code in tree.groups:
        parent = tree.groups[group.parent_code]
        b.row(
            _btn(
                f"⬅️ {parent.code}. {shorten(parent.title, 30)}",
                ListCb(a=assessment_id, f=parent.code),
            )
        )
    b.row(_btn(t(locale, texts.BTN_BACK_FIELDS), ListCb(a=assessment_id)))
    return b.as_markup()


def criteria_keyboard(
    assessment_id: int,
    tree: Outline,
    field_code: str,
    answered: set[str],
    locale: str,
) -> InlineKeyboardMarkup:
    """The criteria of a field, with how many of their items are answered."""
    b = InlineKeyboardBuilder()
    for criterion in tree.criteria_of(field_code):
        codes = [
            i.code
            for i in tree.items
            if criterion.code in {g.code for g in tree.breadcrumb(i.code)}
        ]
        done = sum(1 for c in codes if c in answered)
        b.row(
            _btn(
                f"{criterion.code}. {shorten(criterion.title, 38)} ({done}/{len(codes)})",
                ListCb(a=assessment_id, f=criterion.code),
            )
        )
    b.row(_btn(t(locale, texts.BTN_BACK_FIELDS), ListCb(a=assessment_id)))
    return b.as_markup()


def files_keyboard(
    assessment_id: int, code: str, files: list[Evidence], locale: str, *, locked: bool
) -> InlineKeyboardMarkup:
    rows = []
    if not locked:
        for f in files:
            rows.append(
                [
                    _btn(
                        t(locale, texts.BTN_REMOVE, name=shorten(f.original_name, 40)),
                        FileCb(a=assessment_id, i=code, e=f.id),
                    )
                ]
            )
    rows.append([_btn(t(locale, texts.BTN_EDIT), NavCb(a=assessment_id, i=code, d="go"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def file_line(f: Evidence, locale: str, when: str) -> str:
    return f"{f.original_name} ({size_text(f.size, locale)}, {when})"


def submit_confirm_keyboard(assessment_id: int, locale: str) -> InlineKeyboardMarkup:
    return _keyboard(
        locale,
        [
            (texts.BTN_CONFIRM_SUBMIT, MenuCb(a=assessment_id, d="confirm")),
            (texts.BTN_CANCEL, MenuCb(a=assessment_id, d="cancel")),
        ],
    )


def blockers_keyboard(assessment_id: int, code: str, locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _btn(
                    t(locale, texts.BTN_FIRST_BLOCKER, code=code),
                    NavCb(a=assessment_id, i=code, d="go"),
                )
            ],
            [_btn(t(locale, texts.BTN_SUMMARY), MenuCb(a=assessment_id, d="summary"))],
        ]
    )


def leader_keyboard(assessment_id: int, locale: str) -> InlineKeyboardMarkup:
    return _keyboard(locale, [(texts.BTN_TELL_LEADER, MenuCb(a=assessment_id, d="leader"))])


def leader_submit_keyboard(assessment_id: int, locale: str) -> InlineKeyboardMarkup:
    return _keyboard(
        locale,
        [(texts.BTN_STATUS, MenuCb(a=assessment_id, d="status"))],
        [(texts.BTN_SUBMIT, MenuCb(a=assessment_id, d="submit"))],
    )


def explain_open_keyboard(review_id: int, locale: str) -> InlineKeyboardMarkup:
    return _keyboard(locale, [(texts.BTN_EXPLAIN, ExplainCb(r=review_id, d="open"))])


def explain_keyboard(review_id: int, locale: str, *, send: bool) -> InlineKeyboardMarkup:
    """Under the score prompt ("no proposed score") or the files prompt ("send"), with cancel."""
    label, action = (
        (texts.BTN_SEND_EXPLANATION, "send") if send else (texts.BTN_NO_SCORE, "noscore")
    )
    return _keyboard(
        locale,
        [(label, ExplainCb(r=review_id, d=action))],
        [(texts.BTN_CANCEL, ExplainCb(r=review_id, d="cancel"))],
    )


def extension_confirm_keyboard(assessment_id: int, locale: str) -> InlineKeyboardMarkup:
    return _keyboard(
        locale,
        [
            (texts.BTN_SEND_EXTENSION, ExtendCb(a=assessment_id, d="send")),
            (texts.BTN_CANCEL, ExtendCb(a=assessment_id, d="cancel")),
        ],
    )


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _btn("🇻🇳 Tiếng Việt", LangCb(lang="vi")),
                _btn("🇬🇧 English", LangCb(lang="en")),
            ]
        ]
    )
