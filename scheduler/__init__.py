"""Deadlines and reminders (docs/scheduler.md).

``policy`` (when, pure) → ``planning`` (what is due, into the ledger) → ``ledger`` (claims and
marks) → ``delivery`` (still useful? what it says) → ``limiter`` (Telegram's limits) →
``sender``; ``autolock`` (locks at deadlines), ``digests`` (the secretariat's), ``leader``
(one instance on PostgreSQL), ``ticker`` (the :class:`~scheduler.ticker.Scheduler` the app
starts), ``dry_run`` (what a tick would do now). Imports go down only: forms, core.
"""
