"""Waiting in tests without sleeping and hoping: for an event, or, where nothing can be
subscribed to (another process, a server starting), for a condition polled until a deadline.
Either way a wait that runs out fails with a sentence saying what did not happen."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx
import uvicorn

T = TypeVar("T")


async def within(seconds: float, awaitable: Awaitable[T], what: str) -> T:
    """``await awaitable``, failing with "<what> did not happen within <seconds> s" when it
    takes longer (a TimeoutError raised by the awaitable itself passes through)."""
    scope = asyncio.timeout(seconds)
    try:
        async with scope:
            return await awaitable
    except TimeoutError:
        if not scope.expired():
            raise
        raise AssertionError(f"{what}: did not happen within {seconds:g} s") from None


async def explained(awaitable: Awaitable[T], what: str) -> T:
    """``await awaitable``, a wait with a deadline of its own that raises a bare TimeoutError
    (the sandbox's ``wait_until``, for instance), failing with what did not happen instead."""
    try:
        return await awaitable
    except TimeoutError as exc:
        raise AssertionError(f"{what}: did not happen ({exc or 'timed out'})") from None


async def happens(event: asyncio.Event, what: str, timeout: float = 10) -> None:
    """Wait for ``event`` (set by the code under test or by a test double)."""
    await within(timeout, event.wait(), what)


async def until(
    check: Callable[[], bool | Awaitable[bool]],
    what: str,
    *,
    timeout: float = 10,
    every: float = 0.05,
    detail: Callable[[], str] | None = None,
) -> None:
    """Poll ``check`` (sync or async) until it holds; for state that offers no event to wait
    on. ``detail`` adds what the failure message should show (a log's tail, a count)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        ok = check()
        if inspect.isawaitable(ok):
            ok = await ok
        if ok:
            return
        if loop.time() > deadline:
            more = f"\n{detail()}" if detail is not None else ""
            raise AssertionError(f"{what}: did not happen within {timeout:g} s{more}")
        await asyncio.sleep(every)


async def serving(server: uvicorn.Server, task: asyncio.Task[None], timeout: float = 30) -> None:
    """Wait for a uvicorn server run in the tests' loop to accept connections (uvicorn has no
    startup event; ``started`` is a flag); its own error if it stops instead."""
    await until(lambda: server.started or task.done(), "uvicorn serving", timeout=timeout)
    if task.done():
        task.result()
        raise AssertionError("uvicorn stopped before serving")


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def answering(
    proc: subprocess.Popen[bytes],
    url: str,
    log: Path,
    *,
    timeout: float = 60,
    client: httpx.Client | None = None,
) -> httpx.Response:
    """The first response of a service process started by the test at ``url`` (whatever its
    status); fails at once if the process exits, and after ``timeout`` if it never answers,
    with the process's log."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client is not None:
                return client.get(url)
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            code = proc.poll()
            assert code is None, f"the service exited ({code}) before answering {url}:\n" + tail(
                log
            )
            assert time.monotonic() < deadline, (
                f"the service did not answer {url} within {timeout:g} s:\n" + tail(log)
            )
            time.sleep(0.1)
