"""Handler-level tests: the real dispatcher and handlers over a recorded fake Telegram
(:mod:`tests.bot.harness`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.harness import Harness, in_memory
from tests.forms.conftest import sheet  # noqa: F401  (the fixture is used by the tests)


@pytest.fixture
async def harness(
    sheet: dict,  # noqa: F811
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Harness]:
    caplog.set_level(logging.INFO, logger="cchc.bot")
    yield in_memory(data_dir, album_delay=0.05)
    failures = [r for r in caplog.records if r.name == "cchc.bot" and r.levelno >= logging.ERROR]
    assert not failures, (
        "a handler failed: "
        + failures[0].getMessage()
        + "\n"
        + str(failures[0].exc_info[1] if failures[0].exc_info else "")
    )
