"""Evidence files sent to the browser or an API client: PDF and images inline on the pages (the
appraisers' preview), every other type, and every API download, as an attachment. The type is
the one detected from the content at upload (:func:`forms.evidence.detect_type`), never the name
the uploader gave."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response

from core.files import FileStore
from forms.models import Evidence

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


def is_previewable(content_type: str) -> bool:
    return content_type in INLINE_TYPES


async def file_response(files: FileStore, evidence: Evidence, *, download: bool) -> Response:
    data = await files.get(evidence.sha256)
    name = evidence.original_name or f"evidence-{evidence.id}"
    fallback = "".join(ch if ch.isascii() and ch not in '"\\;' else "_" for ch in name)
    inline = not download and is_previewable(evidence.content_type)
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Disposition": (
            f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "private, no-store",
    }
    if evidence.content_type != "application/pdf":
        # Chromium's PDF viewer needs plugins; everything else gets no active content at all.
        headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return Response(
        data, media_type=evidence.content_type or "application/octet-stream", headers=headers
    )


def workbook_download(data: bytes, filename: str) -> Response:
    """A workbook to save, under an ASCII file name."""
    disposition = f'attachment; filename="{filename}"'
    return Response(data, media_type=XLSX, headers={"Content-Disposition": disposition})
