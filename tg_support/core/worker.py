"""The RQ worker of ``tg-support worker``: RQ's ``SimpleWorker`` with fast crash recovery
and a bounded stop.

Jobs run in the worker process (no fork per job), so what a job loads once (translation
models, compiled scripts) stays loaded for the next.

Crash recovery. RQ records a running job in its queue's ``StartedJobRegistry`` with an
expiry; a ``SimpleWorker`` never renews it while the job runs, so RQ sets it to the job's
whole timeout plus a margin, and only a maintenance pass (every 10 minutes by default)
re-queues what expired, and only jobs with retries left. Here a heartbeat thread renews the
entry every few seconds for ``HEARTBEAT_TTL`` (or the job's timeout plus ``grace``, when
shorter), every worker runs maintenance every ``MAINTENANCE_SECONDS`` (idle workers wake up
for it), and maintenance re-queues an abandoned job at the front of its queue whatever its
retries, up to ``MAX_ABANDONED`` times (a job that keeps killing its worker is then left to
RQ, which fails it). A SIGKILLed worker's job runs again within about
``HEARTBEAT_TTL + MAINTENANCE_SECONDS`` seconds (``bench/faults.py`` measures it).

Stopping. On SIGTERM or SIGINT the worker takes no new job; the job at hand may finish
within ``stop_timeout`` seconds, after which it is interrupted (as by its own timeout) and
put back at the front of its queue for the next worker, instead of counting as failed
(``STOP_MARGIN_SECONDS`` of the bound are kept for the worker's own teardown).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, cast

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.exceptions import NoSuchJobError, StopRequested
from rq.job import Job, JobStatus
from rq.registry import clean_registries
from rq.timeouts import JobTimeoutException
from rq.utils import now
from rq.worker.base import WorkerStatus
from rq.worker_registration import clean_worker_registry

log = logging.getLogger(__name__)

DEFAULT_GRACE_SECONDS = 60
HEARTBEAT_TTL = 30
MAINTENANCE_SECONDS = 10
MAX_ABANDONED = 3
# A crashed maintenance pass must not hold the lock for RQ's 15 minutes.
MAINTENANCE_LOCK_SECONDS = 60
# Of the stop timeout, what the worker keeps for itself after handing its job back (stopping
# its scheduler process, deregistering).
STOP_MARGIN_SECONDS = 4.0


def requeue_abandoned(queue: Queue, connection: Redis) -> list[str]:
    """Put the jobs of ``queue`` whose worker died (registry entry expired, job still
    ``started``) back at the front of the queue; returns their ids."""
    registry = queue.started_job_registry
    done: list[str] = []
    for job_id in registry.get_expired_job_ids():
        try:
            job = Job.fetch(job_id, connection=connection, serializer=queue.serializer)
        except NoSuchJobError:
            continue
        if job.get_status(refresh=False) != JobStatus.STARTED:
            continue
        count = int(job.meta.get("abandoned", 0)) + 1
        if count > MAX_ABANDONED:
            continue  # RQ's own cleanup retries it if it may, else fails it
        job.meta["abandoned"] = count
        with connection.pipeline() as pipe:
            job.save_meta()  # type: ignore[no-untyped-call]
            queue._enqueue_job(job, pipeline=pipe, at_front=True)
            pipe.execute()
        log.warning("re-queued job %s: its worker died (abandoned %d times)", job.id, count)
        done.append(job.id)
    return done


class Worker(SimpleWorker):
    """See the module docstring."""

    grace: int = DEFAULT_GRACE_SECONDS
    stop_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("maintenance_interval", MAINTENANCE_SECONDS)
        super().__init__(*args, **kwargs)
        self._hand_back = False
        self.stopping = False

    @property
    def dequeue_timeout(self) -> int:
        # An idle worker wakes up for maintenance (RQ blocks for worker_ttl - 15 s).
        return MAINTENANCE_SECONDS

    def subscribe(self) -> None:
        """RQ's command channel, polled every second instead of RQ's 60 s.

        RQ stops its pubsub thread at teardown by unsubscribing and joining it; with
        redis-py 8.2 the thread then waits out its whole poll timeout for a subscription
        that never comes, so a finished ``--burst`` worker (or one told to stop) hung for up
        to a minute."""
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = cast(
            Any,
            self.pubsub.run_in_thread(
                sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
            ),
        )

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        if job.timeout == -1:
            return HEARTBEAT_TTL
        return min(HEARTBEAT_TTL, int(job.timeout or Queue.DEFAULT_TIMEOUT) + self.grace)

    # --- crash recovery -------------------------------------------------------------

    def execute_job(self, job: Job, queue: Queue) -> None:
        stop = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(job, queue, stop), name="job-heartbeat", daemon=True
        )
        beat.start()
        try:
            super().execute_job(job, queue)
        finally:
            stop.set()
            beat.join(timeout=5)

    def _beat(self, job: Job, queue: Queue, stop: threading.Event) -> None:
        """Renew the running job's registry entry while it runs."""
        ttl = self.get_heartbeat_ttl(job)
        while not stop.wait(max(1.0, ttl / 4)):
            execution = next(iter(list(self.executions.values())), None)
            if execution is None:
                continue
            try:
                with self.connection.pipeline() as pipe:
                    execution.heartbeat(queue.started_job_registry, ttl, pipe)
                    pipe.expire(self.key, ttl + 60)
                    pipe.execute()
            except Exception:  # Redis away for a moment: the next beat tries again
                log.warning("job heartbeat failed", exc_info=True)

    def clean_registries(self) -> None:
        """RQ's registry maintenance, after re-queueing abandoned jobs (see the module)."""
        for queue in self.queues:
            if not self.connection.set(
                queue.registry_cleaning_key, 1, nx=True, ex=MAINTENANCE_LOCK_SECONDS
            ):
                continue
            try:
                requeue_abandoned(queue, self.connection)
                clean_registries(queue, self._exc_handlers)
                clean_worker_registry(queue)
                queue.intermediate_queue.cleanup(self, queue)
            finally:
                queue.release_maintenance_lock()  # type: ignore[no-untyped-call]
        self.last_cleaned_at = now()  # type: ignore[assignment]

    # --- bounded stop -----------------------------------------------------------------

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        if self.get_state() == WorkerStatus.BUSY and not self._hand_back:
            budget = max(1.0, self.stop_timeout - STOP_MARGIN_SECONDS)
            left = signal.getitimer(signal.ITIMER_REAL)[0]
            if left == 0 or left > budget:
                # The job's own timeout alarm, brought forward: the job is interrupted as by
                # its timeout, and handle_job_failure hands it back.
                self._hand_back = True
                signal.setitimer(signal.ITIMER_REAL, budget)
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        if self._hand_back and exc_info and exc_info[0] is JobTimeoutException:
            return  # our own interruption at the stop deadline, not the job's failure
        super().handle_exception(job, *exc_info)

    def handle_job_failure(
        self,
        job: Job,
        queue: Queue,
        started_job_registry: Any = None,
        exc_string: str = "",
        execution: Any = None,
    ) -> None:
        if not (self._hand_back and "JobTimeoutException" in exc_string):
            super().handle_job_failure(job, queue, started_job_registry, exc_string, execution)
            return
        self._hand_back = False
        with self.connection.pipeline() as pipe:
            self.cleanup_execution(job, pipeline=pipe, execution=execution)
            queue._enqueue_job(job, pipeline=pipe, at_front=True)
            pipe.execute()
        log.warning("stopping: job %s handed back to %s unfinished", job.id, queue.name)


def work_until_stopped(make: Callable[[], Worker], burst: bool = False, **work: Any) -> None:
    """Run workers from ``make`` until one is told to stop.

    RQ's work loop survives Redis going away while it waits for a job, but quits on a Redis
    error anywhere else (recording a job's end while Redis restarts, say). A new worker then
    takes over once Redis answers again; the job the old one was running is re-queued by
    maintenance like any abandoned job."""
    while True:
        worker = make()
        try:
            worker.work(burst=burst, **work)
        except StopRequested:  # a signal between two workers
            return
        except RedisError:  # RQ's teardown (deregistering) met Redis still away
            log.warning("worker: Redis away while the work loop ended", exc_info=True)
        if worker.stopping or burst:
            return
        log.warning("worker: the work loop ended on an error; starting again when Redis answers")
        try:
            _wait_for_redis(worker.connection)
        except StopRequested:
            return


def _wait_for_redis(conn: Redis) -> None:
    delay = 0.5
    while True:
        try:
            if conn.ping():
                return
        except RedisError:
            pass
        time.sleep(delay)
        delay = min(delay * 2, 10.0)
