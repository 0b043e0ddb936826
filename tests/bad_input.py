"""The bad-input corpus: what officers, secretaries and attackers have been seen to type or send.

Every input route of the service (the bot, the web form, the JSON API, the workbook imports) is
fed these values by its own corpus test, which asserts a clear refusal, no 5xx and no row changed.
The lists are plain data so that each channel's test picks what applies to its fields.
"""

from __future__ import annotations

# Typed where a number is expected (percent, count, points, appraised score, band bound, cap).
BAD_NUMBERS: list[str] = [
    "",
    " ",
    "abc",
    "1,2,3",
    "1..2",
    "--1",
    "-1",
    "+-2",
    "1e5",
    "1E+20",
    "inf",
    "Infinity",
    "NaN",
    "nan",
    "0x10",
    "1_000",
    "１",  # full-width digit one
    "٣",  # Arabic-Indic digit three
    "३",  # Devanagari digit three
    "𝟓",  # mathematical bold digit five
    "²",  # superscript two
    "½",
    "Ⅲ",  # Roman numeral three
    "99999999999999999999",
    "9" * 400,
    "9" * 4000,
    "9" * 4301,
    "1." + "1" * 21,
    "0,123456",
    "12,5,5",
    "5%%",
    "%",
    "1 2",
    "1\x002",
    "1\n2",
    "\u202e5",  # right-to-left override before a digit
    "5\u200b",  # zero-width space after a digit
]

# Free text (notes, comments, reasons, explanations, names, titles).
BAD_TEXTS: list[str] = [
    "\x00",
    "ghi chú\x00ẩn",
    "\x07\x08\x1b[31mđỏ\x1b[0m",
    "\u202eđảo chiều\u202c",
    "مرحبا بالعالم",
    "🙂" * 50,
    "a" * 255,
    "a" * 256,
    "ả" * 4096,
    "ả" * 4097,
    "x" * 100_000,
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1:A2)",
    "\t=cmd",
    "\r=cmd",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "'; DROP TABLE answer; --",
]

# Lengths that sit on the documented limits and just past them.
LIMIT_LENGTHS: list[int] = [255, 256, 4096, 4097, 100_000]

# File names of uploads.
BAD_FILE_NAMES: list[str] = [
    "",
    ".",
    "..",
    "../../etc/passwd",
    "a" * 300 + ".pdf",
    "con.pdf",
    "tệp\x00.pdf",
    "\u202efdp.exe",
    "report.pdf.exe",
]

# File contents that claim to be something they are not.
BAD_FILE_CONTENTS: dict[str, bytes] = {
    "empty": b"",
    "text_as_pdf": b"just text, not a PDF",
    "html_as_pdf": b"<html><script>alert(1)</script></html>",
    "zip_not_xlsx": b"PK\x03\x04" + b"\x00" * 64,
}

# XML declarations inside an .xlsx part: an entity-expansion ("billion laughs") bomb and an
# external entity. Excel never writes either; a workbook import must refuse both unexpanded.
XML_BOMB = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)
XML_EXTERNAL_ENTITY = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def with_xml_declaration(xlsx: bytes, declaration: bytes, part: str = "xl/workbook.xml") -> bytes:
    """The workbook with ``declaration`` (a DOCTYPE) put in front of one of its XML parts."""
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                if data.startswith(b"<?xml"):
                    head, end, rest = data.partition(b"?>")
                    data = head + end + declaration + rest
                else:
                    data = declaration + data
            target.writestr(info.filename, data)
    return out.getvalue()
