"""A database of the kind under test for the command-line and server tests of one module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.databases import scratch_database


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    folder = tmp_path_factory.mktemp("cli")
    with scratch_database(folder) as url:
        yield {
            **os.environ,
            "CCHC_DATABASE_URL": url,
            "CCHC_DATA_DIR": str(folder / "data"),
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
