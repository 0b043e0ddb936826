"""Translations for everything a person reads.

Message ids are English (the second locale) and Vietnamese, the default locale, comes from
gettext catalogs under ``core/locales/vi/*.po``. The catalogs are compiled in memory when first
used, so there is no build step that a fresh clone could miss. Several ``.po`` files per
language are merged so that each area of the product keeps its own file.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "vi"
SUPPORTED_LOCALES = ("vi", "en")


def N_(msgid: str) -> str:
    """Mark a string for extraction without translating it yet (it is rendered later)."""
    return msgid


@cache
def translations(locale: str) -> NullTranslations:
    """Merge every catalog of ``locale``; English needs none because ids are English."""
    folder = LOCALES_DIR / locale
    if locale == "en" or not folder.is_dir():
        return NullTranslations()
    merged: Translations | None = None
    for po_path in sorted(folder.glob("*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buf = io.BytesIO()
        write_mo(buf, catalog, use_fuzzy=False)
        buf.seek(0)
        part = Translations(buf)
        if merged is None:
            merged = part
        else:
            merged.merge(part)
    return merged or NullTranslations()


def normalize_locale(locale: str | None) -> str:
    """Map "en-US", "vi_VN" or None to a supported locale, falling back to Vietnamese."""
    if not locale:
        return DEFAULT_LOCALE
    short = locale.replace("_", "-").split("-")[0].lower()
    return short if short in SUPPORTED_LOCALES else DEFAULT_LOCALE


def gettext(msgid: str, locale: str | None = None) -> str:
    return translations(normalize_locale(locale)).gettext(msgid)


class Msg:
    """A message to show a person, kept untranslated until the reader's locale is known.

    Pure rule code returns or raises these so it never needs to know who is reading.
    """

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params

    def render(self, locale: str | None = None) -> str:
        params = {
            k: (v.render(locale) if isinstance(v, Msg) else v) for k, v in self.params.items()
        }
        text = gettext(self.msgid, locale)
        return text.format(**params) if params else text

    def __str__(self) -> str:
        return self.render(DEFAULT_LOCALE)

    def __repr__(self) -> str:
        return f"Msg({self.msgid!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and other.msgid == self.msgid and other.params == self.params

    def __hash__(self) -> int:
        return hash(self.msgid)


class UserError(Exception):
    """An error a person can act on: carries a :class:`Msg`, never a stack trace."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(msg.msgid)
        self.msg = msg

    def render(self, locale: str | None = None) -> str:
        return self.msg.render(locale)

    def __str__(self) -> str:
        return self.msg.render(DEFAULT_LOCALE)
