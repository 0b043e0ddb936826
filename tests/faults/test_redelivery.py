"""A typed answer handled, then delivered again (the process died before Telegram heard that
the update was taken: at-least-once delivery), must not answer the next item as well.

Found by the SIGKILL test (test_kill.py): "95" typed for a percentage item was filed a second
time under the count item that followed, which the officer had never seen. Here "0", which
both a checklist and the points item after it accept, is delivered twice by hand.
"""

from __future__ import annotations

from aiogram.types import Update

from forms.answers import record_answer
from forms.models import Answer
from tests.bot.conftest import harness  # noqa: F401  (fixture)
from tests.bot.harness import Harness, bound_chat
from tests.forms.conftest import NOW


async def test_a_typed_answer_delivered_twice_answers_one_item(
    harness: Harness,  # noqa: F811
    sheet: dict,
) -> None:
    lan = sheet["lan"]
    for code, declared in (("1.1.1", {"option": "1"}), ("1.1.2", {"yes": True})):
        await record_answer(lan, sheet["assessment"].id, code, declared=declared,
                            expected_version=0, now=NOW)  # fmt: skip
    await record_answer(
        lan, sheet["assessment"].id, "1.1.3", text="95", expected_version=0, now=NOW
    )
    chat = await bound_chat(harness, lan, 501)
    assert "1.1.4. Công khai kết quả" in chat.last.text

    typed = Update(update_id=next(harness.update_ids), message=chat._message(text="0"))
    await harness.dp.feed_update(harness.bot, typed)
    assert "1.1.5. Sáng kiến được áp dụng" in chat.last.text  # "0" answered 1.1.4
    await harness.dp.feed_update(harness.bot, typed)  # the same update once more

    assert "được gửi trước khi tiêu chí đang mở hiện ra" in chat.last.text
    answers = await Answer.filter(assessment_id=sheet["assessment"].id).prefetch_related("node")
    assert sorted(a.node.code for a in answers) == ["1.1.1", "1.1.2", "1.1.3", "1.1.4"]
    # and the next value typed at the card goes where the officer expects
    card = await chat.say("0,25")
    assert "0,25 → 0,25/0,25 điểm" in card.text


async def test_a_file_is_attached_only_to_the_card_it_was_sent_at(
    harness: Harness,  # noqa: F811
    sheet: dict,
) -> None:
    """A document delivered again after a crash (older than the card now open), or sent while
    the bot is not sure the card was shown, is not attached to an item the officer had not
    seen; one sent at the card is."""
    from datetime import UTC, datetime

    from aiogram.fsm.storage.base import StorageKey
    from aiogram.types import Chat as TgChat
    from aiogram.types import Document, Message

    from forms.models import Evidence
    from tests.bot import samples

    chat = await bound_chat(harness, sheet["lan"], 501)
    card = chat.last
    assert "1.1.1." in card.text
    harness.tg.files["old"] = samples.pdf("a")
    older = Message(
        message_id=card.message_id - 1,
        date=datetime.now(UTC),
        chat=TgChat(id=chat.user_id, type="private"),
        from_user=chat._user(),
        document=Document(file_id="old", file_unique_id="old", file_name="ke-hoach.pdf"),
    )
    await harness.dp.feed_update(
        harness.bot, Update(update_id=next(harness.update_ids), message=older)
    )
    assert "Tệp “ke-hoach.pdf” được gửi trước khi tiêu chí đang mở hiện ra" in chat.last.text
    assert await Evidence.all().count() == 0

    # the bot lost track of whether the card was shown (the process died in between)
    key = StorageKey(bot_id=harness.bot.id, chat_id=chat.user_id, user_id=chat.user_id)
    await harness.dp.storage.update_data(key, {"card": None})
    await chat.send_file(samples.pdf("b"), "bao-cao.pdf")
    assert "Tệp “bao-cao.pdf” chưa được đính kèm" in chat.last.text
    assert "1.1.1." in chat.last.text  # the card is shown again
    assert await Evidence.all().count() == 0

    await chat.send_file(samples.pdf("c"), "quyet-dinh.pdf")  # at the card now shown
    assert "Đã lưu 1 tệp cho tiêu chí 1.1.1" in chat.last.text
    assert await Evidence.filter(removed_at=None).count() == 1
