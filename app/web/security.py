"""Signed values, CSRF tokens and cookie settings of the web pages.

* **Signed tokens** (:func:`sign` / :func:`unsign`): a JSON payload and an HMAC-SHA256 of it with
  ``settings.secret_key``, namespaced by a *purpose* so a value signed for one use (an officer's
  sign-in link) is never accepted for another (an officer's session cookie).
* **CSRF** (signed double submit, bound to the session): a random ``cchc_csrf`` cookie, and in
  every form the HMAC of that cookie together with a hash of the session cookie. A page of
  another site can neither read the cookie nor compute the HMAC without the secret, and a token
  taken from one session does not work in another. JavaScript sends the same token in the
  ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from app.api.deps import get_settings

CSRF_COOKIE = "cchc_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
MAX_TOKEN = 1000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, purpose: str, body: str) -> bytes:
    return hmac.new(
        secret.encode("utf-8"), f"{purpose}.{body}".encode("ascii"), hashlib.sha256
    ).digest()


def sign(secret: str, purpose: str, payload: dict[str, Any]) -> str:
    """``<base64 JSON>.<base64 HMAC>``: readable by anyone, forgeable by no one."""
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{body}.{_b64(_mac(secret, purpose, body))}"


def unsign(secret: str, purpose: str, token: str | None) -> dict[str, Any] | None:
    """The payload of a token signed for ``purpose``, or None (wrong, altered, garbage)."""
    if not token or len(token) > MAX_TOKEN or token.count(".") != 1:
        return None
    body, mac = token.split(".")
    try:
        expected = _mac(secret, purpose, body)
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeError):
        return None
    return payload if isinstance(payload, dict) else None


def new_id() -> str:
    """A random identifier (128 bits) for a link or a session."""
    return secrets.token_urlsafe(16)


def is_https(request: Request) -> bool:
    """Mark cookies Secure when the service is published over HTTPS."""
    return get_settings(request).public_url.startswith("https://") or request.url.scheme == "https"


def set_cookie(
    request: Request,
    response: Response,
    name: str,
    value: str,
    *,
    max_age: int | None = None,
    samesite: str = "lax",
) -> None:
    """HttpOnly, SameSite, Secure when the service is published over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite=samesite,  # type: ignore[arg-type]
        secure=is_https(request),
        path="/",
    )


def _session_hash(cookies: Mapping[str, str], session_cookies: tuple[str, ...]) -> str:
    joined = "|".join(cookies.get(name, "") for name in session_cookies)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


def csrf_seed(request: Request) -> str:
    """The browser's CSRF cookie value, or a new one (the response then sets it)."""
    seed = request.cookies.get(CSRF_COOKIE, "")
    if not seed or len(seed) > 64:
        seed = getattr(request.state, "csrf_seed", None) or secrets.token_urlsafe(24)
        request.state.csrf_seed = seed
        request.state.csrf_new = True
    return seed


def csrf_token(
    secret: str,
    request: Request,
    session_cookies: tuple[str, ...],
    cookies: Mapping[str, str] | None = None,
) -> str:
    """The CSRF token of this browser and session. ``cookies``: the session cookies as they
    will be after this response (a sign-in sets a new one), else the request's."""
    seed = csrf_seed(request)
    session = _session_hash(request.cookies if cookies is None else cookies, session_cookies)
    payload = f"{seed}|{session}"
    return _b64(_mac(secret, "csrf", _b64(payload.encode("utf-8"))))


def csrf_valid(
    secret: str, request: Request, given: str | None, session_cookies: tuple[str, ...]
) -> bool:
    seed = request.cookies.get(CSRF_COOKIE, "")
    if not seed or not given or len(given) > 200:
        return False
    return hmac.compare_digest(given, csrf_token(secret, request, session_cookies))


def remember_csrf_seed(request: Request, response: Response) -> None:
    """Set the CSRF cookie when this request drew a new seed."""
    if getattr(request.state, "csrf_new", False):
        set_cookie(request, response, CSRF_COOKIE, request.state.csrf_seed)
