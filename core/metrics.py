"""Prometheus metrics shared by every layer of one process.

The objects live in prometheus_client's default registry as module-level singletons so any
layer (forms, bot, scheduler, scoring, app) can count without passing a registry around, and
``/metrics`` exposes them all. Each process (API instance, bot worker) keeps its own counters:
Prometheus scrapes every instance separately and sums in queries, so no multiprocess mode is
needed. Label values are always drawn from small closed sets (update types, outcomes, channels,
workbook kinds, failure reasons) to keep the number of series bounded.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPDATES_HANDLED = Counter(
    "cchc_updates_handled_total",
    "Telegram updates processed by the bot, by update type and outcome "
    "(handled, ignored when no handler matched, error when a handler raised).",
    ["update_type", "outcome"],
)

ANSWERS_RECORDED = Counter(
    "cchc_answers_recorded_total",
    "Answers (declared values or notes) committed to a score sheet, by channel.",
    ["channel"],
)

REMINDERS_SENT = Counter(
    "cchc_reminders_sent_total",
    "Reminders the Bot API accepted.",
)

REMINDERS_FAILED = Counter(
    "cchc_reminders_failed_total",
    "Reminders that did not reach the officer, by reason (blocked, unreachable, rate_limited, "
    "delivery_error, timeout, notifier_error) and outcome (retry = tried again later, "
    "final = the reminder is marked failed or blocked).",
    ["reason", "outcome"],
)

EXPORT_DURATION = Histogram(
    "cchc_export_duration_seconds",
    "Time to build one export (workbook or evidence archive), by kind.",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)

SCHEDULER_TICKS = Counter(
    "cchc_scheduler_ticks_total",
    "Scheduler ticks run by this instance while it held leadership, by outcome (ok, error).",
    ["outcome"],
)

SCHEDULER_LAST_TICK = Gauge(
    "cchc_scheduler_last_tick_timestamp_seconds",
    "Unix time of the last completed scheduler tick on this instance (0 = never).",
)

SCHEDULER_LEADER = Gauge(
    "cchc_scheduler_leader",
    "1 when this instance holds the scheduler leadership lock, else 0.",
)

BOT_LAST_CONTACT = Gauge(
    "cchc_bot_last_contact_timestamp_seconds",
    "Unix time the Bot API last answered a call from this instance (0 = never).",
)
