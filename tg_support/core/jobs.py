"""Scheduling RQ jobs from jobs, and the worker class that runs them.

Jobs that schedule their own follow-up (the next offer round, the next idle check) use
:func:`enqueue_in`: a deterministic job id, so scheduling again replaces the pending job
instead of adding a second one. RQ's scheduler (``tg-support worker`` runs it unless
``--no-scheduler``) moves due jobs onto their queue.

Crash recovery
--------------
:class:`Worker` is RQ's ``SimpleWorker``: jobs run in the worker process itself (no fork per
job), so what a job loads once (translation models, compiled scripts) stays loaded for the
next. RQ records a running job in the queue's ``StartedJobRegistry`` until
``job_timeout + grace``; the job itself is stopped at ``job_timeout`` (SIGALRM in this
process). A worker that dies (SIGKILL, lost machine) leaves the entry behind; once it has
expired, the next worker's maintenance (at its start, then every ``maintenance_interval``)
re-queues the job if it has retries left (:func:`match_options` gives matching jobs
``Retry(max=3)``, without an interval so that recovery needs no scheduler), else moves it
to the failed registry. Jobs are idempotent, so a re-run finishes what the dead one began.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

from rq import Queue, Retry, SimpleWorker
from rq.defaults import DEFAULT_WORKER_TTL
from rq.job import Job

from tg_support.config import Settings

# RQ entry points by dotted name: the bot never imports workers/ (they pull in the
# translation engine), and workers/ imports the features, so names keep imports one way.
MATCH_HELPERS = "workers.tasks.match_helpers"

MATCH_RETRIES = 3
DEFAULT_GRACE_SECONDS = 60


def match_options(settings: Settings) -> dict[str, Any]:
    """Options of every ``match_helpers`` job: a timeout, and retries after a failure or a
    crash (the job is idempotent)."""
    return {"job_timeout": settings.match_job_timeout_seconds, "retry": Retry(max=MATCH_RETRIES)}


def enqueue_in(
    settings: Settings,
    queue: str,
    func: Callable[..., Any] | str,
    delay: float,
    job_id: str,
    *args: Any,
    **options: Any,
) -> None:
    """Run ``func(*args)`` on ``queue`` (a name from ``services.QUEUES``) after ``delay``
    seconds (at least one), as job ``job_id``: scheduling the same id again replaces it."""
    from tg_support.core.redis_conn import sync_client

    assert settings.redis_url is not None
    conn = sync_client(settings.redis_url, decode_responses=False)
    try:
        Queue(settings.redis_prefix + queue, connection=conn).enqueue_in(
            timedelta(seconds=max(1.0, delay)), cast(Any, func), *args, job_id=job_id, **options
        )
    finally:
        conn.close()


class Worker(SimpleWorker):
    """``SimpleWorker`` whose running jobs count as abandoned ``grace`` seconds after their
    timeout (RQ's own margin is 60 s; see the module docstring)."""

    grace: int = DEFAULT_GRACE_SECONDS

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        if job.timeout == -1:
            return DEFAULT_WORKER_TTL
        return int(job.timeout or Queue.DEFAULT_TIMEOUT) + self.grace
