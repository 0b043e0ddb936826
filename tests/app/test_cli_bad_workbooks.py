"""The command line refuses a bad workbook with the same sentence as the web and the API, and
never with a traceback: text longer than the database takes, an XML bomb, an external entity."""

from __future__ import annotations

from pathlib import Path

from tests.app.helpers import run
from tests.bad_input import XML_BOMB, XML_EXTERNAL_ENTITY, with_xml_declaration
from tests.factories import ROWS, workbook_bytes


def test_criteria_and_units_imports_refuse_bad_workbooks_without_a_traceback(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    agency = "Sở Nội vụ " * 29 + "Sở Nội vụ."  # 300 characters: more than the column takes
    rows = [(*r[:10], agency, *r[11:]) if r[0] == "1.1.1" else r for r in ROWS]
    long = tmp_path / "long.xlsx"
    long.write_bytes(workbook_bytes(rows, info={"code": "LONG-1"}))
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(with_xml_declaration(workbook_bytes(), XML_BOMB, "xl/worksheets/sheet2.xml"))
    xxe = tmp_path / "xxe.xlsx"
    xxe.write_bytes(with_xml_declaration(workbook_bytes(), XML_EXTERNAL_ENTITY))

    result = run(env, "criteria", "import", str(long))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "“Cơ quan thẩm định” có 300 ký tự; chỉ chấp nhận tối đa 255 ký tự." in result.stderr
    for path in (bomb, xxe):
        result = run(env, "criteria", "import", str(path))
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert "quả bom XML" in result.stderr
    units = tmp_path / "units.xlsx"
    assert run(env, "units", "template", str(units)).returncode == 0
    units.write_bytes(with_xml_declaration(units.read_bytes(), XML_BOMB))
    result = run(env, "units", "import", str(units))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "quả bom XML" in result.stderr
    assert "LONG-1" not in run(env, "criteria", "show", "LONG-1").stdout
