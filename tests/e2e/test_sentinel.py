"""A Sentinel failover under a running bot and worker: a primary, a replica and three
sentinels on loopback (real redis-server processes); the primary is SIGKILLed between two
questions and neither process is restarted."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue

from tests.conftest import TEST_PREFIX
from tg_support.core.redis_conn import sync_client

from .people import Person, buttons, text
from .sentinels import SERVICE, SentinelCluster, running_cluster
from .world import forum_group, onboard, person, register

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[SentinelCluster]:
    with running_cluster(tmp_path) as c:
        yield c


@pytest.fixture
def redis_url(cluster: SentinelCluster) -> str:
    """The bot under test gets its URL the way `tg-support run` does: from REDIS_SENTINELS."""
    from tg_support.config import load_settings

    url = load_settings(redis_sentinels=cluster.sentinels, redis_sentinel_master=SERVICE).redis_url
    assert url is not None and url.startswith("redis+sentinel://")
    return url


@pytest.fixture
def redis_sync(redis_url: str) -> Iterator[redis.Redis]:
    from tg_support.core.redis_conn import sync_client

    conn = sync_client(redis_url)
    yield conn
    conn.close()


def start_worker(sandbox: Any, cluster: SentinelCluster, data_dir: Path, log: Path) -> Any:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "424242:TEST-token-abcdefghijklmnop",
        "TELEGRAM_API_URL": sandbox.url,
        "REDIS_URL": "redis://127.0.0.1/0",  # only its db is used: the primary is asked for
        "REDIS_SENTINELS": cluster.sentinels,
        "REDIS_SENTINEL_MASTER": SERVICE,
        "REDIS_PREFIX": TEST_PREFIX,
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "INFO",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tg_support.cli", "worker"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # RQ's scheduler is a child: killed with its group
    )


async def until(what: str, check: Any, deadline: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while loop.time() < end:
        try:
            if await asyncio.to_thread(check):
                return
        except redis.RedisError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def offer_for(client: Any, helper: Person, number: str) -> dict[str, Any]:
    [offer] = await client.wait_for(helper.id, text_contains=f"#{number}", timeout=60)
    return dict(offer)


async def test_sentinel_failover_bot_and_worker_carry_on(
    bot: Any,
    redis_url: str,
    client: Any,
    sandbox: Any,
    cluster: SentinelCluster,
    redis_sync: redis.Redis,
    worker_data_dir: Path,
    tmp_path: Path,
) -> None:
    admin = await person(client, "Ana", "es", username="ana_admin")
    maria = await person(client, "María", "es")
    lucia = await person(client, "Lucía", "es")
    carlos = await person(client, "Carlos", "es")
    es = await forum_group(client, "MOOC en español", admin, [maria, lucia, carlos])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es")
    await onboard(lucia, "es")
    await onboard(carlos, "es", role="helper")

    log = tmp_path / "worker.log"
    worker = start_worker(sandbox, cluster, worker_data_dir, log)
    try:
        # Ready once it has published the translation pairs it serves (through sentinels).
        await until("the worker", lambda: redis_sync.exists(f"{TEST_PREFIX}tr:pairs"))
        [confirm] = await maria.send(
            "¿Cómo entrego la tarea de la semana 3 en Coursera? No encuentro el botón.",
            timeout=30,
        )
        assert "#1" in text(confirm)
        offer1 = await offer_for(client, carlos, "1")
        assert "semana 3" in text(offer1)
        before = redis_sync.hgetall(f"{TEST_PREFIX}q:1")
        assert before["status"] == "open" and before["thread_id"]

        # A second learner asks the moment the primary dies: the bot's commands meet a dead
        # server until the sentinels (down after 1 s, then an election) promote the replica.
        # Neither the bot nor the worker is restarted: they find the new primary by
        # themselves, and the question is numbered after the first (the counter survived).
        cluster.kill_primary()
        [confirm2] = await lucia.send(
            "¿Dónde veo mi nota del examen final del módulo 2?", timeout=60
        )
        await asyncio.to_thread(cluster.wait_failover)
        assert cluster.primary_address() == ("127.0.0.1", cluster.replica_port)
        assert "#2" in text(confirm2)

        # What was acknowledged before the failover is on the new primary.
        after = redis.Redis(port=cluster.replica_port, decode_responses=True)
        assert after.hgetall(f"{TEST_PREFIX}q:1") == before
        after.close()
        assert "módulo 2" in text(await offer_for(client, carlos, "2"))
        assert redis_sync.hget(f"{TEST_PREFIX}q:2", "status") == "open"
        assert redis_sync.hget(f"{TEST_PREFIX}q:1", "text") == before["text"]

        # The helper takes the first question (an offer made before the failover) and
        # answers in its topic; the learner gets the answer.
        [took] = await carlos.press(offer1, "of:acc:1", timeout=30)
        assert took["message_id"] == offer1["message_id"] and buttons(took) == []
        since = await maria.seq()
        await carlos.c.send_text(
            carlos.id, "Pestaña Tareas, botón «Enviar».",
            chat_id=es["id"], message_thread_id=int(before["thread_id"]),
        )  # fmt: skip
        [answer] = await client.wait_for(maria.id, since_seq=since, timeout=30)
        assert "Pestaña Tareas" in text(answer) and "#1" in text(answer)

        # The worker's RQ scheduler (a child process with a connection of its own, rebuilt
        # from the worker's) also found the new primary: a delayed job still comes due.
        conn = sync_client(redis_url, decode_responses=False)
        queue = Queue(f"{TEST_PREFIX}interactive", connection=conn)
        job = queue.enqueue_in(timedelta(seconds=1), "builtins.len", "four")
        await until("the delayed job", lambda: job.get_status(refresh=True) == "finished")
        assert job.return_value() == 4
        conn.close()
        assert worker.poll() is None
    finally:
        os.killpg(worker.pid, 9)
        worker.wait()
        print(log.read_text(errors="replace")[-4000:])
