"""``cchc backup`` / ``cchc restore``: a backup brings back every row and every evidence file.

Each test restores into an EMPTY database of the kind under test (a SQLite file, or a scratch
PostgreSQL database) and a fresh data dir, then compares table by table and file by file with
the source, the way an operator would check a disaster-recovery drill.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate
from tortoise.transactions import in_transaction

from app import backup
from app.backup import (
    MANIFEST,
    BackupError,
    create_backup,
    known_migrations,
    restore_backup,
)
from app.db import tortoise_config, upgrade
from app.demo import load_demo
from core.audit import Actor
from core.files import FileStore
from core.models import Channel, Officer, OfficerRole, Unit, UnitGroup
from core.timefmt import VIETNAM
from forms.evidence import attach_evidence
from forms.models import Assessment, CriteriaNode
from tests.app.helpers import run
from tests.bot import samples
from tests.databases import scratch_database
from tests.waiting import within

POSTGRES = bool(os.environ.get("CCHC_TEST_DATABASE_URL"))
pytestmark = pytest.mark.skipif(
    POSTGRES and not (shutil.which("pg_dump") and shutil.which("psql")),
    reason="pg_dump/psql missing: install postgresql-client (scripts/system-deps)",
)


@pytest.fixture
def target_url(tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the kind under test (not even migrated)."""
    folder = tmp_path / "target-db"
    folder.mkdir()
    with scratch_database(folder) as url:
        yield url


@pytest.fixture
def old_url(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "old-db"
    folder.mkdir()
    with scratch_database(folder) as url:
        yield url


async def _load(data_dir: Path) -> list[str]:
    """The demo data plus evidence files attached through the real service; their hashes."""
    now = datetime.now(UTC)
    await load_demo(VIETNAM, now)
    assessment = await Assessment.all().order_by("id").first()
    assert assessment is not None
    focal = await Officer.filter(unit_id=assessment.unit_id, role=OfficerRole.focal).first()  # type: ignore[attr-defined]
    assert focal is not None
    actor = Actor("officer", focal.id, focal.full_name, Channel.bot)
    items = await (
        CriteriaNode.filter(criteria_set_id=assessment.criteria_set_id, level="item")  # type: ignore[attr-defined]
        .exclude(rule_type="survey")
        .order_by("id")
        .limit(3)
        .values_list("code", flat=True)
    )
    files = [samples.pdf("kế hoạch"), samples.PNG, samples.docx()]
    names = ["ke-hoach.pdf", "anh.png", "bao-cao.docx"]
    store = FileStore(data_dir)
    stored = []
    for code, data, name in zip(items, files, names, strict=True):
        attached = await attach_evidence(
            actor, assessment.id, code, data=data, name=name, files=store, max_bytes=10**6, now=now
        )
        stored.append(attached.evidence.sha256)
    # the same bytes on a second item: one stored file, two evidence rows
    await attach_evidence(
        actor,
        assessment.id,
        items[1],
        data=files[0],
        name="ban-sao.pdf",
        files=store,
        max_bytes=10**6,
        now=now,
    )
    return stored


async def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and PostgreSQL's sequence positions), in a stable order."""
    if url.startswith("sqlite://"):
        conn = sqlite3.connect(url.removeprefix("sqlite://"))
        try:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            return {
                t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables
            }
        finally:
            conn.close()
    import asyncpg

    pg = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        tables = await pg.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        out = {
            t["tablename"]: sorted(
                (tuple(r) for r in await pg.fetch(f'SELECT * FROM "{t["tablename"]}"')), key=repr
            )
            for t in tables
        }
        sequences = await pg.fetch(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        )
        out["<sequences>"] = sorted((tuple(r) for r in sequences), key=repr)
        return out
    finally:
        await pg.close()


def _files(data_dir: Path) -> dict[str, bytes]:
    root = data_dir / "evidence"
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _everything(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _rewrite(archive: Path, out: Path, edit: Any) -> None:
    """Copy an archive, passing its manifest through ``edit`` (members stay as they are)."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for info in src:
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == MANIFEST:
                manifest = json.loads(data)
                edit(manifest)
                data = json.dumps(manifest).encode()
                info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


async def test_round_trip_restores_every_row_and_every_file(
    db: str, data_dir: Path, tmp_path: Path, target_url: str
) -> None:
    stored = await _load(data_dir)
    source_rows = await _rows(db)
    (tmp_path / "backups").mkdir()
    archive = tmp_path / "backups" / "cchc.tar.gz"

    made = await create_backup(db, data_dir, archive)

    assert made.path == archive and archive.stat().st_size == made.size
    assert made.evidence_files == 3 and made.damaged == []
    assert made.tables["evidence"] == 4 and made.tables["unit"] == len(source_rows["unit"])
    assert made.migrations == sorted(known_migrations())
    assert _everything(archive.parent) == [archive.name], "no temporary files left"
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
    assert manifest["database"]["kind"] == ("postgres" if POSTGRES else "sqlite")
    assert manifest["cchc_version"] and manifest["created_at"].endswith("+00:00")
    listed = {m["name"]: m["sha256"] for m in manifest["members"]}
    assert sorted(v for k, v in listed.items() if k.startswith("evidence/")) == sorted(stored)

    fresh = tmp_path / "restored-data"
    restored = await restore_backup(archive, target_url, fresh)

    assert restored.applied == [] and not restored.replaced
    assert restored.evidence_files == 3 and restored.tables == made.tables
    assert await _rows(target_url) == source_rows
    assert _files(fresh) == _files(data_dir)
    store = FileStore(fresh)
    for sha in stored:
        assert store.get_sync(sha) == FileStore(data_dir).get_sync(sha)  # hash-checked read
    assert [p.name for p in fresh.iterdir()] == ["evidence"], "no staging folder left"


async def test_the_commands_a_secretary_types(
    db: str, data_dir: Path, tmp_path: Path, target_url: str
) -> None:
    await _load(data_dir)
    base = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    source = {**base, "CCHC_DATABASE_URL": db, "CCHC_DATA_DIR": str(data_dir)}
    fresh = tmp_path / "restored-data"
    target = {**base, "CCHC_DATABASE_URL": target_url, "CCHC_DATA_DIR": str(fresh)}
    archive = tmp_path / "sao-luu.tar.gz"

    made = run(source, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert f"backed up: {archive}" in made.stdout
    assert "3 tệp / files" in made.stdout

    restored = run(target, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "restored" in restored.stdout and "3 tệp / files" in restored.stdout
    assert await _rows(target_url) == await _rows(db)

    # the source moves on; a second restore over the first needs --force and then replaces it
    group = await UnitGroup.get(code="SO")
    await Unit.create(code="MOI", name="Đơn vị mới", group=group)
    later = tmp_path / "sao-luu-2.tar"
    await create_backup(db, data_dir, later)
    before = await _rows(target_url)
    refused = run(target, "restore", str(later))
    assert refused.returncode == 1
    assert "--force" in refused.stderr and "already holds data" in refused.stderr
    assert refused.stderr.startswith("Cơ sở dữ liệu đích đã có dữ liệu")
    assert await _rows(target_url) == before

    forced = run(target, "restore", str(later), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "replaced" in forced.stdout
    assert await _rows(target_url) == await _rows(db)


async def test_a_damaged_archive_is_refused_and_nothing_changes(
    db: str, data_dir: Path, tmp_path: Path, target_url: str
) -> None:
    store = FileStore(data_dir)
    await store.put(samples.PDF)
    await store.put(samples.docx())
    await UnitGroup.create(code="SO", name="Khối sở, ban, ngành", kind="department")
    plain = tmp_path / "b.tar"
    packed = tmp_path / "b.tar.gz"
    await create_backup(db, data_dir, plain)
    await create_backup(db, data_dir, packed)
    await upgrade(target_url)  # an empty, migrated target: its state must stay exactly so
    fresh = tmp_path / "restored-data"
    fresh.mkdir()
    target_before = await _rows(target_url)

    tampered = tmp_path / "tampered.tar"
    raw = bytearray(plain.read_bytes())
    with tarfile.open(plain) as tar:
        member = next(m for m in tar.getmembers() if m.name.startswith("evidence/"))
    raw[member.offset_data + 3] ^= 0x01
    tampered.write_bytes(bytes(raw))
    cut_plain = tmp_path / "cut.tar"
    cut_plain.write_bytes(plain.read_bytes()[: plain.stat().st_size // 2])
    cut_packed = tmp_path / "cut.tar.gz"
    cut_packed.write_bytes(packed.read_bytes()[: packed.stat().st_size * 2 // 3])
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive at all")
    headless = tmp_path / "cut-before-manifest.tar"  # a copy stopped between two members
    with tarfile.open(plain) as src, tarfile.open(headless, "w") as dst:
        for info in src:
            if info.name != MANIFEST:
                dst.addfile(info, src.extractfile(info))

    cases = {
        tampered: member.name,
        cut_plain: "",
        cut_packed: "",
        junk: "not a tar archive",
        headless: "manifest.json is missing",
    }
    for archive, detail in cases.items():
        with pytest.raises(BackupError) as caught:
            await restore_backup(archive, target_url, fresh, force=True)
        message = str(caught.value)
        assert message.startswith("Tệp sao lưu") and "nothing was restored" in message, message
        assert detail in message
        assert await _rows(target_url) == target_before, archive.name
        assert _everything(fresh) == [], archive.name


async def test_backup_while_a_write_is_in_flight(
    db: str, data_dir: Path, tmp_path: Path, target_url: str
) -> None:
    """The service keeps running during a backup: an open write transaction neither blocks it
    nor leaks into it (the snapshot holds committed data only)."""
    await _load(data_dir)
    committed = await Unit.all().count()
    archive = tmp_path / "busy.tar.gz"
    group = await UnitGroup.get(code="SO")
    async with in_transaction():
        await Unit.create(code="DANG-GHI", name="Đang ghi dở", group=group)
        made = await within(
            60, create_backup(db, data_dir, archive), "a backup beside an open write transaction"
        )
    assert await Unit.all().count() == committed + 1
    assert made.tables["unit"] == committed

    await restore_backup(archive, target_url, tmp_path / "restored-data")
    rows = await _rows(target_url)
    source = await _rows(db)
    assert len(rows["unit"]) == committed
    assert not any("DANG-GHI" in row for row in rows["unit"])
    assert {
        t: r for t, r in rows.items() if t not in ("unit", "sqlite_sequence", "<sequences>")
    } == {t: r for t, r in source.items() if t not in ("unit", "sqlite_sequence", "<sequences>")}


async def test_an_older_backup_is_restored_then_upgraded(
    old_url: str, tmp_path: Path, target_url: str, db: str
) -> None:
    async with TortoiseContext():
        await migrate(config=tortoise_config(old_url), target="cchc.0001_initial")
    if old_url.startswith("sqlite://"):
        conn = sqlite3.connect(old_url.removeprefix("sqlite://"))
        with conn:
            conn.execute(
                "INSERT INTO unit_group (code, name, kind, sort_order) "
                "VALUES ('CU', 'Khối cũ', 'other', 1)"
            )
        conn.close()
    else:
        import asyncpg

        pg = await asyncpg.connect(old_url.replace("postgres://", "postgresql://", 1))
        await pg.execute(
            "INSERT INTO unit_group (code, name, kind, sort_order) "
            "VALUES ('CU', 'Khối cũ', 'other', 1)"
        )
        await pg.close()
    archive = tmp_path / "old.tar.gz"
    made = await create_backup(old_url, tmp_path / "old-data", archive)
    assert made.migrations == ["cchc.0001_initial"]

    restored = await restore_backup(archive, target_url, tmp_path / "restored-data")

    assert restored.applied == sorted(known_migrations() - {"cchc.0001_initial"})
    rows = await _rows(target_url)
    assert [r[1:3] for r in rows["unit_group"]] == [("CU", "Khối cũ")]
    assert len(rows["tortoise_migrations"]) == len(known_migrations())


async def test_refused_before_anything_is_touched(
    db: str, data_dir: Path, tmp_path: Path, target_url: str
) -> None:
    """A backup from a newer schema, or of the other database kind, is refused up front."""
    store = FileStore(data_dir)
    await store.put(samples.PDF)
    archive = tmp_path / "b.tar"
    await create_backup(db, data_dir, archive)
    fresh = tmp_path / "restored-data"

    newer = tmp_path / "newer.tar"
    _rewrite(archive, newer, lambda m: m["migrations"].append("cchc.9999_future"))
    with pytest.raises(BackupError, match="upgrade cchc first"):
        await restore_backup(newer, target_url, fresh)

    other = "sqlite" if POSTGRES else "postgres"
    foreign = tmp_path / "foreign.tar"
    _rewrite(archive, foreign, lambda m: m["database"].update(kind=other))
    with pytest.raises(BackupError, match="restore it into a database of the same kind"):
        await restore_backup(foreign, target_url, fresh)

    assert _everything(fresh) == []
    assert not any(rows for rows in (await _rows(target_url)).values())


async def test_a_file_damaged_on_disk_is_reported_not_restored(
    db: str, data_dir: Path, tmp_path: Path, target_url: str
) -> None:
    store = FileStore(data_dir)
    good = await store.put(samples.PDF)
    bad = await store.put(samples.PNG)
    bad.path.write_bytes(b"bit rot")
    archive = tmp_path / "b.tar.gz"

    made = await create_backup(db, data_dir, archive)
    damaged = f"evidence/{bad.sha256[:2]}/{bad.sha256[2:4]}/{bad.sha256}"
    assert made.evidence_files == 2 and made.damaged == [damaged]

    fresh = tmp_path / "restored-data"
    restored = await restore_backup(archive, target_url, fresh)
    assert restored.damaged == [damaged] and restored.evidence_files == 1
    assert FileStore(fresh).get_sync(good.sha256) == samples.PDF
    assert not FileStore(fresh).exists(bad.sha256)


async def test_a_failed_backup_leaves_the_previous_archive_alone(
    db: str, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileStore(data_dir)
    await store.put(samples.PDF)
    (tmp_path / "backups").mkdir()
    archive = tmp_path / "backups" / "nightly.tar.gz"
    await create_backup(db, data_dir, archive)
    previous = archive.read_bytes()

    def vanishing(store: FileStore) -> Iterator[tuple[str, Path]]:
        yield "evidence/00/00/" + "0" * 64, data_dir / "gone"  # fails half-way through

    monkeypatch.setattr(backup, "_evidence_files", vanishing)
    with pytest.raises(FileNotFoundError):
        await create_backup(db, data_dir, archive)
    assert archive.read_bytes() == previous
    assert _everything(archive.parent) == [archive.name], "no partial archive left"


@pytest.mark.skipif(not shutil.which("psql"), reason="psql missing (postgresql-client)")
def test_postgres_password_goes_through_the_environment_only(tmp_path: Path) -> None:
    url = "postgres://cchc:s%40cret-pw@127.0.0.1:1/cchc?sslmode=require"
    database = backup.open_database(url)
    assert database.env["PGPASSWORD"] == "s@cret-pw"  # type: ignore[attr-defined]
    assert database.env["PGSSLMODE"] == "require"  # type: ignore[attr-defined]
    with pytest.raises(BackupError) as caught:  # nothing listens on port 1
        backup.create_backup_sync(url, tmp_path / "data", tmp_path / "b.tar.gz")
    assert "s@cret" not in str(caught.value) and "failed" in str(caught.value)
    assert _everything(tmp_path) == []
