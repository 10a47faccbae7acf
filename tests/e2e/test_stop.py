"""Stopping under a burst: `tg-support run` gets SIGTERM with hundreds of updates fetched and
not yet handled, exits 0 within STOP_TIMEOUT_SECONDS, and the next start answers every one
of them (they waited in the Redis inbox). Replies to a burst stay inside the emulator's
flood limits: no 429."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from tests.conftest import TEST_PREFIX

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

USERS = 30
PER_USER = 8
STOP_TIMEOUT = 10


async def start_bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    out = log.open("ab")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tg_support.cli", "run", "--no-worker",
        env={**os.environ, **env}, stdout=out, stderr=out,
    )  # fmt: skip


async def until(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.2)


async def help_replies(client: Any, uid: int) -> int:
    return len(
        [m for m in await client.messages(uid, from_bot=True) if "/ask" in m.get("text", "")]
    )


async def flood_errors(client: Any) -> int:
    return sum(1 for e in await client.log() if e["status"] == 429)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The production default: this module checks that replies stay inside the limits.
    from tg_support.config import Settings

    return {"send_private_burst": Settings.model_fields["send_private_burst"].default}


async def test_sigterm_mid_burst_exits_0_in_bound_and_loses_no_update(
    client: Any, redis_sync: Any, worker_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**worker_env, "STOP_TIMEOUT_SECONDS": str(STOP_TIMEOUT), "LOG_LEVEL": "INFO"}
    users = [await client.create_user(first_name=f"U{i}", language_code="en") for i in range(USERS)]
    log = tmp_path / "bot.log"
    bot = await start_bot(env, log)
    try:
        await until(lambda: _polled(client), 60)
        sends = [client.send_text(u["id"], "/help") for _ in range(PER_USER) for u in users]
        await asyncio.gather(*sends)
        total = USERS * PER_USER

        async def some_answered() -> bool:
            return sum([await help_replies(client, u["id"]) for u in users[:5]]) >= 5

        await until(some_answered, 60)
        asked = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(bot.wait(), 60)
        stopped_in = time.monotonic() - asked
        answered = sum([await help_replies(client, u["id"]) for u in users])
        left = sum(
            redis_sync.hlen(k)
            for k in redis_sync.keys(f"{TEST_PREFIX}inbox:*")
            if "alive" not in k and "instances" not in k
        )
        print(f"stopped in {stopped_in:.1f}s; {answered}/{total} answered; {left} in the inbox")
        assert code == 0, log.read_text()[-3000:]
        assert stopped_in <= STOP_TIMEOUT + 2
        assert answered < total and left > 0  # it really stopped mid-burst
        assert (await client.updates()) == []  # everything fetched was acknowledged

        bot = await start_bot(env, log)

        async def all_answered() -> bool:
            counts = [await help_replies(client, u["id"]) for u in users]
            return min(counts) >= PER_USER

        await until(all_answered, 120)
        counts = [await help_replies(client, u["id"]) for u in users]
        cancelled = sum(int(n) for n in re.findall(r"(\d+) handlers cancelled", log.read_text()))
        assert sum(counts) - total <= cancelled  # a reply twice only if cut off mid-way
        assert await flood_errors(client) == 0
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), 60) == 0
        assert not redis_sync.keys(f"{TEST_PREFIX}inbox:*")  # nothing left, nobody registered
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()


async def _polled(client: Any) -> bool:
    return bool(await client.log(method="getUpdates"))


async def test_a_burst_of_replies_to_each_chat_draws_no_429(bot: Any, client: Any) -> None:
    """Eight commands at once from each of 20 people: 160 replies, at most 1/s per chat
    after a short burst, and Telegram (the emulator, with its real limits) never refuses one."""
    users = [await client.create_user(first_name=f"B{i}", language_code="es") for i in range(20)]
    await asyncio.gather(*[client.send_text(u["id"], "/help") for _ in range(8) for u in users])

    async def all_answered() -> bool:
        return all([await help_replies(client, u["id"]) >= 8 for u in users])

    await until(all_answered, 90)
    assert await flood_errors(client) == 0


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
async def test_updates_sent_while_redis_restarts_are_all_answered(
    client: Any, worker_env: dict[str, str], tmp_path: Path
) -> None:
    """Redis killed (SIGKILL) and restarted on its AOF while people write: the bot keeps
    polling, writes nothing it cannot store, handles again what failed for want of Redis,
    and every message gets its answer."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
           "--appendonly", "yes", "--appendfsync", "always", "--save", ""]  # fmt: skip

    async def redis_up() -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.DEVNULL)
        conn = redis_lib.Redis(port=port)
        await until(lambda: _pings(conn), 20)
        conn.close()
        return proc

    server = await redis_up()
    env = {**worker_env, "REDIS_URL": f"redis://127.0.0.1:{port}/0", "LOG_LEVEL": "INFO"}
    users = [await client.create_user(first_name=f"R{i}", language_code="en") for i in range(6)]
    log = tmp_path / "bot.log"
    bot = await start_bot(env, log)
    try:
        await until(lambda: _polled(client), 60)
        for u in users:
            await client.send_text(u["id"], "/help")
        await asyncio.sleep(0.3)
        server.kill()
        await server.wait()
        for u in users:
            await client.send_text(u["id"], "/help")
        await asyncio.sleep(2)
        server = await redis_up()

        async def all_answered() -> bool:
            return all([await help_replies(client, u["id"]) >= 2 for u in users])

        await until(all_answered, 120)
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), 60) == 0
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        if server.returncode is None:
            server.kill()
            await server.wait()


async def _pings(conn: Any) -> bool:
    try:
        return bool(conn.ping())
    except redis_lib.exceptions.ConnectionError:
        return False
