"""``cchc backup FILE`` and ``cchc restore FILE``: the commands a secretary types (app/backup.py).

    cchc backup /srv/backup/cchc-2026-11-22.tar.gz
    cchc restore /srv/backup/cchc-2026-11-22.tar.gz            # into an empty database
    cchc restore /srv/backup/cchc-2026-11-22.tar.gz --force    # erase and replace

The commands use the configured database and data dir (``CCHC_DATABASE_URL``,
``CCHC_DATA_DIR``) and print what went where; every refusal is one sentence, Vietnamese first.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from app.backup import BackupError, create_backup, restore_backup
from app.cli_support import cli_settings as _settings
from app.cli_support import console, err_console
from core.timefmt import format_datetime
from forms.evidence import size_text

FileArg = Annotated[Path, typer.Argument(help="Tệp sao lưu / backup archive (.tar.gz or .tar).")]


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _warn(text: str) -> None:
    err_console.print(text, markup=False, highlight=False, soft_wrap=True)


def _fail(exc: BackupError) -> typer.Exit:
    _warn(str(exc))
    return typer.Exit(1)


def _spinner(text: str) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn(text),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


def backup(file: FileArg) -> None:
    """Sao lưu cơ sở dữ liệu và tài liệu kiểm chứng vào một tệp / back up into one file."""
    settings = _settings()
    try:
        with _spinner("Đang sao lưu… / Backing up…") as progress:
            progress.add_task("")
            report = asyncio.run(create_backup(settings.database_url, settings.data_dir, file))
    except BackupError as exc:
        raise _fail(exc) from None
    _say(f"Đã sao lưu / backed up: {report.path} ({size_text(report.size)})")
    kind = "SQLite" if report.kind == "sqlite" else "PostgreSQL"
    _say(
        f"  Cơ sở dữ liệu / database: {kind}, {len(report.tables)} bảng / tables, "
        f"{report.rows} dòng / rows"
    )
    _say(
        f"  Tài liệu kiểm chứng / evidence files: {report.evidence_files} tệp / files, "
        f"{size_text(report.evidence_bytes)}"
    )
    if report.migrations:
        _say(f"  Phiên bản lược đồ / schema: {report.migrations[-1]}")
    if report.damaged:
        _warn(
            f"Cảnh báo: {len(report.damaged)} tệp trong kho đã hỏng từ trước (không khớp "
            f"SHA-256), sẽ không được khôi phục: {', '.join(report.damaged)} / Warning: "
            f"{len(report.damaged)} stored files were already damaged and will not be restored."
        )


def restore(
    file: FileArg,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Xóa dữ liệu đang có rồi thay bằng bản sao lưu / erase existing data first.",
        ),
    ] = False,
) -> None:
    """Khôi phục từ tệp sao lưu (dừng dịch vụ trước) / restore a backup (stop the service first)."""
    settings = _settings()
    try:
        with _spinner("Đang kiểm tra và khôi phục… / Checking and restoring…") as progress:
            progress.add_task("")
            report = asyncio.run(
                restore_backup(file, settings.database_url, settings.data_dir, force=force)
            )
    except BackupError as exc:
        raise _fail(exc) from None
    made = format_datetime(datetime.fromisoformat(report.created_at), settings.tz)
    _say(f"Đã khôi phục / restored: {file} (sao lưu lúc / made {made})")
    if report.replaced:
        _say("  Dữ liệu cũ đã được thay thế / the previous data was replaced")
    _say(
        f"  Cơ sở dữ liệu / database: {len(report.tables)} bảng / tables, {report.rows} dòng / rows"
    )
    _say(
        f"  Tài liệu kiểm chứng / evidence files: {report.evidence_files} tệp / files, "
        f"{size_text(report.evidence_bytes)} → {settings.data_dir}"
    )
    for name in report.applied:
        _say(f"  Đã nâng cấp lược đồ / migration applied: {name}")
    if report.damaged:
        _warn(
            f"Cảnh báo: {len(report.damaged)} tệp đã hỏng từ khi sao lưu, không khôi phục: "
            f"{', '.join(report.damaged)} / Warning: {len(report.damaged)} files were damaged "
            "before the backup and were not restored."
        )
