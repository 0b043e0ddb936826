"""Pure helpers for walking a score sheet item by item: order, navigation, progress bar.

No aiogram and no ORM here, so the navigation rules are tested quickly and exhaustively.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence


def next_code(
    codes: Sequence[str],
    current: str | None,
    answered: Collection[str],
    *,
    only_unanswered: bool = False,
) -> str | None:
    """The item after ``current`` in questionnaire order (None at the end).

    With ``only_unanswered`` answered items are skipped; the search wraps around once so an
    item skipped earlier is offered again before the walk says everything is answered.
    """
    if not codes:
        return None
    start = codes.index(current) + 1 if current in codes else 0
    if not only_unanswered:
        return codes[start] if start < len(codes) else None
    ordered = list(codes[start:]) + list(codes[:start])
    for code in ordered:
        if code not in answered and code != current:
            return code
    return None


def prev_code(
    codes: Sequence[str],
    current: str | None,
    answered: Collection[str],
    *,
    only_unanswered: bool = False,
) -> str | None:
    """The item before ``current`` (None at the start)."""
    if current not in codes:
        return None
    index = codes.index(current)
    for code in reversed(codes[:index]):
        if not only_unanswered or code not in answered:
            return code
    return None


def first_open(codes: Sequence[str], answered: Collection[str]) -> str | None:
    """Where a walk (re)starts: the first unanswered item, else the first item."""
    for code in codes:
        if code not in answered:
            return code
    return codes[0] if codes else None


def progress_bar(done: int, total: int, width: int = 10) -> str:
    """ "▰▰▰▱▱▱▱▱▱▱": readable on every phone, no colours needed."""
    if total <= 0:
        return "▱" * width
    filled = min(width, max(0, round(width * done / total)))
    if 0 < done < total:
        filled = min(max(filled, 1), width - 1)
    return "▰" * filled + "▱" * (width - filled)


def shorten(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, for button labels: cut at a word boundary
    when one is near (a label cut mid-word reads as another word) and always marked "…"."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: max(1, limit - 1)]
    space = cut.rfind(" ")
    if line[len(cut)] != " " and space >= len(cut) // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"
