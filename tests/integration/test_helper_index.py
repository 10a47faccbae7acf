"""HelperIndex against a real Redis (the suite's ``redis_url`` fixture)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from tests.cards import helper_card as card
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.matching import HelperCard, QuestionCard, rank

PREFIX = "tgs:test:"


@pytest.fixture
def index(r: aioredis.Redis) -> HelperIndex:
    return HelperIndex(r, prefix=PREFIX)


def q(lang: str = "en", tags: tuple[str, ...] = (), asker: int = 999) -> QuestionCard:
    return QuestionCard(qid="q", lang=lang, tags=frozenset(tags), asker_id=asker)


def uids(cards: list[HelperCard]) -> set[int]:
    return {c.user_id for c in cards}


async def test_upsert_get_remove(index: HelperIndex, r: aioredis.Redis) -> None:
    c = card(
        1,
        languages={"en": "native", "es": "basic"},
        tags={"ml", "python"},
        tz="Asia/Kolkata",
        hours={0: ((540, 1020),), 5: ((600, 660), (1200, 1260))},
        capacity=4,
        open_load=1,
        reputation=0.73,
        last_offered_at=1_700_000_000.5,
    )
    await index.upsert(c)
    assert await index.get(1) == c
    assert await index.get(2) is None
    assert await r.zscore(f"{PREFIX}hlang:es", "1") == pytest.approx(0.73)
    assert await r.zscore(f"{PREFIX}hlt:en:python", "1") == pytest.approx(0.73)
    await index.remove(1)
    assert await index.get(1) is None
    assert await r.keys(f"{PREFIX}h*:*") == []  # every index membership gone
    assert await r.hexists(f"{PREFIX}hrows", "1") == 0


async def test_upsert_replaces_old_index_entries(index: HelperIndex, r: aioredis.Redis) -> None:
    await index.upsert(card(1, languages={"en": "native"}, tags={"ml"}))
    await index.upsert(card(1, languages={"de": "fluent"}, tags={"stats"}))
    assert await r.zscore(f"{PREFIX}hlang:en", "1") is None
    assert await r.zscore(f"{PREFIX}hlt:en:ml", "1") is None
    assert uids(await index.candidates(q("en", ("ml",)))) == set()
    assert uids(await index.candidates(q("de", ("stats",)))) == {1}


async def test_candidates_respect_language(index: HelperIndex) -> None:
    await index.upsert(card(1, languages={"en": "native"}))
    await index.upsert(card(2, languages={"en": "basic", "de": "native"}))
    await index.upsert(card(3, languages={"de": "native"}))
    assert uids(await index.candidates(q("en"))) == {1, 2}
    assert uids(await index.candidates(q("de"))) == {2, 3}
    assert uids(await index.candidates(q("fr"))) == set()


async def test_candidates_include_tag_matchers_outside_top_reputation(index: HelperIndex) -> None:
    for uid in range(1, 41):
        await index.upsert(card(uid, reputation=0.5 + uid / 100))
    await index.upsert(card(100, tags={"ml"}, reputation=0.01))
    await index.upsert(card(101, tags={"statistics"}, reputation=0.02))
    await index.upsert(card(102, languages={"de": "native"}, tags={"ml"}, reputation=0.9))
    got = await index.candidates(q("en", ("ml", "statistics")), limit=10)
    assert len(got) == 10
    assert {100, 101} <= uids(got)
    assert 102 not in uids(got)
    # the rest is the best by reputation
    assert uids(got) - {100, 101} == set(range(33, 41))
    no_tags = await index.candidates(q("en"), limit=5)
    assert uids(no_tags) == set(range(36, 41))


async def test_candidates_skip_asker_excluded_and_away(index: HelperIndex) -> None:
    for uid in (1, 2, 3, 4):
        await index.upsert(card(uid))
    await index.upsert(card(5, away=True))
    await index.set_away(3, True)
    assert uids(await index.candidates(q(asker=1), exclude=[2])) == {4}
    await index.set_away(3, False)
    await index.set_away(5, False)
    assert uids(await index.candidates(q(asker=1), exclude=[2])) == {3, 4, 5}
    got = await index.get(5)
    assert got is not None and not got.away


async def test_try_take_load_atomic_under_concurrency(
    index: HelperIndex, r: aioredis.Redis
) -> None:
    await index.upsert(card(1, capacity=3))
    results = await asyncio.gather(*(index.try_take_load(1) for _ in range(20)))
    assert sum(results) == 3
    got = await index.get(1)
    assert got is not None and got.open_load == 3
    assert uids(await index.candidates(q())) == set()  # at capacity: not offerable
    await index.release_load(1)
    got = await index.get(1)
    assert got is not None and got.open_load == 2
    assert uids(await index.candidates(q())) == {1}
    assert await index.try_take_load(1) is True
    assert await index.try_take_load(1) is False


async def test_release_never_below_zero_and_unknown_helpers(
    index: HelperIndex, r: aioredis.Redis
) -> None:
    await index.upsert(card(1))
    await index.release_load(1)
    got = await index.get(1)
    assert got is not None and got.open_load == 0
    assert await index.try_take_load(42) is False
    await index.release_load(42)
    await index.set_away(42, True)
    await index.mark_offered(42, 1.0)
    await index.set_reputation(42, 0.5)
    assert await r.exists(f"{PREFIX}helper:42") == 0


async def test_registered_full_helper_not_indexed_until_released(index: HelperIndex) -> None:
    await index.upsert(card(1, capacity=2, open_load=2))
    assert await index.candidates(q()) == []
    await index.release_load(1)
    assert uids(await index.candidates(q())) == {1}


async def test_mark_offered_and_set_reputation(index: HelperIndex, r: aioredis.Redis) -> None:
    await index.upsert(card(1, reputation=0.2))
    before = await index.candidates(q())
    assert before[0].last_offered_at == 0.0
    await index.mark_offered(1, 1_700_000_123.25)
    after = await index.candidates(q())  # the row, and so the cached card, follows the hash
    assert after[0].last_offered_at == 1_700_000_123.25
    await index.set_reputation(1, 0.9)
    got = await index.get(1)
    assert got is not None
    assert got.last_offered_at == 1_700_000_123.25 and got.reputation == 0.9
    assert await r.zscore(f"{PREFIX}hlang:en", "1") == pytest.approx(0.9)


async def test_widen_returns_other_languages(index: HelperIndex) -> None:
    await index.upsert(card(1, languages={"es": "native"}))
    await index.upsert(card(2, languages={"en": "native"}))
    await index.upsert(card(3, languages={"de": "fluent"}, tags={"ml"}))
    await index.upsert(card(4, languages={"en": "fluent", "es": "basic"}))
    assert uids(await index.candidates(q("es", ("ml",)))) == {1, 4}
    widened = await index.candidates(q("es", ("ml",)), widen=True)
    assert uids(widened) == {1, 2, 3, 4}
    assert len(widened) == 4  # multilingual helpers appear once
    ranked = rank(q("es", ("ml",)), widened, now=datetime.now(UTC), k=4, widen=True)
    assert [x.helper.user_id for x in ranked][:2] == [1, 4]


async def test_widen_reserves_room_for_other_languages(index: HelperIndex) -> None:
    for uid in range(1, 21):
        await index.upsert(card(uid, languages={"es": "native"}))
    for uid in range(21, 26):
        await index.upsert(card(uid, languages={"pt": "native"}))
    got = await index.candidates(q("es"), widen=True, limit=10)
    assert len(got) == 10
    assert len(uids(got) & set(range(21, 26))) == 5


async def test_end_to_end_with_rank(index: HelperIndex) -> None:
    now = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)  # Wednesday
    await index.upsert_many(
        [
            card(1, tags={"ml"}, reputation=0.9, hours={2: ((600, 900),)}),
            card(2, tags={"ml", "python"}, reputation=0.6),
            card(3, reputation=0.99, hours={2: ((0, 60),)}),  # off hours now
            card(4, languages={"de": "native"}, tags={"ml", "python"}),
        ]
    )
    question = q("en", ("ml", "python"))
    ranked = rank(question, await index.candidates(question), now=now)
    assert [x.helper.user_id for x in ranked] == [2, 1]
    assert not any(x.off_hours for x in ranked)
