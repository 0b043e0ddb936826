"""Button data: what the bot draws unpacks to the same values (a press must find its handler),
stays within Telegram's 64 bytes, and shared buttons are built once."""

from __future__ import annotations

import pytest

from bot import keyboards


def test_buttons_with_the_same_text_and_data_are_built_once() -> None:
    one = keyboards._btn("Tiếp", keyboards.NavCb(a=7, i="1.1", d="next"))
    two = keyboards._btn("Tiếp", keyboards.NavCb(a=7, i="1.1", d="next"))
    assert one is two
    assert one.callback_data == "nv:7:1.1:next"


@pytest.mark.parametrize(
    "data",
    [
        keyboards.AnswerCb(a=2_147_483_647, i="10.12.3", v=12, x="na"),
        keyboards.TickCb(a=7, i="1.1.1", v=0, k="ok"),
        keyboards.ListCb(a=7),
        keyboards.ExplainCb(r=9, d="noscore"),
    ],
)
def test_a_button_unpacks_to_what_was_drawn(data: keyboards.CallbackData) -> None:
    packed = keyboards._btn("x", data).callback_data
    assert packed is not None and len(packed.encode()) <= 64
    assert type(data).unpack(packed) == data


def test_a_value_that_cannot_be_a_button_is_refused() -> None:
    with pytest.raises(ValueError, match="Separator symbol"):
        keyboards._btn("x", keyboards.NavCb(a=1, i="1:2", d="go"))
    with pytest.raises(ValueError, match="64"):
        keyboards._btn("x", keyboards.NavCb(a=1, i="x" * 70, d="go"))
