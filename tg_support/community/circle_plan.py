"""From Redis to the pure matcher and back: who waits, which circles have room, and the plan
applied with the store's atomic scripts.

Used by the planner job (``workers.community.plan_course``) for a course's whole pool, and by
the bot when a learner asks to join: :func:`join_now` tries to seat that one learner in an
open circle at once (the same matcher, one seeker), else puts them in the pool.

A learner's languages for the matcher are their profile's language; their UTC offset is
their time zone's offset now; their session is the one they gave for the course. Translation
bridges are the pairs the workers published (``tr:pairs``), directly or through English.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from redis.asyncio import Redis

from tg_support.community.circle_store import Circle, CircleStore, Member
from tg_support.community.circles import (
    DEFAULT_RULES,
    Bridge,
    OpenCircle,
    Plan,
    Rules,
    Seeker,
    plan_circles,
)
from tg_support.community.course_store import CourseStore
from tg_support.core.store import Profile, Store
from tg_support.core.timezones import to_tzinfo

log = logging.getLogger(__name__)

PIVOT = "en"
#: Local hour of the weekly check-in, on :data:`CHECKIN_WEEKDAY` (6 = Sunday): the end of a
#: study week, an evening hour most members have free.
CHECKIN_LOCAL_HOUR = 18
CHECKIN_WEEKDAY = 6


def utc_offset_min(tz: str | None, now: float | None = None) -> int:
    at = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    offset = at.astimezone(to_tzinfo(tz)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def bridge_from_pairs(pairs: Iterable[str]) -> Bridge:
    """``bridge(a, b)``: the workers translate both ways, directly or through English."""
    known = frozenset(pairs)

    def one_way(src: str, dst: str) -> bool:
        return f"{src}-{dst}" in known or (f"{src}-{PIVOT}" in known and f"{PIVOT}-{dst}" in known)

    def bridge(a: str, b: str) -> bool:
        return one_way(a, b) and one_way(b, a)

    return bridge


async def published_bridge(redis: Redis, prefix: str) -> Bridge:
    pairs = {str(x) for x in await redis.smembers(f"{prefix}tr:pairs")}
    return bridge_from_pairs(pairs)


def checkin_slot(offsets: Iterable[int]) -> tuple[int, int]:
    """(weekday, minute of the day) in UTC of the weekly check-in: Sunday 18:00 at the
    circle's median offset, so the members furthest apart are at most 1.5 h from it."""
    ordered = sorted(offsets) or [0]
    median = ordered[len(ordered) // 2]
    minute = CHECKIN_LOCAL_HOUR * 60 - median
    weekday = CHECKIN_WEEKDAY + minute // 1440
    return weekday % 7, minute % 1440


async def profiles(store: Store, uids: Iterable[int]) -> dict[int, Profile]:
    ids = list(uids)
    async with store.redis.pipeline(transaction=False) as pipe:
        for uid in ids:
            pipe.hgetall(store.keys.user(uid))
        raws = await pipe.execute()
    return {uid: Profile.from_redis(uid, raw) for uid, raw in zip(ids, raws, strict=True) if raw}


async def open_circles(store: Store, cid: str, now: float) -> list[tuple[Circle, OpenCircle]]:
    """The course's active circles as the matcher sees them: languages and offsets of their
    members as they are now."""
    circles = store.repo(CircleStore)
    out = []
    for circle in await circles.circles_of_course(cid):
        members = await circles.members(circle.circle_id)
        people = await profiles(store, [m.uid for m in members])
        offsets = tuple(utc_offset_min(people[m.uid].tz if m.uid in people else None, now) for m in members)
        out.append(
            (
                circle,
                OpenCircle(
                    circle_id=circle.circle_id,
                    course=cid,
                    session=circle.session,
                    langs=frozenset(m.lang for m in members) or frozenset(circle.langs),
                    offsets=offsets,
                    size=len(members),
                ),
            )
        )
    return out


def seeker(profile: Profile, cid: str, session: object, since: float, now: float) -> Seeker | None:
    if not profile.lang:
        return None
    return Seeker(
        uid=profile.user_id,
        course=cid,
        session=session,  # type: ignore[arg-type]
        langs=(profile.lang,),
        utc_offset_min=utc_offset_min(profile.tz, now),
        since=since,
    )


@dataclass
class Outcome:
    """What a planning run changed: new circles (id -> members) and joins (id -> uids)."""

    formed: dict[str, list[int]] = field(default_factory=dict)
    joined: dict[str, list[int]] = field(default_factory=dict)
    waiting: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.formed or self.joined)


async def plan_course(
    store: Store, cid: str, bridge: Bridge, rules: Rules = DEFAULT_RULES
) -> Outcome | None:
    """Run the matcher over course ``cid``'s pool and open circles and apply the plan.

    One run per course at a time (a lock); None when another run holds it (the caller tries
    again shortly)."""
    circles = store.repo(CircleStore)
    token = await circles.lock(f"plan:{cid}", ttl=60)
    if token is None:
        return None
    try:
        return await _plan_locked(store, cid, bridge, rules)
    finally:
        await circles.unlock(f"plan:{cid}", token)


async def _plan_locked(store: Store, cid: str, bridge: Bridge, rules: Rules) -> Outcome:
    circles, courses = store.repo(CircleStore), store.repo(CourseStore)
    now = time.time()
    pool = await circles.pool(cid)
    people = await profiles(store, [uid for uid, _ in pool])
    sessions = await courses.sessions([uid for uid, _ in pool], cid)
    seekers = [
        s
        for uid, since in pool
        if uid in people and (s := seeker(people[uid], cid, sessions.get(uid), since, now))
    ]
    existing = await open_circles(store, cid, now)
    plan: Plan = plan_circles(seekers, [oc for _, oc in existing], bridge, rules)
    names = await circles.waiting_names(plan.placed(), cid)
    outcome = Outcome()
    for circle_id, uids in sorted(plan.joins.items()):
        for uid in uids:
            member = Member(uid, names.get(uid), people[uid].lang or "en", now)
            if await circles.join(circle_id, cid, member, rules.max_size, from_pool=True) == 1:
                outcome.joined.setdefault(circle_id, []).append(uid)
    for new in plan.new_circles:
        members = [Member(uid, names.get(uid), people[uid].lang or "en", now) for uid in new.members]
        formed = await create_circle(store, cid, new.session, new.offsets, members, rules)
        if formed is not None:
            outcome.formed[formed] = [m.uid for m in await circles.members(formed)]
    for circle_id in {*outcome.joined, *outcome.formed}:
        langs = sorted({m.lang for m in await circles.members(circle_id)})
        await circles.update(circle_id, langs=langs)
    outcome.waiting = await circles.pool_size(cid)
    if outcome.changed:
        log.info(
            "circles of a course: %s formed, %s joined, %s waiting",
            len(outcome.formed), sum(map(len, outcome.joined.values())), outcome.waiting,
        )  # fmt: skip
    return outcome


async def create_circle(
    store: Store,
    cid: str,
    session: object,
    offsets: Iterable[int],
    members: list[Member],
    rules: Rules = DEFAULT_RULES,
) -> str | None:
    circles = store.repo(CircleStore)
    circle_id, n = await circles.new_id(cid)
    dow, minute = checkin_slot(offsets)
    circle = Circle(
        circle_id=circle_id,
        course=cid,
        n=n,
        session=session,  # type: ignore[arg-type]
        langs=sorted({m.lang for m in members}),
        checkin_dow=dow,
        checkin_min=minute,
        created_at=time.time(),
    )
    placed = await circles.create(circle, members, rules.min_size)
    return circle_id if placed else None


async def join_now(
    store: Store,
    profile: Profile,
    cid: str,
    name: str | None,
    bridge: Bridge,
    rules: Rules = DEFAULT_RULES,
) -> str | None:
    """Seat the learner in a fitting open circle of ``cid`` at once; the circle id, or None
    (then the caller puts them in the pool). Several learners racing for the last seat:
    the store's join script lets one in."""
    circles, courses = store.repo(CircleStore), store.repo(CourseStore)
    now = time.time()
    enrollment = await courses.enrollment(profile.user_id, cid)
    me = seeker(profile, cid, enrollment.session if enrollment else None, now, now)
    if me is None:
        return None
    existing = dict((oc.circle_id, oc) for _, oc in await open_circles(store, cid, now))
    tried: set[str] = set()
    while True:
        plan = plan_circles([me], [oc for k, oc in existing.items() if k not in tried], bridge, rules)
        if not plan.joins:
            return None
        circle_id = next(iter(plan.joins))
        member = Member(profile.user_id, name, profile.lang or "en", now)
        result = await circles.join(circle_id, cid, member, rules.max_size, from_pool=False)
        if result in (1, 2):
            langs = sorted({m.lang for m in await circles.members(circle_id)})
            await circles.update(circle_id, langs=langs)
            return circle_id
        if result == -2:  # already in another circle of the course
            return (await circles.user_circles(profile.user_id)).get(cid)
        tried.add(circle_id)  # full or closed meanwhile: the next best, if any


def main_language(members: Iterable[Member]) -> str:
    """The language most members use (ties: alphabetical), for the circle's topic."""
    counts = Counter(m.lang for m in members)
    if not counts:
        return "en"
    return min(counts, key=lambda lang: (-counts[lang], lang))
