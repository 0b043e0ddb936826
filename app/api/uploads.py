"""Request bodies with a size limit, cut off while they stream in.

:class:`BodyLimit` is a plain ASGI middleware: for the routes that take bodies (the API, the
pages, the bot's webhook) it wraps ``receive``, so a ``Content-Length`` above the limit is
refused before a byte is read, and a body without one (chunked) is counted as it arrives and
refused as soon as it passes the limit: the server never reads (or spools to disk) the rest.
The refusal is :class:`BodyTooLarge`, raised where the route reads the body, so each route
class shows it as it shows any error (413). :func:`read_upload` then checks the file itself
against ``CCHC_MAX_UPLOAD_MB``.
"""

from __future__ import annotations

from fastapi import UploadFile
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.i18n import N_, Msg, UserError

MB = 1024 * 1024
# The form around a file: its text fields (at most app.web.uploads.FIELDS_LIMIT, 64 KB) and
# the boundaries, with a margin so that the pages' upload reader refuses a long field first.
FORM_ROOM = 68 * 1024
SMALL_BODY = 1 * MB  # a body without a file: JSON, a form's text, a Telegram update


class BodyTooLarge(HTTPException):
    """The body passed the limit (HTTP 413). An ``HTTPException`` so that FastAPI's own body
    parsing lets it through unchanged; the route classes render :attr:`msg`."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(status_code=413, detail="Content Too Large")
        self.msg = msg


class TooLarge(UserError):
    """A file over the upload limit, found by the reader of the file itself (HTTP 413)."""


def file_too_large(limit_mb: int) -> Msg:
    return Msg(N_("The file is larger than {mb} MB."), mb=limit_mb)


def page_file_too_large(limit_mb: int) -> Msg:
    """The pages' sentence: it tells the officer what to do."""
    return Msg(
        N_(
            "The file is over the limit of {mb} MB per file; nothing was saved. Send a "
            "smaller file, e.g. split it or scan at a lower resolution."
        ),
        mb=limit_mb,
    )


def body_limit(path: str, content_type: str, max_upload_mb: int) -> tuple[int, Msg] | None:
    """The most a request's body may hold, and what its sender is told past it: a form with a
    file, the upload limit and the form around it; any other body 1 MB. None: not limited
    here (the sandbox Bot API, static files)."""
    with_file = content_type.startswith("multipart/")
    if path.startswith("/api/"):
        if with_file:
            return max_upload_mb * MB + FORM_ROOM, file_too_large(max_upload_mb)
        return SMALL_BODY, Msg(
            N_("The request body is larger than {mb} MB; nothing was saved."), mb=SMALL_BODY // MB
        )
    if path.startswith("/web"):
        if with_file:
            return max_upload_mb * MB + FORM_ROOM, page_file_too_large(max_upload_mb)
        return SMALL_BODY, Msg(N_("The text of this form is too long."))
    if path.startswith("/telegram/"):
        return SMALL_BODY, Msg(N_("The request is too large."))
    return None


class BodyLimit:
    """ASGI middleware cutting every body off at :func:`body_limit`."""

    def __init__(self, app: ASGIApp, max_upload_mb: int) -> None:
        self.app = app
        self.max_upload_mb = max_upload_mb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = body_limit(scope["path"], headers.get("content-type", ""), self.max_upload_mb)
        if limit is None:
            await self.app(scope, receive, send)
            return
        max_bytes, msg = limit
        declared = headers.get("content-length", "")
        over = declared.isdigit() and int(declared) > max_bytes
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            if over:  # refused before a byte is read
                raise BodyTooLarge(msg)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    raise BodyTooLarge(msg)
            return message

        await self.app(scope, counted, send)


async def read_upload(file: UploadFile, limit_mb: int) -> bytes:
    """The file's bytes; refuses files above ``CCHC_MAX_UPLOAD_MB`` without reading them all."""
    limit = limit_mb * MB
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise UserError(file_too_large(limit_mb))
    if not data:
        raise UserError(Msg(N_("The file is empty.")))
    return data
