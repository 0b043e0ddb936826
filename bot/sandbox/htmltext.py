"""Telegram's ``parse_mode=HTML``: markup in, plain text and entities out.

The sandbox parses bot text the way Telegram does, for two reasons. The bot must see the same
answer it would get from Telegram: a stray ``<`` in an officer's unit name that the bot forgot to
escape must fail here with Telegram's own "can't parse entities" error, not in production. And
the chat page must never render bot HTML: it gets plain text plus entities and builds the markup
itself, so nothing the bot sends can inject HTML into the page.

Offsets and lengths of entities are in UTF-16 code units, as in the Bot API. Error messages
follow Telegram's wording (the caller adds "Bad Request: can't parse entities: ").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SUPPORTED = {*_SIMPLE_TAGS, "a", "span", "blockquote", "tg-emoji", "tg-time"}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z]{1,10}));?")
_SPACE = " \t\r\n\f\v"
_TRIM = " \t\r\n"
_USER_LINK_RE = re.compile(r"^tg://user\?id=(\d{1,20})$")
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's wording."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Bot API entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    start: int  # UTF-16 offset in the output
    attrs: dict[str, str]
    language: str | None = None


def _decode_entity(source: str, i: int) -> tuple[str, int] | None:
    """Decode the HTML entity starting at ``source[i] == "&"``; None leaves the "&" literal."""
    match = _ENTITY_RE.match(source, i)
    if not match:
        return None
    dec, hexa, name = match.groups()
    if name is not None:
        if name not in _NAMED_ENTITIES:
            return None
        return _NAMED_ENTITIES[name], match.end()
    code = int(dec) if dec is not None else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _decode_text(raw: str) -> str:
    """Decode entities inside an attribute value."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "&" and (decoded := _decode_entity(raw, i)):
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.n = len(source)
        self.out: list[str] = []
        self.pos16 = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, i: int) -> int:
        return len(self.src[:i].encode("utf-8"))

    def fail(self, message: str) -> EntityParseError:
        return EntityParseError(message)

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.pos16 += utf16_len(text)

    def skip_spaces(self, i: int) -> int:
        while i < self.n and self.src[i] in _SPACE:
            i += 1
        return i

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        i = 0
        src = self.src
        while i < self.n:
            ch = src[i]
            if ch == "&":
                decoded = _decode_entity(src, i)
                if decoded:
                    self.emit(decoded[0])
                    i = decoded[1]
                    continue
                self.emit("&")
                i += 1
            elif ch == "<":
                closing = i + 1 < self.n and src[i + 1] == "/"
                i = self.end_tag(i) if closing else self.start_tag(i)
            else:
                j = i
                while j < self.n and src[j] not in "&<":
                    j += 1
                self.emit(src[i:j])
                i = j
        if self.stack:
            raise self.fail(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        return "".join(self.out), self.entities

    def start_tag(self, begin: int) -> int:
        src, n = self.src, self.n
        i = begin + 1
        while i < n and src[i] not in _SPACE and src[i] != ">":
            i += 1
        if i >= n:
            raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = src[begin + 1 : i].lower()
        if tag not in _SUPPORTED:
            raise self.fail(
                f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}'
            )
        attrs: dict[str, str] = {}
        while True:
            i = self.skip_spaces(i)
            if i >= n:
                raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if src[i] == ">":
                i += 1
                break
            name_start = i
            while i < n and src[i] not in _SPACE and src[i] not in "=>":
                i += 1
            name = src[name_start:i].lower()
            if not name:
                raise self.fail(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            i = self.skip_spaces(i)
            if i >= n:
                raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if src[i] != "=":
                if tag == "blockquote" and name == "expandable":
                    attrs[name] = ""
                    continue
                raise self.fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {self.byte_offset(begin)}'
                )
            i = self.skip_spaces(i + 1)
            if i >= n:
                raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if src[i] in "\"'":
                end = src.find(src[i], i + 1)
                if end < 0:
                    raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
                value = src[i + 1 : end]
                i = end + 1
            else:
                value_start = i
                while i < n and src[i] not in _SPACE and src[i] != ">":
                    i += 1
                value = src[value_start:i]
            attrs[name] = _decode_text(value)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise self.fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_Open(tag=tag, start=self.pos16, attrs=attrs))
        return i

    def end_tag(self, begin: int) -> int:
        src, n = self.src, self.n
        i = begin + 2
        while i < n and src[i] not in _SPACE and src[i] != ">":
            i += 1
        tag = src[begin + 2 : i].lower()
        i = self.skip_spaces(i)
        if i >= n or src[i] != ">":
            raise self.fail(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        i += 1
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        top = self.stack[-1]
        if tag != top.tag:
            raise self.fail(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{top.tag}>", found "</{tag}>"'
            )
        self.stack.pop()
        self.close(top)
        return i

    def close(self, opened: _Open) -> None:
        length = self.pos16 - opened.start
        if length <= 0:
            return
        entity: dict[str, Any] = {"offset": opened.start, "length": length}
        tag, attrs = opened.tag, opened.attrs
        if tag == "code" and self.stack and self.stack[-1].tag == "pre":
            language = attrs.get("class", "")
            if language.startswith("language-") and len(language) > len("language-"):
                # <pre><code class="language-x"> is one pre entity with a language
                self.stack[-1].language = language[len("language-") :]
                return
        if tag in _SIMPLE_TAGS:
            entity["type"] = _SIMPLE_TAGS[tag]
            if tag == "pre" and opened.language:
                entity["language"] = opened.language
        elif tag == "span":
            entity["type"] = "spoiler"
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        elif tag == "tg-emoji":
            emoji_id = attrs.get("emoji-id", "")
            if not emoji_id.isdigit():
                raise self.fail("Custom emoji entity must contain a valid custom emoji identifier")
            entity.update(type="custom_emoji", custom_emoji_id=emoji_id)
        elif tag == "tg-time":
            unix = attrs.get("unix", "")
            if not unix.lstrip("-").isdigit():
                raise self.fail("Date time entity must contain a valid unix time")
            entity.update(type="date_time", unix_time=int(unix))
            if attrs.get("format"):
                entity["date_time_format"] = attrs["format"]
        elif tag == "a":
            href = attrs.get("href", "").strip()
            if user := _USER_LINK_RE.match(href):
                entity.update(
                    type="text_mention",
                    user={"id": int(user.group(1)), "is_bot": False, "first_name": ""},
                )
            elif href:
                if not _SCHEME_RE.match(href):
                    href = "http://" + href
                entity.update(type="text_link", url=href)
            else:
                return
        self.entities.append(entity)


def sort_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Telegram's order: by offset, the enclosing (longer) entity first."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Drop leading and trailing whitespace as Telegram does, keeping entities aligned."""
    stripped = text.strip(_TRIM)
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip(_TRIM))])
    size = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of ``source`` in Telegram's HTML; raises EntityParseError."""
    text, entities = _Parser(source).run()
    return trim(text, sort_entities(entities))


_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
_URL_RE = re.compile(r"(?<![^\s(])https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram adds to what a person types: commands ("/start CODE") and links."""
    found: list[dict[str, Any]] = []
    for kind, regex in (("bot_command", _COMMAND_RE), ("url", _URL_RE)):
        for match in regex.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                }
            )
    return sort_entities(found)


# Entities inside which Telegram does not look for commands and links.
_OPAQUE = {"code", "pre", "text_link", "text_mention", "url", "bot_command", "custom_emoji"}


def with_detected(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the commands and links Telegram finds by itself in a bot's text, so "/help" in a
    bot message is an entity (and a tap target) as it is in Telegram."""
    opaque = [(e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] in _OPAQUE]
    extra = [
        found
        for found in detect_entities(text)
        if not any(
            found["offset"] < end and start < found["offset"] + found["length"]
            for start, end in opaque
        )
    ]
    return sort_entities([*entities, *extra]) if extra else entities
