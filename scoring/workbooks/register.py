"""A unit's evidence register (danh mục tài liệu kiểm chứng) and the zip of its evidence.

The register lists every evidence file the unit attached in the period (removed files are not
listed): item code and title, file name, page or section, size, SHA-256, who uploaded it and
when, whether it came with an explanation, where it sits in the zip, and a download link. Rows
are grouped under their top-level section (Roman numeral, capitals), in questionnaire order.

The zip arranges the files "khoa học", as the guidance asks: one folder per field, one folder
per item code inside it, the register itself at the top::

    TLKC SNV 2026/
        Danh mục tài liệu kiểm chứng SNV 2026.xlsx
        1. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CCHC/
            1.1.1/Kế hoạch CCHC 2026.pdf
            1.1.3/Báo cáo.pdf
            1.1.3/Báo cáo (2).pdf          (same name twice in one item)
        C. ĐIỂM CỘNG/
            C.1/Quyết định công nhận.pdf

It is written as a stream (:func:`zip_chunks`): one file is read, checked against its SHA-256 and
compressed at a time, so a unit with gigabytes of evidence costs no more memory than its largest
file. A file missing from the store (or damaged) becomes a short text file saying so, instead of
breaking a download that has already started.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from core.i18n import N_, gettext
from core.timefmt import format_datetime
from core.xlsx import Book, Link, roman, upper_vi
from forms.outline import Outline
from scoring.workbooks.model import PeriodInfo
from scoring.workbooks.paths import path_part
from scoring.workbooks.scorecard import EvidenceEntry, head_rows

HEADERS = (
    N_("No."),
    N_("Item code"),
    N_("Component criterion"),
    N_("File name"),
    N_("Page / section"),
    N_("Size (bytes)"),
    N_("SHA-256"),
    N_("Uploaded by"),
    N_("Uploaded at"),
    N_("Attached with"),
    N_("Place in the zip file"),
    N_("Download"),
)
WIDTH = len(HEADERS)

# Types that are compressed already: storing them is as small and much faster.
_STORED_TYPES = (
    "image/",
    "video/",
    "audio/",
    "application/zip",
    "application/x-7z",
    "application/x-rar",
    "application/vnd.openxmlformats",
    "application/vnd.oasis.opendocument",
)


@dataclass
class RegisterInput:
    period: PeriodInfo
    generated_at: datetime
    tz: ZoneInfo
    unit_code: str
    unit_name: str
    group_name: str
    criteria: Outline
    files: list[EvidenceEntry]  # in questionnaire order, oldest first within an item
    download_url: Callable[[int], str]
    locale: str = "vi"


@dataclass
class RegisterStats:
    files: int
    cells: int


class _T:
    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, msgid: str) -> str:
        return gettext(msgid, self.locale)


def folder_name(unit_code: str, year: int, locale: str = "vi") -> str:
    return path_part(gettext("Evidence {unit} {year}", locale).format(unit=unit_code, year=year))


def register_file_name(unit_code: str, year: int, locale: str = "vi") -> str:
    return path_part(
        gettext("Evidence register {unit} {year}", locale).format(unit=unit_code, year=year)
        + ".xlsx"
    )


N_("Evidence {unit} {year}")
N_("Evidence register {unit} {year}")


def assign_zip_paths(files: list[EvidenceEntry], cset: Outline, root: str) -> None:
    """Give every file its place in the zip: root / field / item code / file name, with
    " (2)", " (3)"… when an item has two files of the same name."""
    taken: set[str] = set()
    for e in files:
        field_node = cset.root_of(e.item_code) if e.item_code in cset.by_code else None
        field_dir = (
            path_part(f"{field_node.code}. {upper_vi(field_node.title)}", limit=60)
            if field_node is not None
            else "_"
        )
        item_dir = path_part(e.item_code, limit=32)
        name = path_part(e.name, fallback=f"file-{e.id}", limit=100)
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            stem, ext = name, ""
        candidate, n = name, 2
        while f"{root}/{field_dir}/{item_dir}/{candidate}".lower() in taken:
            candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
            n += 1
        path = f"{root}/{field_dir}/{item_dir}/{candidate}"
        taken.add(path.lower())
        e.zip_path = path if e.stored else path + ".missing.txt"


def write_register(data: RegisterInput, target: str | Path | IO[bytes]) -> RegisterStats:
    """Write the register workbook; runs in a worker thread."""
    t = _T(data.locale)
    cset = data.criteria
    title = t("REGISTER OF EVIDENCE DOCUMENTS")
    book = Book(target, title=title)
    sheet = book.sheet(
        t("Evidence register"), widths=(6, 9, 36, 34, 12, 12, 20, 20, 15, 12, 36, 10)
    )
    header_row = 7
    sheet.freeze(f"A{header_row + 1}")
    sheet.print_titles(header_row, header_row)
    head_rows(sheet, t, cset.issuing_body, data.unit_name)
    sheet.blank()
    sheet.merged_row(title, "title", height=24)
    sheet.merged_row(
        t("Unit: {unit} — Period: {period}").format(unit=data.unit_name, period=data.period.name),
        "subtitle",
    )
    sheet.merged_row(
        t("{count} file(s). Generated at {when}.").format(
            count=len(data.files), when=format_datetime(data.generated_at, data.tz)
        ),
        "caption",
    )
    header = sheet.row([t(h) for h in HEADERS], sheet.styles(*["header"] * WIDTH), height=32)
    assert header == header_row, "the frozen panes and print titles expect the header here"
    styles = sheet.styles(
        "int",
        "text_center",
        "text_small",
        "text",
        "text_small",
        "bytes",
        "mono",
        "text_small",
        "datetime",
        "text_small",
        "text_small",
        "link",
    )
    group_styles = sheet.styles("group_center", *["group"] * (WIDTH - 1))
    roots = {r.code: i for i, r in enumerate(cset.roots, start=1)}
    current: str | None = None
    download = t("Download")
    for stt, e in enumerate(data.files, start=1):
        root = cset.root_of(e.item_code) if e.item_code in cset.by_code else None
        if root is not None and root.code != current:
            current = root.code
            r = sheet.row(
                [roman(roots[root.code]), upper_vi(f"{root.code}. {root.title}")]
                + [None] * (WIDTH - 2),
                group_styles,
            )
            sheet.merge(r, 2, WIDTH)
        node = cset.by_code.get(e.item_code)
        kind = t("the explanation") if e.for_explanation else t("the self-assessment")
        values: tuple[Any, ...] = (
            stt,
            e.item_code,
            node.title if node is not None else None,
            e.name,
            e.page_ref or None,
            e.size,
            e.sha256,
            e.uploader or None,
            e.created_at.astimezone(data.tz) if e.created_at else None,
            kind,
            e.zip_path or None,
            Link(download, data.download_url(e.id)),
        )
        sheet.row(values, styles)
    if not data.files:
        sheet.merged_row(t("The unit has not attached any evidence file."), "text_italic")
    cells = book.cells_written
    book.close()
    return RegisterStats(files=len(data.files), cells=cells)


N_("REGISTER OF EVIDENCE DOCUMENTS")
N_("Evidence register")
N_("{count} file(s). Generated at {when}.")
N_("Download")
N_("the explanation")
N_("the self-assessment")
N_("The unit has not attached any evidence file.")


# ----------------------------------------------------------------------------------------------
# The zip, as a stream
# ----------------------------------------------------------------------------------------------


class _Sink(io.RawIOBase):
    """A write-only, non-seekable buffer: zipfile then writes data descriptors and never seeks
    back, so what it wrote can be handed out at once."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        return len(chunk)

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def _compression(content_type: str) -> int:
    if content_type.startswith(_STORED_TYPES):
        return zipfile.ZIP_STORED
    return zipfile.ZIP_DEFLATED


def zip_chunks(
    files: list[EvidenceEntry],
    read: Callable[[str], bytes],
    extra: list[tuple[str, bytes]],
    *,
    tz: ZoneInfo,
    locale: str = "vi",
    chunk: int = 1 << 20,
    on_file: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The zip as a sequence of byte chunks: ``extra`` (path, bytes) entries first (the
    register), then every file read with ``read(sha256)``. Blocking: iterate it in a thread."""
    sink = _Sink()
    zf = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
    missing = gettext(
        "The file “{name}” (SHA-256 {sha}) of item {code} is missing or damaged in the "
        "evidence store; tell the administrator.",
        locale,
    )
    try:
        for path, data in extra:
            zf.writestr(path, data)
            out = sink.take()
            if out:
                yield out
        for done, e in enumerate(files, start=1):
            stamp = e.created_at.astimezone(tz) if e.created_at else None
            date_time = (
                (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
                if stamp is not None and stamp.year >= 1980
                else (1980, 1, 1, 0, 0, 0)
            )
            data: bytes | None = None
            if e.stored:
                try:
                    data = read(e.sha256)
                except Exception:  # missing or damaged: say so in the zip, keep going
                    data = None
            if data is None:
                path = (
                    e.zip_path
                    if e.zip_path.endswith(".missing.txt")
                    else (e.zip_path + ".missing.txt")
                )
                info = zipfile.ZipInfo(path, date_time=date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(
                    info,
                    missing.format(name=e.name, sha=e.sha256, code=e.item_code).encode("utf-8"),
                )
            else:
                info = zipfile.ZipInfo(e.zip_path, date_time=date_time)
                info.compress_type = _compression(e.content_type)
                info.file_size = len(data)
                with zf.open(info, "w", force_zip64=len(data) > 0x7FFFFFFF) as fh:
                    view = memoryview(data)
                    for start in range(0, len(data), chunk):
                        fh.write(view[start : start + chunk])
                        out = sink.take()
                        if out:
                            yield out
                del data
            if on_file is not None:
                on_file(done)
            out = sink.take()
            if out:
                yield out
    finally:
        zf.close()
    out = sink.take()
    if out:
        yield out


N_(
    "The file “{name}” (SHA-256 {sha}) of item {code} is missing or damaged in the evidence "
    "store; tell the administrator."
)
