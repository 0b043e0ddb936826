"""The sandbox Bot API: an in-memory Telegram for the no-token demo, training and e2e tests.

Serve ``Sandbox().app`` (mount it anywhere, e.g. ``app.mount("/sandbox", sandbox.app)``) and
point aiogram at it::

    sandbox = Sandbox(token, personas_provider=demo_officers)
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base + "/sandbox")))

    sent = await sandbox.send_text(user_id, "/start CODE")          # a person writes
    card = await sandbox.wait_for_bot_message(user_id, after=sent["seq"])
    await sandbox.press(user_id, card["message_id"], "some:data")   # and presses a button
    edited = await sandbox.wait_for_bot_message(user_id, after=card["seq"])

Modules: ``server`` (the Sandbox class: people's actions, observation, waits), ``api`` (HTTP
decoding and dispatch), ``methods`` (one handler per Bot API method), ``chats`` (posting and
editing), ``htmltext`` (Telegram's HTML parse mode), ``state`` and ``files`` (memory),
``webhook`` (delivery), ``control`` (``/control/...``), ``page`` and ``chat.html`` (``/chat``).

``Sandbox`` is imported lazily, because it validates requests with aiogram's models and
``import aiogram`` costs seconds; the pure parts (``htmltext``, ``state``, ``files``) stay cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.sandbox.server import DEFAULT_PERSONAS, Persona, PersonasProvider, Sandbox

__all__ = ["DEFAULT_PERSONAS", "Persona", "PersonasProvider", "Sandbox"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from bot.sandbox import server

        return getattr(server, name)
    raise AttributeError(f"module 'bot.sandbox' has no attribute {name!r}")
