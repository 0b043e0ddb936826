"""``cchc export ...``: the Excel workbooks from the command line, with a progress bar.

    cchc export consolidated P2026 tong-hop.xlsx
    cchc export scorecard P2026 SNV bang-tu-danh-gia.xlsx
    cchc export register P2026 SNV danh-muc.xlsx --zip tlkc.zip

The commands act with the secretariat's authority (a system actor, channel ``cli``), call the
same services as the API (:mod:`scoring.exports`) and write each file atomically: a temporary
file next to the target, renamed when complete, so an interrupted export never leaves half a
workbook under the real name.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from app.cli_support import CLI_ACTOR, console, err_console
from app.cli_support import cli_settings as _settings
from app.cli_support import run_with_db as _run
from core.files import FileStore
from core.i18n import normalize_locale
from core.settings import Settings

export_cli = typer.Typer(
    name="export",
    help="Xuất bảng Excel / Excel exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PeriodArg = Annotated[str, typer.Argument(help="Mã đợt đánh giá / period code, e.g. P2026.")]
UnitArg = Annotated[str, typer.Argument(help="Mã đơn vị / unit code, e.g. SNV.")]
OutArg = Annotated[Path, typer.Argument(help="Tệp .xlsx cần ghi / output .xlsx file.")]
LangOption = Annotated[
    str | None, typer.Option("--lang", help="vi (mặc định / default) hoặc / or en.")
]

_STAGES = {
    "vi": {"load": "Đọc dữ liệu", "write": "Ghi tệp"},
    "en": {"load": "Reading data", "write": "Writing"},
}


def _setup(option: str | None) -> tuple[Settings, str, dict[str, Any]]:
    """The settings, the workbook language, and the arguments every export service takes."""
    from app.cli import state  # `cchc --lang en export ...` sets the main command's language

    settings = _settings()
    language = normalize_locale(option or state.lang or settings.locale)
    return settings, language, {"now": datetime.now(UTC), "tz": settings.tz, "locale": language}


@contextmanager
def _bar(lang: str) -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar and the callback the export services report to (from any thread)."""
    stages = _STAGES[lang]
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(stages["load"], total=None)

        def report(stage: str, done: int, total: int) -> None:
            progress.update(
                task, description=stages.get(stage, stage), completed=done, total=total or None
            )

        yield report


@contextmanager
def _atomic(out: Path) -> Iterator[Path]:
    """A temporary path beside ``out``, renamed to ``out`` only when the block succeeds."""
    out = out.expanduser()
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _done(lang: str, out: Path, detail: str) -> None:
    prefix = "Đã ghi" if lang == "vi" else "Written"
    console.print(f"{prefix}: {out} ({detail})", markup=False)


@export_cli.command("consolidated")
def consolidated(period: PeriodArg, out: OutArg, lang: LangOption = None) -> None:
    """Bảng tổng hợp kết quả Chỉ số CCHC của một đợt / the consolidated workbook of a period."""
    from scheduler.ledger import sent_per_sheet
    from scoring import exports

    settings, language, common = _setup(lang)
    with _atomic(out) as tmp, _bar(language) as report:

        async def work() -> exports.Export:
            period_id = await exports.period_id_of(period)
            return await exports.consolidated(
                CLI_ACTOR,
                period_id,
                tmp,
                **common,
                progress=report,
                reminder_counts=sent_per_sheet,
            )

        result = _run(settings, language, work)
    figures = result.figures
    detail = (
        f"{figures['groups']} khối, {figures['units']} đơn vị, "
        f"{figures['detail_rows']} dòng chi tiết"
        if language == "vi"
        else f"{figures['groups']} groups, {figures['units']} units, "
        f"{figures['detail_rows']} detail rows"
    )
    _done(language, out, detail)
    if figures.get("differs_from_published"):
        warning = (
            "Lưu ý: số liệu khác kết quả đã công bố ở: "
            if language == "vi"
            else "Warning: figures differ from the published results for: "
        )
        err_console.print(warning + ", ".join(figures["differs_from_published"]), markup=False)


@export_cli.command("progress")
def progress(period: PeriodArg, out: OutArg, lang: LangOption = None) -> None:
    """Tiến độ tự đánh giá của một đợt / the progress workbook of a period."""
    from scheduler.ledger import sent_per_sheet
    from scoring import exports

    settings, language, common = _setup(lang)
    with _atomic(out) as tmp:

        async def work() -> exports.Export:
            period_id = await exports.period_id_of(period)
            return await exports.progress_workbook(
                CLI_ACTOR,
                period_id,
                tmp,
                **common,
                reminder_counts=sent_per_sheet,
            )

        result = _run(settings, language, work)
    figures = result.figures
    detail = (
        f"{figures['units']} đơn vị, {figures['submitted']} đã gửi phiếu"
        if language == "vi"
        else f"{figures['units']} units, {figures['submitted']} submitted"
    )
    _done(language, out, detail)


@export_cli.command("scorecard")
def scorecard(period: PeriodArg, unit: UnitArg, out: OutArg, lang: LangOption = None) -> None:
    """Bảng tự đánh giá, chấm điểm của một đơn vị / one unit's scorecard."""
    from scoring import exports

    settings, language, common = _setup(lang)
    with _atomic(out) as tmp, _bar(language) as report:

        async def work() -> exports.Export:
            period_id = await exports.period_id_of(period)
            unit_id = await exports.unit_id_of(unit)
            return await exports.scorecard(
                CLI_ACTOR,
                period_id,
                unit_id,
                tmp,
                **common,
                public_url=settings.public_url,
                progress=report,
            )

        result = _run(settings, language, work)
    files = result.figures["files"]
    _done(language, out, f"{files} tài liệu kiểm chứng" if language == "vi" else f"{files} files")


@export_cli.command("register")
def register(
    period: PeriodArg,
    unit: UnitArg,
    out: OutArg,
    zip_out: Annotated[
        Path | None,
        typer.Option(
            "--zip",
            help="Kèm tệp nén tài liệu kiểm chứng / also write the evidence as a zip file.",
        ),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Danh mục tài liệu kiểm chứng của một đơn vị (và tệp nén) / evidence register (and zip)."""
    from scoring import exports

    settings, language, common = _setup(lang)
    store = FileStore(settings.data_dir)
    with _atomic(out) as tmp, _bar(language) as report:

        async def work() -> tuple[exports.Export, int | None]:
            period_id = await exports.period_id_of(period)
            unit_id = await exports.unit_id_of(unit)
            result = await exports.register(
                CLI_ACTOR,
                period_id,
                unit_id,
                tmp,
                **common,
                public_url=settings.public_url,
                files=store,
                progress=report,
            )
            if zip_out is None:
                return result, None
            with _atomic(zip_out) as zip_tmp:
                stream = await exports.evidence_zip(
                    CLI_ACTOR,
                    period_id,
                    unit_id,
                    **common,
                    public_url=settings.public_url,
                    files=store,
                    progress=report,
                )
                with zip_tmp.open("wb") as fh:
                    async for chunk in stream.chunks:
                        await asyncio.to_thread(fh.write, chunk)
            return result, stream.files

        result, zipped = _run(settings, language, work)
    files = result.figures["files"]
    _done(language, out, f"{files} tệp" if language == "vi" else f"{files} files")
    if zip_out is not None:
        _done(language, zip_out, f"{zipped} tệp" if language == "vi" else f"{zipped} files")
