"""A small province for the workbook tests: the API tests' group of three departments (one
appraised with an explanation round, one submitted, one still drafting), plus a group of three
communes with bonus and penalty points, equal indexes and bands of their own; survey points,
evidence files and notes that look like formulas."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.workbook import Workbook

from core.audit import Actor
from core.files import FileStore
from core.models import Channel, Officer, OfficerRole, Unit, UnitGroup
from core.notify import RecordingNotifier
from forms.answers import record_answer
from forms.models import Answer, Assessment, Evidence, PeriodGroup
from forms.submission import submit
from scoring import appraisal
from scoring.explanations import answer_explanation
from scoring.models import SurveyScore
from tests.api.world import NOW, World, attach, build_world, fill_and_submit

PUBLIC_URL = "https://cchc.example.gov.vn"
RISKY_NAME = '=HYPERLINK("http://evil.example/x","Bấm vào đây")'
COMMUNE_BANDS = [
    {"label": "Xuất sắc", "min_index": "95"},
    {"label": 'Khá "tốt"', "min_index": "85"},
    {"label": "Đạt", "min_index": "50"},
    {"label": "Chưa đạt", "min_index": "0"},
]
# Commune answers: X1 and X2 equal (a shared rank), X3 lower; bonus above and penalty at the cap.
COMMUNE_ANSWERS = {
    "X1": {
        "1.1.1": "1",
        "1.1.2": "có",
        "1.1.3": "80%",
        "1.1.4": "Cấp tỉnh; Cấp xã",
        "1.1.5": "0,25",
        "1.2.1": "2",
        "2.1.1": "vi phạm nhẹ",
        "C.1": "3",
        "T.1": "1",
    },
    "X3": {
        "1.1.1": "2",
        "1.1.2": "không",
        "1.1.3": "50%",
        "1.1.4": "không áp dụng",
        "1.1.5": "0",
        "1.2.1": "1",
        "2.1.1": "không vi phạm",
        "C.1": "0",
        "T.1": "3",
    },
}
COMMUNE_ANSWERS["X2"] = dict(COMMUNE_ANSWERS["X1"])


@dataclass
class Province:
    world: World
    store: FileStore
    risky_evidence: Evidence


async def build_province(data_dir: Path) -> Province:
    world = await build_world()
    store = FileStore(data_dir)
    admin = world.actor("admin")
    # --- departments ----------------------------------------------------------------------
    snv = await fill_and_submit(world, "SNV", "lan", store=store)
    await fill_and_submit(world, "STP", "khac", store=store)
    await record_answer(
        world.officers["yte"],
        world.sheets["SYT"].id,
        "1.1.1",
        text="1",
        expected_version=0,
        now=NOW,
    )
    await record_answer(
        world.officers["yte"],
        world.sheets["SYT"].id,
        "1.1.2",
        text="có",
        expected_version=0,
        now=NOW,
    )
    await appraisal.adjust(
        admin, snv.id, "1.1.3", score="1", comment="Tỷ lệ chưa đúng", expected_version=0, now=NOW
    )
    await appraisal.adjust(
        admin, snv.id, "1.1.4", score="0,25", comment="Có thực hiện", expected_version=0, now=NOW
    )
    review = await appraisal.request_explanation(
        admin,
        snv.id,
        "1.1.1",
        comment="Giải trình?",
        score="0",
        expected_version=0,
        now=NOW,
        notifier=RecordingNotifier(),
    )
    await answer_explanation(
        world.officers["lan"],
        review.id,
        text="Đã ban hành đúng hạn.",
        proposed_score="1",
        now=NOW,
    )
    await appraisal.round2(
        admin, snv.id, "1.1.1", score="0,5", comment="Ban hành muộn", expected_version=0, now=NOW
    )
    await SurveyScore.create(
        period=world.period,
        unit_id=snv.unit_id,
        node_code="X.1",
        score=Decimal("1.5"),  # type: ignore[attr-defined]
    )
    # user text that looks like formulas
    await Answer.filter(assessment_id=snv.id, node__code="1.1.2").update(note="+1")
    await Answer.filter(assessment_id=snv.id, node__code="1.1.5").update(note="@SUM(1)")
    await Answer.filter(assessment_id=snv.id, node__code="1.2.1").update(note="-2 quy chế")
    risky = await attach(world, "SNV", "1.1.1", b"%PDF-1.4 risky", store=store)
    await Evidence.filter(id=risky.id).update(original_name=RISKY_NAME, page_ref="tr. 3")
    second = await attach(world, "SNV", "1.1.1", b"%PDF-1.4 second", store=store)
    await Evidence.filter(id=second.id).update(original_name="Kế hoạch.pdf")
    # --- communes -------------------------------------------------------------------------
    assert world.group is not None
    communes = await UnitGroup.create(
        code="XA", name="Khối UBND cấp xã", kind="commune", sort_order=2
    )
    await UnitGroup.filter(id=world.group.id).update(sort_order=1)
    await PeriodGroup.create(
        period=world.period,
        unit_group=communes,
        criteria_set_id=snv.criteria_set_id,  # type: ignore[attr-defined]
        bands=COMMUNE_BANDS,
    )
    for i, (code, name) in enumerate(
        [("X1", "UBND xã An Bình"), ("X2", "UBND phường Đông Hà"), ("X3", "UBND xã Tân Lập")]
    ):
        unit = await Unit.create(code=code, name=name, group=communes, sort_order=i)
        officer = await Officer.create(unit=unit, full_name=f"Cán bộ {code}")
        leader = await Officer.create(
            unit=unit, full_name=f"Chủ tịch {code}", role=OfficerRole.leader
        )
        sheet = await Assessment.create(
            period=world.period,
            unit=unit,
            criteria_set_id=snv.criteria_set_id,  # type: ignore[attr-defined]
        )
        actor = Actor("officer", officer.id, officer.full_name, Channel.bot)
        for item, text in COMMUNE_ANSWERS[code].items():
            await record_answer(actor, sheet.id, item, text=text, expected_version=0, now=NOW)
        if code == "X3":
            await Officer.filter(id=leader.id).update(bot_blocked_at=NOW)
            continue
        for item in ("1.1.1", "1.1.3", "C.1"):
            data = f"{code} {item}".encode()
            stored = await store.put(data)
            answer = await Answer.get(assessment_id=sheet.id, node__code=item)
            await Evidence.create(
                answer=answer,
                sha256=stored.sha256,
                size=stored.size,
                original_name=f"TLKC {item}.pdf",
                content_type="application/pdf",
                channel="bot",
            )
        await submit(actor, sheet.id, now=NOW)
    return Province(world, store, risky)


@pytest.fixture
async def province(db: str, data_dir: Path) -> Province:
    return await build_province(data_dir)


def open_xlsx(data: bytes | Path) -> Workbook:
    source = BytesIO(data) if isinstance(data, bytes) else data
    return load_workbook(source, rich_text=False)


def cells(ws, row: int) -> list:  # type: ignore[no-untyped-def]
    return [c.value for c in ws[row]]
