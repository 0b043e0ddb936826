"""The consolidated workbook at national scale, against bare XlsxWriter writing as many cells.

Builds, in a scratch SQLite database, a period of 3,500 units (two unit groups) answering a
45-item criteria set (40 self-assessed standard items with declared values, 2 bonus, 1 penalty,
2 survey items imported): 150,500 answers with notes on some, a round-1 review on every answer
(15 % adjusted, with a comment), round-2 scores on 2 %, about 50,000 evidence files and 7,000
survey scores; and a second period of 150 units (one province's departments and communes).

Then, each in a fresh child process (so the peak RSS is the export's own):

* **export**: :func:`scoring.exports.load_consolidated` (the queries) and
  :func:`scoring.workbooks.consolidated.write_consolidated` (the roll-ups of every unit, the
  summary with its formulas, a matrix per group, 157,500 detail rows, progress, charts) into an
  .xlsx file: the whole consolidated export as the API and the CLI run it;
* **baseline**: bare XlsxWriter in ``constant_memory`` mode writing the same cells: as many
  plain values (``ws.write_row``, rows of 15 mixed values like the detail sheet) and as many
  formulas with a cached value as the export wrote, no formats, into an .xlsx file: what the
  writer library itself costs for that content, without styles, text checks or roll-ups;
* **old baseline**, for comparison only: bare openpyxl write-only (``ws.append``), the same
  cells; the export used to be written with openpyxl and was measured against it.

Targets: export time ≤ 1.3 × baseline, peak RSS of the export ≤ 300 MB; the seconds for the
150-unit period are printed. The machine is shared, so the export and the baseline run
``--runs`` times each (3 by default), alternating which goes first, and the fastest run of each
counts; the openpyxl baseline runs once. Each child also reports its CPU time (user + system),
printed as a second ratio that other work on the machine disturbs less (on PostgreSQL it leaves
out the server's share of the queries). The last line is one JSON object: the figures, the
targets and ``"met"`` (on wall-clock time).

Usage::

    .venv/bin/python bench/export.py
    .venv/bin/python bench/export.py --postgres postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/export.py --units 700 --runs 1   # a quick look at a fifth of the size
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tortoise import connections

from app.db import database, upgrade
from core.audit import Actor
from core.models import Channel, UnitGroup
from forms.models import CriteriaNode, CriteriaSet, Period, PeriodGroup

TIME_TARGET = 1.3
RSS_TARGET_MB = 300
RUNS = 3
NOW = datetime(2026, 12, 1, tzinfo=UTC)
POINTS = ("0", "0.5", "1", "1.5", "2")
NATIONAL = ("BENCH-2026", (("SO", 500), ("XA", 3000)))  # --units changes the sizes, 1 : 6
PROVINCE = ("TINH-2026", (("PSO", 30), ("PXA", 120)))
BANDS = [
    {"label": "Tốt", "min_index": "90"},
    {"label": "Khá", "min_index": "80"},
    {"label": "Trung bình", "min_index": "65"},
    {"label": "Yếu", "min_index": "0"},
]


def _nodes() -> list[tuple[str, str | None, str, str, str]]:
    """(code, parent, level, section, max): 5 fields × 2 criteria × 4 items of 2 points,
    survey X (2 × 10), bonus C (2 × 1), penalty T (1 × 1): 45 items, 100 points."""
    out: list[tuple[str, str | None, str, str, str]] = []
    for f in range(1, 6):
        out.append((str(f), None, "field", "standard", "16"))
        for c in range(1, 3):
            out.append((f"{f}.{c}", str(f), "criterion", "standard", "8"))
            for i in range(1, 5):
                out.append((f"{f}.{c}.{i}", f"{f}.{c}", "item", "standard", "2"))
    out.append(("X", None, "field", "survey", "20"))
    out += [("X.1", "X", "item", "survey", "10"), ("X.2", "X", "item", "survey", "10")]
    out.append(("C", None, "field", "bonus", "2"))
    out += [("C.1", "C", "item", "bonus", "1"), ("C.2", "C", "item", "bonus", "1")]
    out.append(("T", None, "field", "penalty", "1"))
    out.append(("T.1", "T", "item", "penalty", "1"))
    return out


_NUMERIC = {"self_score", "appraised_score", "score"}


async def _insert(sql: str, rows: list[tuple], chunk: int = 20000) -> None:  # type: ignore[type-arg]
    """Bulk insert; on PostgreSQL with $n marks and scores as Decimal (asyncpg's NUMERIC)."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    n = len(rows[0])
    sql = sql.format(*([f"${i}" for i in range(1, n + 1)] if postgres else ["?"] * n))
    numeric: list[int] = []
    if postgres:
        columns = sql.split("(", 1)[1].split(")", 1)[0].split(",")
        numeric = [i for i, c in enumerate(columns) if c.strip() in _NUMERIC]
    for start in range(0, len(rows), chunk):
        batch = [list(r) for r in rows[start : start + chunk]]
        for row in batch:
            for i in numeric:
                if row[i] is not None:
                    row[i] = Decimal(row[i])
        await conn.execute_many(sql, batch)


class _Ids:
    unit = assessment = answer = review = evidence = 0


async def build_period(cset: CriteriaSet, code: str, groups: tuple, ids: _Ids) -> None:  # type: ignore[type-arg]
    rng = random.Random(code)
    nodes = {n.code: n for n in await CriteriaNode.filter(criteria_set=cset)}
    period = await Period.create(
        code=code,
        name=f"Đợt {code}",
        year=2026,
        status="open",
        self_assessment_opens_at=NOW - timedelta(days=60),
        self_assessment_closes_at=NOW - timedelta(days=30),
        index_options={"cap_index_at_100": False, "bonus_in_index": True},
    )
    units = []
    for g, (gcode, count) in enumerate(groups, start=1):
        group = await UnitGroup.create(code=gcode, name=f"Khối {gcode}", sort_order=g)
        await PeriodGroup.create(period=period, unit_group=group, criteria_set=cset, bands=BANDS)
        for k in range(count):
            ids.unit += 1
            units.append((ids.unit, f"{gcode}{k:05d}", f"Đơn vị {gcode} số {k}", group.id, k))
    await _insert(
        'INSERT INTO "unit" (id, code, name, group_id, sort_order, active, created_at, address) '
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
        [(*u, True, NOW, "") for u in units],
    )
    sheets = []
    for u in units:
        ids.assessment += 1
        sheets.append((ids.assessment, period.id, u[0], cset.id, "appraised", NOW, NOW))
    await _insert(
        'INSERT INTO "assessment" (id, period_id, unit_id, criteria_set_id, status, created_at, '
        "submitted_at) VALUES ({}, {}, {}, {}, {}, {}, {})",
        sheets,
    )
    items = [n for n in nodes.values() if n.level == "item" and n.section != "survey"]
    answers, reviews, evidence, survey = [], [], [], []
    for aid, _p, unit_id, _c, _s, _n, _t in sheets:
        for node in items:
            ids.answer += 1
            cap = Decimal(node.max_score)
            na = node.code == "1.1.4" and rng.random() < 0.1
            score = None if na else min(Decimal(rng.choice(POINTS)), cap)
            declared = None if na else json.dumps({"points": str(score)})
            note = "Đã thực hiện theo kế hoạch." if rng.random() < 0.1 else ""
            answers.append(
                (
                    ids.answer,
                    aid,
                    node.id,
                    declared,
                    None if score is None else str(score),
                    na,
                    note,
                    1,
                    "bot",
                    NOW,
                    NOW,
                )
            )
            ids.review += 1
            adjusted = not na and rng.random() < 0.15
            r1 = min(Decimal(rng.choice(POINTS)), cap) if adjusted else score
            reviews.append(
                (
                    ids.review,
                    ids.answer,
                    1,
                    not adjusted,
                    None if r1 is None else str(r1),
                    "Điều chỉnh theo tài liệu kiểm chứng." if adjusted else "",
                    False,
                    1,
                    NOW,
                    NOW,
                )
            )
            if not na and rng.random() < 0.02:
                ids.review += 1
                r2 = min(Decimal(rng.choice(POINTS)), cap)
                reviews.append((ids.review, ids.answer, 2, False, str(r2), "", False, 1, NOW, NOW))
            if rng.random() < 0.33:
                ids.evidence += 1
                evidence.append(
                    (
                        ids.evidence,
                        ids.answer,
                        f"{ids.evidence:064x}",
                        123_456,
                        "Tài liệu.pdf",
                        "application/pdf",
                        "",
                        "bot",
                        NOW,
                    )
                )
        for item in ("X.1", "X.2"):
            survey.append(
                (period.id, unit_id, item, str(Decimal(rng.randint(50, 100)) / 10), "", NOW)
            )
    await _insert(
        'INSERT INTO "answer" (id, assessment_id, node_id, declared, self_score, not_applicable, '
        "note, version, channel, created_at, updated_at) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
        answers,
    )
    await _insert(
        'INSERT INTO "review" (id, answer_id, round_no, accepted, appraised_score, comment, '
        "explanation_requested, version, created_at, updated_at) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
        reviews,
    )
    await _insert(
        'INSERT INTO "evidence" (id, answer_id, sha256, size, original_name, content_type, '
        "page_ref, channel, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
        evidence,
    )
    await _insert(
        'INSERT INTO "survey_score" (period_id, unit_id, node_code, score, source, imported_at) '
        "VALUES ({}, {}, {}, {}, {}, {})",
        survey,
    )
    print(
        f"{code}: {len(units)} units, {len(answers)} answers, {len(reviews)} reviews, "
        f"{len(evidence)} evidence files, {len(survey)} survey scores",
        flush=True,
    )


async def build(url: str, national: tuple = NATIONAL) -> None:  # type: ignore[type-arg]
    await upgrade(url)
    async with database(url):
        cset = await CriteriaSet.create(
            code="BENCH",
            name="Bộ chỉ số đo hiệu năng",
            total_max=Decimal(100),
            bonus_cap=Decimal(2),
            penalty_cap=Decimal(1),
            frozen_at=NOW,
        )
        await CriteriaNode.bulk_create(
            [
                CriteriaNode(
                    criteria_set=cset,
                    code=code,
                    parent_code=parent,
                    level=level,
                    section=section,
                    position=i,
                    title=f"Nội dung của tiêu chí {code}",
                    max_score=Decimal(mx),
                    rule_type=("survey" if section == "survey" else "points")
                    if level == "item"
                    else None,
                    rule_params="step = 0,5" if level == "item" and section != "survey" else "",
                    na_allowed=code == "1.1.4",
                    evidence_required=level == "item" and code.endswith(".1"),
                )
                for i, (code, parent, level, section, mx) in enumerate(_nodes(), start=1)
            ]
        )
        ids = _Ids()
        for code, groups in (national, PROVINCE):
            await build_period(cset, code, groups, ids)
        await connections.get("default").execute_script("ANALYZE")


# ----------------------------------------------------------------------------------------------
# Child processes: one measurement each, so the peak RSS belongs to it alone
# ----------------------------------------------------------------------------------------------


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_s() -> float:
    """CPU seconds of this process so far, every thread, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def child_export(url: str, period_code: str, out: Path) -> dict[str, object]:
    from scheduler.ledger import sent_per_sheet
    from scoring.exports import load_consolidated
    from scoring.workbooks.consolidated import write_consolidated

    async with database(url):
        period_id = (await Period.get(code=period_code)).id
        cpu = _cpu_s()
        start = time.perf_counter()
        data = await load_consolidated(
            Actor.system(Channel.cli), period_id, now=NOW, reminder_counts=sent_per_sheet
        )
        loaded = time.perf_counter()
        stats = await asyncio.to_thread(write_consolidated, data, out)
        written = time.perf_counter()
    return {
        "load_s": round(loaded - start, 3),
        "write_s": round(written - loaded, 3),
        "total_s": round(written - start, 3),
        "cpu_s": round(_cpu_s() - cpu, 3),
        "cells": stats.cells,
        "formulas": stats.formulas,
        "units": stats.units,
        "rss_mb": round(_rss_mb(), 1),
        "size_mb": round(out.stat().st_size / 2**20, 1),
    }


_ROW = [
    1,
    "Khối XA",
    "XA00001",
    "Đơn vị XA số 1",
    "1.1.1",
    "Nội dung của tiêu chí 1.1.1",
    Decimal(2),
    "1,5",
    Decimal("1.5"),
    Decimal(1),
    Decimal("0.5"),
    Decimal("0.5"),
    1,
    "Đã thực hiện.",
    "Lần 1: điều chỉnh.",
]


def child_xlsxwriter(cells: int, formulas: int, out: Path) -> dict[str, object]:
    """The same cells as the export, bare: as many plain values (rows of 15, no formats) and as
    many formulas with their cached value (a formula costs XlsxWriter far more than a value)."""
    import xlsxwriter

    cpu = _cpu_s()
    start = time.perf_counter()
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    ws = wb.add_worksheet("Bare")
    row = _ROW
    full, rest = divmod(cells - formulas, len(row))
    for r in range(full):
        ws.write_row(r, 0, row)
    if rest:
        ws.write_row(full, 0, row[:rest])
    first = full + 1
    per_row = 20
    for k in range(formulas):
        r, c = divmod(k, per_row)
        ws.write_formula(first + r, c, f"=MIN(7,SUM(E{first + r},G{first + r}))", None, 5.5)
    wb.close()
    return {
        "write_s": round(time.perf_counter() - start, 3),
        "cpu_s": round(_cpu_s() - cpu, 3),
        "cells": cells,
        "rss_mb": round(_rss_mb(), 1),
    }


def child_bare(cells: int, out: Path) -> dict[str, object]:
    from openpyxl import Workbook

    start = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Bare")
    row = _ROW
    full, rest = divmod(cells, len(row))
    for _ in range(full):
        ws.append(row)
    if rest:
        ws.append(row[:rest])
    wb.save(out)
    return {
        "write_s": round(time.perf_counter() - start, 3),
        "cells": cells,
        "rss_mb": round(_rss_mb(), 1),
    }


def _spawn(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a scratch database is used")
    parser.add_argument(
        "--units", type=int, default=3500, help="units of the national period (3,500)"
    )
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of each side (3)")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "export":
            url, code, out = rest
            figures = asyncio.run(child_export(url, code, Path(out)))
        elif kind == "xlsxwriter":
            cells, formulas, out = rest
            figures = child_xlsxwriter(int(cells), int(formulas), Path(out))
        else:
            cells, out = rest
            figures = child_bare(int(cells), Path(out))
        print(json.dumps(figures))
        return 0

    with tempfile.TemporaryDirectory() as folder:
        if args.postgres:
            admin_url, url = _scratch_postgres(args.postgres)
            name = urlsplit(url).path.lstrip("/")
            asyncio.run(_pg_admin(admin_url, f'CREATE DATABASE "{name}"'))
            dialect = "postgres"
        else:
            url, dialect, admin_url, name = f"sqlite://{folder}/bench.sqlite3", "sqlite", "", ""
        try:
            return _measure(url, dialect, folder, args.units, args.runs)
        finally:
            if args.postgres:
                asyncio.run(_pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _scratch_postgres(server: str) -> tuple[str, str]:
    parts = urlsplit(server.replace("postgresql://", "postgres://", 1))
    name = f"cchc_bench_{uuid.uuid4().hex[:8]}"
    return urlunsplit(parts), urlunsplit(parts._replace(path=f"/{name}"))


async def _pg_admin(admin_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _measure(url: str, dialect: str, folder: str, units: int, runs: int) -> int:
    small = max(1, units // 7)
    national = (NATIONAL[0], (("SO", small), ("XA", max(1, units - small))))
    t = time.perf_counter()
    asyncio.run(build(url, national))
    print(f"setup: {time.perf_counter() - t:.1f} s", flush=True)
    exports: list[dict[str, object]] = []
    bases: list[dict[str, object]] = []
    cells = formulas = ""
    for run in range(runs):  # export, base, base, export, export, base, ...
        for kind in ("export", "base") if run % 2 == 0 else ("base", "export"):
            if kind == "export":
                exports.append(_spawn("export", url, national[0], f"{folder}/national-{run}.xlsx"))
                # the baseline writes as many values and formulas as the export did
                cells, formulas = str(exports[-1]["cells"]), str(exports[-1]["formulas"])
            else:
                bases.append(_spawn("xlsxwriter", cells, formulas, f"{folder}/base-{run}.xlsx"))
    bare = _spawn("bare", cells, f"{folder}/bare.xlsx")
    province = min(
        (_spawn("export", url, PROVINCE[0], f"{folder}/province-{r}.xlsx") for r in range(2)),
        key=lambda f: f["total_s"],  # type: ignore[arg-type,return-value]
    )
    export = min(exports, key=lambda f: f["total_s"])  # type: ignore[arg-type,return-value]
    base = min(bases, key=lambda f: f["write_s"])  # type: ignore[arg-type,return-value]
    rss = max(float(e["rss_mb"]) for e in exports)  # type: ignore[arg-type]
    ratio = round(float(export["total_s"]) / float(base["write_s"]), 3)  # type: ignore[arg-type]
    write_ratio = round(float(export["write_s"]) / float(base["write_s"]), 3)  # type: ignore[arg-type]
    old_ratio = round(float(export["total_s"]) / float(bare["write_s"]), 3)  # type: ignore[arg-type]
    export_cpu = min(float(e["cpu_s"]) for e in exports)  # type: ignore[arg-type]
    base_cpu = min(float(b["cpu_s"]) for b in bases)  # type: ignore[arg-type]
    cpu_ratio = round(export_cpu / base_cpu, 3)
    met = ratio <= TIME_TARGET and rss <= RSS_TARGET_MB
    print(
        f"export of {export['units']} units: {export['total_s']} s "
        f"(queries {export['load_s']} s, roll-ups and writing {export['write_s']} s), "
        f"{export['cells']} cells, {export['size_mb']} MB, peak RSS {rss} MB"
    )
    print(
        f"baseline (bare XlsxWriter constant_memory, the same number of values and formulas, "
        f"no formats): {base['write_s']} s, peak RSS {base['rss_mb']} MB"
    )
    print(
        f"old baseline (bare openpyxl write-only, same cells): {bare['write_s']} s, "
        f"peak RSS {bare['rss_mb']} MB; the export against it: {old_ratio}"
    )
    print(f"ratio: {ratio} (target <= {TIME_TARGET}); writing alone: {write_ratio}")
    print(
        f"CPU time: export {export_cpu} s, baseline {base_cpu} s, ratio {cpu_ratio} "
        f"(fastest of {len(exports)} and {len(bases)} runs)"
    )
    print(f"province of {province['units']} units: {province['total_s']} s")
    print(
        json.dumps(
            {
                "bench": "export",
                "database": dialect,
                "units": export["units"],
                "cells": export["cells"],
                "formulas": export["formulas"],
                "export_s": export["total_s"],
                "export_load_s": export["load_s"],
                "export_write_s": export["write_s"],
                "baseline_s": base["write_s"],
                "ratio": ratio,
                "write_ratio": write_ratio,
                "export_cpu_s": export_cpu,
                "baseline_cpu_s": base_cpu,
                "cpu_ratio": cpu_ratio,
                "runs": [len(exports), len(bases)],
                "peak_rss_mb": rss,
                "baseline_rss_mb": base["rss_mb"],
                "openpyxl_baseline_s": bare["write_s"],
                "openpyxl_ratio": old_ratio,
                "province_units": province["units"],
                "province_s": province["total_s"],
                "target_ratio": TIME_TARGET,
                "target_rss_mb": RSS_TARGET_MB,
                "met": met,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
