"""Long polling on the server side: hold a request until something changes, and let go as
soon as the client hangs up (an abandoned getUpdates must not keep the server busy, nor keep
shutdown waiting)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request

from bot.sandbox.state import SandboxState, wait_event


class watch_disconnect:
    """``async with watch_disconnect(request) as gone:`` — ``gone`` is set on hang-up.

    The request body has been read already, so the next ASGI ``receive`` only returns when the
    client disconnects.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.gone = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            message = await self.request.receive()
            if message["type"] == "http.disconnect":
                self.gone.set()
                return

    async def __aenter__(self) -> asyncio.Event:
        self.task = asyncio.create_task(self._watch())
        return self.gone

    async def __aexit__(self, *exc: object) -> None:
        if self.task is not None:
            self.task.cancel()


async def wait_change(state: SandboxState, timeout: float, gone: asyncio.Event | None) -> bool:
    """Wait for any change, the client going away, or the timeout; True only for a change."""
    if gone is None:
        return await state.wait_changed(timeout)
    if gone.is_set():
        return False
    # Take the event now: a task started later could miss a change made in between.
    changed = asyncio.ensure_future(wait_event(state.change_event(), timeout))
    hung_up = asyncio.ensure_future(gone.wait())
    done, pending = await asyncio.wait({changed, hung_up}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return changed in done and changed.result()
