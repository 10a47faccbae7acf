"""Compare-and-set under concurrency against a real Redis (issue 19): conversation state,
helper settings beside live load, and the lock's token. Each "process" is its own client
(its own connection pool), as two bot processes would be."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
import redis.asyncio as aioredis

from tests.cards import helper_card as card
from tg_support.core.store import Conversation, Profile, Store
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.matching import HelperCard
from tg_support.helpers.registry import ensure_card

PREFIX = "tgs:test:"


@pytest.fixture
async def procs(r: aioredis.Redis, redis_url: str) -> AsyncIterator[list[aioredis.Redis]]:
    conns = [aioredis.Redis.from_url(redis_url, decode_responses=True) for _ in range(2)]
    yield conns
    for conn in conns:
        await conn.aclose()


async def test_update_conv_loses_no_concurrent_change(procs: list[aioredis.Redis]) -> None:
    stores = [Store(conn, PREFIX) for conn in procs]
    await stores[0].set_conv(7, Conversation(step="platforms", data={"platforms": []}))

    def add(item: str) -> Callable[[Conversation], None]:
        def change(conv: Conversation) -> None:
            conv.data["platforms"] = [*conv.data.get("platforms", []), item]

        return change

    # 20 at once (not 60: each retries at most 50 times, and a loaded CI machine once made
    # one of 60 lose every round); one user never has more changes in flight than that.
    await asyncio.gather(*(stores[i % 2].update_conv(7, add(f"p{i}")) for i in range(20)))
    conv = await stores[1].get_conv(7)
    assert sorted(conv.data["platforms"]) == sorted(f"p{i}" for i in range(20))
    assert conv.step == "platforms"


async def test_update_conv_returns_writes_only_changes_and_deletes_empty(
    r: aioredis.Redis,
) -> None:
    store = Store(r, PREFIX)
    key = store.keys.conv(8)
    assert await store.update_conv(8, lambda c: c.step) is None
    assert not await r.exists(key)  # unchanged: nothing written

    def start(c: Conversation) -> str:
        c.step = "lang"
        return "started"

    assert await store.update_conv(8, start) == "started"
    assert (await store.get_conv(8)).step == "lang" and await r.ttl(key) > 0

    def clear(c: Conversation) -> None:
        c.step, c.data = None, {}

    await store.update_conv(8, clear)
    assert not await r.exists(key)


async def test_lock_tokens_differ_and_only_the_holder_unlocks(
    procs: list[aioredis.Redis],
) -> None:
    a, b = (Store(conn, PREFIX) for conn in procs)
    key = f"{PREFIX}lock:topic:1"
    token_a = await a.lock(key, ttl=0.2)
    assert token_a is not None
    assert await b.lock(key, ttl=5) is None  # held
    await asyncio.sleep(0.3)  # a's lease ran out (a stalled process)
    token_b = await b.lock(key, ttl=5)
    assert token_b is not None and token_b != token_a
    await a.unlock(key, token_a)  # the late holder must not release b's lock
    assert await procs[0].get(key) == token_b
    await b.unlock(key, token_b)
    assert not await procs[0].exists(key)
    # Tokens taken at the same moment in two processes never collide.
    tokens = await asyncio.gather(*(s.lock(f"{key}:{i}", 5) for i, s in enumerate([a, b] * 50)))
    assert len(set(tokens)) == 100


async def test_settings_change_keeps_load_offers_and_reputation(
    procs: list[aioredis.Redis],
) -> None:
    settings_side, offers_side = (HelperIndex(conn, PREFIX) for conn in procs)
    await settings_side.upsert(card(1, capacity=10, tags={"ml"}))
    held = 0
    stop = False

    async def offers() -> None:
        nonlocal held
        while not stop:
            if held < 6 and await offers_side.try_take_load(1):
                held += 1
            elif held >= 6:
                await offers_side.release_load(1)
                held -= 1
            await asyncio.sleep(0)

    def add_language(lang: str) -> Callable[[HelperCard], HelperCard]:
        def change(c: HelperCard) -> HelperCard:
            return replace(c, languages={**c.languages, lang: "fluent"})

        return change

    task = asyncio.create_task(offers())
    langs = [f"l{i}" for i in range(40)]
    await asyncio.gather(*(settings_side.update_settings(1, add_language(x)) for x in langs))
    stop = True
    await task
    got = await offers_side.get(1)
    assert got is not None
    assert got.open_load == held
    assert set(got.languages) == {"en", *langs}  # concurrent settings changes all count
    assert got.capacity == 10 and got.tags == frozenset({"ml"})
    assert await offers_side.redis.zscore(f"{PREFIX}hlang:l7", "1") is not None
    assert await settings_side.update_settings(2, add_language("x")) is None


async def test_first_cards_made_at_once_are_one(procs: list[aioredis.Redis]) -> None:
    a, b = (HelperIndex(conn, PREFIX) for conn in procs)
    profile = Profile(user_id=5, lang="es", role="helper", tz="Europe/Madrid")
    made = await asyncio.gather(ensure_card(a, profile), ensure_card(b, profile))
    assert made[0].user_id == made[1].user_id == 5
    assert await a.try_take_load(5)
    # A profile change (new tags) later follows into the card without touching the load.
    profile.courses = ["python"]
    changed = await ensure_card(b, profile)
    assert changed.tags == frozenset({"python"}) and changed.open_load == 1
    assert not await a.create(changed)
