"""``/chat``: the web chat page, so anyone can try the bot without Telegram.

The page is one self-contained file (``chat.html``: inline CSS and JS, no CDN). The server fills
in the bot's name and the personas, escaped for their context, and sends a strict Content
Security Policy with a per-response nonce, so only the page's own script runs whatever the bot
or the personas contain. Bot text reaches the page as plain text plus entities and is drawn
with DOM text nodes, never as HTML.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox


_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


@cache
def template() -> str:
    return files("bot.sandbox").joinpath("chat.html").read_text(encoding="utf-8")


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element (no "</script>", no "<!--")."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def persona_options(personas: list[Any]) -> str:
    return "\n".join(
        f'<option value="{int(p["user_id"])}">{html.escape(str(p.get("name", p["user_id"])))}'
        "</option>"
        for p in personas
    )


def render(sb: Sandbox, personas: list[Any], nonce: str) -> str:
    config = {
        "bot": {"username": sb.bot_username, "name": sb.bot_name},
        "personas": personas,
    }
    values = {
        "NONCE": nonce,
        "BOT_NAME": html.escape(sb.bot_name),
        "BOT_USERNAME": html.escape(sb.bot_username),
        "PERSONA_OPTIONS": persona_options(personas),
        "CONFIG_JSON": script_json(config),
    }
    # one pass, so a value that happens to contain "{{...}}" is never substituted again
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template())


def endpoint(sb: Sandbox) -> Callable[[Request], Awaitable[Response]]:
    async def chat_page(request: Request) -> Response:
        nonce = secrets.token_urlsafe(16)
        personas = [
            {**p, "user_id": int(p["user_id"])} for p in await sb.personas() if "user_id" in p
        ]
        csp = (
            "default-src 'self'; img-src 'self' blob: data:; "
            f"style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; object-src 'none'"
        )
        headers = {
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        }
        return HTMLResponse(render(sb, personas, nonce), headers=headers)

    return chat_page
