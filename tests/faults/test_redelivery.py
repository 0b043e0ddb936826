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
from tests.bot.conftest import Harness, bound_chat, harness  # noqa: F401  (fixture)
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
