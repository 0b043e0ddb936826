"""Everything a person reads has a Vietnamese text (the default locale)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from core.i18n import Msg, gettext, normalize_locale, translations

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["core", "forms", "scoring", "bot", "scheduler", "app"]


def _msgids() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in PACKAGES:
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords={"N_": None}
        ):
            if isinstance(message, str):
                found.setdefault(message, f"{package}/{filename}")
    return found


def test_every_message_has_a_vietnamese_translation() -> None:
    msgids = _msgids()
    assert len(msgids) > 50, "extraction found the messages"
    missing = [f"{where}: {m}" for m, where in msgids.items() if gettext(m, "vi") == m]
    assert not missing, "no Vietnamese text for:\n" + "\n".join(missing)


def test_translations_keep_their_placeholders() -> None:
    catalog = translations("vi")
    broken = []
    for msgid in _msgids():
        text = catalog.gettext(msgid)
        if set(re.findall(r"{(\w+)}", msgid)) != set(re.findall(r"{(\w+)}", text)):
            broken.append(msgid)
    assert not broken, broken


def test_messages_render_per_locale() -> None:
    msg = Msg("“{value}” is not a number.", value="abc")
    assert msg.render("vi") == "“abc” không phải là một số."
    assert msg.render("en") == "“abc” is not a number."
    assert normalize_locale("en-US") == "en" and normalize_locale("fr") == "vi"


def test_no_message_is_translated_twice_differently() -> None:
    """Catalogs are merged; a message translated in two files would show either text."""
    from babel.messages.pofile import read_po

    from core.i18n import LOCALES_DIR

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((LOCALES_DIR / "vi").glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh):
                if not message.id or not isinstance(message.id, str):
                    continue
                earlier = seen.setdefault(message.id, (path.name, str(message.string)))
                if earlier[1] != message.string:
                    clashes.append(f"{message.id!r}: {earlier[0]} vs {path.name}")
    assert clashes == []
