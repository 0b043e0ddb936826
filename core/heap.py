"""The garbage collector after start-up.

Why: once the service has started, about 300,000 objects (the ORM's models, aiogram's and
pydantic's schemas, translations, the routes) live as long as the process. Python's full
collection walks every one of them each time it runs, which held up every request and bot
update in flight for about 0.2 s, several times a minute under load (the bot's p99 latency in
``bench/bot_throughput.py``). Freezing them once start-up is over takes them out of every later
collection; objects made afterwards are collected as before.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_objects() -> None:
    """Collect what start-up left behind, then move every surviving object out of the
    collector's reach (``gc.freeze``), after the service has started.

    Only the first start-up of a process does it: a process that starts the service again
    (the tests start many) would otherwise keep its predecessors' leftovers for good."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()
