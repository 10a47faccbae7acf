"""How the bot learns which pairs the workers can translate (real Redis): an answer is
remembered briefly, an empty one for a second only, so the first worker to start is seen."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from tg_support.translation.argos import can_translate


async def test_pairs_published_while_the_bot_runs_are_seen(r: aioredis.Redis) -> None:
    assert not await can_translate(r, "t:", "es", "hi")  # no worker has published yet
    await r.sadd("t:tr:pairs", "es-en", "en-hi")
    await asyncio.sleep(1.1)
    assert await can_translate(r, "t:", "es", "hi")  # through English
    assert await can_translate(r, "t:", "en", "hi")
    assert not await can_translate(r, "t:", "hi", "es")
    assert await can_translate(r, "t:", "fr", "fr")  # nothing to translate


async def test_an_empty_answer_costs_one_round_trip_a_second(r: aioredis.Redis) -> None:
    assert not await can_translate(r, "t:", "es", "en")
    await r.sadd("t:tr:pairs", "es-en")
    # Within the second, the empty answer stands; a new client asks again.
    assert not await can_translate(r, "t:", "es", "en")
    other = aioredis.Redis(connection_pool=r.connection_pool)
    assert await can_translate(other, "t:", "es", "en")
