"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis): no server
errors, documented status codes and content types, bodies that match the schema.

Each operation gets a fresh database with the small province of :mod:`tests.api.world` (one
sheet submitted, so appraisal routes have something to work on) and is called as the
administrator, so requests get past authentication and reach the services. Examples are
derandomised and capped, so the run is deterministic and takes seconds.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app
from core.settings import load_settings
from tests.api.world import World, fill_and_submit

MAX_EXAMPLES = 20

_app = create_app(load_settings(database_url="sqlite://:memory:", bot_mode="off"))
schema = schemathesis.openapi.from_dict(_app.openapi()).include(path_regex=r"^/api/v1/")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _httpx_kwargs(case: schemathesis.Case, headers: dict[str, str]) -> dict[str, Any]:
    """schemathesis prepares requests-style arguments; hand them to httpx."""
    kw = case.as_transport_kwargs(base_url="http://test", headers=headers)
    out: dict[str, Any] = {
        "method": kw["method"],
        "url": kw["url"],
        "headers": kw.get("headers") or {},
        "params": kw.get("params") or None,
    }
    cookies = kw.get("cookies") or {}
    if cookies:
        out["headers"] = {
            **out["headers"],
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        }
    if kw.get("json") is not None:
        out["json"] = kw["json"]
    if kw.get("files"):
        out["files"] = [_file(name, value) for name, value in _pairs(kw["files"])]
    if "data" in kw:
        data = kw["data"]
        if isinstance(data, bytes | str):
            out["content"] = data
        elif data is not None:
            out["data"] = data
    return out


def _pairs(files: Any) -> list[tuple[str, Any]]:
    return list(files.items()) if isinstance(files, dict) else list(files)


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return value.encode() if isinstance(value, str) else str(value).encode()


def _file(name: str, value: Any) -> tuple[str, Any]:
    """requests accepts any value as a multipart part; httpx wants bytes (or a file)."""
    if isinstance(value, tuple):
        filename, content, *rest = value
        return name, (filename, _bytes(content), *rest)
    return name, _bytes(value)


@pytest.fixture
async def prepared(world: World, store: Any) -> World:
    await fill_and_submit(world, "SNV", "lan", store=store)
    return world


@pytest.fixture
async def session_loop() -> asyncio.AbstractEventLoop:
    """The loop the fixtures, the database connection and the app run in."""
    return asyncio.get_running_loop()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_matches_its_schema(
    case: schemathesis.Case,
    client: httpx.AsyncClient,
    prepared: World,
    session_loop: asyncio.AbstractEventLoop,
) -> None:
    """Synchronous on purpose: every example runs in the session's loop. Left to schemathesis,
    an async test runs in whatever loop is current and in a new one when none is (after an
    ``asyncio.run`` elsewhere in the session): a loop per example, never closed, each keeping
    threads alive until the process exits."""
    response = session_loop.run_until_complete(_call(case, client, prepared.tokens["admin"]))
    case.validate_response(response, checks=CHECKS)


async def _call(case: schemathesis.Case, client: httpx.AsyncClient, token: str) -> httpx.Response:
    kwargs = _httpx_kwargs(case, {"Authorization": f"Bearer {token}"})
    url = kwargs.pop("url").removeprefix("http://test/api/v1")
    request = client.build_request(url=url, **kwargs)
    request.read()  # multipart bodies stream; schemathesis reads the sent body back
    return await client.send(request)
