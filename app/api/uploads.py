"""Request bodies with a size limit, cut off while they stream in.

:func:`limit_body` wraps the request's ``receive``: a ``Content-Length`` above the limit is
refused before a byte is read, and a body without one (chunked) is counted as it arrives and
refused as soon as it passes the limit, so the server never reads (or spools to disk) the rest.
The API's and the pages' route classes apply it to every request; :func:`read_upload` then
checks the file itself against ``CCHC_MAX_UPLOAD_MB``.
"""

from __future__ import annotations

from fastapi import Request, UploadFile
from starlette.exceptions import HTTPException
from starlette.types import Message

from core.i18n import N_, Msg, UserError

MB = 1024 * 1024
FORM_ROOM = 64 * 1024  # the form around a file (field names, boundaries, text fields)


class BodyTooLarge(HTTPException):
    """The body passed the limit (HTTP 413). An ``HTTPException`` so that FastAPI's own body
    parsing lets it through unchanged; the route classes render :attr:`msg`."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(status_code=413, detail="Content Too Large")
        self.msg = msg


def upload_limit_mb(request: Request) -> int:
    settings = getattr(request.app.state, "settings", None)
    return settings.max_upload_mb if settings is not None else 20


def file_too_large(limit_mb: int) -> Msg:
    return Msg(N_("The file is larger than {mb} MB."), mb=limit_mb)


def limit_body(request: Request, max_bytes: int, msg: Msg) -> None:
    """Refuse a body over ``max_bytes`` before reading it, or the moment it passes it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(msg)
    receive = request._receive
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise BodyTooLarge(msg)
        return message

    request._receive = counted


async def read_upload(request: Request, file: UploadFile) -> bytes:
    """The file's bytes; refuses files above ``CCHC_MAX_UPLOAD_MB`` without reading them all."""
    limit_mb = upload_limit_mb(request)
    limit = limit_mb * MB
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise UserError(file_too_large(limit_mb))
    if not data:
        raise UserError(Msg(N_("The file is empty.")))
    return data
