"""The sandbox Bot API: an in-memory Telegram for the no-token demo, training and e2e tests.

``Sandbox`` (in :mod:`bot.sandbox.server`) is imported lazily, because it validates requests
with aiogram's models and ``import aiogram`` costs seconds; the pure parts (``htmltext``,
``state``, ``files``) stay cheap to import.
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
