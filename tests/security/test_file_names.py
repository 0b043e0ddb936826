"""Hostile file names on uploads through the web sheet and the bot: path traversal, absolute
paths, NUL and control characters, a right-to-left override (``gnp.exe`` shown as ``exe.png``),
a 1,000-character name. The name is never used as a path (the bytes live under their SHA-256
in the evidence folder, nothing is written anywhere else), it is stored cleaned for display, and
the download's ``Content-Disposition`` carries it safely quoted."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from core.files import FileStore
from core.models import Officer
from forms.models import Evidence
from tests.api.world import World
from tests.bot.harness import in_memory
from tests.web.conftest import csrf_of, sign_in_officer

PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 5 + b"%%EOF\n"
HOSTILE = [
    ("../../../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\system32\\x.pdf", "x.pdf"),
    ("/etc/cron.d/evil.pdf", "evil.pdf"),
    ("a\x00b.pdf", "ab.pdf"),
    ("bad\r\nX-Injected: 1.pdf", "badX-Injected: 1.pdf"),
    ("\x07\x1b[31mred.pdf", "[31mred.pdf"),
    ("hoa-don-\u202efdp.exe", "hoa-don-fdp.exe"),
    ("..", ".."),
    ("x" * 1000 + ".pdf", "x" * 255),
]


def _files_outside_the_store(root: Path, store: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() and store not in p.parents}


def _safe_header(value: str) -> None:
    assert "\r" not in value and "\n" not in value and "\x00" not in value
    fallback = value.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and "/" not in fallback and "\\" not in fallback


async def test_web_uploads_with_hostile_names(
    client: httpx.AsyncClient, web_app: FastAPI, world: World, data_dir: Path
) -> None:
    assert (await sign_in_officer(client, web_app, world, "lan")).status_code == 303
    token = csrf_of((await client.get("/web/o/")).text)
    root = data_dir.parent
    outside = _files_outside_the_store(root, data_dir / "evidence")
    for i, (name, shown) in enumerate(HOSTILE):
        data = PDF + str(i).encode()  # distinct bytes: each is a new file
        boundary = "b0undary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'
        ).encode()
        body = (
            head
            + name.replace("\r\n", "").encode()  # a raw CR LF would end the part's header
            + b'"\r\nContent-Type: application/pdf\r\n\r\n'
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        r = await client.post(
            "/web/o/items/1.1.1/files",
            content=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert r.status_code == 303, (name, r.text[:300])
        evidence = await Evidence.filter(removed_at=None).order_by("-id").first()
        assert evidence is not None
        expected = shown.replace("\r\n", "")
        assert evidence.original_name == expected, (name, evidence.original_name)
        assert FileStore(data_dir).path_for(evidence.sha256).read_bytes() == data
        got = await client.get(f"/web/o/files/{evidence.id}?download=true")
        assert got.status_code == 200 and got.content == data
        _safe_header(got.headers["content-disposition"])
        assert got.headers["content-disposition"].startswith("attachment;")
    assert _files_outside_the_store(root, data_dir / "evidence") == outside
    page = (await client.get("/web/o/")).text
    assert "\u202e" not in page and "../" not in page


async def test_bot_uploads_with_hostile_names(world: World, data_dir: Path) -> None:
    harness = in_memory(data_dir)
    await Officer.filter(id=world.officers["lan"].id).update(
        telegram_user_id=501, telegram_chat_id=501
    )
    chat = harness.chat(501, "Lan")
    await chat.say("/tiendo")
    await chat.press(f"nv:{world.sheets['SNV'].id}:1.1.1:go")
    root = data_dir.parent
    outside = _files_outside_the_store(root, data_dir / "evidence")
    for i, (name, shown) in enumerate(HOSTILE):
        await chat.send_file(PDF + b"bot" + str(i).encode(), name)
        evidence = await Evidence.filter(removed_at=None).order_by("-id").first()
        assert evidence is not None and evidence.channel == "bot"
        assert evidence.original_name == shown, (name, evidence.original_name)
    assert _files_outside_the_store(root, data_dir / "evidence") == outside
    said = "\n".join(chat.texts())
    assert "\u202e" not in said and "\x1b" not in said and "../" not in said
