"""Bot API objects built with aiogram's own types, so every answer has Telegram's exact shape.

Each builder validates its fields through the aiogram model and returns the JSON the Bot API
would send (``by_alias`` turns ``from_user`` into ``from``; dates become unix seconds).
"""

from __future__ import annotations

from typing import Any

from aiogram import types
from pydantic import BaseModel

from bot.sandbox.files import StoredFile


def dump(model: BaseModel) -> dict[str, Any]:
    """The Bot API JSON of an aiogram object."""
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


def dump_any(value: Any) -> Any:
    """Like :func:`dump` for a model, a list of models, or plain JSON data."""
    if isinstance(value, BaseModel):
        return dump(value)
    if isinstance(value, list):
        return [dump_any(item) for item in value]
    return value


def person(
    user_id: int,
    first_name: str,
    *,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
) -> dict[str, Any]:
    return dump(
        types.User(
            id=user_id,
            is_bot=False,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
    )


def bot_user(bot_id: int, first_name: str, username: str, *, full: bool = False) -> dict[str, Any]:
    """The bot as ``from`` of its messages; ``full`` adds what only getMe reports."""
    extra: dict[str, Any] = {}
    if full:
        extra = {
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
    return dump(
        types.User.model_validate(
            {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username, **extra}
        )
    )


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    fields = {k: user[k] for k in ("first_name", "last_name", "username") if k in user}
    return dump(types.Chat(id=user["id"], type="private", **fields))


def chat_full_info(user: dict[str, Any]) -> dict[str, Any]:
    fields = {k: user[k] for k in ("first_name", "last_name", "username") if k in user}
    return dump(
        types.ChatFullInfo(
            id=user["id"],
            type="private",
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types=types.AcceptedGiftTypes(
                unlimited_gifts=True,
                limited_gifts=True,
                unique_gifts=True,
                premium_subscription=True,
                gifts_from_channels=True,
            ),
            **fields,
        )
    )


def message(fields: dict[str, Any]) -> dict[str, Any]:
    """A Message from Bot API JSON fields (``from``, ``chat``, ``date`` as unix seconds...)."""
    return dump(types.Message.model_validate(fields))


def callback_query(
    query_id: str, user: dict[str, Any], msg: dict[str, Any], data: str
) -> dict[str, Any]:
    return dump(
        types.CallbackQuery.model_validate(
            {
                "id": query_id,
                "from": user,
                "message": msg,
                "chat_instance": str(-(10**15) - int(user["id"])),
                "data": data,
            }
        )
    )


def blocked_update(
    user: dict[str, Any], bot: dict[str, Any], *, blocked: bool, date: int
) -> dict[str, Any]:
    """my_chat_member: what Telegram tells a bot when a person blocks or unblocks it."""
    member = {"status": "member", "user": bot}
    banned = {"status": "kicked", "user": bot, "until_date": 0}
    old, new = (member, banned) if blocked else (banned, member)
    return dump(
        types.ChatMemberUpdated.model_validate(
            {
                "chat": private_chat(user),
                "from": user,
                "date": date,
                "old_chat_member": old,
                "new_chat_member": new,
            }
        )
    )


def document(stored: StoredFile) -> dict[str, Any]:
    return dump(types.Document.model_validate(stored.as_document()))


def photo_sizes(sizes: list[StoredFile]) -> list[dict[str, Any]]:
    return [dump(types.PhotoSize.model_validate(size.as_photo_size())) for size in sizes]


def file_info(stored: StoredFile) -> dict[str, Any]:
    return dump(
        types.File(
            file_id=stored.file_id,
            file_unique_id=stored.file_unique_id,
            file_size=stored.size,
            file_path=stored.file_path,
        )
    )


def webhook_info(fields: dict[str, Any]) -> dict[str, Any]:
    return dump(types.WebhookInfo.model_validate(fields))
