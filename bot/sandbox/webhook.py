"""Webhook delivery: POST each pending update to the bot, in order, retrying like Telegram.

One update is in flight at a time, so the bot sees updates in the order people produced them
(Telegram parallelises across chats, but order within a chat is what conversations rely on).
A delivery succeeds on any 2xx answer; otherwise it is retried after each delay in
``retry_delays`` and then dropped, with the error kept for getWebhookInfo. A 2xx answer may carry
a Bot API call ("answering to webhook requests", which aiogram uses when it does not handle
updates in the background): the sandbox executes it as Telegram would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from starlette.requests import Request

from bot.sandbox import api
from bot.sandbox.protocol import ApiError
from bot.sandbox.state import Webhook, now

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

log = logging.getLogger("cchc.sandbox")


class WebhookDelivery:
    """The background task that pushes updates while a webhook is set."""

    def __init__(
        self,
        sb: Sandbox,
        *,
        retry_delays: tuple[float, ...] = (0.1, 0.5, 1.0),
        timeout: float = 10.0,
    ) -> None:
        self.sb = sb
        self.state = sb.state
        self.retry_delays = retry_delays
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def kick(self) -> None:
        """Start delivering if a webhook is set and nothing is running yet."""
        if self.state.webhook is None:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        state = self.state
        while (hook := state.webhook) is not None and not state.closing:
            if not state.updates:
                await state.wait_changed(30)
                continue
            update = state.updates[0]
            done = await self._deliver(hook, update)
            if done and state.updates and state.updates[0] is update:
                state.updates.popleft()
                state.notify()

    async def _deliver(self, hook: Webhook, update: dict[str, Any]) -> bool:
        """True once the update is done with (delivered or given up on); False if the webhook
        changed meanwhile and the update should stay pending for whoever receives next."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        body = json.dumps(update, ensure_ascii=False).encode()
        delays = (0.0, *self.retry_delays)
        for attempt, delay in enumerate(delays, start=1):
            if delay:
                await asyncio.sleep(delay)
            if self.state.webhook is not hook:
                return False
            try:
                async with self._session.post(
                    hook.url,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                ) as resp:
                    content = await resp.read()
                    reply_type = resp.headers.get("Content-Type", "")
                    if 200 <= resp.status < 300:
                        await self._answer(content, reply_type)
                        return True
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {type(exc).__name__}: {exc}".rstrip(": ")
            hook.last_error_date = now()
            hook.last_error_message = error
            log.info("sandbox webhook attempt %s for update %s: %s", attempt, update, error)
        log.warning("sandbox webhook gave up on update %s", update["update_id"])
        return True

    async def _answer(self, content: bytes, content_type: str) -> None:
        """Execute a method the bot put in its webhook answer, ignoring its errors."""
        if not content.strip():
            return
        body = iter([{"type": "http.request", "body": content}])

        async def receive() -> dict[str, Any]:
            return next(body, {"type": "http.disconnect"})

        headers = [(b"content-type", content_type.encode("latin-1"))]
        scope = {"type": "http", "method": "POST", "query_string": b"", "headers": headers}
        request = Request(scope, receive)
        try:  # decoded as a request to the Bot API is: JSON, or a form with files
            params, raw_keys, uploads = await api.read_request(request)
        except ApiError:
            return
        method = params.pop("method", None)
        if isinstance(method, str) and method:
            await api.execute(self.sb, method, params, raw_keys, uploads)
