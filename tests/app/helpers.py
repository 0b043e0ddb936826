"""Running the ``cchc`` command as an operator does: a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CCHC = [sys.executable, "-m", "app"]


def run(
    env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CCHC, *args], env=env, capture_output=True, text=True, input=stdin, timeout=120, cwd=cwd
    )
