"""The Bot API as the bot sees it: ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``.

Requests are decoded the way Telegram decodes them (query string, urlencoded or multipart form,
or a JSON body; in forms every value is a string and non-string values are JSON, which is what
aiogram sends) and validated with aiogram's own method models, so a request aiogram can build is
a request the sandbox understands. Errors use Telegram's status codes and wording, because the
bot's error handling (TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter...) is what
the end-to-end tests exercise.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import types as pytypes
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from typing import TYPE_CHECKING, Any

from aiogram import methods, types
from aiogram.client.default import Default
from aiogram.methods.base import TelegramMethod
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.sandbox import shapes
from bot.sandbox.files import StoredFile, Upload, guess_mime, image_size
from bot.sandbox.htmltext import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    EntityParseError,
    parse_html,
    trim,
    utf16_len,
)
from bot.sandbox.longpoll import wait_change, watch_disconnect
from bot.sandbox.state import ACTION, ANSWER, ChatState, StoredMessage, Webhook, now

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

log = logging.getLogger("cchc.sandbox")

MAX_FIELD_SIZE = 4 * 1024 * 1024
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BUTTON_URL_RE = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)
_BUTTON_DECORATION = {"text", "style", "icon_custom_emoji_id"}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """A Bot API error answer: HTTP status == error_code, Telegram's description."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class Call:
    """One API call being served: its name, decoded parameters and uploaded files."""

    name: str
    params: dict[str, Any]
    uploads: dict[str, Upload] = field(default_factory=dict)
    gone: asyncio.Event | None = None  # set when the HTTP client went away (long polling)


Handler = Callable[["Sandbox", Any, Call], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}


def handles(*models: type[TelegramMethod[Any]]) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        for model in models:
            HANDLERS[model.__api_method__.lower()] = func
        return func

    return register


@cache
def method_models() -> dict[str, type[TelegramMethod[Any]]]:
    """Every Bot API method aiogram knows, by lower-case name (method names are case-blind)."""
    found: dict[str, type[TelegramMethod[Any]]] = {}
    for name in dir(methods):
        obj = getattr(methods, name)
        if isinstance(obj, type) and issubclass(obj, TelegramMethod) and obj is not TelegramMethod:
            api_name = obj.__dict__.get("__api_method__")
            if isinstance(api_name, str):
                found[api_name.lower()] = obj
    return found


# --- decoding requests -------------------------------------------------------------------------


async def read_request(request: Request) -> tuple[dict[str, Any], set[str], dict[str, Upload]]:
    """Parameters, the names of those that arrived as strings, and uploaded files."""
    params: dict[str, Any] = dict(request.query_params)
    raw_keys = set(params)
    uploads: dict[str, Upload] = {}
    if request.method != "POST":
        return params, raw_keys, uploads
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body = await request.body()
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if not isinstance(data, dict):
                raise ApiError(400, "Bad Request: can't parse JSON object")
            params.update(data)
            raw_keys -= set(data)
    elif content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            form = await request.form(max_part_size=MAX_FIELD_SIZE)
        except MultiPartException as exc:
            raise ApiError(400, f"Bad Request: {exc.message}") from exc
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                uploads[key] = Upload(value.filename, await value.read(), value.content_type)
            else:
                params[key] = value
                raw_keys.add(key)
    return params, raw_keys, uploads


def _flatten(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _flatten(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is pytypes.UnionType:
        return [leaf for arg in typing.get_args(annotation) for leaf in _flatten(arg)]
    return [annotation]


@cache
def _string_fields(model: type[BaseModel]) -> frozenset[str]:
    """Fields whose form value is the string itself; every other value is JSON.

    aiogram sends strings as they are and JSON-encodes everything else (numbers, booleans,
    objects), so "123" is the integer 123 for ``chat_id`` but the text "123" for ``text``.
    """
    names: set[str] = set()
    for name, info in model.model_fields.items():
        leaves = [
            leaf
            for leaf in _flatten(info.annotation)
            if leaf is not type(None)
            and not (isinstance(leaf, type) and issubclass(leaf, Default | types.InputFile))
        ]
        if leaves and all(leaf is str for leaf in leaves):
            names.add(name)
            if info.alias:
                names.add(info.alias)
    return frozenset(names)


def coerce(
    model: type[BaseModel], params: dict[str, Any], raw_keys: set[str], uploads: dict[str, Upload]
) -> dict[str, Any]:
    strings = _string_fields(model)
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key in raw_keys and isinstance(value, str) and key not in strings:
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[key] = value
    for key in uploads:  # a file sent directly under the parameter's own name
        if key in model.model_fields and key not in out:
            out[key] = f"attach://{key}"
    return out


_MISSING = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "message_id": "message identifier is not specified",
    "document": "there is no document in the request",
    "photo": "there is no photo in the request",
    "media": "there are no media in the request",
    "file_id": "file_id is empty",
    "callback_query_id": "query_id is empty",
    "action": "action is empty",
    "commands": "commands are empty",
    "url": "url is empty",
}


def describe(exc: ValidationError) -> str:
    """Telegram's wording for the first problem pydantic found."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else ""
    if error["type"] == "missing":
        return "Bad Request: " + _MISSING.get(name, f'parameter "{name}" is required')
    if name == "reply_markup":
        return "Bad Request: can't parse reply keyboard markup JSON object"
    if name in ("entities", "caption_entities"):
        return "Bad Request: can't parse entities JSON object"
    if name == "chat_id":
        return "Bad Request: chat not found"
    return f'Bad Request: can\'t parse parameter "{name}": {error["msg"]}'


# --- serving one call --------------------------------------------------------------------------


def _recorded(params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
    return {
        "params": params,
        "files": {
            key: {"filename": up.filename, "size": len(up.content), "content_type": up.content_type}
            for key, up in uploads.items()
        },
    }


async def execute(
    sb: Sandbox,
    name: str,
    params: dict[str, Any],
    raw_keys: set[str],
    uploads: dict[str, Upload],
    *,
    gone: asyncio.Event | None = None,
) -> tuple[int, dict[str, Any]]:
    """Serve one Bot API call; returns the HTTP status and the JSON body. Every call is logged."""
    key = name.lower()
    model = method_models().get(key)
    entry: dict[str, Any] = {"method": model.__api_method__ if model else name, "time": time.time()}
    entry.update(_recorded(params, uploads))
    sb.state.calls_log.append(entry)
    sb.state.notify()  # a test may wait for the bot to be polling
    try:
        if model is None:
            raise ApiError(404, "Not Found: method not found")
        if failure := sb.state.next_failure(key):
            raise ApiError(*failure)
        handler = HANDLERS.get(key)
        if handler is None:
            raise ApiError(
                404, f"Not Found: method not found ({model.__api_method__} is not in the sandbox)"
            )
        data = coerce(model, params, raw_keys, uploads)
        entry["params"] = data
        try:
            method = model.model_validate(data)
        except ValidationError as exc:
            raise ApiError(400, describe(exc)) from exc
        result = await handler(sb, method, Call(entry["method"], data, uploads, gone))
        entry.update(ok=True, result=result)
        return 200, {"ok": True, "result": result}
    except ApiError as exc:
        entry.update(ok=False, error_code=exc.code, description=exc.description)
        log.info("sandbox %s -> %s %s", entry["method"], exc.code, exc.description)
        return exc.code, exc.body()
    finally:
        sb.state.notify()  # wakes wait_for_call


def routes(sb: Sandbox) -> list[BaseRoute]:
    """The Bot API endpoints of one sandbox."""

    async def method_endpoint(request: Request) -> Response:
        name = request.path_params["method"]
        if request.path_params["token"] != sb.token:
            error = ApiError(401, "Unauthorized")
            sb.state.calls_log.append(
                {"method": name, "time": time.time(), "params": {}, "files": {}, "ok": False}
                | {"error_code": 401, "description": error.description}
            )
            return JSONResponse(error.body(), status_code=401)
        try:
            params, raw_keys, uploads = await read_request(request)
        except ApiError as exc:
            return JSONResponse(exc.body(), status_code=exc.code)
        if name.lower() != "getupdates":
            status, body = await execute(sb, name, params, raw_keys, uploads)
            return JSONResponse(body, status_code=status)
        async with watch_disconnect(request) as gone:
            status, body = await execute(sb, name, params, raw_keys, uploads, gone=gone)
        return JSONResponse(body, status_code=status)

    async def file_endpoint(request: Request) -> Response:
        if request.path_params["token"] != sb.token:
            return JSONResponse(ApiError(401, "Unauthorized").body(), status_code=401)
        stored = sb.state.files.by_path.get(request.path_params["file_path"])
        if stored is None:
            return JSONResponse(ApiError(404, "Not Found").body(), status_code=404)
        return Response(stored.content, media_type="application/octet-stream")

    return [
        Route("/bot{token}/{method}", method_endpoint, methods=["GET", "POST"]),
        Route("/file/bot{token}/{file_path:path}", file_endpoint, methods=["GET"]),
    ]


# --- helpers shared by the handlers ------------------------------------------------------------


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


# --- the methods -------------------------------------------------------------------------------


@handles(methods.GetMe)
async def get_me(sb: Sandbox, m: methods.GetMe, call: Call) -> Any:
    return sb.bot_user_full


@handles(methods.LogOut, methods.Close)
async def log_out(sb: Sandbox, m: Any, call: Call) -> Any:
    return True


@handles(methods.GetUpdates)
async def get_updates(sb: Sandbox, m: methods.GetUpdates, call: Call) -> Any:
    st = sb.state
    if st.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
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


@handles(methods.SendMediaGroup)
async def send_media_group(sb: Sandbox, m: methods.SendMediaGroup, call: Call) -> Any:
    chat = resolve_chat(sb, m.chat_id, sending=True)
    if not 2 <= len(m.media) <= 10:
        raise ApiError(400, "Bad Request: an album must contain 2-10 media")
    kinds = {item.type for item in m.media}
    if not kinds <= {"photo", "document"}:
        raise ApiError(400, "Bad Request: only photos and documents are supported by the sandbox")
    if len(kinds) > 1:
        raise ApiError(400, "Bad Request: documents can't be mixed with other media types")
    prepared = []
    for item in m.media:
        caption, entities = format_text(
            opt(item.caption) or "", item.parse_mode, item.caption_entities, caption=True
        )
        stored = input_file(sb, item.media, call, kind=item.type)
        prepared.append((item.type, stored, caption, entities))
    group = sb.state.new_media_group_id()
    extra = reply_to(chat, m.reply_parameters)
    return [
        post(
            sb,
            chat,
            {
                **media_fields(stored, kind=kind),
                **text_fields(caption, entities, caption=True),
                "media_group_id": group,
                **extra,
            },
        )
        for kind, stored, caption, entities in prepared
    ]


@handles(methods.EditMessageText)
async def edit_message_text(sb: Sandbox, m: methods.EditMessageText, call: Call) -> Any:
    chat, stored = editable(sb, m)
    if "text" not in stored.data:
        raise ApiError(400, "Bad Request: there is no text in the message to edit")
    if m.text is None:
        raise ApiError(400, "Bad Request: message text is empty")
    text, entities = format_text(m.text, m.parse_mode, m.entities)
    return apply_edit(sb, chat, stored, text_fields(text, entities, caption=False), m.reply_markup)


@handles(methods.EditMessageCaption)
async def edit_message_caption(sb: Sandbox, m: methods.EditMessageCaption, call: Call) -> Any:
    chat, stored = editable(sb, m)
    if "text" in stored.data:
        raise ApiError(400, "Bad Request: there is no caption in the message to edit")
    caption, entities = format_text(m.caption or "", m.parse_mode, m.caption_entities, caption=True)
    return apply_edit(
        sb, chat, stored, text_fields(caption, entities, caption=True), m.reply_markup
    )


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


@handles(methods.DeleteMessages)
async def delete_messages(sb: Sandbox, m: methods.DeleteMessages, call: Call) -> Any:
    chat = resolve_chat(sb, m.chat_id, sending=False)
    for message_id in m.message_ids:
        if stored := sb.state.live_message(chat, message_id):
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
        sb.state.commands[key] = shapes.bot_commands([shapes.dump(c) for c in m.commands])
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


@handles(methods.SetChatMenuButton)
async def set_chat_menu_button(sb: Sandbox, m: methods.SetChatMenuButton, call: Call) -> Any:
    button = shapes.dump(m.menu_button) if m.menu_button else {"type": "default"}
    sb.state.menu_buttons[m.chat_id] = button
    return True


@handles(methods.GetChatMenuButton)
async def get_chat_menu_button(sb: Sandbox, m: methods.GetChatMenuButton, call: Call) -> Any:
    buttons = sb.state.menu_buttons
    return buttons.get(m.chat_id) or buttons.get(None) or {"type": "commands"}


_BOT_TEXTS = {
    "setmyname": ("name", "name"),
    "setmydescription": ("description", "description"),
    "setmyshortdescription": ("short_description", "short_description"),
}


@handles(methods.SetMyName, methods.SetMyDescription, methods.SetMyShortDescription)
async def set_bot_text(sb: Sandbox, m: Any, call: Call) -> Any:
    key, attr = _BOT_TEXTS[call.name.lower()]
    value = getattr(m, attr)
    if value:
        sb.state.bot_texts[(key, m.language_code or "")] = value
    else:
        sb.state.bot_texts.pop((key, m.language_code or ""), None)
    return True


@handles(methods.GetMyName, methods.GetMyDescription, methods.GetMyShortDescription)
async def get_bot_text(sb: Sandbox, m: Any, call: Call) -> Any:
    key = {"getmyname": "name", "getmydescription": "description"}.get(
        call.name.lower(), "short_description"
    )
    lang = m.language_code or ""
    texts = sb.state.bot_texts
    value = texts.get((key, lang), texts.get((key, ""), sb.bot_name if key == "name" else ""))
    return {key: value}
