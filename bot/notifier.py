"""The bot as the service's :class:`core.notify.Notifier`: notices become chat messages.

Retries are the caller's business (the scheduler's ledger and limiter), so this sends once,
without the session's retry loop, and translates Telegram's answer into the protocol's terms:
``Unreachable`` (not bound, blocked: a 403 is also recorded on the officer), ``RetryAfter``
(429) or ``DeliveryError`` (network, 5xx).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from html import escape

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup

from bot import keyboards
from bot.deps import BotDeps
from bot.session import no_retry
from core.models import Officer
from core.notify import DeliveryError, Notice, RetryAfter, Unreachable

log = logging.getLogger("cchc.bot")


async def mark_blocked(chat_id: int, when: datetime | None = None) -> None:
    """Telegram answered 403 for this chat: the officer blocked the bot (or left)."""
    await Officer.filter(telegram_chat_id=chat_id, bot_blocked_at__isnull=True).update(
        bot_blocked_at=when or datetime.now(UTC)
    )


class BotNotifier:
    def __init__(self, bot: Bot, deps: BotDeps) -> None:
        self.bot = bot
        self.deps = deps

    async def notify(self, notice: Notice) -> int | None:
        officer = await Officer.get_or_none(id=notice.officer_id, active=True)
        if officer is None or officer.telegram_chat_id is None:
            raise Unreachable("the officer has not linked Telegram")
        if officer.bot_blocked_at is not None:
            raise Unreachable("the officer blocked the bot", blocked=True)
        locale = officer.locale or "vi"
        text, markup = await self._render(notice, locale)
        try:
            with no_retry():
                sent = await self.bot.send_message(
                    officer.telegram_chat_id, text, reply_markup=markup
                )
        except TelegramForbiddenError:
            await mark_blocked(officer.telegram_chat_id, self.deps.now())
            raise Unreachable("the officer blocked the bot", blocked=True) from None
        except TelegramRetryAfter as exc:
            raise RetryAfter(exc.retry_after) from None
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise DeliveryError(str(exc)) from None
        except TelegramBadRequest as exc:  # chat not found, deleted account
            raise Unreachable(f"Telegram refused the chat: {exc.message}") from None
        return sent.message_id

    async def _render(self, notice: Notice, locale: str) -> tuple[str, InlineKeyboardMarkup | None]:
        if notice.kind == "explanation_requested" and notice.payload.get("review_id"):
            from bot.routers.explain import load_review, request_text

            review = await load_review(int(notice.payload["review_id"]))
            if review is not None:
                return (
                    request_text(review, locale, self.deps),
                    keyboards.explain_open_keyboard(review.id, locale),
                )
        markup = None
        assessment_id = notice.payload.get("assessment_id")
        if isinstance(assessment_id, int):
            item = notice.payload.get("item")
            markup = keyboards.continue_keyboard(
                assessment_id, item if isinstance(item, str) else None, locale
            )
        return escape(notice.msg.render(locale)), markup
