"""The API in-process: the back office of :mod:`tests.backoffice`, called under /api/v1."""

from __future__ import annotations

from tests import backoffice as shared
from tests.backoffice import Clock  # noqa: F401  (the tests' clock, imported from here)

# the back office's fixtures, with the API's client
api_app = shared.api_app
clock = shared.clock
notifier = shared.notifier
store = shared.store
world = shared.world
client = shared.api_client
