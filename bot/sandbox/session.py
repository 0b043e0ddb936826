"""An aiogram session that talks to a sandbox in the same process, without HTTP.

For the no-token demo: the app's own bot can use the sandbox before the web server listens
(uvicorn runs the lifespan before it accepts connections), and nothing waits on a socket at
shutdown. Requests take exactly the path HTTP requests take (the same encoding as
``AiohttpSession.build_form_data``, the same validation and answers), so behaviour is identical;
end-to-end tests should still use real HTTP.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote, urlsplit

from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile

from bot.sandbox.api import execute
from bot.sandbox.files import Upload

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.sandbox.server import Sandbox

IN_PROCESS = "http://sandbox.invalid"


class SandboxSession(BaseSession):
    """``Bot(token, session=SandboxSession(sandbox))`` — the token must be the sandbox's."""

    def __init__(self, sandbox: Sandbox, **kwargs: Any) -> None:
        super().__init__(api=TelegramAPIServer.from_base(IN_PROCESS), **kwargs)
        self.sandbox = sandbox

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        files: dict[str, InputFile] = {}
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                params[key] = prepared
        uploads = {
            key: Upload(file.filename or key, b"".join([chunk async for chunk in file.read(bot)]))
            for key, file in files.items()
        }
        if bot.token != self.sandbox.token:
            status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        else:
            status, body = await execute(
                self.sandbox, method.__api_method__, params, set(params), uploads
            )
        response = self.check_response(
            bot=bot, method=method, status_code=status, content=json.dumps(body)
        )
        return cast(TelegramType, response.result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        prefix = f"/file/bot{self.sandbox.token}/"
        path = urlsplit(url).path
        stored = None
        if url.startswith(IN_PROCESS) and path.startswith(prefix):
            stored = self.sandbox.state.files.by_path.get(unquote(path[len(prefix) :]))
        if stored is None:
            raise FileNotFoundError(f"the sandbox has no file at {url}")
        for start in range(0, max(stored.size, 1), chunk_size):
            yield stored.content[start : start + chunk_size]

    async def close(self) -> None:
        """Nothing to close: there is no connection."""
