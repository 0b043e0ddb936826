"""The Bot API methods the sandbox serves, one handler each, registered by name.

Each handler gets the request already validated by aiogram's model of the method and answers
with Bot API JSON, or raises :class:`ApiError` with Telegram's code and wording.
"""

from __future__ import annotations

import asyncio
import re
import time
from itertools import islice
from typing import TYPE_CHECKING, Any

from aiogram import methods
from aiogram.enums import ChatAction

from bot.sandbox import shapes
from bot.sandbox.chats import (
    apply_edit,
    editable,
    format_text,
    input_file,
    media_fields,
    post,
    reply_to,
    resolve_chat,
    scope_key,
    text_fields,
)
from bot.sandbox.longpoll import wait_change
from bot.sandbox.protocol import ApiError, Call, handles
from bot.sandbox.state import ACTION, ANSWER, Webhook

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

CHAT_ACTIONS = frozenset(action.value for action in ChatAction)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@handles(methods.GetMe)
async def get_me(sb: Sandbox, m: methods.GetMe, call: Call) -> Any:
    return sb.bot_user_full


@handles(methods.GetUpdates)
async def get_updates(sb: Sandbox, m: methods.GetUpdates, call: Call) -> Any:
    st = sb.state
    if st.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    if st.closing:
        # New polls after shutdown get an error, so a bot still polling backs off instead of
        # spinning on empty answers; polls already waiting were answered with nothing.
        raise ApiError(502, "Bad Gateway: the sandbox is shutting down")
    st.set_allowed_updates(m.allowed_updates)
    st.confirm(m.offset)
    limit = min(max(m.limit or 100, 1), 100)
    deadline = asyncio.get_running_loop().time() + min(max(m.timeout or 0, 0), 50)
    st.poll_generation += 1
    generation = st.poll_generation
    while not st.updates and not st.closing and st.webhook is None:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0 or (call.gone is not None and call.gone.is_set()):
            break
        await wait_change(st, remaining, call.gone)
        if st.poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
    return list(islice(st.updates, limit))


@handles(methods.SetWebhook)
async def set_webhook(sb: Sandbox, m: methods.SetWebhook, call: Call) -> Any:
    st = sb.state
    if m.drop_pending_updates:
        st.drop_pending()
    if not m.url:
        st.webhook = None
        st.notify()
        return True
    if not re.match(r"^https?://[^/\s]+", m.url):
        raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    if m.secret_token is not None and not _SECRET_RE.match(m.secret_token):
        raise ApiError(400, "Bad Request: secret token contains unallowed characters")
    st.set_allowed_updates(m.allowed_updates)
    st.webhook = Webhook(
        url=m.url,
        secret_token=m.secret_token,
        max_connections=m.max_connections or 40,
        ip_address=m.ip_address,
    )
    st.notify()
    sb.delivery.kick()
    return True


@handles(methods.DeleteWebhook)
async def delete_webhook(sb: Sandbox, m: methods.DeleteWebhook, call: Call) -> Any:
    if m.drop_pending_updates:
        sb.state.drop_pending()
    sb.state.webhook = None
    sb.state.notify()
    return True


@handles(methods.GetWebhookInfo)
async def get_webhook_info(sb: Sandbox, m: methods.GetWebhookInfo, call: Call) -> Any:
    st = sb.state
    hook = st.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(st.updates),
        "allowed_updates": st.allowed_updates_explicit,
    }
    if hook:
        info.update(
            max_connections=hook.max_connections,
            ip_address=hook.ip_address,
            last_error_date=hook.last_error_date,
            last_error_message=hook.last_error_message,
        )
    return shapes.webhook_info(info)


@handles(methods.SendMessage)
async def send_message(sb: Sandbox, m: methods.SendMessage, call: Call) -> Any:
    chat = resolve_chat(sb, m.chat_id, sending=True)
    text, entities = format_text(m.text, m.parse_mode, m.entities)
    fields = {**text_fields(text, entities, caption=False), **reply_to(chat, m.reply_parameters)}
    return post(sb, chat, fields, m.reply_markup)


@handles(methods.SendDocument, methods.SendPhoto)
async def send_file(sb: Sandbox, m: Any, call: Call) -> Any:
    kind = "photo" if isinstance(m, methods.SendPhoto) else "document"
    chat = resolve_chat(sb, m.chat_id, sending=True)
    caption, entities = format_text(m.caption or "", m.parse_mode, m.caption_entities, caption=True)
    stored = input_file(sb, getattr(m, kind), call, kind=kind)
    fields = {
        **media_fields(stored, kind=kind),
        **text_fields(caption, entities, caption=True),
        **reply_to(chat, m.reply_parameters),
    }
    return post(sb, chat, fields, m.reply_markup)


@handles(methods.EditMessageText)
async def edit_message_text(sb: Sandbox, m: methods.EditMessageText, call: Call) -> Any:
    chat, stored = editable(sb, m)
    if "text" not in stored.data:
        raise ApiError(400, "Bad Request: there is no text in the message to edit")
    if m.text is None:
        raise ApiError(400, "Bad Request: message text is empty")
    text, entities = format_text(m.text, m.parse_mode, m.entities)
    return apply_edit(sb, chat, stored, text_fields(text, entities, caption=False), m.reply_markup)


@handles(methods.EditMessageReplyMarkup)
async def edit_message_reply_markup(
    sb: Sandbox, m: methods.EditMessageReplyMarkup, call: Call
) -> Any:
    chat, stored = editable(sb, m)
    return apply_edit(sb, chat, stored, {}, m.reply_markup)


@handles(methods.DeleteMessage)
async def delete_message(sb: Sandbox, m: methods.DeleteMessage, call: Call) -> Any:
    chat = resolve_chat(sb, m.chat_id, sending=False)
    stored = sb.state.live_message(chat, m.message_id)
    if stored is None:
        raise ApiError(400, "Bad Request: message to delete not found")
    sb.state.delete_message(chat, stored)
    return True


@handles(methods.AnswerCallbackQuery)
async def answer_callback_query(sb: Sandbox, m: methods.AnswerCallbackQuery, call: Call) -> Any:
    record = sb.state.callbacks.get(m.callback_query_id)
    if record is None:
        raise ApiError(
            400,
            "Bad Request: query is too old and response timeout expired or query ID is invalid",
        )
    answer = {"text": m.text, "show_alert": bool(m.show_alert), "url": m.url}
    record.answers.append(answer)
    chat = sb.state.chat(record.user_id)
    if chat is not None:
        sb.state.record(
            chat,
            ANSWER,
            by_bot=True,
            message_id=record.message_id,
            extra={"callback_query_id": record.id, **answer},
        )
    return True


@handles(methods.SendChatAction)
async def send_chat_action(sb: Sandbox, m: methods.SendChatAction, call: Call) -> Any:
    if m.action not in CHAT_ACTIONS:
        raise ApiError(400, "Bad Request: wrong parameter action in request")
    chat = resolve_chat(sb, m.chat_id, sending=True)
    chat.last_action = (m.action, time.time())
    sb.state.record(chat, ACTION, by_bot=True, extra={"action": m.action})
    return True


@handles(methods.GetFile)
async def get_file(sb: Sandbox, m: methods.GetFile, call: Call) -> Any:
    stored = sb.state.files.by_id.get(m.file_id)
    if stored is None:
        raise ApiError(400, "Bad Request: invalid file_id")
    if stored.size > sb.max_download_size:
        raise ApiError(400, "Bad Request: file is too big")
    return shapes.file_info(stored)


@handles(methods.GetChat)
async def get_chat(sb: Sandbox, m: methods.GetChat, call: Call) -> Any:
    return shapes.chat_full_info(resolve_chat(sb, m.chat_id, sending=False).user)


@handles(methods.SetMyCommands)
async def set_my_commands(sb: Sandbox, m: methods.SetMyCommands, call: Call) -> Any:
    if len(m.commands) > 100:
        raise ApiError(400, "Bad Request: too many commands")
    for command in m.commands:
        if not _COMMAND_RE.match(command.command):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(command.description) <= 256:
            raise ApiError(400, "Bad Request: command description must be 1-256 characters")
    key = (scope_key(m.scope), m.language_code or "")
    if m.commands:
        sb.state.commands[key] = [shapes.dump(c) for c in m.commands]
    else:
        sb.state.commands.pop(key, None)
    sb.state.notify()
    return True


@handles(methods.GetMyCommands)
async def get_my_commands(sb: Sandbox, m: methods.GetMyCommands, call: Call) -> Any:
    return sb.state.commands.get((scope_key(m.scope), m.language_code or ""), [])


@handles(methods.DeleteMyCommands)
async def delete_my_commands(sb: Sandbox, m: methods.DeleteMyCommands, call: Call) -> Any:
    sb.state.commands.pop((scope_key(m.scope), m.language_code or ""), None)
    sb.state.notify()
    return True
