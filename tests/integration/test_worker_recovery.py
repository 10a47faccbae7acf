"""Real `tg-support worker` processes: a job whose worker was SIGKILLed runs again within two
minutes (RQ alone: its timeout plus a minute, then up to 10 minutes more, and never without
retries left); a worker told to stop hands its job back within STOP_TIMEOUT_SECONDS and
exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Any

import pytest
import redis as redis_lib
from rq import Queue
from rq.job import Job

from tests.conftest import TEST_PREFIX

pytestmark = pytest.mark.slow


async def spawn(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tg_support.cli", "worker", "--queues", "match",
        env={**os.environ, **env}, start_new_session=True,
    )  # fmt: skip


async def until(predicate: Any, timeout: float) -> float:
    """Seconds until ``predicate()`` held; fails after ``timeout``."""
    began = time.monotonic()
    while not predicate():
        if time.monotonic() - began > timeout:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.2)
    return time.monotonic() - began


async def test_a_killed_workers_job_runs_again_soon_and_a_stop_hands_it_back(
    redis_sync: Any, redis_url: str, worker_env: dict[str, str]
) -> None:
    env = {**worker_env, "STOP_TIMEOUT_SECONDS": "3"}
    conn = redis_lib.Redis.from_url(redis_url)
    queue = Queue(TEST_PREFIX + "match", connection=conn)
    # No Retry: RQ alone would move this job to the failed registry once abandoned.
    job = queue.enqueue("tests.integration.slow_jobs.slow", "slowjob", 600, job_timeout=900)
    first = await spawn(env)
    try:
        await until(lambda: redis_sync.get("slowjob:runs") == "1", timeout=60)
        os.killpg(first.pid, signal.SIGKILL)
        await first.wait()
        assert Job.fetch(job.id, connection=conn).get_status() == "started"
        killed = time.monotonic()
        second = await spawn(env)
        try:
            await until(lambda: redis_sync.get("slowjob:runs") == "2", timeout=120)
            rerun_after = time.monotonic() - killed
            print(f"re-run {rerun_after:.1f}s after SIGKILL")
            assert rerun_after <= 120
            # SIGTERM mid-job: the job is handed back (queued again), the worker exits 0.
            asked = time.monotonic()
            os.killpg(second.pid, signal.SIGTERM)
            code = await asyncio.wait_for(second.wait(), 30)
            stopped_in = time.monotonic() - asked
            print(f"worker stopped {stopped_in:.1f}s after SIGTERM")
            assert code == 0 and stopped_in <= 3 + 5
        finally:
            if second.returncode is None:
                os.killpg(second.pid, signal.SIGKILL)
                await second.wait()
        again = Job.fetch(job.id, connection=conn)
        assert again.get_status() == "queued" and queue.get_job_ids() == [job.id]
        assert redis_sync.get("slowjob:finished") is None  # never ran to its end
        assert queue.failed_job_registry.count == 0
    finally:
        if first.returncode is None:
            os.killpg(first.pid, signal.SIGKILL)
        conn.close()
