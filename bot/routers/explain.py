"""The appraisal loop in the chat: requests for explanation, answered with text, a proposed
score and files, through :func:`scoring.explanations.answer_explanation`."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import keyboards, texts
from bot.conversation import Conversation
from bot.deps import BotDeps
from bot.fit import clip
from bot.queries import ChatOfficer
from bot.routers.common import Explain, TypedText, bound_router
from bot.texts import n, t
from core.audit import Actor
from core.i18n import UserError
from core.numbers import NumberError, parse_decimal
from core.timefmt import format_datetime
from forms.progress import days_between, remaining
from scoring.explanations import answer_explanation, open_requests
from scoring.models import Review

EXPLAIN_COMMENT_CHARS = 2000  # with the title (300) and the fixed text, under 4,096 units


def router() -> Router:
    router = bound_router("explain")
    router.message.register(on_explain_command, Command("explain", "giaitrinh"))
    router.message.register(on_text, StateFilter(Explain.text), TypedText())
    router.message.register(on_score, StateFilter(Explain.score), TypedText())
    router.message.register(on_text_while_files, StateFilter(Explain.files), TypedText())
    button = keyboards.ExplainCb.filter
    router.callback_query.register(on_open, button(F.d == "open"))
    router.callback_query.register(on_no_score, button(F.d == "noscore"))
    router.callback_query.register(on_send, button(F.d == "send"))
    router.callback_query.register(on_cancel, button(F.d == "cancel"))
    return router


async def load_review(review_id: int) -> Review | None:
    return await Review.get_or_none(id=review_id).prefetch_related(
        "answer__node", "answer__assessment__period"
    )


def request_text(review: Review, locale: str, deps: BotDeps) -> str:
    """The request as the officer reads it: item, scores, comment, due date."""
    node = review.answer.node
    due = review.explanation_due_at or review.answer.assessment.period.explanation_due_at
    if due is not None:
        now = deps.now()
        left = remaining(days_between(now, due, deps.tz), passed=now >= due).render(locale)
        due_text = f"{format_datetime(due, deps.tz)} ({left})"
    else:
        due_text = "—"
    return t(
        locale,
        texts.EXPLAIN_REQUEST,
        code=escape(node.code),
        title=escape(clip(node.title, texts.TITLE_CHARS)),
        self_score=n(review.answer.self_score, locale),
        appraised=n(review.appraised_score, locale),
        # an appraiser's comment may be 4,000 characters (the web form's limit): cut, so the
        # request fits one Telegram message; the full comment is on the web form (/web)
        comment=escape(clip(review.comment or "—", EXPLAIN_COMMENT_CHARS)),
        due=due_text,
    )


async def on_explain_command(
    message: Message, locale: str, deps: BotDeps, convo: Conversation
) -> None:
    sheet_id = await convo.sheet_id()
    requests = await open_requests(sheet_id) if sheet_id else []
    if not requests:
        await message.answer(t(locale, texts.EXPLAIN_NONE))
        return
    await message.answer(t(locale, texts.EXPLAIN_LIST, count=len(requests)))
    for review in requests:
        full = await load_review(review.id)
        assert full is not None
        await message.answer(
            request_text(full, locale, deps),
            reply_markup=keyboards.explain_open_keyboard(review.id, locale),
        )


async def _end(convo: Conversation) -> None:
    """Out of the explanation dialogue: its keys (all start with "x") dropped."""
    data = await convo.data()
    await convo.save(None, {k: v for k, v in data.items() if not k.startswith("x")})


async def on_open(
    cb: CallbackQuery,
    callback_data: keyboards.ExplainCb,
    officer: ChatOfficer,
    locale: str,
    state: FSMContext,
) -> None:
    await cb.answer()
    review = await load_review(callback_data.r)
    if review is None or cb.message is None:
        return
    if review.answer.assessment.unit_id != officer.unit_id:  # type: ignore[attr-defined]
        return
    await state.set_state(Explain.text)
    await state.update_data(xr=review.id, xt="", xs=None, xf=[])
    await cb.message.answer(t(locale, texts.EXPLAIN_TEXT_PROMPT, code=review.answer.node.code))


async def _current_review(state: FSMContext) -> Review | None:
    """The review being explained; None, and the dialogue left, when it is gone."""
    review = await load_review(int((await state.get_data()).get("xr") or 0))
    if review is None:
        await state.set_state(None)
    return review


async def on_text(message: Message, locale: str, state: FSMContext) -> None:
    review = await _current_review(state)
    if review is None:
        return
    await state.update_data(xt=message.text or "")
    await state.set_state(Explain.score)
    example = n(Decimal(review.answer.node.max_score) / 2, locale)
    await message.answer(
        t(
            locale,
            texts.EXPLAIN_SCORE_PROMPT,
            max=n(Decimal(review.answer.node.max_score), locale),
            example=example,
        ),
        reply_markup=keyboards.explain_keyboard(review.id, locale, send=False),
    )


async def on_score(message: Message, locale: str, state: FSMContext) -> None:
    review = await _current_review(state)
    if review is None:
        return
    maximum = Decimal(review.answer.node.max_score)
    try:
        score = parse_decimal((message.text or "").strip().removesuffix("điểm").strip())
    except NumberError as exc:
        await message.reply("⚠️ " + escape(exc.render(locale)))
        return
    if score < 0 or score > maximum:
        await message.reply("⚠️ " + t(locale, texts.EXPLAIN_SCORE_RANGE, max=n(maximum, locale)))
        return
    await state.update_data(xs=str(score))
    await _ask_files(message, review.id, locale, state)


async def on_text_while_files(message: Message, locale: str, state: FSMContext) -> None:
    data = await state.get_data()
    await _ask_files(message, int(data.get("xr") or 0), locale, state)


async def on_no_score(
    cb: CallbackQuery, callback_data: keyboards.ExplainCb, locale: str, state: FSMContext
) -> None:
    await cb.answer()
    await state.update_data(xs=None)
    if isinstance(cb.message, Message):
        await _ask_files(cb.message, callback_data.r, locale, state)


async def _ask_files(message: Message, review_id: int, locale: str, state: FSMContext) -> None:
    await state.set_state(Explain.files)
    await message.answer(
        t(locale, texts.EXPLAIN_FILES_PROMPT),
        reply_markup=keyboards.explain_keyboard(review_id, locale, send=True),
    )


async def on_send(
    cb: CallbackQuery,
    callback_data: keyboards.ExplainCb,
    actor: Actor,
    locale: str,
    deps: BotDeps,
    convo: Conversation,
) -> None:
    data = await convo.data()
    if data.get("xr") != callback_data.r:
        await cb.answer()
        return
    try:
        explanation = await answer_explanation(
            actor,
            callback_data.r,
            text=str(data.get("xt") or ""),
            proposed_score=data.get("xs"),
            evidence_ids=list(data.get("xf") or []),
            now=deps.now(),
            tz=deps.tz,
        )
    except UserError as exc:
        await cb.answer(exc.render(locale)[:190], show_alert=True)
        if isinstance(cb.message, Message):
            await cb.message.answer("⚠️ " + escape(exc.render(locale)))
        return
    await cb.answer()
    review = await load_review(callback_data.r)
    assert review is not None
    await _end(convo)
    if isinstance(cb.message, Message):
        await cb.message.edit_text(
            t(
                locale,
                texts.EXPLAIN_SENT,
                code=review.answer.node.code,
                when=format_datetime(explanation.submitted_at, deps.tz),
            )
        )
        remaining = await open_requests(review.answer.assessment_id)  # type: ignore[attr-defined]
        if remaining:
            rows = [
                [
                    InlineKeyboardButton(
                        text=f"✍️ {r.answer.node.code}",
                        callback_data=keyboards.ExplainCb(r=r.id, d="open").pack(),
                    )
                ]
                for r in remaining
            ]
            await cb.message.answer(
                t(locale, texts.EXPLAIN_LIST, count=len(remaining)),
                reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
            )


async def on_cancel(cb: CallbackQuery, locale: str, convo: Conversation) -> None:
    await cb.answer()
    await _end(convo)
    if isinstance(cb.message, Message):
        await cb.message.edit_text(t(locale, texts.CANCELLED))
