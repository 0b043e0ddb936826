"""The bot's side of a chat: which chat a ``chat_id`` means, how text is parsed and checked,
how messages are posted and edited. Shared by the method handlers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aiogram import types
from aiogram.client.default import Default

from bot.sandbox import shapes
from bot.sandbox.files import StoredFile, guess_mime, image_size
from bot.sandbox.htmltext import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    EntityParseError,
    parse_html,
    trim,
    utf16_len,
    with_detected,
)
from bot.sandbox.protocol import ApiError, Call
from bot.sandbox.state import ChatState, StoredMessage, now

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

_BUTTON_URL_RE = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)
_BUTTON_DECORATION = {"text", "style", "icon_custom_emoji_id"}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


def opt(value: Any) -> Any:
    """aiogram's ``Default(...)`` placeholders mean "not given"."""
    return None if isinstance(value, Default) else value


def resolve_chat(sb: Sandbox, chat_id: Any, *, sending: bool) -> ChatState:
    """The private chat behind ``chat_id`` (an id or "@username"), as Telegram checks it."""
    user_id: int | None = None
    if isinstance(chat_id, int):
        user_id = chat_id
    elif isinstance(chat_id, str):
        text = chat_id.strip()
        if text.lstrip("-").isdigit():
            user_id = int(text)
        elif text.startswith("@"):
            wanted = text[1:].lower()
            for chat in sb.state.chats.values():
                if str(chat.user.get("username", "")).lower() == wanted:
                    user_id = chat.chat_id
    chat = sb.state.chat(user_id) if user_id is not None else None
    if chat is None or not chat.started:
        raise ApiError(400, "Bad Request: chat not found")
    if sending and chat.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return chat


def format_text(
    text: str,
    parse_mode: Any,
    entities: list[types.MessageEntity] | None,
    *,
    caption: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities after Telegram's parsing, with its limits and errors."""
    mode = (opt(parse_mode) or "").strip()
    if entities:
        text, found = trim(text, [shapes.dump(e) for e in entities])
    elif mode.lower() == "html":
        try:
            text, found = parse_html(text)
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from exc
    elif mode.lower() in ("markdown", "markdownv2") or not mode:
        # Markdown is accepted but not parsed: the bot of this project speaks HTML.
        text, found = trim(text, [])
    else:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {mode!r}")
    found = with_detected(text, found)
    if caption:
        if utf16_len(text) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
    else:
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
    return text, found


def text_fields(text: str, entities: list[dict[str, Any]], *, caption: bool) -> dict[str, Any]:
    if caption:
        return {"caption": text or None, "caption_entities": entities or None}
    return {"text": text, "entities": entities or None}


def inline_keyboard(markup: Any) -> dict[str, Any] | None:
    """The inline keyboard to attach, checked as Telegram checks buttons; None otherwise."""
    if not isinstance(markup, types.InlineKeyboardMarkup):
        return None
    dumped = shapes.dump(markup)
    for row in dumped["inline_keyboard"]:
        for button in row:
            if not set(button) - _BUTTON_DECORATION:
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard",
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not _BUTTON_URL_RE.match(url):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
    return dumped


def apply_reply_keyboard(chat: ChatState, markup: Any) -> None:
    """Reply keyboards are not part of the message: they change the person's input area."""
    if isinstance(markup, types.ReplyKeyboardMarkup):
        chat.reply_keyboard = shapes.dump(markup)
    elif isinstance(markup, types.ReplyKeyboardRemove):
        chat.reply_keyboard = None


def reply_to(chat: ChatState, params: Any) -> dict[str, Any]:
    if params is None:
        return {}
    target = chat.messages.get(params.message_id)
    if target is None or target.deleted:
        if opt(params.allow_sending_without_reply):
            return {}
        raise ApiError(400, "Bad Request: message to be replied not found")
    quoted = {k: v for k, v in target.data.items() if k != "reply_to_message"}
    return {"reply_to_message": quoted}


def post(
    sb: Sandbox, chat: ChatState, fields: dict[str, Any], markup: Any = None
) -> dict[str, Any]:
    """Put a bot message into the chat and return it as the Bot API does."""
    keyboard = inline_keyboard(markup)
    data = shapes.message(
        {
            "message_id": chat.take_message_id(),
            "from": sb.bot_user,
            "chat": shapes.private_chat(chat.user),
            "date": now(),
            **{k: v for k, v in fields.items() if v is not None},
            **({"reply_markup": keyboard} if keyboard else {}),
        }
    )
    apply_reply_keyboard(chat, markup)
    chat.last_action = None  # a message from the bot ends its "typing…"
    sb.state.add_message(chat, data, by_bot=True)
    return data


def input_file(sb: Sandbox, value: Any, call: Call, *, kind: str) -> list[StoredFile]:
    """The file a send method refers to: a fresh upload or a file_id already on the server."""
    if isinstance(value, str) and value.startswith("attach://"):
        upload = call.uploads.get(value[len("attach://") :])
        if upload is None:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        if kind == "photo":
            if image_size(upload.content) is None:
                raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
            return sb.state.files.add_photo(upload.content)
        return [
            sb.state.files.add(
                upload.content,
                kind="document",
                file_name=upload.filename,
                mime_type=guess_mime(upload.filename),
            )
        ]
    if isinstance(value, str) and (stored := sb.state.files.by_id.get(value)):
        return [stored]
    raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")


def media_fields(stored: list[StoredFile], *, kind: str) -> dict[str, Any]:
    if kind == "photo":
        return {"photo": shapes.photo_sizes(stored)}
    return {"document": shapes.document(stored[-1])}


def editable(sb: Sandbox, m: Any) -> tuple[ChatState, StoredMessage]:
    if opt(m.inline_message_id):
        raise ApiError(400, "Bad Request: inline messages are not supported by the sandbox")
    if m.chat_id is None:
        raise ApiError(400, "Bad Request: chat_id is empty")
    if m.message_id is None:
        raise ApiError(400, "Bad Request: message identifier is not specified")
    chat = resolve_chat(sb, m.chat_id, sending=True)
    stored = sb.state.live_message(chat, m.message_id)
    if stored is None:
        raise ApiError(400, "Bad Request: message to edit not found")
    if not stored.by_bot:
        raise ApiError(400, "Bad Request: message can't be edited")
    return chat, stored


def apply_edit(
    sb: Sandbox, chat: ChatState, stored: StoredMessage, changes: dict[str, Any], markup: Any
) -> dict[str, Any]:
    """Replace content and inline keyboard; Telegram refuses an edit that changes nothing."""
    keyboard = inline_keyboard(markup)
    data = {k: v for k, v in stored.data.items() if k not in ("reply_markup", "edit_date")}
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    if keyboard:
        data["reply_markup"] = keyboard
    old = {k: v for k, v in stored.data.items() if k != "edit_date"}
    if data == old:
        raise ApiError(400, NOT_MODIFIED)
    data["edit_date"] = max(now(), int(stored.data["date"]))
    data = shapes.message(data)
    sb.state.replace_message(chat, stored, data)
    return data


def scope_key(scope: Any) -> tuple[str, str, int]:
    if scope is None:
        return ("default", "", 0)
    dumped = shapes.dump(scope)
    return (dumped["type"], str(dumped.get("chat_id", "")), int(dumped.get("user_id", 0)))
