"""The officer's note on an item: one limit and one check for every channel.

The bot, the web form and the JSON API all save notes through
:func:`forms.answers.record_answer`, which calls :func:`check_note`; so the same over-long or
unprintable note gets the same refusal everywhere, and nothing is silently cut.

Why 2,000 characters: the bot shows the full note on request as one Telegram message, whose
limit is 4,096 UTF-16 units. A character outside the Basic Multilingual Plane (an emoji) takes
two units, so 2,000 characters plus a heading always fit, whatever is typed.
"""

from __future__ import annotations

import unicodedata

from core.i18n import N_, Msg, UserError

NOTE_MAX_CHARS = 2000

# Direction overrides and isolates: they reorder the text around them (a file name or a
# score could be shown reversed), and no note needs them; Arabic or Hebrew text itself is fine.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class NoteError(UserError):
    """A note that cannot be stored as typed; the message names the limit or the character."""


def check_note(note: str) -> str:
    """The note to store (NFC, without surrounding spaces), or a refusal naming the problem.

    Refused: more than :data:`NOTE_MAX_CHARS` characters, control characters other than tab
    and line breaks (NUL cannot even be stored by PostgreSQL), direction overrides.
    """
    text = unicodedata.normalize("NFC", note).strip()
    if len(text) > NOTE_MAX_CHARS:
        raise NoteError(
            Msg(
                N_("The note is too long: {length} characters, at most {max} are allowed."),
                length=f"{len(text):,}".replace(",", "."),
                max=f"{NOTE_MAX_CHARS:,}".replace(",", "."),
            )
        )
    for position, char in enumerate(text, start=1):
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            raise NoteError(
                Msg(
                    N_(
                        "The note contains an invisible control character (U+{code}, "
                        "character {position}); remove it and send the note again."
                    ),
                    code=f"{ord(char):04X}",
                    position=position,
                )
            )
    return text
