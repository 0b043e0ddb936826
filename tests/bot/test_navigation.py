"""The pure navigation rules of the walk (bot/walk.py)."""

from __future__ import annotations

from bot.walk import first_open, next_code, prev_code, progress_bar, shorten

CODES = ["1.1", "1.2", "1.3", "2.1", "C.1"]


def test_next_and_previous_in_order() -> None:
    assert next_code(CODES, "1.1", set()) == "1.2"
    assert next_code(CODES, "C.1", set()) is None
    assert next_code(CODES, None, set()) == "1.1"
    assert prev_code(CODES, "1.2", set()) == "1.1"
    assert prev_code(CODES, "1.1", set()) is None


def test_only_unanswered_skips_and_wraps_once() -> None:
    answered = {"1.2", "1.3"}
    assert next_code(CODES, "1.1", answered, only_unanswered=True) == "2.1"
    # past the end it offers what was skipped earlier, never the item itself
    assert next_code(CODES, "C.1", answered, only_unanswered=True) == "1.1"
    assert next_code(CODES, "1.1", set(CODES) - {"1.1"}, only_unanswered=True) is None
    assert prev_code(CODES, "2.1", answered, only_unanswered=True) == "1.1"


def test_where_a_walk_starts() -> None:
    assert first_open(CODES, {"1.1"}) == "1.2"
    assert first_open(CODES, set(CODES)) == "1.1"
    assert first_open([], set()) is None


def test_progress_bar_and_labels() -> None:
    assert progress_bar(0, 9) == "▱" * 10
    assert progress_bar(9, 9) == "▰" * 10
    assert progress_bar(1, 100) == "▰" + "▱" * 9  # started shows at least one step
    assert progress_bar(99, 100) == "▰" * 9 + "▱"  # not done never looks done
    assert shorten("Công khai   kết quả giải quyết TTHC", 12) == "Công khai…"  # never mid-word
