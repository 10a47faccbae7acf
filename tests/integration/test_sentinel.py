"""Redis through sentinels (core.redis_conn, core.replication) against real redis-server
processes: a primary, a replica and three sentinels on loopback."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue, SimpleWorker

from tests.e2e.sentinels import SERVICE, SentinelCluster, running_cluster
from tg_support.config import ConfigError, load_settings
from tg_support.core import replication
from tg_support.core.inbox import Inbox
from tg_support.core.redis_conn import SentinelTarget, async_client, sync_client
from tg_support.core.update_inbox import UpdateInbox
from tg_support.questions.store import QuestionStore

PREFIX = "tgs:test:"

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[SentinelCluster]:
    with running_cluster(tmp_path) as c:
        yield c


def url_of(cluster: SentinelCluster) -> str:
    url = load_settings(redis_sentinels=cluster.sentinels, redis_sentinel_master=SERVICE).redis_url
    assert url is not None
    return url


def replica(cluster: SentinelCluster) -> redis.Redis:
    return redis.Redis(port=cluster.replica_port, decode_responses=True)


def slow_replica(cluster: SentinelCluster, seconds: float) -> threading.Thread:
    """The replica stops reading its replication stream for ``seconds`` (DEBUG SLEEP)."""
    conn = replica(cluster)
    thread = threading.Thread(target=conn.execute_command, args=("DEBUG", "SLEEP", seconds))
    thread.start()
    # The sleep has begun (the replica stops answering) before the write is sent.
    probe = redis.Redis(
        port=cluster.replica_port, socket_timeout=0.05, retry=Retry(NoBackoff(), 0)
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            probe.ping()
        except redis.TimeoutError:
            break
        time.sleep(0.01)
    probe.close()
    return thread


def test_settings_build_the_sentinel_url_from_redis_url() -> None:
    url = load_settings(
        redis_url="redis://:node-pw@ignored:6379/5",
        redis_sentinels="10.0.0.1:26379, 10.0.0.2:26379,10.0.0.3:26380",
        redis_sentinel_master="mooc",
        redis_sentinel_password="s3 cret",
    ).redis_url
    assert url is not None
    target = SentinelTarget.parse(url)
    assert target == SentinelTarget(
        sentinels=(("10.0.0.1", 26379), ("10.0.0.2", 26379), ("10.0.0.3", 26380)),
        service="mooc", db=5, password="node-pw", sentinel_password="s3 cret",
    )  # fmt: skip
    # A worker spawned with that URL as REDIS_URL (and the same variables) gets the same.
    again = load_settings(redis_url=url, redis_sentinels="10.0.0.1:26379").redis_url
    assert again is not None and SentinelTarget.parse(again) == SentinelTarget(
        (("10.0.0.1", 26379),), "tgs", 5, None, "node-pw", "s3 cret"
    )
    assert load_settings(redis_url="redis://h/2").redis_url == "redis://h/2"  # no sentinels


def test_a_bad_sentinel_list_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("10.0.0.1", "10.0.0.1:port", "10.0.0.1:26379,,x:1", ":26379"):
        monkeypatch.setenv("REDIS_SENTINELS", bad)
        with pytest.raises(ConfigError, match=r"^REDIS_SENTINELS: .*host:port"):
            load_settings()


async def test_acknowledged_writes_wait_for_the_replica(cluster: SentinelCluster) -> None:
    r = async_client(url_of(cluster))
    assert replication.is_replicated(r)
    try:
        inbox, updates = Inbox(r, PREFIX, process="a"), UpdateInbox(r, PREFIX, "i1")
        questions = QuestionStore(r, PREFIX)
        # Each write returns only once the replica has it, however late the replica is.
        writes: list[tuple[Callable[[], Awaitable[object]], str]] = [
            (lambda: inbox.admit(7, 42, '{"update_id": 42}'), f"{PREFIX}in:u:42"),
            (lambda: updates.add([{"update_id": 43}]), updates.key),
            (lambda: questions.new_question(5, "¿Dónde está la tarea?", "es", []), f"{PREFIX}q:1"),
        ]
        for write, key in writes:
            sleeper = slow_replica(cluster, 0.6)
            start = time.monotonic()
            await write()
            took = time.monotonic() - start
            sleeper.join()
            assert took >= 0.3, f"acknowledged in {took:.3f} s, before the replica had it"
            assert replica(cluster).exists(key)
    finally:
        await r.aclose()


async def test_a_plain_redis_is_not_waited_for(redis_url: str) -> None:
    r: aioredis.Redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        assert not replication.is_replicated(r)
        assert await replication.replicated(r, lambda c: c.set(f"{PREFIX}x", "1")) is True
    finally:
        await r.delete(f"{PREFIX}x")
        await r.aclose()


async def test_commands_ride_through_a_failover(cluster: SentinelCluster) -> None:
    url = url_of(cluster)
    r, s = async_client(url), sync_client(url)
    try:
        await r.set(f"{PREFIX}a", "1")
        assert s.get(f"{PREFIX}a") == "1"  # both have a pooled connection to the primary
        cluster.kill_primary()
        # Sent at once to the dead primary: retried on new connections, which ask the
        # sentinels again, until the replica is promoted; no error reaches the caller.
        assert await r.get(f"{PREFIX}a") == "1"
        assert s.get(f"{PREFIX}a") == "1"
        assert cluster.primary_address() == ("127.0.0.1", cluster.replica_port)
        await r.set(f"{PREFIX}b", "2")
        assert replica(cluster).get(f"{PREFIX}b") == "2"
    finally:
        await r.aclose()
        s.close()


async def test_without_a_replica_writes_stand_after_one_timeout(
    cluster: SentinelCluster, caplog: pytest.LogCaptureFixture
) -> None:
    r = async_client(url_of(cluster))
    try:
        cluster.procs["replica"].kill()
        cluster.procs["replica"].wait()
        await asyncio.sleep(0.2)
        with caplog.at_level(logging.WARNING, "tg_support.core.replication"):
            start = time.monotonic()
            await replication.replicated(r, lambda c: c.set(f"{PREFIX}a", "1"))
            first = time.monotonic() - start
            start = time.monotonic()
            await replication.replicated(r, lambda c: c.set(f"{PREFIX}b", "2"))
            second = time.monotonic() - start
        assert replication.WAIT_TIMEOUT_MS / 1000 * 0.9 <= first < 5
        assert second < replication.WAIT_TIMEOUT_MS / 1000 / 2  # not waited again at once
        assert "no Redis replica acknowledged" in caplog.text
        assert await r.mget(f"{PREFIX}a", f"{PREFIX}b") == ["1", "2"]
    finally:
        await r.aclose()


def test_rq_runs_jobs_over_a_sentinel_connection(cluster: SentinelCluster) -> None:
    conn = sync_client(url_of(cluster), decode_responses=False)
    try:
        queue = Queue(f"{PREFIX}q", connection=conn)
        job = queue.enqueue("builtins.len", "four")
        SimpleWorker([queue], connection=conn).work(burst=True)
        job.refresh()
        assert job.get_status() == "finished" and job.return_value() == 4
    finally:
        conn.close()


def test_closed_clients_leave_no_sentinel_connection_behind(cluster: SentinelCluster) -> None:
    url = url_of(cluster)
    sentinels = [redis.Redis(port=p, decode_responses=True) for p in cluster.sentinel_ports]

    def connected() -> int:
        """Clients of the sentinels, but not the sentinels' links to each other (which come
        and go on their own)."""
        return sum(
            1 for s in sentinels for c in s.client_list() if not c["name"].startswith("sentinel-")
        )

    async def one_job() -> None:  # what a worker's job does (workers/runtime.py)
        r = async_client(url)
        await r.set(f"{PREFIX}job", "1")
        await r.aclose()

    before = connected()
    for _ in range(10):
        asyncio.run(one_job())
        s = sync_client(url, decode_responses=False)
        s.get(f"{PREFIX}job")
        s.close()
    # A sentinel's link to a peer has no name for a moment after it connects, and the server
    # notices a closed socket on its next loop: so wait for the count to settle. Twenty leaked
    # connections (two per round) would never go.
    deadline = time.monotonic() + 10
    while (now := connected()) > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert now <= before


def test_sentinels_refuse_a_url_they_would_downgrade() -> None:
    for url in ("rediss://:pw@redis.example.org:6380/1", "unix:///run/redis.sock"):
        with pytest.raises(ConfigError, match=r"^REDIS_SENTINELS: .*redis:// REDIS_URL"):
            load_settings(redis_url=url, redis_sentinels="10.0.0.1:26379")
    url = load_settings(redis_url="redis://:p%40ss@h/4", redis_sentinels="h:1").redis_url
    assert url is not None and SentinelTarget.parse(url) == SentinelTarget(
        (("h", 1),), "tgs", 4, None, "p@ss"
    )
