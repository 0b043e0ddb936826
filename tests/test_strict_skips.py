"""CI's strict skips: a test skipped for a missing service fails; a skip that only names the
other database kind stays a skip."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

TESTS = """
import pytest

def test_needs_redis():
    pytest.skip("Redis is not running on 127.0.0.1:6379")

@pytest.mark.skipif(True, reason="LibreOffice (soffice) is not installed")
def test_needs_soffice():
    pass

def test_postgres_only():
    pytest.skip("needs PostgreSQL (set CCHC_TEST_DATABASE_URL)")

def test_sqlite_only():
    pytest.skip("SQLite only: PostgreSQL statements never run on the loop's thread")

def test_passes():
    pass
"""


def test_a_missing_service_fails_in_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(TESTS)
    monkeypatch.setenv("CCHC_STRICT_SKIPS", "1")
    result = pytester.runpytest(
        "-p", "tests.strict_skips", "-p", "no:cacheprovider", "-p", "no:asyncio"
    )
    # a skip decided at set-up (skipif) is reported as an error, at call time as a failure
    result.assert_outcomes(passed=1, failed=1, errors=1, skipped=2)
    result.stdout.fnmatch_lines(["*lack of a service*Redis is not running*"])


def test_without_ci_a_missing_service_is_a_skip(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(TESTS)
    monkeypatch.delenv("CCHC_STRICT_SKIPS", raising=False)
    result = pytester.runpytest(
        "-p", "tests.strict_skips", "-p", "no:cacheprovider", "-p", "no:asyncio"
    )
    result.assert_outcomes(passed=1, skipped=4)
