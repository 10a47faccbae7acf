"""``tg-support status`` as an operator runs it, against the real Redis a real worker used:
queues, workers, a failed job and --requeue, the limiter's holds, translation pairs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
import redis
from rq import Queue

from tests.conftest import TEST_PREFIX, run_worker

pytestmark = pytest.mark.e2e


def status(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tg_support.cli", "status", *args],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


async def test_status_shows_failures_requeues_them_and_the_limiter(
    worker_env: dict[str, str], redis_sync: Any, redis_url: str
) -> None:
    conn = redis.Redis.from_url(redis_url)
    Queue(TEST_PREFIX + "match", connection=conn).enqueue("builtins.int", "not a number")
    assert await run_worker(worker_env) == 0  # the job fails; the worker publishes its pairs
    bot = worker_env["TELEGRAM_BOT_TOKEN"].split(":")[0]
    redis_sync.set(f"{TEST_PREFIX}rl:{{{bot}}}:hold:-100777", "1", px=120_000)

    res = status(worker_env)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "match" in out and "failed jobs (tg-support status --requeue" in out
    assert "builtins.int" in out and "ValueError" in out
    assert "chat -100777 on hold for" in out
    assert "en-es" in out  # the shipped models' pairs, published by the worker
    assert "open questions: 0" in out

    data = json.loads(status(worker_env, "--json").stdout)
    assert data["queues"]["match"]["failed"] == 1 and data["queues"]["match"]["queued"] == 0

    res = status(worker_env, "--requeue")
    assert "requeued 1 failed jobs" in res.stdout
    data = json.loads(status(worker_env, "--json").stdout)
    assert data["queues"]["match"] == {"queued": 1, "started": 0, "scheduled": 0, "failed": 0}
    conn.close()


def test_status_needs_redis_url() -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    res = subprocess.run([sys.executable, "-m", "tg_support.cli", "status"], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "REDIS_URL" in res.stderr
