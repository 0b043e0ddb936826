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
import time
import types as pytypes
import typing
from functools import cache
from typing import TYPE_CHECKING, Any

from aiogram import types
from aiogram.client.default import Default
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.sandbox import methods  # noqa: F401 - importing registers the method handlers
from bot.sandbox.files import Upload
from bot.sandbox.longpoll import watch_disconnect
from bot.sandbox.protocol import HANDLERS, ApiError, Call, method_models

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

log = logging.getLogger("cchc.sandbox")

MAX_FIELD_SIZE = 4 * 1024 * 1024


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
        if delay := sb.state.next_delay(key):
            seconds, served = delay
            entry.update(delayed=seconds, served=served)
            await _hold(sb, seconds)
            if not served:
                raise ApiError(504, "Gateway Timeout")
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
        try:
            result = await handler(sb, method, Call(uploads, gone))
        except ApiError:
            raise
        except Exception as exc:  # a sandbox bug must still answer in the Bot API's shape
            log.exception("sandbox %s failed", entry["method"])
            raise ApiError(500, f"Internal Server Error: {type(exc).__name__}: {exc}") from exc
        entry.update(ok=True, result=result)
        return 200, {"ok": True, "result": result}
    except ApiError as exc:
        entry.update(ok=False, error_code=exc.code, description=exc.description)
        log.info("sandbox %s -> %s %s", entry["method"], exc.code, exc.description)
        return exc.code, exc.body()
    finally:
        sb.state.notify()  # wakes wait_for_call


async def _hold(sb: Sandbox, seconds: float) -> None:
    """An injected delay; a closing sandbox lets go at once. The caller hanging up does not
    shorten it: whether the call takes effect must not depend on the client's patience."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not sb.state.closing and (remaining := deadline - loop.time()) > 0:
        await sb.state.wait_changed(remaining)


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
