"""Numbers as Vietnamese officials write them, and as the service computes them.

Officers type "0,5", "0.5", "1.234,5" or "95%"; documents print a decimal comma and a dot for
thousands. All arithmetic is :class:`~decimal.Decimal`; rounding (half-up, 2 places) happens only
for display and ranking, never in between.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from babel.numbers import format_decimal as _babel_format_decimal

from core.i18n import N_, Msg, UserError

TWO_PLACES = Decimal("0.01")

_GROUPED_DOT = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.234 or 1.234,5 (vi grouping)
_GROUPED_COMMA = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,234.5 (en grouping)


class NumberError(UserError):
    """A typed value that is not a number a person would accept."""


def parse_decimal(text: str | int | float | Decimal) -> Decimal:
    """Read a non-localised or Vietnamese/English formatted number.

    Accepts "0,5", "0.5", "1.234,5", "1,234.5", "2", " 3 ". A single separator followed by
    exactly three digits ("1.234") is read as grouping only when the comma form ("1.234,5") or
    more groups make that certain; otherwise "1.5" and "1,5" both mean one and a half.
    Refuses empty text, words, NaN and infinity.
    """
    if isinstance(text, bool):
        raise NumberError(Msg(N_("“{value}” is not a number."), value=text))
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, float):
        value = Decimal(repr(text))
    else:
        raw = text.strip().replace("\u00a0", "").replace(" ", "")
        if not raw:
            raise NumberError(Msg(N_("Please enter a number.")))
        if raw.startswith("+"):
            raw = raw[1:]
        sign = ""
        if raw.startswith("-"):
            sign, raw = "-", raw[1:]
        if _GROUPED_DOT.match(raw) and (raw.count(".") > 1 or "," in raw):
            raw = raw.replace(".", "").replace(",", ".")
        elif _GROUPED_COMMA.match(raw) and (raw.count(",") > 1 or "." in raw):
            raw = raw.replace(",", "")
        else:
            if raw.count(",") + raw.count(".") > 1:
                raise NumberError(Msg(N_("“{value}” is not a number."), value=text.strip()))
            raw = raw.replace(",", ".")
        if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", raw):
            raise NumberError(Msg(N_("“{value}” is not a number."), value=text.strip()))
        try:
            value = Decimal(sign + raw)
        except InvalidOperation:  # pragma: no cover - the regex already guards this
            raise NumberError(Msg(N_("“{value}” is not a number."), value=text.strip())) from None
    if not value.is_finite():
        raise NumberError(Msg(N_("“{value}” is not a number."), value=str(text)))
    return value


def round_half_up(value: Decimal, places: Decimal = TWO_PLACES) -> Decimal:
    """Round for display and ranking only (half-up, as officials round by hand)."""
    return value.quantize(places, rounding=ROUND_HALF_UP)


def format_score(value: Decimal | None, locale: str = "vi", places: int | None = None) -> str:
    """Show a score the way documents print it: "0,5", "12,75", "1.234,5" in Vietnamese.

    With ``places`` the value is rounded half-up to that many decimals and padded; without,
    trailing zeros are dropped (a max of "1" stays "1", not "1,00").
    """
    if value is None:
        return "–"
    with localcontext() as ctx:
        # enough precision for any finite value, so huge inputs never raise InvalidOperation
        ctx.prec = max(28, value.adjusted() + 12)
        if places is not None:
            quantum = Decimal(1).scaleb(-places)
            value = value.quantize(quantum, rounding=ROUND_HALF_UP)
            fmt = "#,##0." + "0" * places if places else "#,##0"
        else:
            integral = value == value.to_integral()
            value = value.quantize(Decimal(1)) if integral else value.normalize()
            fmt = "#,##0.##########"
        return _babel_format_decimal(
            value,
            format=fmt,
            locale="vi_VN" if locale == "vi" else "en_US",
            decimal_quantization=places is not None,
        )


def format_percent(value: Decimal | None, locale: str = "vi") -> str:
    """An index as published: "89,45%"."""
    if value is None:
        return "–"
    return format_score(value, locale, places=2) + "%"
