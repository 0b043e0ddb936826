"""The unit's scorecard (/bangdiem, /scorecard): "Bảng tự đánh giá, chấm điểm" as an Excel file,
written by :func:`scoring.exports.scorecard`, which lets an officer have their own unit's only."""

from __future__ import annotations

import io
import logging
from html import escape
from typing import TYPE_CHECKING

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message

from bot import texts
from bot.cards import current_assessment_id
from bot.deps import BotDeps
from bot.queries import ChatOfficer
from bot.routers.common import bound_router
from bot.texts import t
from core.audit import Actor
from core.i18n import UserError
from core.timefmt import format_datetime
from forms.models import Assessment
from scoring.exports import scorecard

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger("cchc.bot")


def router() -> Router:
    router = bound_router("scorecard")
    router.message.register(on_scorecard, Command("scorecard", "bangdiem"))
    return router


def _configured() -> Settings | None:
    """The settings, for the address and the signing key of the workbook's evidence links
    when the composition root left them out of ``deps``; None when there are none usable
    (the links are then relative, and the back-office ones)."""
    try:
        from core.settings import load_settings

        return load_settings()
    except Exception:
        return None


async def unit_sheet(officer: ChatOfficer) -> Assessment | None:
    """The unit's sheet in the open period, else its newest (after the period closed, the
    scorecard shows the appraisal too)."""
    sheet_id = await current_assessment_id(officer)
    query = (
        Assessment.filter(id=sheet_id)
        if sheet_id is not None
        else Assessment.filter(unit_id=officer.unit_id).order_by("-period__year", "-id")  # type: ignore[attr-defined]
    )
    return await query.select_related("period", "unit").first()


async def on_scorecard(
    message: Message, officer: ChatOfficer, actor: Actor, locale: str, bot: Bot, deps: BotDeps
) -> None:
    sheet = await unit_sheet(officer)
    if sheet is None:
        await message.answer(t(locale, texts.NO_SHEET))
        return
    try:
        await bot.send_chat_action(message.chat.id, "upload_document")
    except TelegramAPIError as exc:  # only a courtesy: the file still goes out
        log.info("no chat action for chat %s: %s", message.chat.id, exc)
    now = deps.now()
    buffer = io.BytesIO()
    configured = None if deps.public_url and deps.secret_key else _configured()
    try:
        export = await scorecard(
            actor,
            sheet.period.id,
            sheet.unit.id,
            buffer,
            now=now,
            tz=deps.tz,
            public_url=deps.public_url or (configured.public_url if configured else ""),
            locale=locale,
            link_secret=deps.secret_key or (configured.secret_key if configured else None),
        )
    except UserError as exc:
        await message.answer("⚠️ " + escape(exc.render(locale)))
        return
    caption = t(
        locale,
        texts.SCORECARD_CAPTION,
        unit=escape(sheet.unit.name),
        period=escape(sheet.period.name),
        when=format_datetime(now, deps.tz),
    )
    await message.answer_document(
        BufferedInputFile(buffer.getvalue(), filename=export.filename), caption=caption
    )
