"""The evidence store: content-addressed, atomic, verified on read."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.files import CorruptFileError, FileStore, MissingFileError, sha256_of


async def test_bytes_are_stored_once_under_their_hash(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    data = b"%PDF-1.4 ke hoach CCHC"
    first = await store.put(data)
    again = await store.put(data)
    digest = sha256_of(data)
    assert first.sha256 == again.sha256 == digest and first.size == len(data)
    assert first.path == tmp_path / "evidence" / digest[:2] / digest[2:4] / digest
    assert await store.get(digest) == data
    # no temporary files are left behind
    assert [p.name for p in first.path.parent.iterdir()] == [digest]


async def test_a_damaged_file_is_reported_not_served(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    stored = await store.put(b"original bytes")
    stored.path.write_bytes(b"tampered bytes")
    with pytest.raises(CorruptFileError):
        await store.get(stored.sha256)
    with pytest.raises(MissingFileError):
        await store.get("0" * 64)
    with pytest.raises(ValueError):
        store.path_for("../../etc/passwd")


def test_a_failed_write_leaves_nothing_under_the_real_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    store = FileStore(tmp_path)

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        store.put_sync(b"half written")
    digest = sha256_of(b"half written")
    assert not store.exists(digest)
    assert list(store.path_for(digest).parent.iterdir()) == []
