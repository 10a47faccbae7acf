"""Waiting on the real stack with generous deadlines (a slow, shared CI machine)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import TEST_PREFIX


async def until(pred: Callable[[], Any], what: str, within: float = 40.0) -> None:
    """Wait until ``pred()`` (sync or async) is true."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = pred()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def arrives(client: Any, chat_id: int, within: float = 60.0, **match: Any) -> dict[str, Any]:
    """The bot's last message matching ``match`` in a chat, however long the worker takes
    (the emulator's wait is cut at 20 s a call, under the client's HTTP timeout)."""
    from tg_support.sandbox.client import SandboxError

    deadline = time.monotonic() + within
    while True:
        try:
            return dict((await client.wait_for(chat_id, timeout=20, **match))[-1])
        except (SandboxError, httpx.TimeoutException):
            if time.monotonic() > deadline:
                raise


def queues_idle(redis_sync: Any) -> bool:
    """No job waiting or running on any of the bot's queues (scheduled ones may wait)."""
    import redis
    from rq import Queue
    from rq.registry import StartedJobRegistry

    from tg_support.core.services import QUEUES

    conn = redis.Redis(connection_pool=redis_sync.connection_pool)
    for name in QUEUES:
        q = Queue(TEST_PREFIX + name, connection=conn)
        if q.count or StartedJobRegistry(queue=q).count:
            return False
    return True
