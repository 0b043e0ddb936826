"""The keyboards' own packing of button data gives exactly what aiogram's would, and refuses
what aiogram refuses (a press must unpack to the same values either way)."""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData
from hypothesis import given
from hypothesis import strategies as st

from bot import keyboards

CLASSES = [
    keyboards.AnswerCb,
    keyboards.TickCb,
    keyboards.NavCb,
    keyboards.ItemCb,
    keyboards.ListCb,
    keyboards.FileCb,
    keyboards.MenuCb,
    keyboards.ExplainCb,
    keyboards.ExtendCb,
    keyboards.LangCb,
]

texts = st.text(max_size=12)
ints = st.integers(min_value=-(10**12), max_value=10**12)


@st.composite
def button_data(draw: st.DrawFn) -> CallbackData:
    cls = draw(st.sampled_from(CLASSES))
    values = {
        name: draw(ints if field.annotation in (int, "int") else texts)
        for name, field in cls.model_fields.items()
    }
    return cls(**values)


@given(button_data())
def test_pack_matches_aiogram(data: CallbackData) -> None:
    try:
        expected = data.pack()
    except ValueError as exc:
        with pytest.raises(ValueError, match=str(exc)[:20].replace("(", r"\(")):
            keyboards.pack(data)
        return
    packed = keyboards.pack(data)
    assert packed == expected
    assert type(data).unpack(packed) == data


def test_a_separator_inside_a_value_is_refused() -> None:
    with pytest.raises(ValueError, match="Separator symbol"):
        keyboards.pack(keyboards.NavCb(a=1, i="1:2", d="go"))


def test_too_long_is_refused() -> None:
    with pytest.raises(ValueError, match="64"):
        keyboards.pack(keyboards.NavCb(a=1, i="x" * 70, d="go"))


def test_buttons_with_the_same_text_and_data_are_built_once() -> None:
    one = keyboards._btn("Tiếp", keyboards.NavCb(a=7, i="1.1", d="next"))
    two = keyboards._btn("Tiếp", keyboards.NavCb(a=7, i="1.1", d="next"))
    assert one is two
    assert one.callback_data == "nv:7:1.1:next"
