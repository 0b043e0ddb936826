"""Uploads of the web pages, read as the body streams in.

The form is parsed chunk by chunk (``python-multipart``'s streaming parser) straight from the
request stream, never spooled to disk first. The file's bytes are counted as they arrive and the
request is refused (413) **as soon as** they pass ``CCHC_MAX_UPLOAD_MB``, without reading the
rest; a ``Content-Length`` already over the limit is refused before a single byte is read
(:class:`app.api.uploads.BodyLimit`). The
CSRF token must come before the file (forms put the hidden field first; scripts send the
header), and is checked when the file part starts, so a forged upload is not read either.
The stored file then goes through the same service as the bot's
(:func:`forms.evidence.attach_evidence`: type by content, duplicates, audit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from app.api.uploads import MB, TooLarge, page_file_too_large
from app.web.deps import field_label, refuse_unstorable, require_csrf
from core.i18n import N_, Msg, UserError
from core.settings import Settings

FIELDS_LIMIT = 64 * 1024  # the text fields around a file (explanation text, page reference)


@dataclass
class Upload:
    fields: dict[str, list[str]] = field(default_factory=dict)
    data: bytes | None = None
    filename: str | None = None

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default


def too_large(limit_mb: int) -> TooLarge:
    return TooLarge(page_file_too_large(limit_mb))


class _Reader:
    def __init__(self, max_bytes: int, limit_mb: int, check_csrf: Callable[[str | None], None]):
        self.max_bytes = max_bytes
        self.limit_mb = limit_mb
        self.check_csrf = check_csrf
        self.csrf_checked = False
        self.upload = Upload()
        self.header_field = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.name: str | None = None
        self.is_file = False
        self.buf = bytearray()
        self.file_buf = bytearray()
        self.field_bytes = 0

    # python-multipart callbacks ---------------------------------------------------------------

    def on_part_begin(self) -> None:
        self.headers, self.name, self.is_file = {}, None, False
        self.buf = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.strip().lower()] = self.header_value.strip()
        self.header_field, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self.headers.get(b"content-disposition", b""))
        raw_name = params.get(b"name")
        self.name = raw_name.decode("utf-8", "replace") if raw_name else None
        filename = params.get(b"filename")
        self.is_file = filename is not None
        if self.is_file:
            if not self.csrf_checked:
                self.check_csrf(self.upload.get("csrf") or None)
                self.csrf_checked = True
            name = (filename or b"").decode("utf-8", "replace")
            if name and self.upload.data is None:
                self.upload.filename = name

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.is_file:
            if self.upload.data is not None or self.upload.filename is None:
                return  # a second file, or an empty file input: ignored
            self.file_buf += chunk
            if len(self.file_buf) > self.max_bytes:
                raise too_large(self.limit_mb)
        else:
            self.field_bytes += len(chunk)
            if self.field_bytes > FIELDS_LIMIT:
                raise UserError(
                    Msg(
                        N_("The field “{field}” is too long; nothing was saved."),
                        field=field_label(self.name or ""),
                    )
                )
            self.buf += chunk

    def on_part_end(self) -> None:
        if self.is_file:
            if self.upload.filename is not None and self.upload.data is None:
                self.upload.data = bytes(self.file_buf)
        elif self.name is not None:
            text = self.buf.decode("utf-8", "replace")
            self.upload.fields.setdefault(self.name, []).append(text)


async def read_form_stream(request: Request, settings: Settings) -> Upload:
    """Parse a multipart form from the request stream with the per-file size limit, after the
    CSRF check."""
    limit_mb = settings.max_upload_mb

    def check_csrf(given: str | None) -> None:
        require_csrf(request, settings, given)

    max_bytes = limit_mb * MB
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        check_csrf(None)  # a forged post is told so (403), whatever it sent
        raise UserError(Msg(N_("Choose a file to upload.")))
    reader = _Reader(max_bytes, limit_mb, check_csrf)
    parser = MultipartParser(
        boundary,
        {  # type: ignore[arg-type]
            "on_part_begin": reader.on_part_begin,
            "on_part_data": reader.on_part_data,
            "on_part_end": reader.on_part_end,
            "on_header_field": reader.on_header_field,
            "on_header_value": reader.on_header_value,
            "on_header_end": reader.on_header_end,
            "on_headers_finished": reader.on_headers_finished,
        },
    )
    async for chunk in request.stream():
        if chunk:
            parser.write(chunk)
    parser.finalize()
    if not reader.csrf_checked:
        check_csrf(reader.upload.get("csrf") or None)
    refuse_unstorable(reader.upload.fields)
    return reader.upload
