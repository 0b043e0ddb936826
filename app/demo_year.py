"""The sample period in progress: so that every page, chart and workbook shows real-looking
figures right after ``make run``.

Played through the real services, as the people would (officers answer, attach evidence and
submit; the appraiser accepts, adjusts and asks for an explanation; the secretariat imports the
survey workbook), so every figure, audit event and status is what the product itself produces:

* about half the units answer: two in three of them submit, the others are part-way;
* three submitted sheets are fully appraised (a few scores adjusted, with a comment);
* one submitted sheet has an explanation request waiting for the unit's answer;
* the survey scores of the departments' group are imported from the survey workbook;
* the sample appraiser is assigned every field (and the bonus and penalty groups) of the
  departments' set.

Deterministic (a fixed seed), so the sample looks the same on every machine and in the tests.
Only :func:`app.demo.load_demo` calls it, on a database it has just filled.
"""

from __future__ import annotations

import io
import math
import random
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from core.audit import Actor
from core.files import FileStore
from core.models import BackofficeUser, Channel, Officer, OfficerRole, Unit, UnitGroup
from core.notify import NullNotifier
from forms.answers import record_answer
from forms.evidence import attach_evidence
from forms.models import Assessment, NodeLevel, Period, Section
from forms.outline import OutlineNode, outline
from forms.rules import Rule
from forms.submission import submit
from scoring import appraisal
from scoring.assignments import assign
from scoring.survey import import_scores
from scoring.survey import template as survey_template

SEED = 2026
MAX_BYTES = 10 * 1024 * 1024


def sample_pdf(title: str) -> bytes:
    """A small, valid one-page PDF whose page shows ``title`` (ASCII letters only: the sample
    file stands for the scanned decision a unit would attach)."""
    text = "".join(ch for ch in title if 32 <= ord(ch) < 127).replace("(", "").replace(")", "")
    stream = f"BT /F1 14 Tf 60 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (
            len(objects) + 1,
            xref,
        )
    )
    return out.getvalue()


def declared_value(rule: Rule, good: bool, rng: random.Random) -> dict[str, Any]:
    """What a unit declares for an item: the best answer when ``good``, else a weaker one
    (pure; every shape is the one the bot's buttons and the web form store)."""
    best = sorted(rule.options, key=lambda o: o.points, reverse=True)
    if rule.type == "yes_no":
        return {"yes": good}
    if rule.type == "levels":
        return {"option": best[0].key if good else rng.choice(best[1:] or best).key}
    if rule.type == "percent_tiers":
        return {"percent": str(rng.randint(92, 100) if good else rng.randint(55, 89))}
    if rule.type == "checklist":
        keys = [o.key for o in rule.options]
        return {"checked": keys if good else sorted(rng.sample(keys, max(0, len(keys) - 1)))}
    if rule.type == "count":
        each = rule.each or Decimal(1)
        needed = math.ceil((rule.cap or rule.max_score) / each)
        return {"count": needed if good else rng.randint(0, max(0, needed - 1))}
    if rule.type == "points":
        step = rule.step or Decimal("0.01")
        half = (rule.max_score / 2 / step).to_integral_value(ROUND_DOWN) * step
        return {"points": str(rule.max_score if good else half)}
    if rule.type == "deduction":
        if rule.options:
            return {"option": None} if good else {"option": rng.choice(rule.options).key}
        return {"violations": 0 if good else 1}
    raise ValueError(f"no sample answer for rule type {rule.type}")


async def _items(criteria_set_id: int) -> list[OutlineNode]:
    """The self-assessed items the sample answers, those with a rule to answer by."""
    return [n for n in (await outline(criteria_set_id)).items if n.rule is not None]


async def _answer_sheet(
    sheet: Assessment,
    officer: Actor,
    items: list[OutlineNode],
    *,
    share: float,
    quality: float,
    at: datetime,
    files: FileStore,
    rng: random.Random,
    tz: ZoneInfo,
) -> None:
    for item in items:
        if rng.random() > share:
            continue
        good = rng.random() < quality
        value = declared_value(item.rule, good, rng)
        await record_answer(
            officer, sheet.id, item.code, declared=value, expected_version=0, now=at, tz=tz
        )
        if item.evidence_required:
            await attach_evidence(
                officer,
                sheet.id,
                item.code,
                data=sample_pdf(f"Tai lieu kiem chung {item.code}"),
                name=f"TLKC {item.code}.pdf",
                files=files,
                max_bytes=MAX_BYTES,
                now=at,
                tz=tz,
            )


async def _appraise(
    sheet: Assessment,
    appraiser: Actor,
    items: list[OutlineNode],
    *,
    at: datetime,
    rng: random.Random,
    tz: ZoneInfo,
) -> None:
    """Accept most items, adjust about one in ten (a quarter off, with a comment)."""
    for item in items:
        if rng.random() < 0.1:
            answer = await sheet.answers.filter(node__code=item.code).first()
            own = Decimal(answer.self_score) if answer and answer.self_score is not None else None
            if own is None or own == 0:
                await appraisal.accept(
                    appraiser, sheet.id, item.code, expected_version=0, now=at, tz=tz
                )
                continue
            step = item.rule.step or Decimal("0.25")
            lower = max(Decimal(0), own - max(step, own / 4)).quantize(Decimal("0.01"))
            await appraisal.adjust(
                appraiser,
                sheet.id,
                item.code,
                score=str(lower),
                comment="Tài liệu kiểm chứng chưa thể hiện đầy đủ kết quả đã kê khai.",
                expected_version=0,
                now=at,
                tz=tz,
            )
        else:
            await appraisal.accept(
                appraiser, sheet.id, item.code, expected_version=0, now=at, tz=tz
            )


async def _import_survey(
    period: Period, group: UnitGroup, admin: Actor, *, at: datetime, rng: random.Random
) -> None:
    """Fill the survey workbook's rows of one group and import it, as the secretariat does."""
    book = load_workbook(io.BytesIO(await survey_template(admin, period.id)))
    ws = book.active
    codes = set(await Unit.filter(group=group).values_list("code", flat=True))
    sample = await Assessment.filter(period_id=period.id, unit__group_id=group.id).first()
    assert sample is not None
    maxima = {
        n.code: n.max_score
        for n in (await outline(sample.criteria_set_id)).nodes  # type: ignore[attr-defined]
        if n.level == NodeLevel.item and n.section == Section.survey
    }
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value not in codes:
            continue
        for cell, code in zip(row, header, strict=False):
            if code in maxima:
                share = Decimal(rng.randint(70, 96)) / 100
                cell.value = float((maxima[code] * share).quantize(Decimal("0.01")))
    out = io.BytesIO()
    book.save(out)
    await import_scores(
        admin, period.id, out.getvalue(), now=at, source_name="Khảo sát XHH (dữ liệu mẫu).xlsx"
    )


async def play_year(period: Period, *, now: datetime, tz: ZoneInfo, files: FileStore) -> None:
    """Put the sample period where a real one is a few weeks in (see the module docstring)."""
    rng = random.Random(SEED)
    admin_user = await BackofficeUser.get(username="admin")
    appraiser_user = await BackofficeUser.get(username="thamdinh")
    admin = Actor("user", admin_user.id, admin_user.full_name, Channel.web)
    appraiser = Actor("user", appraiser_user.id, appraiser_user.full_name, Channel.web)
    system = Actor.system(Channel.cli, "demo")
    groups = list(await UnitGroup.all().order_by("sort_order", "id"))
    sheets = list(
        await Assessment.filter(period_id=period.id)
        .prefetch_related("unit")
        .order_by("unit__sort_order", "unit_id")
    )
    items_of: dict[int, list[OutlineNode]] = {}
    first_group_set = None
    for sheet in sheets:
        set_id = sheet.criteria_set_id  # type: ignore[attr-defined]
        if set_id not in items_of:
            items_of[set_id] = await _items(set_id)
        if sheet.unit.group_id == groups[0].id:  # type: ignore[attr-defined]
            first_group_set = set_id
    if first_group_set is not None:
        for field in (await outline(first_group_set)).roots:
            if field.section != Section.survey:
                await assign(system, appraiser_user.id, first_group_set, field.code)

    focal: dict[int, Officer] = {}
    for officer in await Officer.filter(role=OfficerRole.focal, active=True).order_by("id"):
        focal.setdefault(officer.unit_id, officer)  # type: ignore[attr-defined]

    submitted_by_group: dict[int, list[Assessment]] = {}
    for group in groups:
        mine = [s for s in sheets if s.unit.group_id == group.id]  # type: ignore[attr-defined]
        for position, sheet in enumerate(mine):
            if position % 2 == 0:
                continue  # about half the units have not started, the first of each group too
                # (the sandbox chat offers those first: a newcomer starts from an empty sheet)
            officer = focal[sheet.unit.id]
            actor = Actor("officer", officer.id, officer.full_name, Channel.bot)
            submits = position % 6 != 5  # two in three of those who answered submit
            started = now - timedelta(days=rng.randint(3, 8), hours=rng.randint(0, 6))
            await _answer_sheet(
                sheet,
                actor,
                items_of[sheet.criteria_set_id],  # type: ignore[attr-defined]
                share=1.0 if submits else rng.uniform(0.3, 0.8),
                quality=rng.uniform(0.62, 0.97),
                at=started,
                files=files,
                rng=rng,
                tz=tz,
            )
            if submits:
                await submit(actor, sheet.id, now=started + timedelta(hours=2), tz=tz)
                submitted_by_group.setdefault(group.id, []).append(sheet)

    appraised_at = now - timedelta(days=1)
    departments = submitted_by_group.get(groups[0].id, [])
    # two departments by the sample appraiser (assigned to them), one commune by the admin
    communes = [s for g in groups[1:2] for s in submitted_by_group.get(g.id, [])[:1]]
    for sheet, who in [*((s, appraiser) for s in departments[:2]), *((s, admin) for s in communes)]:
        items = items_of[sheet.criteria_set_id]  # type: ignore[attr-defined]
        await _appraise(sheet, who, items, at=appraised_at, rng=rng, tz=tz)
    if len(departments) > 2:
        sheet = departments[2]
        first = items_of[sheet.criteria_set_id][0].code  # type: ignore[attr-defined]
        await appraisal.request_explanation(
            appraiser,
            sheet.id,
            first,
            comment="Đề nghị đơn vị bổ sung văn bản ban hành và báo cáo kết quả thực hiện.",
            expected_version=0,
            now=appraised_at,
            notifier=NullNotifier(),
            tz=tz,
        )
    await _import_survey(period, groups[0], admin, at=now - timedelta(hours=3), rng=rng)
