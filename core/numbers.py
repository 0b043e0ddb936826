"""Numbers as Vietnamese officials write them, and as the service computes them.

Officers type "0,5", "0.5", "1.234,5" or "95%"; documents print a decimal comma and a dot for
thousands. All arithmetic is :class:`~decimal.Decimal`; rounding (half-up, 2 places) happens only
for display and ranking, never in between.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from babel.numbers import format_decimal as _babel_format_decimal

from core.echo import echo
from core.i18n import N_, Msg, UserError

TWO_PLACES = Decimal("0.01")

MAX_DECIMALS = 4
"""Decimals kept for any typed number: the database stores 4, and no criteria set needs more."""

MAX_INTEGER_DIGITS = 15
"""Digits before the decimal separator: 10^15 is far above any score, count or total, and a
longer run of digits is a key held down, not a number (documented in docs/limits.md)."""

# ASCII digits only: Python's \d also matches "１", "٣" or "𝟓", which no Vietnamese keyboard
# types and which Decimal() would silently read as numbers.
_GROUPED_DOT = re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?$")  # 1.234 or 1.234,5 (vi)
_GROUPED_COMMA = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")  # 1,234.5 (en grouping)
_SPACE_GROUPED = re.compile(r"[+-]?[0-9]{1,3}([ \u00a0][0-9]{3})+([.,][0-9]+)?")  # 1 234,5
_PLAIN = re.compile(r"[0-9]+(\.[0-9]+)?|\.[0-9]+")
_TOO_LONG = 64  # characters: longer text is refused before any regex or Decimal sees it


class NumberError(UserError):
    """A typed value that is not a number a person would accept."""


class NumberBoundsError(NumberError):
    """A number, but with too many digits or decimals: the message says which limit."""


def parse_decimal(text: str | int | float | Decimal, *, bounded: bool = True) -> Decimal:
    """Read a non-localised or Vietnamese/English formatted number.

    Accepts "0,5", "0.5", "1.234,5", "1,234.5", "2", " 3 ". A single separator followed by
    exactly three digits ("1.234") is read as grouping only when the comma form ("1.234,5") or
    more groups make that certain; otherwise "1.5" and "1,5" both mean one and a half.
    Refuses empty text, words, NaN and infinity, and digits other than 0-9.

    ``bounded`` (the default) also refuses typed text (what a person types or an API client
    sends as a string) with more than :data:`MAX_DECIMALS` decimals or more than
    :data:`MAX_INTEGER_DIGITS` digits before the separator. Numbers that arrive as numbers
    (a spreadsheet cell's float) are not held to the decimals; stored values already accepted
    are read with ``bounded=False`` so that an old answer still shows.
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
        value = _parse_text(text, bounded)
    if not value.is_finite():
        raise NumberError(Msg(N_("“{value}” is not a number."), value=echo(text)))
    if bounded and isinstance(text, str):
        _check_bounds(value, text)
    return value


def _not_a_number(text: str) -> NumberError:
    return NumberError(Msg(N_("“{value}” is not a number."), value=echo(text.strip())))


def _parse_text(text: str, bounded: bool) -> Decimal:
    inner = text.strip()
    if (" " in inner or "\u00a0" in inner) and not _SPACE_GROUPED.fullmatch(inner):
        raise _not_a_number(text)  # "1 2" is two numbers, not twelve
    raw = inner.replace("\u00a0", "").replace(" ", "")
    if not raw:
        raise NumberError(Msg(N_("Please enter a number.")))
    if bounded and len(raw) > _TOO_LONG and raw.isascii() and raw.lstrip("+-").isdigit():
        raise _too_large(text)
    if len(raw) > _TOO_LONG and bounded:
        raise _not_a_number(text)
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
            raise _not_a_number(text)
        raw = raw.replace(",", ".")
    if not _PLAIN.fullmatch(raw):
        raise _not_a_number(text)
    try:
        return Decimal(sign + raw)
    except InvalidOperation:  # pragma: no cover - the regex already guards this
        raise _not_a_number(text) from None


def _too_large(text: object) -> NumberError:
    return NumberBoundsError(
        Msg(
            N_("“{value}” is too large: at most {digits} digits before the decimal point."),
            value=echo(str(text).strip()),
            digits=MAX_INTEGER_DIGITS,
        )
    )


def _check_bounds(value: Decimal, text: object) -> None:
    """At most 4 decimals and 15 integer digits; trailing zeros ("0,50000") do not count."""
    if value != 0 and value.adjusted() >= MAX_INTEGER_DIGITS:
        raise _too_large(text)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
        raise NumberBoundsError(
            Msg(
                N_("“{value}” has more than {places} decimal places."),
                value=echo(str(text).strip()),
                places=MAX_DECIMALS,
            )
        )


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
