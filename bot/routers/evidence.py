"""Evidence files sent in the chat: documents and photos, one by one or as an album.

Files attach to the item whose card is open (or, while explaining, to the explanation). The
size is checked before downloading (Telegram tells it), the type after, by content. Several
files sent together (an album) arrive as separate updates; each is stored as it arrives and
one acknowledgement lists them all once the album has been quiet for a moment.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass, field
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import keyboards, texts
from bot.conversation import Conversation, Walk
from bot.fit import TEXT_LIMIT, clip, visible_units
from bot.routers.common import Explain, Magic, bound_router
from bot.texts import t
from core.audit import Actor
from core.i18n import UserError
from core.timefmt import format_datetime
from forms.evidence import (
    attach_evidence,
    check_size,
    clean_name,
    item_files,
    remove_evidence,
)
from scoring.explanations import attach_explanation_file

log = logging.getLogger("cchc.bot")

FILES_SHOWN = 40  # files listed (each with its remove button) in one message; the rest counted


def router() -> Router:
    router = bound_router("evidence")
    router.message.register(on_file, Magic(F.document | F.photo))
    router.callback_query.register(on_files, keyboards.ItemCb.filter(F.d == "files"))
    router.callback_query.register(on_remove, keyboards.FileCb.filter())
    return router


@dataclass
class Batch:
    """What one album (or one single file) produced, for one acknowledgement."""

    locale: str
    target: str  # item code, or "x<review id>" while explaining
    sheet_id: int | None
    saved: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    evidence_ids: list[int] = field(default_factory=list)
    pending: int = 0
    timer: asyncio.TimerHandle | None = None


def _describe_file(message: Message) -> tuple[str, int | None, str]:
    """(file id, size Telegram reports, name) of the document or the largest photo."""
    if message.document is not None:
        doc = message.document
        # the name as the service stores it: no folders, control or direction characters
        return doc.file_id, doc.file_size, clean_name(doc.file_name, "tep")
    photo = max(message.photo or [], key=lambda p: (p.width * p.height, p.file_size or 0))
    name = f"anh-{message.date.strftime('%Y%m%d-%H%M%S')}-{message.message_id}.jpg"
    return photo.file_id, photo.file_size, name


async def _download(bot: Bot, file_id: str) -> bytes:
    buf = io.BytesIO()
    await bot.download(file_id, destination=buf, timeout=120)
    return buf.getvalue()


async def _store_one(message: Message, batch: Batch, actor: Actor, convo: Conversation) -> None:
    deps = convo.deps
    file_id, size, name = _describe_file(message)
    try:
        check_size(size, name, deps.max_bytes)
        data = await _download(convo.bot, file_id)
        common: dict[str, Any] = dict(
            data=data,
            name=name,
            files=deps.files,
            max_bytes=deps.max_bytes,
            now=deps.now(),
            page_ref=message.caption or "",
            tz=deps.tz,
        )
        if batch.target.startswith("x"):
            attached = await attach_explanation_file(actor, int(batch.target[1:]), **common)
        else:
            assert batch.sheet_id is not None
            attached = await attach_evidence(actor, batch.sheet_id, batch.target, **common)
    except UserError as exc:
        batch.refused.append(exc.render(batch.locale))
        return
    except Exception:  # a download that failed after its retries: say so, keep the others
        log.exception("could not store a file from chat %s", message.chat.id)
        batch.refused.append(f"“{name}”: " + t(batch.locale, texts.ERROR))
        return
    batch.evidence_ids.append(attached.evidence.id)
    if attached.duplicate:
        batch.duplicates.append(name)
    else:
        batch.saved.append(name)


async def _acknowledge(batch: Batch, convo: Conversation) -> None:
    locale = batch.locale
    lines: list[str] = []
    convo.forget()  # an album's reply comes after its last file: read the state afresh
    if batch.target.startswith("x"):
        data = await convo.data()
        ids = list(dict.fromkeys([*data.get("xf", []), *batch.evidence_ids]))
        await convo.state.update_data(xf=ids)
        if batch.saved or batch.duplicates:
            lines.append(t(locale, texts.EXPLAIN_FILES_COUNT, count=len(ids)))
        lines += ["⚠️ " + escape(r) for r in batch.refused]
        markup = keyboards.explain_keyboard(int(batch.target[1:]), locale, send=True)
        await convo.say("\n".join(lines), markup, edit=False)
        return
    code = batch.target
    if batch.saved:
        names = ", ".join(escape(n) for n in batch.saved)
        lines.append(t(locale, texts.FILES_SAVED, count=len(batch.saved), code=code, names=names))
    if batch.duplicates:
        names = ", ".join(escape(n) for n in batch.duplicates)
        lines.append(t(locale, texts.FILES_DUPLICATE, names=names))
    if batch.refused:
        lines.append("⚠️ " + t(locale, texts.FILES_REFUSED))
        lines += ["• " + escape(r) for r in batch.refused]
    sheet = await convo.sheet(batch.sheet_id) if batch.sheet_id else None
    if sheet is None or sheet.tree.item(code) is None:
        await convo.say("\n".join(lines), edit=False)
        return
    # the card again, below the files, with the new count and what is still missing
    await convo.show(code, sheet=sheet, notice="\n".join(lines), edit=False)


async def _target(convo: Conversation) -> tuple[str | None, int | None]:
    current = await convo.state.get_state()
    data = await convo.data()
    if current in (Explain.files.state, Explain.text.state, Explain.score.state):
        review = data.get("xr")
        return (f"x{review}" if isinstance(review, int) else None), None
    if current in (Walk.item.state, Walk.note.state):
        code, sheet_id = data.get("item"), data.get("a")
        if isinstance(code, str) and isinstance(sheet_id, int):
            return code, sheet_id
    return None, None


async def on_file(message: Message, actor: Actor, convo: Conversation) -> None:
    target, sheet_id = await _target(convo)
    if target is None:
        await convo.say(convo.t(texts.FILE_OUTSIDE_WALK))
        return
    if sheet_id is not None:
        name = escape(_describe_file(message)[2])
        too_early = convo.t(texts.FILE_BEFORE_CARD, name=name)
        lost = convo.t(texts.FILE_NOT_SAVED, name=name)
        if not await convo.sent_at_open_card(
            message, sheet_id, target, too_early=too_early, lost=lost
        ):
            return
    if message.media_group_id is None:
        batch = Batch(convo.locale, target, sheet_id)
        await _store_one(message, batch, actor, convo)
        await _acknowledge(batch, convo)
        return
    deps = convo.deps
    key = (message.chat.id, message.media_group_id)
    batch = deps.albums.setdefault(key, Batch(convo.locale, target, sheet_id))
    batch.pending += 1
    if batch.timer is not None:
        batch.timer.cancel()
        batch.timer = None
    try:
        await _store_one(message, batch, actor, convo)
    finally:
        batch.pending -= 1
    if batch.pending == 0:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            if batch.pending or deps.albums.get(key) is not batch:
                return
            del deps.albums[key]
            task = loop.create_task(_acknowledge(batch, convo))
            deps.album_replies.add(task)
            task.add_done_callback(deps.album_replies.discard)

        batch.timer = loop.call_later(deps.album_delay, fire)


# --- listing and removing ----------------------------------------------------------------------


async def _files_view(
    convo: Conversation, sheet_id: int, code: str
) -> tuple[str, InlineKeyboardMarkup]:
    locale, tz = convo.locale, convo.deps.tz
    sheet = await convo.sheet(sheet_id)
    files = await item_files(sheet_id, code)
    locked = sheet is None or sheet.locked is not None
    if not files:
        text = t(locale, texts.FILES_NONE, code=code)
    else:
        # as many files as fit one message (names and places cut); the rest are counted
        lines = [t(locale, texts.FILES_LIST, code=code)]
        shown = 0
        for number, f in enumerate(files, start=1):
            when = format_datetime(f.created_at, tz)
            entry = f"{number}. " + escape(clip(keyboards.file_line(f, locale, when), 160))
            if f.page_ref:
                entry += "\n   " + escape(clip(f.page_ref, 120))
            if shown >= FILES_SHOWN or visible_units("\n".join([*lines, entry])) > TEXT_LIMIT - 200:
                break
            lines.append(entry)
            shown += 1
        if shown < len(files):
            lines.append(t(locale, texts.FILES_MORE, count=len(files) - shown))
        text = "\n".join(lines)
        files = files[:shown]
    return text, keyboards.files_keyboard(sheet_id, code, files, locale, locked=locked)


async def on_files(cb: CallbackQuery, callback_data: keyboards.ItemCb, convo: Conversation) -> None:
    await cb.answer()
    if convo.pressed is not None:
        await convo.say(*await _files_view(convo, callback_data.a, callback_data.i))


async def on_remove(
    cb: CallbackQuery, callback_data: keyboards.FileCb, actor: Actor, convo: Conversation
) -> None:
    deps = convo.deps
    try:
        removed = await remove_evidence(actor, callback_data.e, now=deps.now(), tz=deps.tz)
    except UserError as exc:
        await cb.answer(exc.render(convo.locale)[:190], show_alert=True)
        return
    name, code = removed.original_name, callback_data.i
    await cb.answer(convo.t(texts.FILE_REMOVED, name=name, code=code)[:190])
    if convo.pressed is not None:
        await convo.say(*await _files_view(convo, callback_data.a, callback_data.i))
