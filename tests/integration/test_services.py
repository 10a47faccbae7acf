"""Services.enqueue against a real Redis and RQ: jobs asked for together share one
transaction, and each caller still gets its own job, or its own error."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from rq import Queue
from rq.job import Job

from tg_support.app import build_services
from tg_support.config import load_settings


async def test_a_burst_of_jobs_lands_whole_and_in_order(r: aioredis.Redis, redis_url: str) -> None:
    svc = build_services(load_settings(redis_prefix="t:"), redis_url)
    try:
        ids = await asyncio.gather(
            *[svc.enqueue("match", "workers.tasks.match_helpers", str(i), 0) for i in range(40)],
            svc.enqueue("translate", "workers.translate.index_pivot", "7", job_id="pivot-7"),
        )
        queue = Queue("t:match", connection=svc.rq_connection)
        assert queue.job_ids == ids[:40]  # every job, once, in the order asked
        assert [Job.fetch(i, connection=svc.rq_connection).args for i in ids[:3]] == [
            ("0", 0), ("1", 0), ("2", 0),
        ]  # fmt: skip
        assert ids[40] == "pivot-7"
        assert Queue("t:translate", connection=svc.rq_connection).job_ids == ["pivot-7"]
    finally:
        await svc.redis.aclose()


async def test_a_job_rq_refuses_fails_alone(r: aioredis.Redis, redis_url: str) -> None:
    svc = build_services(load_settings(redis_prefix="t:"), redis_url)
    try:
        good, bad = await asyncio.gather(
            svc.enqueue("match", "workers.tasks.match_helpers", "1", 0),
            svc.enqueue("match", "workers.tasks.match_helpers", "2", 0, job_id="bad:id!"),
            return_exceptions=True,
        )
        assert isinstance(good, str)
        assert isinstance(bad, ValueError)  # RQ's check of the id, not a lost job
        assert Queue("t:match", connection=svc.rq_connection).job_ids == [good]
        with pytest.raises(ValueError):
            await svc.enqueue("match", "workers.tasks.match_helpers", "3", 0, job_id="no spaces")
    finally:
        await svc.redis.aclose()
