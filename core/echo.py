"""Quoting back what a person typed, inside a message about it.

A refusal names the value it refuses ("“abc” is not a number"), but the value may be 4,000
characters long or hold control and direction characters; echoed whole it would make the
message too long for Telegram or scramble the line around it. Every echo goes through
:func:`echo`, so a refusal stays short and readable on every channel by construction.
"""

from __future__ import annotations

import unicodedata

ECHO_CHARS = 40
"""At most this many characters of a typed value are quoted back (then "…")."""

_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def echo(text: object, limit: int = ECHO_CHARS) -> str:
    """``text`` as one short line: control, format and direction characters become "�",
    runs of spaces and line breaks one space, and anything past ``limit`` characters "…"."""
    raw = str(text)
    head = raw[: limit * 4]  # enough for the cut below, without walking 100,000 characters
    visible = "".join(
        "\ufffd" if unicodedata.category(c) in _INVISIBLE and c not in "\t\n\r" else c for c in head
    )
    line = " ".join(visible.split())
    if len(line) > limit or len(raw) > len(head):
        return line[: max(1, limit - 1)].rstrip() + "…"
    return line
