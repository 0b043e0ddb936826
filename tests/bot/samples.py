"""Small real files of every accepted type, and some that must be refused."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64  # a program, whatever its name says


def pdf(text: str) -> bytes:
    """A distinct PDF per text, so that files differ by content."""
    return PDF + f"% {text}\n".encode()


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buf.getvalue()


def docx() -> bytes:
    return _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def docm() -> bytes:
    return _zip({"word/document.xml": b"<w:document/>", "word/vbaProject.bin": b"macro"})


def xlsx() -> bytes:
    wb = Workbook()
    wb.active.append(["Kết quả", 45, 50])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ods() -> bytes:
    return _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})


def odt() -> bytes:
    return _zip({"mimetype": b"application/vnd.oasis.opendocument.text"})


def ole(stream: str) -> bytes:
    """An old Office file: the compound-file signature and a directory naming its stream."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 56 + stream.encode("utf-16-le")


def plain_zip() -> bytes:
    return _zip({"notes.txt": b"hello"})
