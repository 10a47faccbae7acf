"""Job functions for worker tests (imported by real `tg-support worker` processes)."""

from __future__ import annotations

import os
import time

import redis


def slow(key: str, seconds: float) -> str:
    """Count a run under ``key``, take ``seconds``, then mark the run finished."""
    conn = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        conn.incr(f"{key}:runs")
        time.sleep(seconds)
        conn.incr(f"{key}:finished")
        return "done"
    finally:
        conn.close()
