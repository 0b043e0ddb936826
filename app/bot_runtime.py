"""The bot's place in the service process: started and stopped by the app's lifespan.

Modes (``CCHC_BOT_MODE``, derived from the token when unset):

* ``polling``: long polling against ``CCHC_TELEGRAM_API_URL`` (Telegram, or a local Bot API).
* ``webhook``: Telegram posts updates to ``POST /telegram/webhook``; the route checks the
  ``X-Telegram-Bot-Api-Secret-Token`` header in constant time (401 otherwise) and feeds the
  update to the dispatcher. On start the webhook is (re)registered with the secret and the
  update types the handlers use. Several instances may serve it (state is in the database or
  Redis).
* ``sandbox`` (no token): the sandbox Bot API is mounted at ``/sandbox`` in this app, the bot
  polls it over HTTP at ``{CCHC_PUBLIC_URL}/sandbox``, and its chat page ``/sandbox/chat``
  offers the demo officers, each with a fresh invite code, so anyone can try the bot in a
  browser.
* ``off``: no bot; notices are dropped (the audit trail still records every action).

Set-up calls (getMe, setMyCommands in Vietnamese and English, setWebhook or deleteWebhook) run
in the background with retries, so the web app starts even while Telegram is unreachable (and,
in sandbox mode, before this very server listens).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from core.metrics import BOT_LAST_CONTACT
from core.notify import DeliveryError, Notice, Notifier, NullNotifier
from core.settings import BotMode, Settings

log = logging.getLogger("cchc.bot")

WEBHOOK_PATH = "/telegram/webhook"
SANDBOX_PATH = "/sandbox"
SANDBOX_TOKEN = "123456:SANDBOX"
SANDBOX_BOT_USERNAME = "cchc_sandbox_bot"
DEMO_USER_BASE = 880_000_000  # sandbox user ids of demo officers: base + officer id
MB = 1024 * 1024
DRAIN_SECONDS = 10  # how long a stop waits for updates being handled


class _SwitchNotifier:
    """The app holds this one object; it delivers through the bot once the bot runs."""

    def __init__(self) -> None:
        self.target: Notifier = NullNotifier()

    async def notify(self, notice: Notice) -> int | None:
        if isinstance(self.target, NullNotifier):
            # the bot should run but is not (yet, or any more): worth retrying, not a failure
            # of this recipient
            raise DeliveryError("the bot is not running")
        return await self.target.notify(notice)


class BotRuntime:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        album_delay: float = 1.0,
        polling_timeout: int | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.album_delay = album_delay
        self.mode: BotMode = settings.bot_mode or BotMode.off
        # Long polls are cheap against a local sandbox; short ones bound any missed wake-up.
        self.polling_timeout = polling_timeout or (3 if self.mode is BotMode.sandbox else 10)
        self.notifier = _SwitchNotifier()
        self.sandbox: Any = None
        self.bot: Any = None
        self.dp: Any = None
        self.storage: Any = None
        self.deps: Any = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._last_contact_at: datetime | None = None
        self._last_error: str | None = None
        self._username: str | None = None
        if self.mode is BotMode.sandbox:
            from bot.sandbox import Sandbox

            self.sandbox = Sandbox(
                SANDBOX_TOKEN, SANDBOX_BOT_USERNAME, personas_provider=self.demo_personas
            )

    # --- wiring ------------------------------------------------------------------------------

    def install_routes(self, app: FastAPI) -> None:
        """The webhook route (webhook mode) or the sandbox Bot API and chat (sandbox mode)."""
        if self.mode is BotMode.webhook:
            app.add_api_route(WEBHOOK_PATH, self.webhook, methods=["POST"], include_in_schema=False)
        if self.sandbox is not None:
            app.mount(SANDBOX_PATH, self.sandbox.app)

    @property
    def api_url(self) -> str:
        if self.mode is BotMode.sandbox:
            return self.settings.public_url.rstrip("/") + SANDBOX_PATH
        return self.settings.telegram_api_url

    async def start(self) -> None:
        """Build the bot and dispatcher; start polling or register the webhook."""
        if self.mode is BotMode.off:
            return
        from aiogram import Bot
        from aiogram.client.default import DefaultBotProperties

        from bot.deps import BotDeps
        from bot.dispatcher import build_dispatcher
        from bot.notifier import BotNotifier, mark_blocked
        from bot.session import make_session
        from bot.storage import make_storage
        from core.files import FileStore

        self.deps = BotDeps(
            files=FileStore(self.settings.data_dir),
            max_bytes=self.settings.max_upload_mb * MB,
            tz=self.settings.tz,
            album_delay=self.album_delay,
            public_url=self.settings.public_url,  # links inside workbooks
            secret_key=self.settings.secret_key,  # signed evidence links
            web_link=self._web_link_issuer(),
        )
        if self.clock is not None:
            self.deps.clock = self.clock
        self.storage = make_storage(
            self.settings.redis_url,
            single_process=self.settings.is_sqlite,
            redis_prefix=self.settings.redis_prefix,
        )
        self.dp = build_dispatcher(self.deps, self.storage)
        token = self.settings.telegram_token or SANDBOX_TOKEN
        self.bot = Bot(
            token,
            session=make_session(self.api_url, on_blocked=mark_blocked),
            default=DefaultBotProperties(parse_mode="HTML"),
        )
        self.bot.session.middleware(self._track_contact)
        self.notifier.target = BotNotifier(self.bot, self.deps)
        self._task = asyncio.create_task(self._run(), name="cchc-bot")

    def _web_link_issuer(self) -> Any:
        """The web form's sign-in links for the bot's /web command, when the form exists."""
        try:
            from app.web.sessions import issue_officer_link
        except ImportError:  # pragma: no cover - a build without the web form
            return None
        settings = self.settings

        async def issue(officer_id: int, now: datetime) -> tuple[str, datetime]:
            link = await issue_officer_link(settings, officer_id, now=now)
            return link.url, link.expires_at

        return issue

    async def _run(self) -> None:
        from bot.commands import register_commands

        delay = 0.2
        while True:
            try:
                me = await self.bot.get_me()
                await register_commands(self.bot)
                if self.mode is BotMode.webhook:
                    await self.bot.set_webhook(
                        self.settings.public_url.rstrip("/") + WEBHOOK_PATH,
                        secret_token=self.settings.webhook_secret,
                        allowed_updates=self.dp.resolve_used_update_types(),
                        drop_pending_updates=False,
                    )
                else:
                    await self.bot.delete_webhook(drop_pending_updates=False)
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("bot set-up failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        self._username = me.username
        log.info("bot @%s ready (%s mode, API %s)", me.username, self.mode.value, self.api_url)
        self._ready.set()
        if self.mode is BotMode.webhook:
            return
        await self.dp.start_polling(
            self.bot,
            polling_timeout=self.polling_timeout,
            handle_signals=False,
            close_bot_session=False,
            allowed_updates=self.dp.resolve_used_update_types(),
        )

    async def _track_contact(self, make_request: Any, bot: Any, method: Any) -> Any:
        """A Bot API session middleware (inside the retrying one, so it sees every attempt):
        remember when the Bot API last answered (an empty long poll counts, so does an API
        error: Telegram did answer) and why it last could not be reached, for /healthz."""
        from aiogram.exceptions import TelegramNetworkError, TelegramServerError

        try:
            response = await make_request(bot, method)
        except (TelegramNetworkError, TelegramServerError) as exc:
            self._last_error = type(exc).__name__
            raise
        except Exception:
            self._contact()
            raise
        self._contact()
        return response

    def _contact(self) -> None:
        self._last_contact_at = datetime.now(UTC)
        self._last_error = None
        BOT_LAST_CONTACT.set(self._last_contact_at.timestamp())

    # --- state, for health checks ------------------------------------------------------------

    @property
    def started(self) -> bool:
        """The bot object exists (between :meth:`start` and :meth:`stop_bot`)."""
        return self.bot is not None

    @property
    def ready(self) -> bool:
        """Set-up (getMe, commands, webhook registration) succeeded."""
        return self._ready.is_set()

    @property
    def polling(self) -> bool:
        """The polling loop is alive (polling and sandbox modes)."""
        return self._task is not None and not self._task.done()

    @property
    def last_contact_at(self) -> datetime | None:
        """When the Bot API last answered a call successfully (UTC), None if it never did."""
        return self._last_contact_at

    @property
    def last_error(self) -> str | None:
        """The error type of the last failed Bot API call (network, 5xx), cleared by the next
        answer."""
        return self._last_error

    @property
    def username(self) -> str | None:
        """The bot's @username, from getMe."""
        return self._username

    async def wait_ready(self, timeout: float = 30.0) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def stop(self) -> None:
        """Stop the bot, then the sandbox."""
        await self.stop_bot()
        if self.sandbox is not None:
            await self.sandbox.aclose()

    async def stop_bot(self) -> None:
        """Stop polling, let the updates in hand finish (at most :data:`DRAIN_SECONDS`),
        close the HTTP session and storage; the sandbox keeps running, so :meth:`start` brings
        up a new bot against the same chats (a restart)."""
        if self.dp is not None:
            with contextlib.suppress(RuntimeError):
                await self.dp.stop_polling()
        if self.dp is not None:
            # A graceful stop lets the updates being handled finish (an officer's answer, the
            # card that confirms it) before the session and the storage close under them.
            await self.dp["in_flight"].drained(DRAIN_SECONDS)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self.bot is not None:
            await self.bot.session.close()
        if self.storage is not None:
            await self.storage.close()
        self.notifier.target = NullNotifier()
        self._ready = asyncio.Event()
        self.dp = self.bot = self.storage = None

    # --- webhook -----------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        expected = (self.settings.webhook_secret or "").encode()
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            return JSONResponse({"ok": False, "error": "unauthorized"}, status_code=401)
        if self.dp is None or self.bot is None:
            return JSONResponse({"ok": False, "error": "bot not started"}, status_code=503)
        from app.api.uploads import BodyTooLarge

        # An update is a few kilobytes; whoever holds the secret still cannot make this
        # process read (and parse) an unbounded body: BodyLimit (app/api/uploads.py) cuts a
        # /telegram/ body off at 1 MB, announced or streamed.
        try:
            update = await request.json()
        except BodyTooLarge:
            return JSONResponse({"ok": False, "error": "too large"}, status_code=413)
        except ValueError:
            return JSONResponse({"ok": False, "error": "not JSON"}, status_code=400)
        from aiogram.methods import TelegramMethod

        result = await self.dp.feed_webhook_update(self.bot, update)
        if isinstance(result, TelegramMethod):
            await self.dp.silent_call_request(self.bot, result)
        return JSONResponse({"ok": True})

    # --- the sandbox's demo people -----------------------------------------------------------

    async def demo_personas(self) -> list[dict[str, Any]]:
        """Demo officers (sample criteria sets only: never real people) with a fresh invite."""
        return await demo_personas(self.settings)


async def demo_personas(settings: Settings, *, limit: int = 6) -> list[dict[str, Any]]:
    from datetime import UTC, datetime

    from core.audit import Actor
    from core.invites import create_invite, pretty_code
    from core.models import Channel, Officer, OfficerRole
    from forms.models import Assessment, PeriodStatus

    if not settings.demo:
        return []
    found = (
        await Assessment.filter(period__status=PeriodStatus.open, criteria_set__is_sample=True)
        .select_related("unit")
        .order_by("unit__sort_order", "unit_id")
    )
    # the first units of every unit group (departments and communes alike), in turn
    by_group: dict[int, list[Assessment]] = {}
    for sheet in found:
        by_group.setdefault(sheet.unit.group_id, []).append(sheet)  # type: ignore[attr-defined]
    assessments = [
        sheet
        for rank in range(limit)
        for sheets in by_group.values()
        if rank < len(sheets)
        for sheet in [sheets[rank]]
    ][:limit]
    actor = Actor.system(Channel.system, "sandbox")
    now = datetime.now(UTC)
    personas: list[dict[str, Any]] = []
    for index, assessment in enumerate(assessments):
        roles = [OfficerRole.focal, OfficerRole.leader] if index == 0 else [OfficerRole.focal]
        for role in roles:
            officer = (
                await Officer.filter(unit_id=assessment.unit_id, role=role, active=True)  # type: ignore[attr-defined]
                .order_by("id")
                .first()
            )
            if officer is None:
                continue
            user_id = DEMO_USER_BASE + officer.id
            if officer.telegram_user_id == user_id:
                hint = "/tieptuc"
            elif officer.telegram_user_id is not None:
                continue  # bound to someone else: not a demo persona any more
            else:
                issued = await create_invite(actor, officer.id, now=now, days=1)
                hint = f"/start {pretty_code(issued.code)}"
            role_text = "lãnh đạo" if role == OfficerRole.leader else "cán bộ đầu mối"
            personas.append(
                {
                    "user_id": user_id,
                    "name": f"{officer.full_name} ({role_text}, {assessment.unit.name})",
                    "hint": hint,
                    "language_code": "vi",
                }
            )
    return personas
