"""The publication view (final beside provisional ranking, unfinished sheets, units apart) and
the Word annex, opened with python-docx and checked against the results."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from docx import Document

from core.numbers import format_score
from core.timefmt import VIETNAM
from forms.models import Period
from scoring import appraisal
from scoring.annex import annex
from scoring.models import SurveyScore
from scoring.publication import publication_view, unit_outcome
from scoring.results import publish, results
from tests.api.world import ANSWERS, NOW, World, build_world, fill_and_submit


@pytest.fixture
async def world(db: str) -> World:
    return await build_world()


def _pct(value: str | None) -> str:
    return "–" if value is None else format_score(Decimal(value), "vi", 2)


async def _two_submitted_one_appraised(world: World) -> None:
    admin = world.actor("admin")
    snv = await fill_and_submit(world, "SNV", "lan")
    await fill_and_submit(world, "STP", "khac")
    for code in ANSWERS:
        if code == "1.1.3":
            await appraisal.adjust(
                admin, snv.id, code, score="1", comment="Chưa đạt", expected_version=0, now=NOW
            )
        else:
            await appraisal.accept(admin, snv.id, code, expected_version=0, now=NOW)
    await SurveyScore.create(
        period=world.period,
        unit_id=world.sheets["SNV"].unit_id,  # type: ignore[attr-defined]
        node_code="X.1",
        score=Decimal("0.5"),
    )


async def test_the_view_puts_final_beside_provisional_and_lists_apart(world: World) -> None:
    await _two_submitted_one_appraised(world)
    view = await publication_view(world.actor("viewer"), world.period)
    assert not view.published
    (group,) = view.groups
    ranked = {r.unit_code: r for r in group.ranked}
    assert list(ranked) == ["STP", "SNV"]  # SNV lost a point in appraisal
    assert (ranked["SNV"].provisional["rank"], ranked["SNV"].final["rank"]) == (1, 2)
    assert ranked["SNV"].moved == -1 and ranked["STP"].moved == 1
    assert [r.unit_code for r in group.apart] == ["SYT"]
    assert [(u.unit_code, u.submitted) for u in view.unfinished] == [
        ("STP", True),
        ("SYT", False),
    ]


async def test_the_word_annex_tables_are_the_results(world: World) -> None:
    await _two_submitted_one_appraised(world)
    admin = world.actor("admin")
    name, draft = await annex(admin, world.period, locale="vi", tz=VIETNAM)
    assert name == "phu-luc-chi-so-cchc-2026.docx"
    assert "DỰ THẢO" in "\n".join(p.text for p in Document(io.BytesIO(draft)).paragraphs)

    await publish(admin, world.period.id, now=NOW, force=True, reason="STP, SYT chưa xong")
    period = await Period.get(id=world.period.id)
    name, data = await annex(world.actor("viewer"), period, locale="vi", tz=VIETNAM)
    assert name == "phu-luc-chi-so-cchc-2026-cong-bo.docx"
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "PHỤ LỤC: KẾT QUẢ XÁC ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2026" in text
    assert "Đã công bố lúc 20/11/2026 10:00." in text and "DỰ THẢO" not in text
    assert "Bảng 1. Kết quả xếp hạng Khối sở, ban, ngành" in text
    ranking, components = doc.tables
    rows = [[c.text for c in row.cells] for row in ranking.rows]
    assert rows[0] == ["STT", "Đơn vị", "Tổng điểm", "Chỉ số (%)", "Xếp hạng", "Xếp loại"]
    (table,) = await results(admin, world.period.id)
    units = {u["unit_name"]: u for u in table["units"]}
    assert [r[1] for r in rows[1:]] == ["Sở Tư pháp", "Sở Nội vụ", "Sở Y tế"]
    for stt, (no, unit, total, index, rank, band) in enumerate(rows[1:], start=1):
        final = units[unit]["appraised"]
        assert no == str(stt)
        assert (total, index) == (_pct(final["total"]), _pct(final["index"]))
        if units[unit]["submitted"]:
            assert (rank, band) == (str(final["rank"]), final["band"])
        else:
            assert (rank, band) == ("Chưa nộp", "Chưa nộp")
    assert rows[1][2:] == ["7,75", "83,78", "1", "Khá"]

    head = [c.text for c in components.rows[0].cells]
    assert head == [
        "STT",
        "Đơn vị",
        "Lĩnh vực 1 (%)",
        "Lĩnh vực 2 (%)",
        "Điều tra XHH",
        "Điểm cộng",
        "Điểm trừ",
    ]
    for row in components.rows[1:]:
        cells = [c.text for c in row.cells]
        u = units[cells[1]]
        fields = [_pct(f["appraised_index"]) for f in u["fields"]]
        figures = u["appraised"]
        assert cells[2:] == [
            *fields,
            _pct(figures["survey"]),
            _pct(figures["bonus"]),
            _pct(figures["penalty"]),
        ]


async def test_a_unit_outcome_exists_only_once_published(world: World) -> None:
    await _two_submitted_one_appraised(world)
    stp = world.sheets["STP"].unit_id  # type: ignore[attr-defined]
    assert await unit_outcome(world.period.id, stp) is None
    await publish(world.actor("admin"), world.period.id, now=NOW, force=True, reason="hết hạn")
    outcome = await unit_outcome(world.period.id, stp)
    assert outcome is not None
    assert (outcome.rank, outcome.ranked_units, outcome.band) == (1, 2, "Khá")
    syt = await unit_outcome(world.period.id, world.sheets["SYT"].unit_id)  # type: ignore[attr-defined]
    assert syt is not None and not syt.submitted and syt.rank is None
