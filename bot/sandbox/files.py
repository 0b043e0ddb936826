"""Files the sandbox holds: what people send the bot and what the bot uploads.

Every file keeps its bytes so that the bot can download exactly what the officer sent
(``getFile`` then ``/file/bot<token>/<file_path>``) and tests can compare them. The
``file_unique_id`` is derived from the content, as in Telegram where the same file sent twice has
the same unique id, which lets the bot and the tests recognise duplicates.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
import struct
from dataclasses import dataclass
from typing import Any

_EXT_RE = re.compile(r"\.([A-Za-z0-9]{1,8})$")


@dataclass
class Upload:
    """A file part of a multipart request (from the bot, or from the chat page)."""

    filename: str | None
    content: bytes
    content_type: str | None = None


@dataclass(frozen=True)
class StoredFile:
    """One file as Telegram's servers would keep it."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    kind: str  # "document" or "photo"
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.content)

    def as_document(self) -> dict[str, Any]:
        """The fields of a Bot API Document (or of an Animation/Audio-less general file)."""
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name is not None:
            doc["file_name"] = self.file_name
        if self.mime_type is not None:
            doc["mime_type"] = self.mime_type
        return doc

    def as_photo_size(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width or 0,
            "height": self.height or 0,
            "file_size": self.size,
        }


def unique_id(content: bytes, variant: str = "") -> str:
    """Short content-derived id, stable across uploads of the same bytes."""
    digest = hashlib.sha256(variant.encode() + content).digest()
    return "AgAD" + base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def guess_mime(file_name: str | None) -> str:
    """What Telegram reports for a bot-uploaded document: guessed from the name."""
    if file_name:
        guessed, _ = mimetypes.guess_type(file_name, strict=False)
        if guessed:
            return guessed
    return "application/octet-stream"


def extension(file_name: str | None) -> str:
    """A safe extension for the server-side file path (".pdf"), or ""."""
    match = _EXT_RE.search(file_name or "")
    return "." + match.group(1).lower() if match else ""


def image_size(content: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG, GIF, JPEG or WebP header; None if not recognised."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        width, height = struct.unpack("<HH", content[6:10])
        return int(width), int(height)
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP" and len(content) >= 30:
        if content[12:16] == b"VP8X":
            width = 1 + int.from_bytes(content[24:27], "little")
            height = 1 + int.from_bytes(content[27:30], "little")
            return width, height
        if content[12:16] == b"VP8 ":
            width, height = struct.unpack("<HH", content[26:30])
            return width & 0x3FFF, height & 0x3FFF
        return None
    if content[:2] == b"\xff\xd8":
        return _jpeg_size(content)
    return None


def _jpeg_size(content: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(content):
        if content[i] != 0xFF:
            return None
        marker = content[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", content[i + 2 : i + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE):
            height, width = struct.unpack(">HH", content[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None


def image_mime(content: bytes) -> str | None:
    """The image type by magic bytes, so the chat page only ever serves real images inline."""
    if content[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if content[:2] == b"\xff\xd8":
        return "image/jpeg"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


class FileStore:
    """All files by file_id and by file_path; ids are unique per upload, as in Telegram."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def add(
        self,
        content: bytes,
        *,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        variant: str = "",
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        self._counter += 1
        n = self._counter
        uid = unique_id(content, variant)
        if kind == "photo":
            prefix, path = "AgACAgIAAxkBAA", f"photos/file_{n}.jpg"
        else:
            prefix, path = "BQACAgIAAxkBAA", f"documents/file_{n}{extension(file_name)}"
        stored = StoredFile(
            file_id=f"{prefix}{n:06d}{uid[4:14]}",
            file_unique_id=uid,
            content=content,
            file_path=path,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.by_id[stored.file_id] = stored
        self.by_path[stored.file_path] = stored
        return stored

    def add_photo(self, content: bytes) -> list[StoredFile]:
        """A photo as Telegram delivers it: a thumbnail size and the full size, smallest first.

        The sandbox does not resample, so both sizes hold the original bytes; the bot should
        take the last (largest) size, as it must with Telegram.
        """
        width, height = image_size(content) or (1280, 960)
        sizes: list[StoredFile] = []
        longest = max(width, height, 1)
        if longest > 320:
            scale = 90 / longest
            sizes.append(
                self.add(
                    content,
                    kind="photo",
                    variant="s",
                    width=max(1, round(width * scale)),
                    height=max(1, round(height * scale)),
                )
            )
        sizes.append(self.add(content, kind="photo", width=width, height=height))
        return sizes
