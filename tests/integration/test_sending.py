"""The shared send limiter against a real Redis: sends checked together in one round trip
take exactly the tokens they would have taken one by one, and survive a flushed script cache."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis

from tg_support.core.sending import RedisRateLimiter, SendLimits


def limiter(r: aioredis.Redis, **limits: Any) -> RedisRateLimiter:
    return RedisRateLimiter(r, 1, prefix="t:", limits=SendLimits(**limits))


async def send_all(rl: RedisRateLimiter, chats: list[int], within: float) -> list[int]:
    """Ask for a send to each chat at once; the chats whose send went out within ``within`` s."""
    sent: list[int] = []

    async def send(chat: int) -> None:
        async def call() -> bool:
            sent.append(chat)
            return True

        await rl.process_request(call, (), {}, "sendMessage", {"chat_id": chat}, None)

    tasks = [asyncio.create_task(send(c)) for c in chats]
    await asyncio.sleep(within)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return sent


async def test_a_burst_takes_exactly_the_tokens_there_are(r: aioredis.Redis) -> None:
    # 3 tokens per private chat (refilled at one every 100 s) and 5 overall.
    rl = limiter(
        r, private_burst=3, private_per_second=0.01, global_per_second=5.0, global_burst=5
    )
    sent = await send_all(rl, [7] * 6 + [8] * 6, within=0.1)  # (refill: 1 per 0.2 s)
    assert sorted(sent) == [7, 7, 7, 8, 8]  # 3 to chat 7, then the global bucket is empty
    tokens = await r.hget("t:rl:{1}:chat:7", "tokens")
    assert tokens is not None and float(tokens) < 1


async def test_sends_go_on_after_redis_forgets_the_script(r: aioredis.Redis) -> None:
    rl = limiter(r, private_burst=2, private_per_second=0.01, global_per_second=100.0)
    assert await send_all(rl, [1], within=0.2) == [1]  # the script is loaded
    await r.script_flush()
    sent = await send_all(rl, [1, 1, 2, 2, 3], within=0.3)
    assert sorted(sent) == [1, 2, 2, 3]  # chat 1 had one token left; none was taken twice


async def test_no_more_sends_in_flight_than_the_bound_and_none_held_while_waiting(
    r: aioredis.Redis,
) -> None:
    """A process never has more than ``global_in_flight`` sends granted and unanswered (so a
    stalled host cannot pile up more than Telegram's burst); a send sleeping on its chat's
    bucket does not hold a slot, so other chats go on."""
    rl = limiter(
        r, global_in_flight=2, global_burst=50, global_per_second=1000.0,
        private_burst=1, private_per_second=0.01,
    )  # fmt: skip
    running = 0
    most = 0
    release = asyncio.Event()

    async def send(chat: int) -> None:
        async def call() -> bool:
            nonlocal running, most
            running += 1
            most = max(most, running)
            await release.wait()  # Telegram slow to answer
            running -= 1
            return True

        await rl.process_request(call, (), {}, "sendMessage", {"chat_id": chat}, None)

    # Chat 9 already used its only token: its next send sleeps on the bucket.
    await rl.process_request(_ok, (), {}, "sendMessage", {"chat_id": 9}, None)
    waiting = asyncio.create_task(send(9))
    tasks = [asyncio.create_task(send(c)) for c in range(10, 16)]
    await asyncio.sleep(0.3)
    assert (running, most) == (2, 2)  # two of six in flight; chat 9's sleep took no slot
    release.set()
    await asyncio.gather(*tasks)
    assert most == 2 and not waiting.done()
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert rl._in_flight._value == 2  # every slot came back, the cancelled one's too


async def _ok() -> bool:
    return True
