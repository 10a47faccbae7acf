"""The health counters against a real Redis: each event counted once, bounded samples,
the window's arithmetic, erasure and export; the digest's Monday 09:00 in a group's zone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import redis.asyncio as aioredis

from tg_support.core.store import Group, Store
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.matching import HelperCard
from tg_support.ops import report
from tg_support.ops.digest import digest_job_id, next_digest
from tg_support.ops.stats import DAY, SAMPLE, HealthStats, day_number, median

T0 = datetime(2026, 11, 30, 12, tzinfo=UTC).timestamp()  # a Monday


async def test_each_event_counts_once_and_feeds_the_window(r: aioredis.Redis) -> None:
    s = HealthStats(r, "t:")
    assert await s.asked("1", -100, "es", now=T0)
    assert not await s.asked("1", -100, "es", now=T0 + 5)  # its topic recreated: no recount
    assert await s.asked("2", -100, "en", now=T0 + DAY)
    assert await s.asked("3", -100, "es", now=T0 + DAY)
    assert await s.answered("1", now=T0 + 600)
    assert not await s.answered("1", now=T0 + 900)  # only the first answer counts
    assert await s.ended("1", "solved", now=T0 + 3600)
    assert not await s.ended("1", "closed", now=T0 + 7200)
    assert await s.ended("2", "closed", now=T0 + 2 * DAY)
    assert not await s.answered("99")  # never posted (a demo seed): ignored
    w = await s.window(-100, days=28, now=T0 + 2 * DAY)
    assert w.total_asked == 3 and w.languages() == ["es", "en"]
    assert sum(w.solved) == 1 and sum(w.closed) == 1 and w.solved_rate == 0.5
    assert w.first_answer_seconds == [600] and w.solve_seconds == [3600]
    assert w.unanswered == 1  # question 3
    assert w.asked[-3] == {"es": 1} and w.asked[-2] == {"en": 1, "es": 1}
    assert 0 < await r.ttl(f"t:hl:day:-100:{day_number(T0)}") <= 40 * DAY


async def test_samples_are_bounded_and_reading_cost_does_not_grow(r: aioredis.Redis) -> None:
    s = HealthStats(r, "t:")
    for i in range(SAMPLE + 50):
        await s.asked(str(i), -7, "hi", now=T0)
        await s.answered(str(i), now=T0 + i)
    assert await r.llen(f"t:hl:ttfa:-7:{day_number(T0)}") == SAMPLE
    w = await s.window(-7, now=T0)
    assert sum(w.answered) == SAMPLE + 50 and len(w.first_answer_seconds) == SAMPLE
    assert median([3, 1, 2]) == 2 and median([1, 2, 3, 4]) == 2.5 and median([]) is None


async def test_erasure_and_export(r: aioredis.Redis) -> None:
    s = HealthStats(r, "t:")
    await s.set_digest(42, False)
    assert await s.export_user(42) == {"weekly_health_digest": False}
    await s.erase_user(42)
    assert await s.export_user(42) == {"weekly_health_digest": True}
    assert not await r.exists("t:hl:nodigest")
    await s.asked("5", -100, "es", now=T0)
    await s.erase_questions(["5", "404"])
    assert await r.scard("t:hl:open:-100") == 0 and not await r.exists("t:hl:q:5")


async def test_report_reads_helpers_load_and_captions_in_the_locale(r: aioredis.Redis) -> None:
    from tg_support.core.i18n import use_locale

    store = Store(r, "t:")
    index = store.repo(HelperIndex)
    for uid, langs, load, cap in ((1, {"es": "native"}, 2, 3), (2, {"en": "fluent"}, 1, 5),
                                  (3, {"es": "basic", "fr": "native"}, 0, 2)):  # fmt: skip
        await index.upsert(HelperCard(uid, langs, frozenset(), "UTC", {}, cap, load, 0.5, 0.0))
    group = Group(chat_id=-100, title="Grupo", languages=["es"])
    await store.repo(HealthStats).asked("1", -100, "es")
    health = await report.gather(store, group)
    assert (health.load.load, health.load.capacity, health.load.helpers) == (2, 5, 2)
    with use_locale("es"):
        caption = report.summary(health)
        png = await report.render(health)
    assert "Salud de la comunidad: Grupo" in caption and "Sin responder ahora: 1" in caption
    assert png.startswith(b"\x89PNG")


def test_next_digest_is_monday_nine_in_the_groups_zone() -> None:
    sunday_night = datetime(2026, 12, 6, 23, 30, tzinfo=UTC).timestamp()
    # Tokyo: already Monday 08:30 there, so 09:00 Tokyo is in half an hour.
    tokyo = next_digest(sunday_night, "Asia/Tokyo")
    assert tokyo.timestamp() - sunday_night == 1800
    # UTC (no zone set): the next morning.
    utc = next_digest(sunday_night, None)
    assert (utc.weekday(), utc.hour, utc.timestamp() - sunday_night) == (0, 9, 9.5 * 3600)
    # Right after this week's digest: next week's.
    assert next_digest(utc.timestamp(), None).timestamp() == utc.timestamp() + 7 * DAY
    # Across a DST change the wall clock stays 09:00 (Madrid, last Sunday of March 2027).
    madrid = next_digest(datetime(2027, 3, 27, tzinfo=UTC).timestamp(), "Europe/Madrid")
    assert (madrid.hour, madrid.utcoffset().total_seconds()) == (9, 7200)  # type: ignore[union-attr]
    assert digest_job_id(-1001, tokyo) == "hl-dg-1001-20261207"


async def test_concurrent_first_answers_count_once(r: aioredis.Redis) -> None:
    s = HealthStats(r, "t:")
    await s.asked("8", -1, "en", now=T0)
    results = await asyncio.gather(*[s.answered("8", now=T0 + 1) for _ in range(20)])
    assert results.count(True) == 1


async def test_circles_and_swaps_count_once_each(r: aioredis.Redis) -> None:
    from tg_support.community.circle_store import CircleStore
    from tg_support.ops.stats import ALL_GROUPS

    s = HealthStats(r, "t:")
    circles = CircleStore(r, "t:")
    await circles.set_topic("c1", -100, 7)
    await circles.set_topic("c1", -100, 9)  # its topic made again: still one circle
    await circles.set_topic("c2", -200, 3)
    assert await s.count_once("swp", ALL_GROUPS, "5")
    assert not await s.count_once("swp", ALL_GROUPS, "5")
    w = await s.window(-100)
    assert (w.circles, w.swaps) == (1, 1)


async def test_summary_and_chart_in_every_locale(r: aioredis.Redis) -> None:
    from tg_support.core.i18n import LOCALES, use_locale

    store = Store(r, "t:")
    stats = store.repo(HealthStats)
    for i in range(5):
        await stats.asked(str(i), -100, "es")
        await stats.answered(str(i))
    await stats.ended("0", "solved")
    health = await report.gather(store, Group(chat_id=-100, title="G", languages=["es"]))
    captions = set()
    for locale in LOCALES:
        with use_locale(locale):
            caption = report.summary(health)
            assert "{" not in caption and len(caption) < 1024, (locale, caption)
            captions.add(caption)
            if locale in ("ar", "hi", "zh"):  # other scripts: the chart still draws
                assert (await report.render(health)).startswith(b"\x89PNG")
    assert len(captions) == len(LOCALES)  # each one really translated
