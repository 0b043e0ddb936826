"""The ``cchc`` command line: set-up, data loading and the server, in plain words.

Commands are thin: they open the database, call the same services as the web and the bot,
and print what a secretary needs to read, in Vietnamese unless ``--lang en`` is given.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table
from rich.tree import Tree

from app import backup_cli, db
from app.cli_support import CLI_ACTOR, T, cli_settings, console, err_console, run_with_db
from app.export_cli import export_cli
from core.i18n import N_, Msg, UserError, normalize_locale
from core.models import UserRole
from core.numbers import format_score
from core.settings import Settings
from core.timefmt import format_datetime

cli = typer.Typer(
    name="cchc",
    help="Chỉ số CCHC: tự đánh giá, thẩm định và xếp hạng. / PAR index service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Cơ sở dữ liệu / Database.", no_args_is_help=True)
criteria_cli = typer.Typer(help="Bộ chỉ số (bảng câu hỏi) / Criteria sets.", no_args_is_help=True)
units_cli = typer.Typer(help="Khối, đơn vị và cán bộ / Units and officers.", no_args_is_help=True)
user_cli = typer.Typer(help="Tài khoản quản trị / Back-office accounts.", no_args_is_help=True)
period_cli = typer.Typer(help="Đợt đánh giá / Assessment periods.", no_args_is_help=True)
officers_cli = typer.Typer(
    help="Cán bộ đầu mối và Telegram / Officers and their Telegram binding.", no_args_is_help=True
)
cli.add_typer(db_cli, name="db")
cli.add_typer(criteria_cli, name="criteria")
cli.add_typer(units_cli, name="units")
cli.add_typer(user_cli, name="user")
cli.add_typer(officers_cli, name="officers")
cli.add_typer(period_cli, name="period")
cli.add_typer(export_cli, name="export")

LangOption = Annotated[str | None, typer.Option("--lang", help="vi (default) or en.")]


class _State:
    lang: str | None = None


state = _State()


@cli.callback()
def _main(lang: LangOption = None) -> None:
    """Chỉ số CCHC: tự đánh giá, thẩm định và xếp hạng. / PAR index service."""
    if lang:
        state.lang = normalize_locale(lang)


def _settings() -> Settings:
    settings = cli_settings()
    if state.lang is None:
        state.lang = settings.locale
    return settings


def _run(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    return run_with_db(settings, state.lang, work)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (safe to run every time)."""
    settings = _settings()
    applied = asyncio.run(db.upgrade(settings.database_url))
    if applied:
        for name in applied:
            console.print(f"Đã áp dụng / applied: {name}")
    else:
        console.print("Cơ sở dữ liệu đã ở phiên bản mới nhất. / Database is up to date.")


@cli.command("demo")
def demo() -> None:
    """Load sample data into an empty database; does nothing if it already has data."""
    from app.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
    from core.files import FileStore

    settings = _settings()
    if not settings.demo:
        console.print("CCHC_DEMO=false: không nạp dữ liệu mẫu. / Demo data disabled.")
        return
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
    ) as progress:
        progress.add_task("Đang nạp dữ liệu mẫu… / Loading demo data…")
        files = FileStore(settings.data_dir)
        result = _run(settings, lambda: load_demo(settings.tz, files=files))
    if not result.loaded:
        console.print(
            "Cơ sở dữ liệu đã có dữ liệu: không nạp dữ liệu mẫu. "
            "/ The database has data: demo not loaded."
        )
        return
    console.print(
        f"Đã nạp dữ liệu mẫu: {result.criteria_sets} bộ chỉ số, {result.units} đơn vị, "
        f"{result.officers} cán bộ, {result.assessments} phiếu chấm điểm."
    )
    users = ", ".join(u for u, _r, _n in DEMO_USERS)
    console.print(f"Tài khoản mẫu / demo accounts: {users} — mật khẩu / password: {DEMO_PASSWORD}")


def uvicorn_options(settings: Settings, host: str | None, port: int | None) -> dict[str, object]:
    """How ``cchc serve`` runs uvicorn. Proxy headers are believed from CCHC_TRUSTED_PROXIES
    only: the client address they give is what sign-in throttling counts (docs/deployment.md)."""
    options: dict[str, object] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": settings.log_level.lower(),
        "proxy_headers": True,
    }
    if settings.trusted_proxies:
        options["forwarded_allow_ips"] = settings.trusted_proxies
    return options


@cli.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes (default CCHC_WORKERS, 1). More than one needs PostgreSQL "
            "and the webhook (or no bot); see docs/deployment.md.",
        ),
    ] = None,
) -> None:
    """Start the service: web pages, API, the bot (or its sandbox) and the scheduler.

    It refuses to start on a configuration that would lose or duplicate work (see
    docs/deployment.md) and on a database that still needs ``cchc db upgrade``."""
    import os

    import uvicorn

    from app.production import check_serve, pending_migrations
    from core.logs import setup_logging

    settings = _settings()
    if port and "public_url" not in settings.model_fields_set:
        # the sandbox bot reaches this server through the public URL: follow --port
        settings.public_url = f"http://127.0.0.1:{port}"
    workers = workers or settings.workers
    checks = check_serve(settings, workers)
    for warning in checks.warnings:
        err_console.print(warning.render(state.lang), markup=False, style="yellow")
    for problem in checks.problems:
        err_console.print(problem.render(state.lang), markup=False, style="red")
    if checks.problems:
        raise typer.Exit(2)
    pending = asyncio.run(pending_migrations(settings.database_url))
    if pending:
        err_console.print(
            Msg(
                N_(
                    "The database needs its migrations first ({names}): run “cchc db upgrade” "
                    "once, then start the service."
                ),
                names=", ".join(pending),
            ).render(state.lang),
            markup=False,
            style="red",
        )
        raise typer.Exit(2)
    console.print(f"cchc: http://{host or settings.host}:{port or settings.port}/")
    if settings.bot_mode and settings.bot_mode.value == "sandbox":
        console.print(
            f"Telegram thử nghiệm / sandbox chat: {settings.public_url}/sandbox/chat", markup=False
        )
    options = uvicorn_options(settings, host, port)
    options["log_config"] = setup_logging(settings)  # CCHC_LOG_FORMAT, also in the workers
    if workers > 1:
        # each worker process builds its own app from the environment
        os.environ["CCHC_PUBLIC_URL"] = settings.public_url
        uvicorn.run("app.main:create_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
        return
    from app.main import create_app

    uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]


@criteria_cli.command("template")
def criteria_template(out: Annotated[Path, typer.Argument(help="Output .xlsx file.")]) -> None:
    """Write an empty, annotated criteria workbook with drop-down lists."""
    from forms.criteria_workbook import template_bytes

    out.write_bytes(template_bytes())
    console.print(f"Đã ghi mẫu / template written: {out}")


@criteria_cli.command("import")
def criteria_import(
    file: Annotated[
        Path, typer.Argument(help="The criteria workbook, or the decision's annex (.docx/.xlsx).")
    ],
    lang: LangOption = None,
    code: Annotated[str | None, typer.Option(help="Annex only: the set's code.")] = None,
    name: Annotated[str | None, typer.Option(help="Annex only: the set's name.")] = None,
    unit_kind: Annotated[
        str, typer.Option(help="Annex only: department, commune, vertical or other.")
    ] = "other",
    document_number: Annotated[str, typer.Option(help="Annex only: the decision's number.")] = "",
    workbook: Annotated[
        Path | None,
        typer.Option(help="Annex only: also write it as a criteria workbook to resolve in Excel."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Annex only: show what was read, import nothing.")
    ] = False,
) -> None:
    """Check a workbook or a decision's annex; import it all, or import nothing and list every
    problem."""
    from forms.annex_import import is_printed_annex
    from forms.criteria import import_draft
    from forms.criteria_workbook import read_workbook

    if lang:
        state.lang = normalize_locale(lang)
    settings = _settings()
    if not file.is_file():
        err_console.print(f"Không tìm thấy tệp / file not found: {file}")
        raise typer.Exit(1)
    data = file.read_bytes()
    if is_printed_annex(data):
        from app.criteria_sets_cli import AnnexOptions, import_annex

        options = AnnexOptions(code, name, unit_kind, document_number, workbook, check)
        import_annex(data, options, state.lang or "vi", lambda work: _run(settings, work))
        return

    async def work() -> str:
        draft = read_workbook(data)
        cset = await import_draft(CLI_ACTOR, draft)
        items = sum(1 for n in draft.nodes if n.level == "item")
        return (
            f"{cset.code} v{cset.version}: {len(draft.nodes)} "
            f"{'rows' if state.lang == 'en' else 'dòng'}, {items} "
            f"{'items' if state.lang == 'en' else 'tiêu chí thành phần'}."
        )

    summary = _run(settings, work)
    prefix = "Imported" if state.lang == "en" else "Đã nhập"
    console.print(f"{prefix} {summary}", markup=False)


@criteria_cli.command("export")
def criteria_export(
    code: Annotated[str, typer.Argument(help="Criteria set code.")],
    out: Annotated[Path, typer.Argument(help="Output .xlsx file.")],
    version: Annotated[int | None, typer.Option(help="Version (default: latest).")] = None,
) -> None:
    """Write a stored criteria set in the template format (it can be imported again)."""
    from forms.criteria import get_set, load_draft
    from forms.criteria_workbook import export_bytes

    settings = _settings()

    async def work() -> bytes:
        return export_bytes(await load_draft(await get_set(code, version)))

    out.write_bytes(_run(settings, work))
    console.print(f"Đã xuất / exported: {out}")


@criteria_cli.command("show")
def criteria_show(
    code: Annotated[str, typer.Argument(help="Criteria set code.")],
    version: Annotated[int | None, typer.Option(help="Version (default: latest).")] = None,
) -> None:
    """Print a criteria set as a tree with maximum scores and scoring rules."""
    from forms.criteria import get_set, load_draft

    settings = _settings()

    async def work() -> Tree:
        cset = await get_set(code, version)
        draft = await load_draft(cset)
        frozen = " (đã khóa / frozen)" if cset.frozen_at else ""
        tree = Tree(
            f"[bold]{cset.code} v{cset.version}[/bold] {cset.name} — "
            f"{format_score(draft.total_max)} điểm{frozen}"
        )
        branches: dict[str, Tree] = {}
        for node in draft.nodes:
            label = f"{node.code}  {node.title}  [cyan]{format_score(node.max_score)}[/cyan]"
            if node.rule_type:
                rule = (
                    f"{node.rule_type}: {node.rule_params}" if node.rule_params else node.rule_type
                )
                label += f"  [dim]{rule}[/dim]"
            parent = branches.get(node.parent_code or "", tree)
            branches[node.code] = parent.add(label)
        return tree

    console.print(_run(settings, work))


@criteria_cli.command("copy")
def criteria_copy(
    source: Annotated[str, typer.Argument(help="Code of the set to start from.")],
    new_code: Annotated[str, typer.Argument(help="Code of the new set.")],
    name: Annotated[str, typer.Option(help="Name of the new set.")],
    version: Annotated[int | None, typer.Option(help="Version (default: latest).")] = None,
) -> None:
    """Start a new set from an existing one (e.g. last year's); edit it by export and import."""
    from forms.criteria_copy import copy_set

    settings = _settings()

    async def work() -> str:
        cset = await copy_set(CLI_ACTOR, source, new_code, name, version)
        return f"{cset.code} v{cset.version}"

    copied = _run(settings, work)
    console.print(f"{'Copied' if state.lang == 'en' else 'Đã sao chép'}: {copied}", markup=False)


@criteria_cli.command("diff")
def criteria_diff(
    old: Annotated[str, typer.Argument(help="Code of the earlier set.")],
    new: Annotated[str, typer.Argument(help="Code of the later set.")],
    old_version: Annotated[int | None, typer.Option(help="Version of the earlier set.")] = None,
    new_version: Annotated[int | None, typer.Option(help="Version of the later set.")] = None,
) -> None:
    """Side by side: items added, removed, renumbered, renamed, maximum or rule changed."""
    from app.criteria_sets_cli import diff_table
    from forms.criteria import get_set, load_draft
    from forms.criteria_diff import diff_sets

    settings = _settings()

    async def work() -> Table:
        before = await load_draft(await get_set(old, old_version))
        after = await load_draft(await get_set(new, new_version))
        return diff_table(diff_sets(before, after), state.lang or "vi")

    console.print(_run(settings, work))


@period_cli.command("carry-over")
def period_carry_over(
    source: Annotated[str, typer.Argument(help="Code of the previous period.")],
    code: Annotated[str, typer.Argument(help="Code of the new period.")],
    name: Annotated[str, typer.Option(help="Name of the new period.")],
    year: Annotated[int, typer.Option(help="Year of the new period.")],
    criteria: Annotated[
        list[str] | None, typer.Option("--set", help="GROUP=SET: a group's new criteria set.")
    ] = None,
) -> None:
    """A new period (draft) with the previous one's unit groups, units, officers and bands."""
    from forms.models import Assessment
    from forms.period_carry import carry_over_period

    settings = _settings()
    pairs = [item.partition("=") for item in criteria or []]
    if any(not sep or not group or not cset for group, sep, cset in pairs):
        err_console.print("--set GROUP=SET, ví dụ / e.g. --set SO=SO-2027", markup=False)
        raise typer.Exit(2)

    async def work() -> str:
        period = await carry_over_period(
            CLI_ACTOR,
            source,
            code=code,
            name=name,
            year=year,
            criteria={g.strip(): c.strip() for g, _, c in pairs},
        )
        sheets = await Assessment.filter(period=period).count()
        if state.lang == "en":
            return f"Created {period.code} (draft): {sheets} score sheets."
        return f"Đã tạo đợt {period.code} (nháp): {sheets} phiếu tự đánh giá."

    console.print(_run(settings, work), markup=False)


@units_cli.command("template")
def units_template(out: Annotated[Path, typer.Argument(help="Output .xlsx file.")]) -> None:
    """Write an empty units-and-officers workbook."""
    from core.units_workbook import template_bytes

    out.write_bytes(template_bytes())
    console.print(f"Đã ghi mẫu / template written: {out}")


@units_cli.command("import")
def units_import(
    file: Annotated[Path, typer.Argument(help="The filled .xlsx workbook.")],
    lang: LangOption = None,
) -> None:
    """Import unit groups, units and officers; all or nothing, every problem listed."""
    from core.models import Unit
    from core.units import ImportSummary, import_units
    from core.units_workbook import read_units_workbook

    if lang:
        state.lang = normalize_locale(lang)
    settings = _settings()
    if not file.is_file():
        err_console.print(f"Không tìm thấy tệp / file not found: {file}")
        raise typer.Exit(1)

    async def work() -> ImportSummary:
        known = set(await Unit.all().values_list("code", flat=True))
        units, officers = read_units_workbook(file.read_bytes(), known)
        return await import_units(CLI_ACTOR, units, officers)

    summary = _run(settings, work)
    table = Table("", "Tạo mới / created", "Cập nhật / updated")
    table.add_row("Khối / groups", str(summary.groups_created), str(summary.groups_updated))
    table.add_row("Đơn vị / units", str(summary.units_created), str(summary.units_updated))
    table.add_row("Cán bộ / officers", str(summary.officers_created), str(summary.officers_updated))
    console.print(table)


@user_cli.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name, e.g. nguyenvana.")],
    role: Annotated[UserRole, typer.Option("--role", help="admin, appraiser or viewer.")],
    full_name: Annotated[str, typer.Option("--full-name", help="Họ và tên.")] = "",
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
    password: Annotated[
        str | None,
        typer.Option(help="Password (asked for when omitted; avoid putting it in shell history)."),
    ] = None,
) -> None:
    """Create a back-office account."""
    from core.users import add_user

    settings = _settings()
    if password is None:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Mật khẩu / password: ")
            if getpass.getpass("Nhập lại / repeat: ") != password:
                err_console.print("Hai lần nhập không khớp. / The passwords differ.")
                raise typer.Exit(1)
    user = _run(
        settings,
        lambda: add_user(
            CLI_ACTOR, username, password or "", role, full_name=full_name, email=email
        ),
    )
    console.print(f"Đã tạo tài khoản / created: {user.username} ({user.role})")


async def _bot_username(settings: Settings) -> str | None:
    """The bot's @username for deep links: asked from Telegram when a token is set."""
    if not settings.telegram_token:
        from app.bot_runtime import SANDBOX_BOT_USERNAME

        return SANDBOX_BOT_USERNAME
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url), timeout=10)
    bot = Bot(settings.telegram_token, session=session)
    try:
        me = await bot.get_me()
        return me.username
    except Exception as exc:  # an invite must not depend on Telegram being reachable
        err_console.print(f"Không hỏi được tên bot / could not ask the bot's name: {exc}")
        return None
    finally:
        await session.close()


@officers_cli.command("invite")
def officers_invite(
    unit: Annotated[str, typer.Option("--unit", help="Unit code, e.g. SNV.")],
    officer: Annotated[
        int | None, typer.Option("--officer", help="Only this officer (id); default: all.")
    ] = None,
    days: Annotated[int, typer.Option("--days", help="Days the codes stay valid.")] = 14,
    bot_name: Annotated[
        str | None, typer.Option("--bot", help="The bot's @username (default: ask Telegram).")
    ] = None,
) -> None:
    """Create one-time invite codes (shown only now) and deep links to bind Telegram."""
    from datetime import UTC, datetime

    from core.invites import create_invite, pretty_code
    from core.models import Officer, Unit

    settings = _settings()
    en = state.lang == "en"

    async def work() -> tuple[list[tuple[Officer, str, datetime]], str | None]:
        found = await Unit.get_or_none(code=unit.strip().upper())
        if found is None:
            raise UserError(Msg(N_("There is no unit with the code “{code}”."), code=unit))
        query = Officer.filter(unit_id=found.id, active=True)
        if officer is not None:
            query = query.filter(id=officer)
        officers = await query.order_by("id")
        if not officers:
            raise UserError(Msg(N_("The unit {code} has no such active officer."), code=unit))
        now = datetime.now(UTC)
        issued = []
        for person in officers:
            invite = await create_invite(CLI_ACTOR, person.id, now=now, days=days)
            issued.append((person, invite.code, invite.expires_at))
        return issued, bot_name or await _bot_username(settings)

    issued, username = _run(settings, work)
    table = Table(
        "ID",
        "Officer" if en else "Cán bộ",
        "Code" if en else "Mã mời",
        "Link" if en else "Đường liên kết",
        "Expires" if en else "Hết hạn",
    )
    for person, code, expires in issued:
        link = f"https://t.me/{username.lstrip('@')}?start={code}" if username else ""
        table.add_row(
            str(person.id),
            f"{person.full_name} ({person.role})",
            pretty_code(code),
            link,
            format_datetime(expires, settings.tz),
        )
    console.print(table)
    console.print(
        "Mỗi mã dùng một lần; chỉ hiện lúc này. Cán bộ bấm đường liên kết, hoặc gửi cho bot: "
        "/start MÃ-MỜI. / Each code works once and is shown only now: open the link or send "
        "the bot /start CODE.",
        markup=False,
    )
    if settings.bot_mode and settings.bot_mode.value == "sandbox":
        console.print(
            f"Chế độ thử nghiệm / sandbox: {settings.public_url}/sandbox/chat", markup=False
        )


@cli.command("remind")
def remind(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be sent now, and why.")
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many lines.")] = 200,
) -> None:
    """List the reminders due now and why (the running service sends them itself)."""
    from datetime import UTC, datetime

    from core.timefmt import format_datetime
    from scheduler.config import SchedulerConfig
    from scheduler.dry_run import dry_run as plan_dry_run

    if not dry_run:
        err_console.print(
            "Nhắc việc do dịch vụ đang chạy tự gửi; dùng --dry-run để xem trước. "
            "/ The running service sends reminders; use --dry-run to preview them."
        )
        raise typer.Exit(2)
    settings = _settings()
    now = datetime.now(UTC)
    result = _run(
        settings, lambda: plan_dry_run(now, SchedulerConfig.from_settings(settings), limit=limit)
    )
    lang = state.lang or "vi"
    table = Table(
        "Việc / action", "Loại / kind", "Người nhận / to", "Hạn / deadline", "Lý do / why"
    )
    for item in result.items:
        table.add_row(
            item.action,
            item.kind,
            item.officer_name or item.recipient,
            format_datetime(item.deadline_at, settings.tz),
            item.render(lang),
        )
    console.print(table)
    console.print(
        f"{len(result.to_send)} tin sẽ gửi / to send; {len(result.would_lock)} phiếu sẽ khóa "
        f"/ sheets to lock; {len(result.would_lock_explanations)} giải trình sẽ khóa "
        "/ explanations to lock."
    )


cli.command("backup")(backup_cli.backup)
cli.command("restore")(backup_cli.restore)


def main() -> None:
    cli()
