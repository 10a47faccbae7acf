"""Writes that must survive a failover: ``WAIT 1`` after them, when Redis is replicated.

Redis replicates asynchronously: a write the primary has answered can still be lost when
the primary dies and a replica that had not received it is promoted. Where the bot promises
something on the strength of a write (an update is acknowledged to Telegram once it is in
the inbox; a question is numbered for its author), the write runs through :func:`replicated`:
on one connection, followed by ``WAIT 1 <timeout>`` on that same connection (WAIT covers
the writes of the connection it is sent on, so it cannot go through the pool separately).

Only with sentinels (``REDIS_SENTINELS``, recognised by the client's pool): a single Redis
has no replica to wait for. When no replica acknowledges in time (none is connected, e.g.
just after a failover until the old primary comes back as a replica), the write stands:
refusing it would stop the bot, while the replicated state catches up on the next sync.
For :data:`DEGRADED_PAUSE` seconds after such a miss the wait is skipped, so a lone primary
does not add :data:`WAIT_TIMEOUT_MS` to every acknowledged write.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.connection import ConnectionPool
from redis.asyncio.sentinel import SentinelConnectionPool

log = logging.getLogger(__name__)

T = TypeVar("T")

# A replica on the same network acknowledges within milliseconds; this bounds the stall of
# an acknowledged write when it cannot.
WAIT_TIMEOUT_MS = 1000
DEGRADED_PAUSE = 5.0

# When each pool last found no replica acknowledging.
_missed: weakref.WeakKeyDictionary[ConnectionPool, float] = weakref.WeakKeyDictionary()


def is_replicated(redis: Redis) -> bool:
    """True for a client whose primary is found through sentinels."""
    return isinstance(redis.connection_pool, SentinelConnectionPool)


async def replicated(redis: Redis, write: Callable[[Redis], Awaitable[T]]) -> T:
    """``await write(client)``, then, with sentinels, ``WAIT 1`` for it on the same
    connection. ``write`` must send its commands through the client it is given (a
    registered script: ``script(keys=…, args=…, client=client)``), not a pipeline."""
    if not is_replicated(redis):
        return await write(redis)
    pool = redis.connection_pool
    async with redis.client() as conn:
        result = await write(conn)
        missed = _missed.get(pool)
        if missed is not None and time.monotonic() - missed < DEGRADED_PAUSE:
            return result
        acks = int(await conn.wait(1, WAIT_TIMEOUT_MS))
    if acks < 1:
        _missed[pool] = time.monotonic()
        log.warning(
            "no Redis replica acknowledged within %d ms: the write stands unreplicated",
            WAIT_TIMEOUT_MS,
        )
    else:
        _missed.pop(pool, None)
    return result
