"""What handlers need besides the update: settings, Redis, queues. Built once in ``app``.

Services hold connections and configuration only, never state: all state is in Redis.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from redis import Redis as SyncRedis
from redis.asyncio import Redis
from rq import Queue
from telegram.ext import Application, CallbackContext, ExtBot

from tg_support.config import Settings
from tg_support.core.batching import Batcher
from tg_support.core.jobs import Job
from tg_support.core.store import Conversation, Profile, Store

# A job for the next enqueue transaction: queue, function, args, kwargs.
_Job = tuple[Queue, str, tuple[Any, ...], dict[str, Any]]

# Queue names, most urgent first: a worker listening on several drains them in this order,
# so interactive work never waits behind a broadcast.
QUEUES: tuple[str, ...] = ("interactive", "translate", "match", "broadcast")


@dataclass
class Services:
    settings: Settings
    redis: Redis
    store: Store
    rq_connection: SyncRedis
    queues: dict[str, Queue] = field(default_factory=dict)

    _enqueuer: Batcher[_Job, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._enqueuer = Batcher(self._enqueue_batch)
        for name in QUEUES:
            self.queues.setdefault(
                name, Queue(self.queue_name(name), connection=self.rq_connection)
            )

    def queue_name(self, name: str) -> str:
        return f"{self.settings.redis_prefix}{name}"

    async def enqueue(
        self, queue: str, func: str, *args: Any, delay: float | None = None, **kwargs: Any
    ) -> str:
        """Enqueue a job by dotted name (after ``delay`` seconds, through RQ's scheduler)
        without blocking the event loop; returns its id."""
        q = self.queues[queue]
        if delay:
            job = await asyncio.to_thread(
                q.enqueue_in, timedelta(seconds=delay), func, *args, **kwargs
            )
            return str(job.id)
        # Jobs asked for while a transaction is on its way go together in the next one:
        # one thread hop and one round trip for a burst instead of one each.
        return await self._enqueuer((q, func, args, kwargs))

    async def _enqueue_batch(self, batch: list[_Job]) -> list[str | Exception]:
        return await asyncio.to_thread(self._enqueue_now, batch)

    @staticmethod
    def _enqueue_now(batch: list[_Job]) -> list[str | Exception]:
        # On our own pipeline, RQ's two transactions per job (queue registration, then the
        # job) become one round trip for the whole batch. A job RQ refuses (bad options)
        # fails alone: RQ queues its commands only once the job is built.
        results: list[str | Exception] = []
        with batch[0][0].connection.pipeline() as pipe:
            for q, func, args, kwargs in batch:
                try:
                    results.append(str(q.enqueue(func, *args, pipeline=pipe, **kwargs).id))
                except Exception as exc:
                    results.append(exc)
            pipe.execute()
        return results

    async def submit(self, job: Job, *, delay: float | None = None) -> str:
        """Enqueue a typed job (``core.jobs``); returns its id."""
        return await self.enqueue(job.queue, job.func, *job.args, delay=delay, **job.options)

    async def call(self, job: Job, *, wait: float = 2.0) -> Any:
        """Run a job on a worker and wait briefly for its result; None when it is late.

        For quick work only a worker can do (e.g. translating a search query): the caller
        must have an answer without it."""
        rq_job = await asyncio.to_thread(
            self.queues[job.queue].enqueue, job.func, *job.args, result_ttl=60, ttl=wait
        )
        deadline = asyncio.get_running_loop().time() + wait
        while asyncio.get_running_loop().time() < deadline:
            status = await asyncio.to_thread(rq_job.get_status, True)
            if status == "finished":
                return await asyncio.to_thread(lambda: rq_job.return_value())
            if status in ("failed", "stopped", "canceled"):
                return None
            await asyncio.sleep(0.03)
        return None


class Ctx(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB builds one context per update and reuses it across handler groups, so the
    profile loaded by the early group is available to the handlers after it."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.profile: Profile | None = None
        self.locale: str = "en"
        # Read with the profile in one round trip by the first handler group (guards).
        self.conv: Conversation | None = None
        self.flood_count: int | None = None
        self.groups_version: str | None = None  # read with them

    @property
    def svc(self) -> Services:
        services: Services = self.application.bot_data["services"]
        return services
