"""Evidence files (tài liệu kiểm chứng) attached to an answer (or, through
:func:`scoring.explanations.attach_explanation_file`, to an explanation).

The same rules for every channel: a size limit from the settings, an allowlist of types checked
by the file's content (a renamed .exe called "baocao.pdf" is refused), the same bytes sent twice
for one item are recognised as a duplicate, a file is removed softly (the row stays for the
audit trail) and every change writes an audit event. The bytes go to the content-addressed store
(:mod:`core.files`); the database keeps the hash, size, original name, detected type and who
uploaded it.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from core.audit import Actor, record
from core.files import FileStore, sha256_of
from core.i18n import N_, Msg, UserError
from core.numbers import format_score
from core.timefmt import VIETNAM
from forms.answers import NotAllowedError, answer_row, check_actor, check_open
from forms.models import Answer, Assessment, Evidence
from forms.outline import OutlineNode, outline

ALLOWED_TYPES_TEXT = "PDF, Word (doc, docx), Excel (xls, xlsx), ODT, ODS, JPG, PNG"
MB = 1024 * 1024


class EvidenceError(UserError):
    """A file that cannot be kept (too large, wrong type); nothing is stored."""


@dataclass(frozen=True)
class FileKind:
    ext: str
    content_type: str


PDF = FileKind("pdf", "application/pdf")
JPG = FileKind("jpg", "image/jpeg")
PNG = FileKind("png", "image/png")
DOC = FileKind("doc", "application/msword")
XLS = FileKind("xls", "application/vnd.ms-excel")
DOCX = FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
ODT = FileKind("odt", "application/vnd.oasis.opendocument.text")
ODS = FileKind("ods", "application/vnd.oasis.opendocument.spreadsheet")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODF = {ODT.content_type: ODT, ODS.content_type: ODS}


def detect_type(data: bytes) -> FileKind | None:
    """The file's real type from its first bytes (and, for Office files, its inner layout);
    None when it is not one of the allowed types."""
    head = data[:8]
    if data[:5] == b"%PDF-":
        return PDF
    if head[:3] == b"\xff\xd8\xff":
        return JPG
    if head == b"\x89PNG\r\n\x1a\n":
        return PNG
    if head == _OLE_MAGIC:
        return _detect_ole(data)
    if head[:4] == b"PK\x03\x04":
        return _detect_zip(data)
    return None


def _detect_ole(data: bytes) -> FileKind | None:
    """Old Office files: the stream names sit in the directory, in UTF-16."""
    if "WordDocument".encode("utf-16-le") in data:
        return DOC
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") + b"\x00\x00" in data:
        return XLS
    return None


def _detect_zip(data: bytes) -> FileKind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > 200:
                    return None
                return _ODF.get(archive.read("mimetype").decode("ascii", "replace").strip())
            if any(name.endswith("vbaProject.bin") for name in names):
                return None  # macro-enabled (docm, xlsm): not on the allowlist
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError):
        return None
    return None


def clean_name(name: str | None, fallback: str) -> str:
    """A file name safe to show and store: no folders, no control characters, at most 255."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return (name or fallback)[:255]


def size_text(size: int, locale: str = "vi") -> str:
    """ "25,3 MB" / "480 KB": how people read file sizes."""
    if size >= MB:
        return f"{format_score(Decimal(size) / MB, locale, places=1)} MB"
    return f"{max(1, round(size / 1024))} KB"


def check_size(size: int | None, name: str, max_bytes: int) -> None:
    """Refuse a file over the limit (called before downloading, with the size Telegram gives)."""
    if size is not None and size > max_bytes:
        raise EvidenceError(
            Msg(
                N_(
                    "The file “{name}” is {size}, over the limit of {limit} per file; nothing "
                    "was saved. Send a smaller file, e.g. split it or scan at a lower resolution."
                ),
                name=name,
                size=_Size(size),
                limit=_Size(max_bytes),
            )
        )


class _Size(Msg):
    """A size inside a message, written with the reader's decimal separator."""

    __slots__ = ()

    def __init__(self, size: int) -> None:
        super().__init__("{size}", size=size)

    def render(self, locale: str | None = None) -> str:
        return size_text(self.params["size"], locale or "vi")


def check_content(data: bytes, name: str) -> FileKind:
    kind = detect_type(data)
    if kind is None:
        raise EvidenceError(
            Msg(
                N_(
                    "The file “{name}” is not an accepted type; nothing was saved. Accepted: "
                    "{types}."
                ),
                name=name,
                types=ALLOWED_TYPES_TEXT,
            )
        )
    return kind


@dataclass(frozen=True)
class Attached:
    evidence: Evidence
    duplicate: bool  # the same bytes were already attached to this item: nothing new stored


async def _answer_for(assessment: Assessment, code: str) -> tuple[Answer, OutlineNode]:
    """The item's answer row, created empty (version 0) when files come before the answer."""
    node = (await outline(assessment.criteria_set_id)).by_code.get(code)  # type: ignore[attr-defined]
    if node is None or node.level != "item":
        raise UserError(Msg(N_("There is no item “{code}” in this criteria set."), code=code))
    answer = await answer_row(assessment.id, node.id)
    return answer, node


async def store_file(
    actor: Actor,
    answer: Answer,
    *,
    item: str,
    unit_id: int,
    data: bytes,
    name: str,
    max_bytes: int,
    files: FileStore,
    page_ref: str,
    action: str,
) -> Attached:
    """Keep one checked file for ``answer`` (the caller checked who may attach it, and when):
    one code path for an answer's files and for the files of an explanation."""
    check_size(len(data), name, max_bytes)
    kind = check_content(data, name)
    digest = sha256_of(data)
    existing = await Evidence.filter(answer_id=answer.id, sha256=digest, removed_at=None).first()
    if existing is not None:
        return Attached(existing, duplicate=True)
    await files.put(data)
    async with in_transaction():
        evidence = await Evidence.create(
            answer_id=answer.id,
            sha256=digest,
            size=len(data),
            original_name=name,
            content_type=kind.content_type,
            page_ref=page_ref.strip()[:255],
            uploaded_by_officer_id=actor.id if actor.kind == "officer" else None,
            uploaded_by_user_id=actor.id if actor.kind == "user" else None,
            channel=actor.channel.value,
        )
        await record(
            actor,
            action,
            "evidence",
            evidence.id,
            unit_id=unit_id,
            new={
                "item": item,
                "name": name,
                "sha256": digest,
                "size": len(data),
                "type": kind.ext,
                "page_ref": evidence.page_ref,
            },
        )
    return Attached(evidence, duplicate=False)


async def attach_evidence(
    actor: Actor,
    assessment_id: int,
    item_code: str,
    *,
    data: bytes,
    name: str | None,
    files: FileStore,
    max_bytes: int,
    now: datetime,
    page_ref: str = "",
    tz: ZoneInfo = VIETNAM,
) -> Attached:
    """Attach a file to an item of a draft score sheet (same checks as answering)."""
    assessment = await Assessment.get_or_none(id=assessment_id).prefetch_related("period")
    if assessment is None:
        raise NotAllowedError(Msg(N_("This score sheet does not exist.")))
    as_admin = await check_actor(actor, assessment)
    check_open(assessment.period, assessment, now, as_admin=as_admin, tz=tz)
    shown = clean_name(name, "tep")
    check_size(len(data), shown, max_bytes)
    if not data:  # before the type check, which would call an empty file "not accepted"
        raise EvidenceError(
            Msg(N_("The file “{name}” is empty (0 bytes); nothing was saved."), name=shown)
        )
    check_content(data, shown)
    answer, node = await _answer_for(assessment, item_code)
    return await store_file(
        actor,
        answer,
        item=node.code,
        unit_id=assessment.unit_id,  # type: ignore[attr-defined]
        data=data,
        name=shown,
        max_bytes=max_bytes,
        files=files,
        page_ref=page_ref,
        action="evidence.attach",
    )


async def remove_evidence(
    actor: Actor, evidence_id: int, *, now: datetime, tz: ZoneInfo = VIETNAM
) -> Evidence:
    """Remove a file from its item (softly: the row and the bytes stay for the audit trail)."""
    evidence = await Evidence.get_or_none(id=evidence_id).prefetch_related(
        "answer__assessment__period", "answer__node"
    )
    if evidence is None or evidence.removed_at is not None:
        raise UserError(Msg(N_("This file was already removed.")))
    assessment = evidence.answer.assessment
    as_admin = await check_actor(actor, assessment)
    check_open(assessment.period, assessment, now, as_admin=as_admin, tz=tz)
    async with in_transaction():
        changed = await Evidence.filter(id=evidence.id, removed_at=None).update(removed_at=now)
        if changed == 0:
            raise UserError(Msg(N_("This file was already removed.")))
        await record(
            actor,
            "evidence.remove",
            "evidence",
            evidence.id,
            unit_id=assessment.unit_id,  # type: ignore[attr-defined]
            old={"item": evidence.answer.node.code, "name": evidence.original_name},
        )
    evidence.removed_at = now
    return evidence


async def item_files(assessment_id: int, item_code: str) -> list[Evidence]:
    """The files currently attached to one item, oldest first."""
    return await Evidence.filter(
        answer__assessment_id=assessment_id, answer__node__code=item_code, removed_at=None
    ).order_by("id")
