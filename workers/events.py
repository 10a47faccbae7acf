"""Event and recognition jobs: reminders, the "how was it?" prompt, changes and
cancellations, the monthly helper spotlight. Each takes ids, is idempotent (``send_once``
per recipient) and runs on the shared ``runtime``."""

from __future__ import annotations

import time
from typing import Any

from tg_support.community import events, recognition
from tg_support.core import jobs

from .runtime import Runtime, run


def reminder(eid: str, hours: int, start: float) -> int:
    """The ``hours``-before reminder of event ``eid``; how many attendees it reached."""
    return run(lambda rt: events.remind(rt.bot, rt.store, eid, hours, start))


def feedback(eid: str, end: float) -> int:
    """"How was it?" to the attendees of event ``eid``."""
    return run(lambda rt: events.ask_feedback(rt.bot, rt.store, eid, end))


def notify(eid: str, kind: str, changes: dict[str, Any], stamp: str) -> int:
    """Changes (``edit``) or the cancellation (``cancel``) to everyone who answered."""
    if kind == "cancel":
        return run(lambda rt: events.notify_cancel(rt.bot, rt.store, eid))
    return run(lambda rt: events.notify_change(rt.bot, rt.store, eid, changes, stamp))


def spotlight(month: str) -> int:
    """Post ``month``'s helper spotlight in every group, then schedule next month's."""

    async def job(rt: Runtime) -> int:
        posted = await recognition.post_spotlight(rt.bot, rt.store, month)
        now = time.time()
        due = recognition.next_month_start(now)
        jobs.schedule(rt.settings, jobs.spotlight(recognition.month_of(due)), due - now)
        return posted

    return run(job)
