"""The ``cchc`` command as an operator runs it: a real process, a real database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.app.helpers import run
from tests.databases import scratch_database
from tests.factories import ROWS, workbook_bytes


def test_help_explains_every_command(env: dict[str, str]) -> None:
    out = run(env, "--help").stdout
    for command in ("db", "demo", "serve", "criteria", "units", "user"):
        assert command in out
    criteria = run(env, "criteria", "--help").stdout
    for sub in ("template", "import", "export", "show"):
        assert sub in criteria


def test_upgrade_is_idempotent(env: dict[str, str]) -> None:
    first = run(env, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    second = run(env, "db", "upgrade")
    assert second.returncode == 0 and "up to date" in second.stdout


def test_criteria_round_trip_through_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    template = tmp_path / "template.xlsx"
    assert run(env, "criteria", "template", str(template)).returncode == 0
    assert template.stat().st_size > 1000

    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook_bytes())
    imported = run(env, "criteria", "import", str(good), "--lang", "en")
    assert imported.returncode == 0, imported.stderr
    assert "TEST-1 v1" in imported.stdout

    shown = run(env, "criteria", "show", "TEST-1")
    assert shown.returncode == 0, shown.stderr
    assert "Ban hành kế hoạch CCHC năm" in shown.stdout and "percent_tiers" in shown.stdout

    exported = tmp_path / "exported.xlsx"
    assert run(env, "criteria", "export", "TEST-1", str(exported)).returncode == 0
    again = run(env, "criteria", "import", str(exported))
    assert again.returncode == 0, again.stderr


def test_bad_workbook_lists_problems_and_exits_nonzero(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    rows = [*ROWS, ("1.1.9", "Tiêu chí thành phần", "Tự đánh giá", "Sai", "1", "magic")]
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook_bytes(rows, info={"code": "BAD-1"}))
    result = run(env, "criteria", "import", str(bad), "--lang", "en")
    assert result.returncode == 1
    assert "nothing was imported" in result.stderr
    assert "Unknown scoring rule “magic”" in result.stderr
    assert "Traceback" not in result.stderr
    vi = run(env, "criteria", "import", str(bad))
    assert "không nhập" in vi.stderr.lower()
    assert "BAD-1" not in run(env, "criteria", "show", "BAD-1").stdout


def test_user_add_and_refusals(env: dict[str, str]) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    ok = run(
        env,
        "user",
        "add",
        "nguyenvana",
        "--role",
        "appraiser",
        "--full-name",
        "Nguyễn Văn A",
        stdin="mat-khau-rat-dai\n",
    )
    assert ok.returncode == 0, ok.stderr
    again = run(
        env,
        "--lang",
        "en",
        "user",
        "add",
        "nguyenvana",
        "--role",
        "viewer",
        stdin="mat-khau-rat-dai\n",
    )
    assert again.returncode == 1 and "already taken" in again.stderr
    short = run(env, "--lang", "en", "user", "add", "tranb", "--role", "viewer", stdin="123\n")
    assert short.returncode == 1 and "at least" in short.stderr


def test_invalid_setting_stops_with_one_sentence(env: dict[str, str]) -> None:
    result = run({**env, "CCHC_TIMEZONE": "Mars/Olympus"}, "db", "upgrade")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Invalid setting CCHC_TIMEZONE: unknown time zone 'Mars/Olympus'."
    ]


def test_remind_dry_run_lists_due_reminders_and_why(env: dict[str, str], tmp_path: Path) -> None:
    with scratch_database(tmp_path) as url:  # the demo loads only into an empty database
        _remind_dry_run({**env, "CCHC_DATABASE_URL": url})


def _remind_dry_run(env: dict[str, str]) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    assert "dữ liệu mẫu" in run(env, "demo").stdout
    moved = subprocess.run(
        [sys.executable, "-c", MOVE_DEADLINE], env=env, capture_output=True, text=True, timeout=60
    )
    assert moved.returncode == 0, moved.stderr
    result = run(env, "remind", "--dry-run", "--limit", "500")
    assert result.returncode == 0, result.stderr
    assert "self_assessment" in result.stdout  # units not yet submitted are reminded
    assert "tin sẽ gửi" in result.stdout
    refused = run(env, "remind")
    assert refused.returncode == 2 and "--dry-run" in refused.stderr


# The demo period closes in two weeks: bring its deadline to tomorrow so reminders are due, and
# bind the focal officers to Telegram chats (only bound officers can be reminded). The test runs
# on the real clock, so the period's policy has no quiet hours: at night in Vietnam the
# reminders would otherwise be postponed, not due.
MOVE_DEADLINE = """
import asyncio, os
from datetime import UTC, datetime, timedelta
from app.db import database
from core.models import Officer
from forms.models import Period

async def main():
    async with database(os.environ["CCHC_DATABASE_URL"]):
        await Period.all().update(
            self_assessment_closes_at=datetime.now(UTC) + timedelta(hours=20),
            reminder_policy={"quiet_hours": None, "weekends": True},
        )
        for officer in await Officer.filter(role="focal"):
            officer.telegram_user_id = officer.telegram_chat_id = 900_000 + officer.id
            await officer.save()

asyncio.run(main())
"""
