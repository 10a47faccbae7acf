"""The webhook inbox (core.inbox) against a real Redis: once at the door, in order under a
lease, released only when empty, taken over after a dead holder's lease ran out."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as aioredis

from tg_support.core.inbox import Inbox, LeaseLost

PREFIX = "tgs:test:"


async def test_admitted_once_drained_in_order(r: aioredis.Redis) -> None:
    a, b = Inbox(r, PREFIX, process="a"), Inbox(r, PREFIX, process="b")
    for update_id in (12, 10, 11):
        assert await a.admit(7, update_id, f'{{"update_id": {update_id}}}')
    assert not await b.admit(7, 11, "{}")  # a redelivery through the other process
    assert await a.pending_keys(10) == [7]
    token = await b.acquire(7, 5)
    assert token is not None and await a.acquire(7, 5) is None
    got = []
    handled = None
    while (nxt := await b.step(7, token, 5, handled)) is not None:
        got.append(nxt)
        handled = nxt[0]
    assert got == [(10, '{"update_id": 10}'), (11, '{"update_id": 11}'), (12, '{"update_id": 12}')]
    assert await a.pending_keys(10) == []  # emptied, and the lease let go
    assert await a.acquire(7, 5) is not None
    counts = await a.counts()
    assert counts == {"a": {"admitted": 3}, "b": {"handled": 3}}


async def test_the_lease_is_kept_while_the_queue_grows(r: aioredis.Redis) -> None:
    inbox = Inbox(r, PREFIX)
    await inbox.admit(1, 1, "{}")
    token = await inbox.acquire(1, 5)
    assert token is not None
    assert await inbox.step(1, token, 5) == (1, "{}")
    await inbox.admit(1, 2, "{}")  # arrives while the holder works on 1
    assert await inbox.step(1, token, 5, handled=1) == (2, "{}")  # so the holder goes on
    assert await inbox.acquire(1, 5) is None
    await inbox.hand_over(1, token)  # stopping: the rest is another process's
    other = await inbox.acquire(1, 5)
    assert other is not None and await inbox.step(1, other, 5) == (2, "{}")


async def test_a_dead_holder_is_taken_over(r: aioredis.Redis) -> None:
    dead, alive = Inbox(r, PREFIX), Inbox(r, PREFIX)
    await dead.admit(3, 5, "{}")
    token = await dead.acquire(3, 0.2)
    assert token is not None
    await asyncio.sleep(0.3)  # its lease ran out
    mine = await alive.acquire(3, 5)
    assert mine is not None
    with pytest.raises(LeaseLost):
        await dead.step(3, token, 5, handled=5)  # the stalled holder cannot ack any more
    assert await alive.step(3, mine, 5) == (5, "{}")


async def test_erase_and_export(r: aioredis.Redis) -> None:
    inbox = Inbox(r, PREFIX)
    await inbox.admit(9, 1, "{}")
    await inbox.admit(9, 2, "{}")
    assert await inbox.export_user(9) == {"pending_updates": 2}
    await inbox.erase_user(9)
    assert await inbox.export_user(9) == {"pending_updates": 0}
    assert not await r.exists(f"{PREFIX}in:u:1") and await inbox.pending_keys(5) == []


async def test_a_rerun_update_sends_nothing_twice(
    sandbox: Any, client: Any, redis_url: str, r: aioredis.Redis
) -> None:
    """Through the real limiter and HTTP client to the emulator: the same update handled
    again (its first process died) repeats no call; a call claimed but never recorded (cut
    off by the kill) is not made again either."""
    from tests.conftest import TEST_PREFIX, make_settings
    from tg_support.core.bot import make_bot
    from tg_support.core.inbox import HANDLING, AlreadySent

    user = await client.create_user(first_name="Ines", language_code="es")
    await client.send_text(user["id"], "/start")
    bot = make_bot(make_settings(sandbox.url, redis_url), r)
    await bot.initialize()
    try:
        sent = []
        for _run in range(2):
            marker = HANDLING.set((77, [0]))
            try:
                sent.append(await bot.send_message(user["id"], "hola"))
            finally:
                HANDLING.reset(marker)
        assert sent[0].message_id == sent[1].message_id
        assert len(await client.messages(user["id"], from_bot=True)) == 1
        await r.set(f"{TEST_PREFIX}in:sent:78:1", "")  # claimed, then the process died
        marker = HANDLING.set((78, [0]))
        try:
            with pytest.raises(AlreadySent):
                await bot.send_message(user["id"], "otra vez")
        finally:
            HANDLING.reset(marker)
        await bot.send_message(user["id"], "fuera de una actualización")  # not gated
        assert len(await client.messages(user["id"], from_bot=True)) == 2
    finally:
        await bot.shutdown()
