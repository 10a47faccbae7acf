"""The course catalog, learners' courses and study circles against a real Redis: seeding and
merging the catalog, the atomic join / create / leave / merge scripts under concurrency, and
a planning run over a real pool."""

from __future__ import annotations

import asyncio
import time
from datetime import date

import redis.asyncio as aioredis

from tg_support.community.circle_plan import (
    bridge_from_pairs,
    checkin_slot,
    join_now,
    plan_course,
)
from tg_support.community.circle_store import Circle, CircleStore, Member
from tg_support.community.course_store import CourseStore, set_learner_courses
from tg_support.community.courses import Course
from tg_support.core.store import Profile, Store

ML = "coursera:machine-learning"
PAIRS = ["es-en", "en-es", "hi-en", "en-hi"]


async def test_the_catalog_is_seeded_once_and_cached_by_version(r: aioredis.Redis) -> None:
    courses = CourseStore(r, "t:")
    catalog = await courses.catalog()
    assert len(catalog) > 90 and catalog.by_id(ML) is not None
    assert await courses.catalog() is catalog  # same version: no reload
    other = CourseStore(r, "t:")  # another process
    added = await other.add_course(Course("other:rust-101", "other", "rust-101", "Rust 101"), by=7)
    assert added.cid == "other:rust-101"
    again = await courses.catalog()
    assert again is not catalog and again.by_id("other:rust-101") is not None
    # A course known under one of its ids is not added twice.
    assert (await other.add_course(Course(ML, "coursera", "machine-learning", "ML"))).title != "ML"


async def test_merge_keeps_old_ids_resolving_and_moves_learners(r: aioredis.Redis) -> None:
    store = Store(r, "t:")
    courses = store.repo(CourseStore)
    dup = await courses.add_course(Course("other:ml-ng", "other", "ml-ng", "ML Ng course"), by=5)
    profile = Profile(user_id=5, lang="es", onboarded=True)
    await set_learner_courses(store, profile, [dup.cid, "python"], {dup.cid: date(2026, 1, 12)})
    assert await courses.learners(dup.cid) == {5}
    moved = await courses.merge(ML, dup.cid)
    assert moved == {dup.cid: ML}
    catalog = await courses.catalog()
    assert catalog.by_id(dup.cid) is not None and catalog.by_id(dup.cid).cid == ML  # type: ignore[union-attr]
    assert catalog.search("ML Ng course")[0][0].cid == ML
    assert await courses.move_learners(ML, dup.cid) == [5]
    assert (await courses.enrollment(5, ML)) is not None
    assert (await courses.enrollment(5, ML)).session == date(2026, 1, 12)  # type: ignore[union-attr]
    assert await courses.learners(dup.cid) == set()
    assert await courses.merge(ML, "other:nothing") is None


async def test_learner_courses_carry_tags_and_sessions(r: aioredis.Redis) -> None:
    store = Store(r, "t:")
    profile = Profile(user_id=9, lang="en", onboarded=True)
    await set_learner_courses(store, profile, [ML, "statistics"], {ML: date(2026, 1, 12)})
    saved = await store.get_profile(9)
    assert saved is not None and saved.courses == [ML, "statistics"]
    assert "machine-learning" in saved.tags and "statistics" in saved.tags
    courses = store.repo(CourseStore)
    assert (await courses.enrollments(9))[ML].session == date(2026, 1, 12)
    await set_learner_courses(store, saved, ["statistics"])
    assert await courses.enrollments(9) == {} and await courses.learners(ML) == set()
    await courses.erase_user(9)
    assert not [k async for k in r.scan_iter("t:crs:*9*")]


def member(uid: int, lang: str = "es") -> Member:
    return Member(uid, None, lang, time.time())


async def make_circle(circles: CircleStore, uids: list[int], cid: str = ML) -> str:
    for uid in uids:
        await circles.wait(uid, cid, None)
    circle_id, n = await circles.new_id(cid)
    placed = await circles.create(
        Circle(circle_id=circle_id, course=cid, n=n, langs=["es"]), [member(u) for u in uids], 4
    )
    assert sorted(placed) == sorted(uids)
    return circle_id


async def test_concurrent_joins_never_overfill_a_circle(r: aioredis.Redis, redis_url: str) -> None:
    circles = CircleStore(r, "t:")
    circle_id = await make_circle(circles, [1, 2, 3, 4, 5])
    # 40 learners race for the 3 free seats, each on its own connection.
    conns = [aioredis.Redis.from_url(redis_url, decode_responses=True) for _ in range(8)]
    stores = [CircleStore(c, "t:") for c in conns]
    results = await asyncio.gather(
        *[
            stores[i % len(stores)].join(circle_id, ML, member(100 + i), 8, from_pool=False)
            for i in range(40)
        ]
    )
    for c in conns:
        await c.aclose()
    assert results.count(1) == 3 and results.count(0) == 37
    assert await r.hlen(f"t:circ:{circle_id}:m") == 8
    assert (await circles.get(circle_id)).size == 8  # type: ignore[union-attr]
    # Nobody is in two circles of one course.
    other = await make_circle(circles, [20, 21, 22, 23])
    assert await circles.join(other, ML, member(1), 8, from_pool=False) == -2


async def test_create_takes_only_learners_still_waiting(r: aioredis.Redis) -> None:
    circles = CircleStore(r, "t:")
    for uid in (1, 2, 3, 4, 5):
        await circles.wait(uid, ML, f"N{uid}")
    await circles.unwait(5, ML)  # stopped waiting while the plan was made
    circle_id, n = await circles.new_id(ML)
    placed = await circles.create(
        Circle(circle_id=circle_id, course=ML, n=n), [member(u) for u in (1, 2, 3, 4, 5)], 4
    )
    assert sorted(placed) == [1, 2, 3, 4]
    assert await circles.pool(ML) == [] and ML not in await circles.pools()
    # Too few left: nothing is created.
    for uid in (6, 7):
        await circles.wait(uid, ML, None)
    second, n2 = await circles.new_id(ML)
    assert n2 == n + 1
    assert await circles.create(Circle(second, ML, n2), [member(6), member(7), member(1)], 4) == []
    assert await circles.get(second) is None and [u for u, _ in await circles.pool(ML)] == [6, 7]


async def test_leave_and_merge(r: aioredis.Redis) -> None:
    circles = CircleStore(r, "t:")
    big = await make_circle(circles, [1, 2, 3, 4, 5])
    small = await make_circle(circles, [6, 7, 8, 9])
    await circles.set_paused(small, 7, True)
    assert await circles.leave(small, 8) == 3 and await circles.leave(small, 9) == 2
    assert await circles.leave(small, 9) == -1
    assert await circles.merge(small, big, 8) == 7
    assert sorted(await circles.member_ids(big)) == [1, 2, 3, 4, 5, 6, 7]
    assert await circles.paused(big) == {7}
    assert (await circles.user_circles(6))[ML] == big
    gone = await circles.get(small)
    assert gone is not None and gone.status == "merged" and gone.merged_into == big
    assert small not in await circles.active_circles()
    # A merge that would overfill is refused.
    third = await make_circle(circles, [30, 31, 32, 33])
    assert await circles.merge(third, big, 8) == 0


async def save(store: Store, uid: int, lang: str, tz: str) -> Profile:
    p = Profile(user_id=uid, lang=lang, tz=tz, onboarded=True, role="learner")
    await set_learner_courses(store, p, [ML])
    return p


async def test_planning_forms_circles_per_time_zone_band(r: aioredis.Redis) -> None:
    store = Store(r, "t:")
    circles = store.repo(CircleStore)
    cet = [(1, "es"), (2, "es"), (3, "es"), (4, "en"), (5, "en")]
    ist = [(6, "hi"), (7, "hi"), (8, "hi"), (9, "en")]
    for uid, lang in cet:
        await save(store, uid, lang, "Europe/Madrid")
    for uid, lang in ist:
        await save(store, uid, lang, "Asia/Kolkata")
    for i, uid in enumerate(range(1, 10)):
        await circles.wait(uid, ML, None, since=1000.0 + i)
    outcome = await plan_course(store, ML, bridge_from_pairs(PAIRS))
    assert outcome is not None
    groups = sorted(sorted(m) for m in outcome.formed.values())
    assert groups == [[1, 2, 3, 4, 5], [6, 7, 8, 9]]
    langs = {tuple(sorted((await circles.get(c)).langs)) for c in outcome.formed}  # type: ignore[union-attr]
    assert langs == {("en", "es"), ("en", "hi")}
    assert await circles.pool(ML) == []
    # A late joiner is seated at once in the circle of its band.
    late = await save(store, 10, "es", "Europe/Madrid")
    seated = await join_now(store, late, ML, "Lu", bridge_from_pairs(PAIRS))
    assert seated is not None and 10 in await circles.member_ids(seated)
    assert (await circles.member(seated, 10)).name == "Lu"  # type: ignore[union-attr]


async def test_without_bridges_languages_stay_apart(r: aioredis.Redis) -> None:
    store = Store(r, "t:")
    circles = store.repo(CircleStore)
    for uid, lang in [(1, "es"), (2, "es"), (3, "en"), (4, "en")]:
        await save(store, uid, lang, "Europe/Madrid")
        await circles.wait(uid, ML, None)
    outcome = await plan_course(store, ML, bridge_from_pairs([]))
    assert outcome is not None and outcome.formed == {} and outcome.waiting == 4


def test_checkin_slot_is_sunday_evening_at_the_median_offset() -> None:
    assert checkin_slot([60, 60, 0]) == (6, 17 * 60)  # 18:00 CET = 17:00 UTC
    assert checkin_slot([330]) == (6, 18 * 60 - 330)
    assert checkin_slot([-600]) == (0, (18 * 60 + 600) % 1440)  # Hawaii: Monday 04:00 UTC
