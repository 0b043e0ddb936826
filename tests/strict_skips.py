"""A pytest plugin for CI: a test skipped because a service is missing fails instead.

CI provides every service the suite uses (Chromium, LibreOffice, psql/pg_dump, Redis, and
PostgreSQL in its second pass). A skip for a missing service would let a broken install pass
silently, so with ``CCHC_STRICT_SKIPS=1`` (set by ``.ci/run``) such a skip is reported as a
failure. Skips that only say the test is for the other database kind stay skips: the
PostgreSQL-only tests in the SQLite pass, and the SQLite-only ones in the PostgreSQL pass.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator
from typing import Any

import pytest

# Reasons that name the database kind under test, not a missing service.
DATABASE_KIND = re.compile(r"CCHC_TEST_DATABASE_URL|SQLite only|needs PostgreSQL", re.IGNORECASE)


def _reason(longrepr: Any) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator:
    outcome = yield
    report = outcome.get_result()
    if not os.environ.get("CCHC_STRICT_SKIPS") or not report.skipped:
        return
    if hasattr(report, "wasxfail"):
        return
    reason = _reason(report.longrepr)
    if DATABASE_KIND.search(reason):
        return
    report.outcome = "failed"
    report.longrepr = f"skipped for lack of a service that this CI pass provides: {reason}"
