"""Vietnamese first: every sentence of the web pages has a Vietnamese translation, and the
English pages are the message ids themselves."""

from __future__ import annotations

import re
from pathlib import Path

from core.i18n import gettext

ROOT = Path(__file__).resolve().parents[2]
IN_TEMPLATES = re.compile(r"""_\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")
IN_CODE = re.compile(r"""N_\(\s*("(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*)""", re.S)


def _msgids() -> set[str]:
    ids: set[str] = set()
    for path in (ROOT / "app/templates/web").glob("*.html"):
        ids.update(eval(m.group(1)) for m in IN_TEMPLATES.finditer(path.read_text()))
    for path in (ROOT / "app/web").glob("*.py"):
        ids.update(eval("(" + m.group(1) + ")") for m in IN_CODE.finditer(path.read_text()))
    return ids


def test_every_web_sentence_has_a_vietnamese_translation() -> None:
    ids = _msgids()
    assert len(ids) > 200
    missing = sorted(i for i in ids if gettext(i, "vi") == i and i not in {"Telegram"})
    assert missing == []


def test_vietnamese_translations_keep_their_placeholders() -> None:
    for msgid in _msgids():
        wanted = set(re.findall(r"\{(\w+)\}", msgid))
        assert set(re.findall(r"\{(\w+)\}", gettext(msgid, "vi"))) == wanted, msgid
