"""``/control/...``: the people's side of the sandbox over HTTP, for the chat page and for tests
that run the sandbox in another process. Each endpoint mirrors a :class:`Sandbox` method.

JSON in, JSON out; file uploads are multipart. Errors are ``{"error": "..."}`` with 400 (bad
input), 404 (no such message or button) or 408 (nothing happened in time). There is no
authentication: the sandbox is for demos and tests, and must never be mounted next to a real
bot token.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.sandbox.files import image_mime
from bot.sandbox.longpoll import wait_change, watch_disconnect
from bot.sandbox.state import ACTION, ANSWER, BLOCK, DELETE, EDIT, NEW

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

MAX_WAIT = 30.0
TYPING_SECONDS = 5.0
MAX_UPLOAD_FIELD = 1024 * 1024  # a text field of a multipart upload
MAX_UPLOAD = 100 * 1024 * 1024  # all files of one upload from the page: this is a demo


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


Endpoint = Callable[[Request], Awaitable[Response]]


def _guard(func: Callable[[Request], Awaitable[Any]]) -> Endpoint:
    """Turn results into JSON and expected failures into ``{"error": ...}`` answers."""

    async def endpoint(request: Request) -> Response:
        try:
            result = await func(request)
        except ControlError as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        except LookupError as exc:
            return JSONResponse({"error": str(exc.args[0] if exc.args else exc)}, status_code=404)
        except TimeoutError as exc:
            return JSONResponse({"error": str(exc)}, status_code=408)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if isinstance(result, Response):
            return result
        return JSONResponse(result)

    return endpoint


async def _json(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise ControlError(400, "the body must be a JSON object") from exc
    if not isinstance(data, dict):
        raise ControlError(400, "the body must be a JSON object")
    return data


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ControlError(400, f"{name} must be an integer") from exc


def _str(data: dict[str, Any] | Any, name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ControlError(400, f"{name} is required")
        return None
    if not isinstance(value, str):
        raise ControlError(400, f"{name} must be a string")
    return value


def _float(value: Any, default: float, *, upper: float) -> float:
    if value is None or value == "":
        return default
    try:
        return max(0.0, min(float(value), upper))
    except ValueError as exc:
        raise ControlError(400, "a number was expected") from exc


def chat_changes(sb: Sandbox, user_id: int, since: int) -> dict[str, Any]:
    """What the page must redraw: messages changed after ``since`` (current versions), ids
    deleted since, callback answers to show, and the chat's current settings."""
    state = sb.state
    chat = state.chat(user_id)
    result: dict[str, Any] = {
        "seq": state.seq,
        "messages": [],
        "deleted": [],
        "answers": [],
        "blocked": bool(chat and chat.blocked),
        "started": bool(chat and chat.started),
        "typing": None,
        "keyboard": chat.reply_keyboard if chat else None,
    }
    if chat is None:
        return result
    touched: set[int] = set()
    for event in state.events_after(chat, since):
        if event.kind in (NEW, EDIT, DELETE) and event.message_id is not None:
            touched.add(event.message_id)
        elif event.kind == ANSWER and event.extra:
            result["answers"].append(event.extra)
    for message_id in sorted(touched):
        stored = chat.messages[message_id]
        if stored.deleted:
            result["deleted"].append(message_id)
        else:
            result["messages"].append(stored.view())
    if chat.last_action and time.time() - chat.last_action[1] < TYPING_SECONDS:
        result["typing"] = chat.last_action[0]
    return result


def _has_changes(sb: Sandbox, user_id: int, since: int) -> bool:
    chat = sb.state.chat(user_id)
    if chat is None:
        return False
    kinds = (NEW, EDIT, DELETE, ANSWER, ACTION, BLOCK)
    return any(e.kind in kinds for e in sb.state.events_after(chat, since))


def routes(sb: Sandbox) -> list[BaseRoute]:
    """The control endpoints of one sandbox (mounted under ``/control``)."""

    async def info(request: Request) -> Any:
        return {
            "bot": sb.bot_user_full,
            "seq": sb.seq,
            "webhook": sb.state.webhook.url if sb.state.webhook else "",
            "pending_updates": len(sb.state.updates),
            "polls": sb.state.poll_generation,
        }

    async def personas(request: Request) -> Any:
        return await sb.personas()

    async def chat(request: Request) -> Any:
        """Long poll: answers at once if anything changed after ``since``, else within
        ``wait`` seconds (0 = no waiting)."""
        q = request.query_params
        user_id = _int(q.get("user_id"), "user_id")
        since = _int(q.get("since") or 0, "since")
        wait = _float(q.get("wait"), 0.0, upper=MAX_WAIT)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        async with watch_disconnect(request) as gone:
            while not _has_changes(sb, user_id, since) and not sb.state.closing:
                remaining = deadline - loop.time()
                if remaining <= 0 or gone.is_set():
                    break
                await wait_change(sb.state, remaining, gone)
        payload = chat_changes(sb, user_id, since)
        payload["commands"] = sb.effective_commands(user_id)
        return payload

    async def send_text(request: Request) -> Any:
        data = await _json(request)
        return await sb.send_text(
            _int(data.get("user_id"), "user_id"),
            _str(data, "text") or "",
            first_name=_str(data, "first_name", required=False),
            language_code=_str(data, "language_code", required=False) or "vi",
            last_name=_str(data, "last_name", required=False),
            username=_str(data, "username", required=False),
        )

    async def press(request: Request) -> Any:
        data = await _json(request)
        return await sb.press(
            _int(data.get("user_id"), "user_id"),
            _int(data.get("message_id"), "message_id"),
            _str(data, "data") or "",
            strict=bool(data.get("strict", True)),
        )

    async def block(request: Request) -> Any:
        data = await _json(request)
        user_id = _int(data.get("user_id"), "user_id")
        sb.set_blocked(user_id, bool(data.get("blocked", True)))
        return {"user_id": user_id, "blocked": sb.is_blocked(user_id)}

    async def _files(request: Request) -> tuple[int, list[UploadFile], dict[str, Any]]:
        if int(request.headers.get("content-length") or 0) > MAX_UPLOAD:
            raise ControlError(413, f"files larger than {MAX_UPLOAD // 2**20} MB in all")
        form = await request.form(max_part_size=MAX_UPLOAD_FIELD)
        user_id = _int(form.get("user_id"), "user_id")
        files = [v for k, v in form.multi_items() if isinstance(v, UploadFile)]
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        if not files:
            raise ControlError(400, "no file in the request")
        return user_id, files, fields

    async def send_document(request: Request) -> Any:
        user_id, files, fields = await _files(request)
        upload = files[0]
        return await sb.send_document(
            user_id,
            upload.filename or "file",
            await upload.read(),
            fields.get("mime_type") or upload.content_type or "application/octet-stream",
            media_group_id=fields.get("media_group_id") or None,
            caption=fields.get("caption") or None,
        )

    async def send_files(request: Request) -> Any:
        """One file or several (several make an album), as documents or as photos."""
        user_id, files, fields = await _files(request)
        items = [
            (f.filename or "file", await f.read(), f.content_type or "application/octet-stream")
            for f in files
        ]
        return await sb.send_album(
            user_id,
            items,
            caption=fields.get("caption") or None,
            as_photos=fields.get("as_photos", "").lower() in ("1", "true", "yes", "on"),
        )

    async def wait_for_bot_message(request: Request) -> Any:
        q = request.query_params
        return await sb.wait_for_bot_message(
            _int(q.get("user_id"), "user_id"),
            after=_int(q.get("after") or 0, "after"),
            timeout=_float(q.get("timeout"), 10.0, upper=MAX_WAIT),
        )

    async def calls(request: Request) -> Any:
        return sb.calls(request.query_params.get("method") or None)

    async def failures(request: Request) -> Any:
        data = await _json(request)
        method = _str(data, "method") or ""
        items = data.get("failures")
        if not isinstance(items, list):
            raise ControlError(400, "failures must be a list of [code, description, retry_after]")
        parsed = []
        for item in items:
            if not isinstance(item, list | tuple) or len(item) not in (2, 3):
                raise ControlError(400, "each failure is [code, description, retry_after]")
            retry = item[2] if len(item) == 3 else None
            parsed.append((_int(item[0], "code"), str(item[1]), retry))
        sb.inject_failures(method, parsed)
        return {"method": method, "queued": len(sb.state.failures.get(method.lower(), ()))}

    async def delays(request: Request) -> Any:
        data = await _json(request)
        method = _str(data, "method") or ""
        items = data.get("delays")
        if not isinstance(items, list) or not all(isinstance(i, int | float) for i in items):
            raise ControlError(400, "delays must be a list of seconds")
        sb.inject_delays(method, [float(i) for i in items], served=bool(data.get("served", True)))
        return {"method": method, "queued": len(sb.state.delays.get(method.lower(), ()))}

    async def reset(request: Request) -> Any:
        sb.reset()
        return {"seq": sb.seq}

    async def commands(request: Request) -> Any:
        q = request.query_params
        if q.get("user_id"):
            return sb.effective_commands(_int(q.get("user_id"), "user_id"))
        return sb.commands

    async def file(request: Request) -> Any:
        """A file's bytes for the page: images inline (only real images), the rest as a
        download, never rendered by the browser."""
        stored = sb.state.files.by_id.get(request.path_params["file_id"])
        if stored is None:
            raise LookupError("no such file")
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
        mime = image_mime(stored.content)
        if mime and stored.kind == "photo":
            return Response(stored.content, media_type=mime, headers=headers)
        name = (stored.file_name or stored.file_path.rsplit("/", 1)[-1]).replace('"', "")
        ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
        headers["Content-Disposition"] = (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
        )
        return Response(stored.content, media_type="application/octet-stream", headers=headers)

    get, post = ["GET"], ["POST"]
    return [
        Route("/info", _guard(info), methods=get),
        Route("/personas", _guard(personas), methods=get),
        Route("/chat", _guard(chat), methods=get),
        Route("/send_text", _guard(send_text), methods=post),
        Route("/press", _guard(press), methods=post),
        Route("/block", _guard(block), methods=post),
        Route("/send_document", _guard(send_document), methods=post),
        Route("/send_files", _guard(send_files), methods=post),
        Route("/wait_for_bot_message", _guard(wait_for_bot_message), methods=get),
        Route("/calls", _guard(calls), methods=get),
        Route("/failures", _guard(failures), methods=post),
        Route("/delays", _guard(delays), methods=post),
        Route("/reset", _guard(reset), methods=post),
        Route("/commands", _guard(commands), methods=get),
        Route("/file/{file_id}", _guard(file), methods=get),
    ]
