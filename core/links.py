"""Signed, expiring links to one evidence file, for readers without a back-office account.

An officer downloads the unit's scorecard from the chat or the web form and forwards it to the
unit's leader; the evidence links inside must open for them, although the API's download route
(``/api/v1/evidence/{id}/download``) wants a back-office sign-in. So the scorecard an officer
receives links to ``/api/v1/evidence/{id}/shared?t=<token>`` instead: the token is the evidence
id and an expiry, with an HMAC-SHA256 of both under ``CCHC_SECRET_KEY`` (a purpose of its own, so
no other signed value of the service is accepted here). Whoever holds the workbook can open its
files until the link expires (:data:`LINK_DAYS` days), and nothing else: another id, a later
expiry or a changed byte breaks the signature. Pure functions; the route lives in ``app/api``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

PURPOSE = b"evidence_link"
LINK_DAYS = 14
MAX_TOKEN = 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _mac(secret: str, evidence_id: int, expires: int) -> bytes:
    message = PURPOSE + b"." + f"{evidence_id}.{expires}".encode("ascii")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def evidence_token(secret: str, evidence_id: int, expires_at: datetime) -> str:
    """``<expiry>.<signature>`` for one evidence file (the id travels in the path)."""
    expires = int(expires_at.timestamp())
    return f"{expires}.{_b64(_mac(secret, evidence_id, expires))}"


def evidence_link(secret: str, public_url: str, evidence_id: int, now: datetime) -> str:
    """The shared address of an evidence file, valid for :data:`LINK_DAYS` days from ``now``."""
    token = evidence_token(secret, evidence_id, now + timedelta(days=LINK_DAYS))
    return f"{public_url.rstrip('/')}/api/v1/evidence/{evidence_id}/shared?t={token}"


def token_valid(secret: str, evidence_id: int, token: str | None, now: datetime) -> bool:
    """Was ``token`` signed for this file, and is it still valid?"""
    if not token or len(token) > MAX_TOKEN or token.count(".") != 1:
        return False
    expires_text, mac = token.split(".")
    if not expires_text.isascii() or not expires_text.isdigit() or len(expires_text) > 12:
        return False
    expires = int(expires_text)
    expected = _b64(_mac(secret, evidence_id, expires))
    if not hmac.compare_digest(mac.encode("ascii", "replace"), expected.encode("ascii")):
        return False
    return now.timestamp() < expires
