"""Telegram's size limits, and cutting people's text so that every message fits them.

Telegram refuses a message whose text, once its HTML is parsed, exceeds 4,096 UTF-16 code
units, and a button whose callback data exceeds 64 bytes (keyboards.py keeps those short).
Text written by people (item titles, guidance, notes, typed values) is the only part of a
message that can grow, so it is cut here to a known number of characters before it is put
into a message; :func:`visible_units` measures the result where a card may still be long.
"""

from __future__ import annotations

import re
from html import unescape

TEXT_LIMIT = 4096
"""UTF-16 code units of a message's text after its HTML is parsed."""

_TAG = re.compile(r"<[^>]*>")


def clip(text: str, chars: int) -> str:
    """``text`` cut to at most ``chars`` characters, ending in "…" when it was cut; line
    breaks are kept (guidance and notes have several lines). Cut before escaping."""
    if len(text) <= chars:
        return text
    return text[: max(1, chars - 1)].rstrip() + "…"


def visible_units(html_text: str) -> int:
    """What Telegram counts for ``parse_mode=HTML``: the text without tags, entities decoded,
    in UTF-16 code units (an emoji counts two)."""
    plain = unescape(_TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


def fits(html_text: str) -> bool:
    return visible_units(html_text) <= TEXT_LIMIT
