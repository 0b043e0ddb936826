"""The evidence file store: content-addressed by SHA-256, on disk under ``settings.data_dir``.

A file lives at ``<data_dir>/evidence/ab/cd/<sha256>`` (the first two pairs of hex digits
spread files over folders). Writes are atomic (temporary file in the same folder, fsync,
rename), so a crash never leaves a half-written file under a real name; the same bytes are
stored once however many answers refer to them. Reads check the hash, so a file damaged on
disk is reported instead of being handed to an appraiser as if it were the original.

Disk work runs in a thread so the bot and the web app keep answering while a 20 MB upload is
written.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class CorruptFileError(Exception):
    """The stored bytes no longer match their name (disk damage or tampering)."""


class MissingFileError(Exception):
    """No file with this hash is stored."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    path: Path


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileStore:
    """Content-addressed storage; safe to share between tasks, threads and processes."""

    def __init__(self, data_dir: Path | str) -> None:
        self.root = Path(data_dir) / "evidence"

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    # -- synchronous core (run in a thread by the async wrappers) ---------------------------

    def put_sync(self, data: bytes) -> StoredFile:
        digest = sha256_of(data)
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(data):
            return StoredFile(digest, len(data), target)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        fsync_dir(target.parent)
        return StoredFile(digest, len(data), target)

    def get_sync(self, sha256: str) -> bytes:
        path = self.path_for(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise MissingFileError(sha256) from None
        if sha256_of(data) != sha256:
            raise CorruptFileError(f"{path} does not match its SHA-256")
        return data

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    # -- async API -------------------------------------------------------------------------

    async def put(self, data: bytes) -> StoredFile:
        """Store bytes (once); return their hash, size and path."""
        return await asyncio.to_thread(self.put_sync, data)

    async def get(self, sha256: str) -> bytes:
        """The stored bytes, verified against their hash."""
        return await asyncio.to_thread(self.get_sync, sha256)


def fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
