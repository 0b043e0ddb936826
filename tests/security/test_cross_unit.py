"""An officer of one unit reaching another unit's answers, files or explanation requests by
guessing identifiers: on the web sheet (signed in by a one-time link) and through the bot (a
hand-made button). The answer is the same whether the thing exists in another unit or not at
all, so guessing learns nothing, and nothing changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from core.files import FileStore
from core.models import Channel, Officer
from core.notify import RecordingNotifier
from forms.answers import record_answer
from scoring.appraisal import request_explanation
from tests.api.world import NOW, World, attach, fill_and_submit
from tests.bot.harness import Harness, in_memory
from tests.security.conftest import nothing_changes
from tests.web.conftest import csrf_of, sign_in_officer

SECRET_NOTE = "Ghi chú nội bộ của Sở Tư pháp"
NOT_YOURS = "Bạn chỉ có thể kê khai, tự chấm điểm cho đơn vị của mình."
UNUSED_ID = 999_999


async def _other_unit(world: World, store: FileStore) -> dict[str, int]:
    """Sở Tư pháp submitted, with a note, files and an explanation request on 1.1.3."""
    sheet = world.sheets["STP"].id
    await fill_and_submit(world, "STP", "khac", store=store)
    await record_answer(
        world.actor("admin"), sheet, "1.1.2", note=SECRET_NOTE, expected_version=1, now=NOW
    )
    evidence = await attach(world, "STP", "1.1.3", b"%PDF-1.4 of another unit", store=store)
    review = await request_explanation(
        world.actor("td1", Channel.web),
        sheet,
        "1.1.3",
        comment="?",
        expected_version=0,
        now=NOW,
        notifier=RecordingNotifier(),
    )
    return {"sheet": sheet, "evidence": evidence.id, "review": review.id}


# --- the web sheet -------------------------------------------------------------------------


async def test_web_guessed_ids_of_another_unit_are_not_found(
    client: httpx.AsyncClient, web_app: FastAPI, world: World, store: FileStore, data_dir: Path
) -> None:
    other = await _other_unit(world, store)
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    page = await client.get("/web/o/")
    token = csrf_of(page.text)
    assert "Sở Nội vụ" in page.text and SECRET_NOTE not in page.text

    def same_refusal(theirs: httpx.Response, missing: httpx.Response, guessed: int) -> None:
        """The same page, but for the id itself (in the message and the language link)."""

        def blank(text: str, id_: int) -> str:
            return text.replace(f"mã số {id_}.", "mã số N.").replace(f"%2F{id_}", "%2FN")

        assert theirs.status_code == missing.status_code == 404
        assert blank(theirs.text, guessed) == blank(missing.text, UNUSED_ID)

    async with nothing_changes(data_dir):
        theirs = await client.get(f"/web/o/files/{other['evidence']}")
        missing = await client.get(f"/web/o/files/{UNUSED_ID}")
        same_refusal(theirs, missing, other["evidence"])
        assert f"Không có tệp mã số {other['evidence']}." in theirs.text
        for huge in (2**31, 2**40, 10**30):  # beyond any id the database holds
            r = await client.get(f"/web/o/files/{huge}")
            assert r.status_code in (404, 422) and "Traceback" not in r.text
            r = await client.post(
                f"/web/o/explanations/{huge}", data={"csrf": token, "item": "1.1.3", "text": "x"}
            )
            assert r.status_code in (404, 422) and "Traceback" not in r.text
        for suffix in ("?download=true", "?download=1"):
            r = await client.get(f"/web/o/files/{other['evidence']}{suffix}")
            assert r.status_code == 404 and b"of another unit" not in r.content
        theirs = await client.post(f"/web/o/files/{other['evidence']}/remove", data={"csrf": token})
        missing = await client.post(f"/web/o/files/{UNUSED_ID}/remove", data={"csrf": token})
        same_refusal(theirs, missing, other["evidence"])

        # an explanation for another unit's request, or pointing at its files
        for review in (other["review"], UNUSED_ID):
            r = await client.post(
                f"/web/o/explanations/{review}",
                data={"csrf": token, "item": "1.1.3", "text": "x", "proposed": "2"},
            )
            assert r.status_code == 404, r.text
            assert "Không tìm thấy yêu cầu giải trình này." in r.text
        r = await client.post(
            f"/web/o/explanations/{other['review']}",
            data={"csrf": token, "item": "1.1.3", "text": "x", "files": str(other["evidence"])},
            headers={"Accept": "application/json"},
        )
        assert (
            r.status_code == 404 and r.json()["detail"] == "Không tìm thấy yêu cầu giải trình này."
        )

        # the back-office file route and the API do not take an officer's session
        r = await client.get(f"/web/evidence/{other['evidence']}")
        assert r.status_code == 303 and r.headers["location"].startswith("/web/login")
        r = await client.get(f"/api/v1/evidence/{other['evidence']}/download")
        assert r.status_code == 401

    # the score sheet is always the session's own unit's: nothing on it names the other sheet
    r = await client.get(f"/web/o/?sheet={other['sheet']}&unit=STP")
    assert "Sở Nội vụ" in r.text and SECRET_NOTE not in r.text


# --- the bot -------------------------------------------------------------------------------


@pytest.fixture
async def harness(world: World, data_dir: Path) -> AsyncIterator[Harness]:
    yield in_memory(data_dir)


async def test_bot_buttons_naming_another_units_sheet_are_refused(
    harness: Harness, world: World, store: FileStore, data_dir: Path
) -> None:
    """Lan (Sở Nội vụ) hand-makes every kind of button with Sở Tư pháp's ids."""
    other = await _other_unit(world, store)
    await Officer.filter(id=world.officers["lan"].id).update(
        telegram_user_id=501, telegram_chat_id=501
    )
    chat = harness.chat(501, "Lan")
    await chat.say("/tiendo")  # her own progress: the conversation is open
    own = chat.last.text
    assert "Sở Nội vụ" in own
    a, e, r = other["sheet"], other["evidence"], other["review"]
    forged = [
        f"nv:{a}:1.1.2:go",  # open an item (would show the answer and the note)
        f"nv:{a}:1.1.2:open",
        f"an:{a}:1.1.2:1:n",  # answer
        f"tk:{a}:1.1.2:1:ok",
        f"it:{a}:1.1.3:files",  # list the files
        f"it:{a}:1.1.2:note",
        f"it:{a}:1.1.2:only",
        f"ls:{a}:",
        f"ls:{a}:1",
        f"fl:{a}:1.1.3:{e}",  # remove a file
        f"mn:{a}:status",
        f"mn:{a}:summary",
        f"mn:{a}:continue",
        f"mn:{a}:submit",
        f"mn:{a}:confirm",
        f"gh:{a}:send",
        f"ex:{r}:open",
        f"ex:{r}:send",
        f"nv:{UNUSED_ID}:1.1.2:go",  # a sheet that does not exist: the same answer
        f"nv:{2**40}:1.1.2:go",  # beyond any id the database holds
        f"ex:{UNUSED_ID}:open",
    ]
    async with nothing_changes(data_dir):
        for data in forged:
            alerts = len(harness.tg.alerts)
            await chat._feed(
                callback_query={
                    "id": data,
                    "from": {"id": 501, "is_bot": False, "first_name": "Lan"},
                    "chat_instance": "ci",
                    "data": data,
                    "message": {
                        "message_id": chat.last.message_id,
                        "date": 0,
                        "chat": {"id": 501, "type": "private"},
                        "text": chat.last.text,
                    },
                }
            )
            assert harness.tg.alerts[alerts:] == [NOT_YOURS], data
    said = "\n".join(chat.texts())
    assert "Sở Tư pháp" not in said and SECRET_NOTE not in said and "TLKC" not in said
    assert chat.texts()[-1] == own  # nothing was sent or redrawn

    # her own buttons still work
    await chat.press(f"nv:{world.sheets['SNV'].id}:1.1.2:go")
    assert "1.1.2" in chat.last.text and not harness.tg.alerts[len(forged) :]
