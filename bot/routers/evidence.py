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

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards, texts
from bot.deps import BotDeps
from bot.fit import TEXT_LIMIT, clip, visible_units
from bot.routers.common import (
    Explain,
    RouterSpec,
    Walk,
    reload,
    send_or_edit,
    sent_at_open_card,
    show_item,
)
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

router = RouterSpec("evidence", bound=True)
FILES_SHOWN = 40  # files listed (each with its remove button) in one message; the rest counted


@dataclass
class _Batch:
    """What one album (or one single file) produced, for one acknowledgement."""

    chat_id: int
    locale: str
    target: str  # item code, or "x<review id>" while explaining
    sheet_id: int | None
    saved: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    evidence_ids: list[int] = field(default_factory=list)
    pending: int = 0
    timer: asyncio.TimerHandle | None = None


class Albums:
    """Collects the files of one media group and replies once, after a quiet moment."""

    def __init__(self) -> None:
        self.batches: dict[tuple[int, str], _Batch] = {}
        self.tasks: set[asyncio.Task[None]] = set()


def _albums(deps: BotDeps) -> Albums:
    albums = deps.extra.get("albums")
    if not isinstance(albums, Albums):
        albums = Albums()
        deps.extra["albums"] = albums
    return albums


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


async def _store_one(
    message: Message,
    batch: _Batch,
    *,
    actor: Actor,
    bot: Bot,
    deps: BotDeps,
) -> None:
    file_id, size, name = _describe_file(message)
    try:
        check_size(size, name, deps.max_bytes)
        data = await _download(bot, file_id)
        if batch.target.startswith("x"):
            attached = await attach_explanation_file(
                actor,
                int(batch.target[1:]),
                data=data,
                name=name,
                files=deps.files,
                max_bytes=deps.max_bytes,
                now=deps.now(),
                page_ref=message.caption or "",
                tz=deps.tz,
            )
        else:
            assert batch.sheet_id is not None
            attached = await attach_evidence(
                actor,
                batch.sheet_id,
                batch.target,
                data=data,
                name=name,
                files=deps.files,
                max_bytes=deps.max_bytes,
                now=deps.now(),
                page_ref=message.caption or "",
                tz=deps.tz,
            )
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


async def _acknowledge(batch: _Batch, *, bot: Bot, state: FSMContext, deps: BotDeps) -> None:
    locale = batch.locale
    lines: list[str] = []
    if batch.target.startswith("x"):
        data = await state.get_data()
        ids = list(dict.fromkeys([*data.get("xf", []), *batch.evidence_ids]))
        await state.update_data(xf=ids)
        if batch.saved or batch.duplicates:
            lines.append(t(locale, texts.EXPLAIN_FILES_COUNT, count=len(ids)))
        lines += ["⚠️ " + escape(r) for r in batch.refused]
        await bot.send_message(
            batch.chat_id,
            "\n".join(lines),
            reply_markup=keyboards.explain_send_keyboard(int(batch.target[1:]), locale),
        )
        return
    code = batch.target
    if batch.saved:
        lines.append(
            t(
                locale,
                texts.FILES_SAVED,
                count=len(batch.saved),
                code=code,
                names=", ".join(escape(n) for n in batch.saved),
            )
        )
    if batch.duplicates:
        lines.append(
            t(locale, texts.FILES_DUPLICATE, names=", ".join(escape(n) for n in batch.duplicates))
        )
    if batch.refused:
        lines.append("⚠️ " + t(locale, texts.FILES_REFUSED))
        lines += ["• " + escape(r) for r in batch.refused]
    sheet = await reload(batch.sheet_id, deps) if batch.sheet_id else None
    if sheet is None or sheet.tree.item(code) is None:
        await bot.send_message(batch.chat_id, "\n".join(lines))
        return
    # the card again, below the files, with the new count and what is still missing
    await show_item(
        bot=bot,
        chat_id=batch.chat_id,
        state=state,
        deps=deps,
        locale=locale,
        sheet=sheet,
        code=code,
        notice="\n".join(lines),
    )


async def _target(state: FSMContext) -> tuple[str | None, int | None]:
    current = await state.get_state()
    data = await state.get_data()
    if current in (Explain.files.state, Explain.text.state, Explain.score.state):
        review = data.get("xr")
        return (f"x{review}" if isinstance(review, int) else None), None
    if current in (Walk.item.state, Walk.note.state):
        code, sheet_id = data.get("item"), data.get("a")
        if isinstance(code, str) and isinstance(sheet_id, int):
            return code, sheet_id
    return None, None


@router.message(F.document | F.photo)
async def on_file(
    message: Message, actor: Actor, locale: str, bot: Bot, state: FSMContext, deps: BotDeps
) -> None:
    target, sheet_id = await _target(state)
    if target is None:
        await message.answer(t(locale, texts.FILE_OUTSIDE_WALK))
        return
    if sheet_id is not None:
        name = escape(_describe_file(message)[2])
        if not await sent_at_open_card(
            message,
            await state.get_data(),
            sheet_id,
            target,
            too_early=t(locale, texts.FILE_BEFORE_CARD, name=name),
            lost=t(locale, texts.FILE_NOT_SAVED, name=name),
            bot=bot,
            state=state,
            deps=deps,
            locale=locale,
        ):
            return
    if message.media_group_id is None:
        batch = _Batch(message.chat.id, locale, target, sheet_id)
        await _store_one(message, batch, actor=actor, bot=bot, deps=deps)
        await _acknowledge(batch, bot=bot, state=state, deps=deps)
        return
    albums = _albums(deps)
    key = (message.chat.id, message.media_group_id)
    batch = albums.batches.get(key)
    if batch is None:
        batch = albums.batches[key] = _Batch(message.chat.id, locale, target, sheet_id)
    batch.pending += 1
    if batch.timer is not None:
        batch.timer.cancel()
        batch.timer = None
    try:
        await _store_one(message, batch, actor=actor, bot=bot, deps=deps)
    finally:
        batch.pending -= 1
    if batch.pending == 0:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            if batch.pending or albums.batches.get(key) is not batch:
                return
            del albums.batches[key]
            task = loop.create_task(_acknowledge(batch, bot=bot, state=state, deps=deps))
            albums.tasks.add(task)
            task.add_done_callback(albums.tasks.discard)

        batch.timer = loop.call_later(deps.album_delay, fire)


# --- listing and removing ----------------------------------------------------------------------


async def _files_view(sheet_id: int, code: str, locale: str, deps: BotDeps) -> tuple[str, object]:
    sheet = await reload(sheet_id, deps)
    files = await item_files(sheet_id, code)
    locked = sheet is None or sheet.locked is not None
    if not files:
        text = t(locale, texts.FILES_NONE, code=code)
    else:
        # as many files as fit one message (names and places cut); the rest are counted
        lines = [t(locale, texts.FILES_LIST, code=code)]
        shown = 0
        for number, f in enumerate(files, start=1):
            when = format_datetime(f.created_at, deps.tz)
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


@router.callback_query(keyboards.ItemCb.filter(F.d == "files"))
async def on_files(
    cb: CallbackQuery, callback_data: keyboards.ItemCb, locale: str, bot: Bot, deps: BotDeps
) -> None:
    await cb.answer()
    message = cb.message if isinstance(cb.message, Message) else None
    if message is None:
        return
    text, markup = await _files_view(callback_data.a, callback_data.i, locale, deps)
    await send_or_edit(bot, message.chat.id, text, markup, edit=message)  # type: ignore[arg-type]


@router.callback_query(keyboards.FileCb.filter())
async def on_remove(
    cb: CallbackQuery,
    callback_data: keyboards.FileCb,
    actor: Actor,
    locale: str,
    bot: Bot,
    deps: BotDeps,
) -> None:
    message = cb.message if isinstance(cb.message, Message) else None
    try:
        removed = await remove_evidence(actor, callback_data.e, now=deps.now(), tz=deps.tz)
    except UserError as exc:
        await cb.answer(exc.render(locale)[:190], show_alert=True)
        return
    await cb.answer(
        t(locale, texts.FILE_REMOVED, name=removed.original_name, code=callback_data.i)[:190]
    )
    if message is not None:
        text, markup = await _files_view(callback_data.a, callback_data.i, locale, deps)
        await send_or_edit(bot, message.chat.id, text, markup, edit=message)  # type: ignore[arg-type]
