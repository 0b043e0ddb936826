"""Backups an operator can trust: one archive with the database, the evidence files and a manifest.

``cchc backup FILE`` writes a tar archive (gzip-compressed unless the name ends in ``.tar``)::

    database/cchc.sqlite3   SQLite: a copy made with SQLite's online backup API
    database/cchc.sql       PostgreSQL: a plain ``pg_dump`` (one consistent snapshot)
    evidence/ab/cd/<sha256> every file of the evidence store (core/files.py), as stored
    manifest.json           every member's SHA-256 and size, rows per table, the applied
                            migrations, the database kind, creation time and cchc version

Both dumps are consistent snapshots taken while the service keeps running. The database is
dumped *before* the evidence store is read: an evidence row is committed only after its file
is stored (forms/evidence.py), and stored files are never deleted, so every file the snapshot
refers to is already in the store when the store is read. The archive is written to a
temporary file next to FILE, fsynced and renamed, so a failed backup never leaves half an
archive under the real name.

``cchc restore FILE`` unpacks into a temporary folder inside the data dir, checks every member
against the manifest and only then changes anything: evidence files are moved into the store
(each one was hashed while unpacked), the database is replaced in one transaction (SQLite's
backup API, or ``psql --single-transaction`` for PostgreSQL), its row counts are compared with
the manifest, and pending migrations are applied, so a backup made by an older version comes
back upgraded. A target database that already holds data is refused unless ``force`` is given.
A backup restores only into the same kind of database (SQLite or PostgreSQL): converting
between them is not supported.

Errors are :class:`BackupError`: one sentence in Vietnamese, then English, as the CLI prints.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, unquote, urlsplit

from app import db
from core.files import FileStore, fsync_dir

log = logging.getLogger("cchc.backup")

FORMAT = "cchc-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/cchc.sqlite3"
POSTGRES_MEMBER = "database/cchc.sql"
MIGRATIONS_TABLE = "tortoise_migrations"
_CHUNK = 1 << 20
_MAX_MANIFEST = 256 << 20
_EVIDENCE = re.compile(r"^evidence/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})$")
_MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class BackupError(Exception):
    """A backup or restore that cannot go on, told in one sentence per language."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(f"{vi} / {en}")
        self.vi = vi
        self.en = en


@dataclass(frozen=True)
class Member:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size: int
    kind: str
    tables: dict[str, int]
    evidence_files: int
    evidence_bytes: int
    damaged: list[str]
    migrations: list[str]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass(frozen=True)
class RestoreReport:
    kind: str
    created_at: str
    cchc_version: str
    tables: dict[str, int]
    evidence_files: int
    evidence_bytes: int
    damaged: list[str]
    replaced: bool
    applied: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass(frozen=True)
class _Snapshot:
    path: Path
    member: str
    tables: dict[str, int]
    migrations: list[str]
    server_version: str


def cchc_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cchc")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def known_migrations() -> set[str]:
    """The migrations this version of cchc can apply (a backup may not be newer)."""
    return {f"{db.APP_LABEL}.{p.stem}" for p in _MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py")}


def _kind_name(kind: str) -> str:
    return "SQLite" if kind == "sqlite" else "PostgreSQL"


# -- databases ---------------------------------------------------------------------------------


class _Database:
    kind: str

    def snapshot(self, folder: Path) -> _Snapshot:
        raise NotImplementedError

    def row_counts(self) -> dict[str, int]:
        """Rows per table (all tables, the migrations table included)."""
        raise NotImplementedError

    def restore(self, dump: Path) -> None:
        """Replace the whole database by the dump, all or nothing."""
        raise NotImplementedError

    def tables_with_data(self) -> list[str]:
        return sorted(t for t, n in self.row_counts().items() if n and t != MIGRATIONS_TABLE)


class _Sqlite(_Database):
    kind = "sqlite"

    def __init__(self, url: str) -> None:
        path = url.removeprefix("sqlite://").split("?")[0]
        if not path or path == ":memory:":
            raise BackupError(
                "Không sao lưu hay khôi phục được cơ sở dữ liệu SQLite trong bộ nhớ.",
                "An in-memory SQLite database cannot be backed up or restored.",
            )
        self.path = Path(path)

    def _connect(self, path: Path) -> sqlite3.Connection:
        # a long timeout: the service may be writing; the backup API also retries while busy
        return sqlite3.connect(path, timeout=30, isolation_level=None)

    def snapshot(self, folder: Path) -> _Snapshot:
        if not self.path.is_file():
            raise BackupError(
                f"Không tìm thấy tệp cơ sở dữ liệu: {self.path}.",
                f"Database file not found: {self.path}.",
            )
        target = folder / "cchc.sqlite3"
        source = self._connect(self.path)
        copy = self._connect(target)
        try:
            try:
                source.backup(copy)  # one step: a consistent snapshot under a read transaction
            except sqlite3.DatabaseError as exc:
                raise self._unreadable(exc) from None
            # a single self-contained file (no -wal beside it) is what goes into the archive
            copy.execute("PRAGMA journal_mode=DELETE")
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(
                    f"Cơ sở dữ liệu SQLite bị hỏng ({problems[0]}); không tạo bản sao lưu.",
                    f"The SQLite database is damaged ({problems[0]}); no backup was made.",
                )
            tables = _sqlite_counts(copy)
            migrations = (
                [
                    f"{app}.{name}"
                    for app, name in copy.execute(
                        f"SELECT app, name FROM {MIGRATIONS_TABLE} ORDER BY id"
                    )
                ]
                if MIGRATIONS_TABLE in tables
                else []
            )
        finally:
            copy.close()
            source.close()
        return _Snapshot(target, SQLITE_MEMBER, tables, migrations, sqlite3.sqlite_version)

    def row_counts(self) -> dict[str, int]:
        if not self.path.is_file():
            return {}
        conn = self._connect(self.path)
        try:
            return _sqlite_counts(conn)
        except sqlite3.DatabaseError as exc:
            raise self._unreadable(exc) from None
        finally:
            conn.close()

    def _unreadable(self, exc: Exception) -> BackupError:
        return BackupError(
            f"Không đọc được cơ sở dữ liệu SQLite {self.path} ({exc}).",
            f"Cannot read the SQLite database {self.path} ({exc}).",
        )

    def restore(self, dump: Path) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        source = self._connect(dump)
        target = self._connect(self.path)
        try:
            # the backup API writes the target in one write transaction: all or nothing
            source.backup(target)
        except sqlite3.OperationalError as exc:
            raise BackupError(
                f"Không ghi được cơ sở dữ liệu {self.path} ({exc}); hãy dừng dịch vụ cchc "
                "rồi khôi phục lại.",
                f"Could not write the database {self.path} ({exc}); stop the cchc service "
                "and try again.",
            ) from None
        finally:
            target.close()
            source.close()


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {
        name: conn.execute(f"SELECT count(*) FROM {_ident(name)}").fetchone()[0] for name in names
    }


# Drops every table, view and sequence of the public schema, inside the restore's transaction,
# so that a database already at a newer schema (or merely migrated) takes the dump cleanly.
_PG_WIPE = """
SET lock_timeout = '10s';
DO $cchc$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    ORDER BY c.relkind <> 'r'
  LOOP
    EXECUTE format('DROP %s IF EXISTS public.%I CASCADE',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
        WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
      r.relname);
  END LOOP;
END
$cchc$;
"""
_COPY = re.compile(rb"^COPY (\S+) \((.*)\) FROM stdin;\n$")


class _Postgres(_Database):
    kind = "postgres"

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.database = unquote(parts.path.lstrip("/"))
        env = dict(os.environ)
        if parts.hostname:
            env["PGHOST"] = unquote(parts.hostname)
        if parts.port:
            env["PGPORT"] = str(parts.port)
        if parts.username:
            env["PGUSER"] = unquote(parts.username)
        if parts.password is not None:
            env["PGPASSWORD"] = unquote(parts.password)  # never on a command line or in a log
        env["PGDATABASE"] = self.database
        env["PGAPPNAME"] = "cchc-backup"
        query = parse_qs(parts.query)
        ssl = (query.get("sslmode") or query.get("ssl") or [""])[0].lower()
        if ssl in ("true", "on", "1"):
            env["PGSSLMODE"] = "require"
        elif ssl in ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"):
            env["PGSSLMODE"] = ssl
        self.env = env

    def _tool(self, name: str) -> str:
        path = shutil.which(name)
        if path is None:
            raise BackupError(
                f"Không tìm thấy lệnh {name}; hãy cài gói postgresql-client (scripts/system-deps).",
                f"{name} was not found; install the postgresql-client package "
                "(scripts/system-deps).",
            )
        return path

    def _run(self, name: str, *args: str) -> str:
        result = subprocess.run(
            [self._tool(name), *args], env=self.env, capture_output=True, text=True
        )
        if result.returncode != 0:
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            detail = lines[-1].strip() if lines else f"exit status {result.returncode}"
            if "lock timeout" in result.stderr:
                raise BackupError(
                    f"Cơ sở dữ liệu {self.database} đang được sử dụng; hãy dừng dịch vụ cchc "
                    "rồi khôi phục lại.",
                    f"The database {self.database} is in use; stop the cchc service and try again.",
                )
            raise BackupError(f"{name} báo lỗi: {detail}", f"{name} failed: {detail}")
        return result.stdout

    def _psql(self, *args: str) -> str:
        return self._run("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *args)

    def _query(self, sql: str) -> list[list[str]]:
        out = self._psql("-A", "-t", "-F", "\t", "-c", sql)
        return [line.split("\t") for line in out.splitlines() if line]

    def _check_client(self) -> str:
        """pg_dump refuses a newer server anyway: say which package fixes it."""
        server_num = int(self._query("SHOW server_version_num")[0][0])
        major = server_num // 10000
        # "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
        found = re.search(r"\s(\d+)", self._run("pg_dump", "--version"))
        client = int(found.group(1)) if found else 0
        if client < major:
            raise BackupError(
                f"pg_dump phiên bản {client} cũ hơn máy chủ PostgreSQL {major}; hãy cài "
                f"postgresql-client-{major}.",
                f"pg_dump {client} is older than the PostgreSQL {major} server; install "
                f"postgresql-client-{major}.",
            )
        return f"{major}.{server_num % 10000}"

    def snapshot(self, folder: Path) -> _Snapshot:
        server = self._check_client()
        target = folder / "cchc.sql"
        self._run(
            "pg_dump",
            "--format=plain",
            "--no-owner",
            "--no-privileges",
            "--encoding=UTF8",
            f"--file={target}",
        )
        tables, migrations = _read_plain_dump(target)
        return _Snapshot(target, POSTGRES_MEMBER, tables, migrations, server)

    def row_counts(self) -> dict[str, int]:
        names = [
            row[0]
            for row in self._query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        if not names:
            return {}
        sql = " UNION ALL ".join(
            f"SELECT {_pg_literal(n)}, count(*) FROM public.{_ident(n)}" for n in names
        )
        return {name: int(count) for name, count in self._query(sql)}

    def restore(self, dump: Path) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".sql", dir=dump.parent) as wipe:
            wipe.write(_PG_WIPE)
            wipe.flush()
            self._psql("--single-transaction", "-f", wipe.name, "-f", str(dump))


def _ident(name: str) -> str:
    """A quoted SQL identifier (SQLite and PostgreSQL quote the same way)."""
    return '"' + name.replace('"', '""') + '"'


def _pg_literal(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _unquote_ident(token: bytes) -> str:
    """``public."order"`` → ``order``: the table name of a COPY line."""
    text = token.decode()
    name = re.split(r'\.(?=(?:[^"]*"[^"]*")*[^"]*$)', text)[-1]
    if name.startswith('"') and name.endswith('"'):
        name = name[1:-1].replace('""', '"')
    return name


def _read_plain_dump(path: Path) -> tuple[dict[str, int], list[str]]:
    """Rows per table and the applied migrations, read from the dump itself.

    Each COPY row is one line (newlines inside values are escaped), so the counts describe
    exactly the snapshot in the archive.
    """
    tables: dict[str, int] = {}
    migrations: list[str] = []
    current: str | None = None
    columns: list[str] = []
    with path.open("rb") as fh:
        for line in fh:
            if current is None:
                found = _COPY.match(line)
                if found:
                    current = _unquote_ident(found.group(1))
                    columns = [c.strip().strip('"') for c in found.group(2).decode().split(",")]
                    tables[current] = 0
                continue
            if line == b"\\.\n":
                current = None
                continue
            tables[current] += 1
            if current == MIGRATIONS_TABLE and "app" in columns and "name" in columns:
                values = line.rstrip(b"\n").decode().split("\t")
                migrations.append(f"{values[columns.index('app')]}.{values[columns.index('name')]}")
    return tables, migrations


def open_database(url: str) -> _Database:
    if url.startswith("sqlite://"):
        return _Sqlite(url)
    if url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return _Postgres(url)
    raise BackupError(
        f"Không nhận ra loại cơ sở dữ liệu: {url.split(':')[0]}.",
        f"Unknown database kind: {url.split(':')[0]}.",
    )


# -- backup ------------------------------------------------------------------------------------


class _HashingReader:
    """Hands tarfile the bytes of a file while hashing them, so each file is read once."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.hash = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.hash.update(data)
        self.size += len(data)
        return data


def _tar_info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    return info


def _add_file(tar: tarfile.TarFile, name: str, path: Path, mtime: float) -> Member:
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        reader = _HashingReader(fh)
        tar.addfile(_tar_info(name, size, mtime), reader)  # type: ignore[arg-type]
    return Member(name, reader.hash.hexdigest(), reader.size)


def _evidence_files(store: FileStore) -> Iterator[tuple[str, Path]]:
    """Every stored file under its archive name; half-written temporary files are skipped."""
    if not store.root.is_dir():
        return
    for first in sorted(store.root.iterdir()):
        if not first.is_dir():
            continue
        for second in sorted(first.iterdir()):
            if not second.is_dir():
                continue
            for path in sorted(second.iterdir()):
                name = f"evidence/{first.name}/{second.name}/{path.name}"
                found = _EVIDENCE.match(name)
                tidy = found and found.group(3)[:4] == found.group(1) + found.group(2)
                if tidy and path.is_file():
                    yield name, path


def _compressed(out: Path) -> bool:
    return not out.name.endswith(".tar")


@dataclass
class _Written:
    members: list[Member] = field(default_factory=list)
    files: int = 0
    size: int = 0
    damaged: list[str] = field(default_factory=list)


def _write_members(
    tar: tarfile.TarFile, snap: _Snapshot, store: FileStore, mtime: float
) -> _Written:
    written = _Written([_add_file(tar, snap.member, snap.path, mtime)])
    for name, path in _evidence_files(store):
        member = _add_file(tar, name, path, mtime)
        written.members.append(member)
        written.files += 1
        written.size += member.size
        if member.sha256 != name.rsplit("/", 1)[1]:
            # kept in the archive (it is all there is) but listed, and never restored
            written.damaged.append(name)
            log.warning("evidence file %s does not match its SHA-256", path)
    return written


def create_backup_sync(database_url: str, data_dir: Path, out: Path) -> BackupReport:
    """Write the archive (blocking: call :func:`create_backup` from async code)."""
    database = open_database(database_url)
    out = Path(out).absolute()
    if not out.parent.is_dir():
        raise BackupError(
            f"Thư mục {out.parent} không tồn tại.", f"The folder {out.parent} does not exist."
        )
    created = datetime.now(UTC)
    stamp = created.timestamp()
    work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        snap = database.snapshot(work)
        # mkstemp creates the file readable by its owner only: the archive holds password
        # hashes and tokens
        fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as raw:
                extra: dict[str, Any] = {"compresslevel": 6} if _compressed(out) else {}
                mode = "w:gz" if _compressed(out) else "w"
                with tarfile.open(fileobj=raw, mode=mode, **extra) as tar:  # type: ignore[call-overload]
                    written = _write_members(tar, snap, FileStore(data_dir), stamp)
                    manifest = {
                        "format": FORMAT,
                        "format_version": FORMAT_VERSION,
                        "cchc_version": cchc_version(),
                        "created_at": created.isoformat(),
                        "database": {
                            "kind": database.kind,
                            "member": snap.member,
                            "server_version": snap.server_version,
                            "tables": snap.tables,
                        },
                        "migrations": snap.migrations,
                        "evidence": {
                            "files": written.files,
                            "bytes": written.size,
                            "damaged": written.damaged,
                        },
                        "members": [m.__dict__ for m in written.members],
                    }
                    body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                    tar.addfile(_tar_info(MANIFEST, len(body), stamp), io.BytesIO(body))
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(tmp_name, out)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        fsync_dir(out.parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("backup written to %s (%d evidence files)", out, written.files)
    return BackupReport(
        path=out,
        size=out.stat().st_size,
        kind=database.kind,
        tables=snap.tables,
        evidence_files=written.files,
        evidence_bytes=written.size,
        damaged=written.damaged,
        migrations=snap.migrations,
    )


async def create_backup(database_url: str, data_dir: Path, out: Path) -> BackupReport:
    """Back up the database and the evidence store into ``out``, atomically."""
    return await asyncio.to_thread(create_backup_sync, database_url, data_dir, out)


# -- restore -----------------------------------------------------------------------------------


def _corrupt(archive: Path, detail: str) -> BackupError:
    return BackupError(
        f"Tệp sao lưu {archive} bị hỏng hoặc không đầy đủ ({detail}); chưa khôi phục gì.",
        f"The backup file {archive} is damaged or incomplete ({detail}); nothing was restored.",
    )


def _open_tar(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, mode="r:*")
    except (tarfile.TarError, EOFError, zlib.error, OSError):
        raise _corrupt(archive, "not a tar archive") from None


@dataclass
class _Staged:
    path: Path
    sha256: str
    size: int


def _stage(archive: Path, folder: Path) -> tuple[dict[str, _Staged], bytes]:
    """Unpack every member into ``folder``, hashing it on the way; nothing else is touched."""
    staged: dict[str, _Staged] = {}
    manifest: bytes | None = None
    try:
        with _open_tar(archive) as tar:
            for index, info in enumerate(tar):
                name = info.name
                known = name in (MANIFEST, SQLITE_MEMBER, POSTGRES_MEMBER) or _EVIDENCE.match(name)
                if not info.isreg() or not known:
                    raise _corrupt(archive, f"unexpected member {name!r}")
                if name in staged or (name == MANIFEST and manifest is not None):
                    raise _corrupt(archive, f"{name} appears twice")
                source = tar.extractfile(info)
                assert source is not None  # a regular file always has a reader
                if name == MANIFEST:
                    if info.size > _MAX_MANIFEST:
                        raise _corrupt(archive, "manifest too large")
                    manifest = source.read()
                    continue
                target = folder / f"m{index}"
                digest = hashlib.sha256()
                size = 0
                with target.open("wb") as fh:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        fh.write(chunk)
                    fh.flush()
                    os.fsync(fh.fileno())
                staged[name] = _Staged(target, digest.hexdigest(), size)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise _corrupt(archive, (str(exc) or type(exc).__name__).splitlines()[0]) from None
    except gzip.BadGzipFile as exc:
        raise _corrupt(archive, str(exc)) from None
    if manifest is None:  # written last: a file cut at a member boundary ends up here
        raise _corrupt(archive, f"{MANIFEST} is missing")
    return staged, manifest


def _verify(archive: Path, staged: dict[str, _Staged], raw: bytes) -> dict[str, Any]:
    """The manifest must list exactly the members present, with the same hashes and sizes."""
    try:
        manifest = json.loads(raw)
        if manifest.get("format") != FORMAT:
            raise ValueError("format")
        listed = {m["name"]: (m["sha256"], int(m["size"])) for m in manifest["members"]}
        kind = manifest["database"]["kind"]
        member = manifest["database"]["member"]
        tables = {str(k): int(v) for k, v in manifest["database"]["tables"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BackupError(
            f"{archive} không phải tệp sao lưu cchc (manifest không đọc được).",
            f"{archive} is not a cchc backup (unreadable manifest).",
        ) from None
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(
            "Tệp sao lưu được tạo bởi phiên bản cchc mới hơn; hãy cập nhật cchc trước.",
            "The backup was made by a newer cchc; upgrade cchc first.",
        )
    for name in sorted(listed.keys() - staged.keys()):
        raise _corrupt(archive, f"{name} is missing")
    for name in sorted(staged.keys() - listed.keys()):
        raise _corrupt(archive, f"{name} is not in the manifest")
    for name, item in staged.items():
        if (item.sha256, item.size) != listed[name]:
            raise _corrupt(archive, f"{name} does not match its SHA-256")
    if kind not in ("sqlite", "postgres") or member not in staged:
        raise _corrupt(archive, "no database dump")
    manifest["database"]["tables"] = tables
    return manifest


def restore_backup_sync(
    archive: Path, database_url: str, data_dir: Path, *, force: bool = False
) -> RestoreReport:
    """Check, then restore database and evidence (blocking: migrations are applied by
    :func:`restore_backup`)."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(
            f"Không tìm thấy tệp sao lưu: {archive}.", f"Backup file not found: {archive}."
        )
    database = open_database(database_url)
    if not force:
        _refuse_if_data(database)
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=data_dir, prefix=".restore-"))
    try:
        staged, raw = _stage(archive, folder)
        manifest = _verify(archive, staged, raw)
        info = manifest["database"]
        if info["kind"] != database.kind:
            raise BackupError(
                f"Đây là bản sao lưu {_kind_name(info['kind'])}, không khôi phục vào "
                f"{_kind_name(database.kind)} được; hãy khôi phục vào cơ sở dữ liệu cùng loại.",
                f"This is a {_kind_name(info['kind'])} backup and cannot be restored into "
                f"{_kind_name(database.kind)}; restore it into a database of the same kind.",
            )
        newer = sorted(set(manifest.get("migrations", [])) - known_migrations())
        if newer:
            raise BackupError(
                f"Bản sao lưu có lược đồ mới hơn phiên bản cchc này ({newer[0]}); hãy cập "
                "nhật cchc rồi khôi phục lại.",
                f"The backup has a newer schema than this cchc ({newer[0]}); upgrade cchc first.",
            )
        replaced = bool(database.tables_with_data())
        if replaced and not force:  # data arrived while unpacking
            _refuse_if_data(database)
        files, size = _install_evidence(staged, FileStore(data_dir))
        database.restore(staged[info["member"]].path)
        counts = database.row_counts()
        for table, rows in info["tables"].items():
            if counts.get(table) != rows:
                raise BackupError(
                    f"Sau khi khôi phục, bảng {table} có {counts.get(table)} dòng nhưng bản sao "
                    f"lưu có {rows} dòng.",
                    f"After the restore the table {table} has {counts.get(table)} rows but the "
                    f"backup has {rows}.",
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    damaged = [n for n in staged if _EVIDENCE.match(n) and staged[n].sha256 != n.rsplit("/")[-1]]
    log.info("restored %s (%d evidence files)", archive, files)
    return RestoreReport(
        kind=database.kind,
        created_at=str(manifest.get("created_at", "")),
        cchc_version=str(manifest.get("cchc_version", "")),
        tables=info["tables"],
        evidence_files=files,
        evidence_bytes=size,
        damaged=sorted(damaged),
        replaced=replaced,
    )


def _refuse_if_data(database: _Database) -> None:
    tables = database.tables_with_data()
    if tables:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise BackupError(
            f"Cơ sở dữ liệu đích đã có dữ liệu (bảng {shown}); thêm --force để xóa toàn bộ và "
            "thay bằng bản sao lưu.",
            f"The target database already holds data (tables {shown}); add --force to erase "
            "it and replace it with the backup.",
        )


def _install_evidence(staged: dict[str, _Staged], store: FileStore) -> tuple[int, int]:
    """Move each verified file into the store; a file that was already damaged when backed up
    is left out (the store's name is its hash, and these bytes no longer match it)."""
    files = size = 0
    folders: set[Path] = set()
    for name, item in sorted(staged.items()):
        found = _EVIDENCE.match(name)
        if not found or item.sha256 != found.group(3):
            continue
        target = store.path_for(item.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(item.path, target)  # same file system: the staging folder is in data_dir
        folders.add(target.parent)
        files += 1
        size += item.size
    for folder in folders:
        fsync_dir(folder)
    return files, size


async def restore_backup(
    archive: Path, database_url: str, data_dir: Path, *, force: bool = False
) -> RestoreReport:
    """Restore an archive, then bring the schema up to this version's migrations."""
    report = await asyncio.to_thread(
        restore_backup_sync, archive, database_url, data_dir, force=force
    )
    applied = await db.upgrade(database_url)
    return replace(report, applied=applied)
