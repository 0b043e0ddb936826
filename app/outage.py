"""A database outage on any route answers 503 "try again", whatever route it hits.

The API's and the pages' route classes already turn an outage into their own 503 (JSON with
``database_unavailable``, or the error page). Other routes (the home page, the sandbox) would
let the exception reach the server's last-resort handler: a bare 500, and a dropped
connection. This middleware answers those with the same sentence and ``Retry-After``, and
leaves every other exception alone.
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.dbfaults import RETRY_AFTER_SECONDS, database_unavailable, unavailable_msg


class DatabaseOutageMiddleware:
    def __init__(self, app: ASGIApp, locale: str = "vi") -> None:
        self.app = app
        self.locale = locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started or not database_unavailable(exc):
                raise
            response = PlainTextResponse(
                unavailable_msg().render(self.locale),
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
            await response(scope, receive, send)
