"""``cchc export ...`` as an operator runs it: a real process on the test database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from core.models import AuditEvent
from tests.scoring.workbooks.conftest import Province

RUN = "from app.export_cli import export_cli; export_cli()"


async def _cli(database_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CCHC_DATABASE_URL": database_url,
        "CCHC_DATA_DIR": str(data_dir),
        "CCHC_PUBLIC_URL": "https://cchc.example.gov.vn",
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", RUN, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_export_commands(
    province: Province, database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ra"
    done = await _cli(database_url, data_dir, "consolidated", "P2026", str(out / "tong-hop.xlsx"))
    assert done.returncode == 0, done.stderr
    assert "Đã ghi" in done.stdout and "2 khối, 6 đơn vị" in done.stdout
    assert load_workbook(out / "tong-hop.xlsx").sheetnames[0] == "Tổng hợp"

    done = await _cli(database_url, data_dir, "progress", "P2026", str(out / "tien-do.xlsx"))
    assert done.returncode == 0, done.stderr
    assert "6 đơn vị, 4 đã gửi phiếu" in done.stdout
    assert load_workbook(out / "tien-do.xlsx").sheetnames == ["Tiến độ"]

    done = await _cli(
        database_url, data_dir, "scorecard", "P2026", "SNV", str(out / "snv.xlsx"), "--lang", "en"
    )
    assert done.returncode == 0, done.stderr
    card = load_workbook(out / "snv.xlsx").active
    assert card["A4"].value.startswith("SELF-ASSESSMENT AND SCORING")
    links = [c.hyperlink.target for row in card.iter_rows() for c in row if c.hyperlink]
    assert links and links[0].startswith("https://cchc.example.gov.vn/api/v1/evidence/")

    done = await _cli(
        database_url,
        data_dir,
        "register",
        "P2026",
        "SNV",
        str(out / "danh-muc.xlsx"),
        "--zip",
        str(out / "tlkc.zip"),
    )
    assert done.returncode == 0, done.stderr
    assert "5 tệp" in done.stdout
    with zipfile.ZipFile(out / "tlkc.zip") as z:
        assert z.testzip() is None and len(z.namelist()) == 6
    assert sorted(p.name for p in out.iterdir()) == [
        "danh-muc.xlsx",
        "snv.xlsx",
        "tien-do.xlsx",
        "tlkc.zip",
        "tong-hop.xlsx",
    ]  # no temporary files left behind
    actions = await AuditEvent.filter(action__startswith="export.").values_list("action", "channel")
    assert sorted(actions) == [  # type: ignore[type-var]
        ("export.consolidated", "cli"),
        ("export.evidence_zip", "cli"),
        ("export.progress", "cli"),
        ("export.register", "cli"),
        ("export.scorecard", "cli"),
    ]

    wrong = await _cli(database_url, data_dir, "scorecard", "P2026", "KHONG", str(out / "x.xlsx"))
    assert wrong.returncode == 1
    assert "Không có đơn vị nào có mã “KHONG”." in wrong.stderr
    assert "Traceback" not in wrong.stderr and not (out / "x.xlsx").exists()
    wrong = await _cli(database_url, data_dir, "consolidated", "P1999", str(out / "x.xlsx"))
    assert wrong.returncode == 1 and "P1999" in wrong.stderr
