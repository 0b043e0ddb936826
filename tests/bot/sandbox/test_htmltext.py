"""Telegram's HTML parse mode, reproduced: what the bot's formatted texts will become."""

from __future__ import annotations

import pytest

from bot.sandbox.htmltext import EntityParseError, detect_entities, parse_html, utf16_len


def test_tags_become_entities_in_utf16_units() -> None:
    text, entities = parse_html(
        "😀 <b>Đạt <i>90,5</i></b> &lt;điểm&gt; <a href='https://x.vn/a?b=1&amp;c=2'>xem</a>"
    )
    assert text == "😀 Đạt 90,5 <điểm> xem"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 8},
        {"type": "italic", "offset": 7, "length": 4},
        {"type": "text_link", "offset": 19, "length": 3, "url": "https://x.vn/a?b=1&c=2"},
    ]
    assert utf16_len("😀") == 2


def test_pre_with_language_spoilers_quotes_and_trimming() -> None:
    text, entities = parse_html(
        '\n <pre><code class="language-python">x = 1</code></pre>'
        '<span class="tg-spoiler">bí mật</span><blockquote expandable>trích</blockquote>  \n'
    )
    assert text == "x = 1bí mậttrích"
    assert [e["type"] for e in entities] == ["pre", "spoiler", "expandable_blockquote"]
    assert entities[0]["language"] == "python"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("Đơn vị <Sở>", 'Unsupported start tag "sở" at byte offset 11'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<a href=", "Unclosed start tag at byte offset 0"),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
    ],
)
def test_invalid_markup_is_refused_with_telegrams_words(source: str, message: str) -> None:
    with pytest.raises(EntityParseError) as error:
        parse_html(source)
    assert str(error.value) == message


def test_lenient_where_telegram_is_lenient() -> None:
    assert parse_html("A & B > C &nbsp; &#7871;") == ("A & B > C &nbsp; ế", [])


def test_commands_and_links_in_what_people_type() -> None:
    assert detect_entities("/start ABC") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert detect_entities("xem https://snv.gov.vn/a, rồi /help") == [
        {"type": "url", "offset": 4, "length": 20},
        {"type": "bot_command", "offset": 30, "length": 5},
    ]
    assert detect_entities("a/b và 1/2, đường/dẫn") == []
    assert detect_entities("(/help), /nop@cchc_bot.") == [
        {"type": "bot_command", "offset": 1, "length": 5},
        {"type": "bot_command", "offset": 9, "length": 13},
    ]
