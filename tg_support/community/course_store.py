"""Courses in Redis: the catalog (seeded from ``data/courses.json`` on first use) and the
learners' courses with their session dates.

A learner's courses are the catalog ids in ``Profile.courses`` (older profiles also hold free
topic tags there, which keep working); the session date of each, and the index of who takes
a course, are kept here. :func:`set_learner_courses` changes both together and refreshes
``Profile.course_tags``, so routing and helper matching read tags without the catalog.

Key patterns (``{p}`` is ``Settings.redis_prefix``):

=========================  ======  ============================================================
``{p}crs:cat``             hash    cid -> the course as JSON (the seed file's form, plus
                                   ``created_by`` and ``created_at`` for entries people added)
``{p}crs:ver``             string  bumped on every catalog change (each process keeps the
                                   catalog in memory and reloads it when this moved)
``{p}crs:seeded``          string  set once the seed catalog was loaded
``{p}crs:enr:{uid}``       hash    cid -> JSON ``{"session": "2026-01-12" | null, "added": ts}``
``{p}crs:who:{cid}``       set     uids who take the course
``{p}crs:made:{uid}``      string  catalog entries the user created today (TTL one day)
=========================  ======  ============================================================
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import WatchError

from tg_support.community.courses import Catalog, Course, route_tags
from tg_support.core.store import Profile, Repository, Store

#: Catalog entries one learner may create per day (typos make duplicates; admins merge them).
MAX_CREATED_PER_DAY = 5
#: Courses one learner may list.
MAX_COURSES = 12


class CourseKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    @property
    def catalog(self) -> str:
        return f"{self.p}crs:cat"

    @property
    def version(self) -> str:
        return f"{self.p}crs:ver"

    @property
    def seeded(self) -> str:
        return f"{self.p}crs:seeded"

    def enrollments(self, uid: int) -> str:
        return f"{self.p}crs:enr:{uid}"

    def learners(self, cid: str) -> str:
        return f"{self.p}crs:who:{cid}"

    def made(self, uid: int) -> str:
        return f"{self.p}crs:made:{uid}"


@dataclass(frozen=True)
class Enrollment:
    """One of a learner's courses: the catalog id and the session start, if they gave one."""

    cid: str
    session: date | None = None
    added: float = 0.0

    def to_json(self) -> str:
        return json.dumps(
            {"session": self.session.isoformat() if self.session else None, "added": self.added}
        )

    @classmethod
    def from_json(cls, cid: str, raw: str | None) -> Enrollment:
        try:
            data = json.loads(raw or "{}")
            session = date.fromisoformat(data["session"]) if data.get("session") else None
            return cls(cid, session, float(data.get("added") or 0))
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls(cid)


class CourseStore(Repository):
    """Every key in the table above is built here."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = CourseKeys(prefix)
        self._cached: tuple[str, Catalog] | None = None

    # --- the catalog ------------------------------------------------------------------

    async def ensure_seeded(self) -> None:
        """Load the seed catalog once (entries already present are left as they are)."""
        if await self.redis.exists(self.keys.seeded):
            return
        seed = Catalog.load()
        async with self.redis.pipeline(transaction=True) as pipe:
            for course in seed:
                pipe.hsetnx(self.keys.catalog, course.cid, json.dumps(course.to_dict()))
            pipe.set(self.keys.seeded, "1")
            pipe.incr(self.keys.version)
            await pipe.execute()

    async def catalog(self) -> Catalog:
        """The catalog, from memory unless another process changed it (one GET)."""
        version = cast(str | None, await self.redis.get(self.keys.version))
        if version is None:
            await self.ensure_seeded()
            version = cast(str | None, await self.redis.get(self.keys.version)) or "0"
        if self._cached is not None and self._cached[0] == version:
            return self._cached[1]
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.catalog))
        catalog = Catalog(_course(data) for data in raw.values() if data)
        self._cached = (version, catalog)
        return catalog

    async def course(self, cid: str) -> Course | None:
        return (await self.catalog()).by_id(cid)

    async def add_course(self, course: Course, by: int = 0) -> Course:
        """Add ``course`` unless the catalog knows its id (or an id that means it)."""
        known = (await self.catalog()).by_id(course.cid)
        if known is not None:
            return known
        data: dict[str, Any] = course.to_dict()
        if by:
            data.update(created_by=by, created_at=time.time())
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(self.keys.catalog, course.cid, json.dumps(data, ensure_ascii=False))
            pipe.incr(self.keys.version)
            await pipe.execute()
        return course

    async def may_create(self, uid: int) -> bool:
        """Count one catalog entry created by ``uid`` today; False past the daily cap."""
        key = self.keys.made(uid)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 24 * 3600, nx=True)
            count, _ = await pipe.execute()
        return int(count) <= MAX_CREATED_PER_DAY

    async def merge(self, keep: str, drop: str) -> dict[str, str] | None:
        """Fold catalog entry ``drop`` into ``keep`` (see :meth:`Catalog.merge`); returns the
        ids that now mean ``keep``, or None when either entry is unknown. Optimistic: retried
        if another process changes the catalog meanwhile."""
        for _ in range(5):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(self.keys.catalog)
                    raw_keep = await pipe.hget(self.keys.catalog, keep)
                    raw_drop = await pipe.hget(self.keys.catalog, drop)
                    if not raw_keep or not raw_drop or keep == drop:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return None
                    both = Catalog([_course(json.loads(raw_keep)), _course(json.loads(raw_drop))])
                    moved = both.merge(keep, drop)
                    merged = both.by_id(keep)
                    assert merged is not None
                    data = {**json.loads(raw_keep), **merged.to_dict()}
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.hset(self.keys.catalog, keep, json.dumps(data, ensure_ascii=False))
                    pipe.hdel(self.keys.catalog, drop)
                    pipe.incr(self.keys.version)
                    await pipe.execute()
                    return moved
                except WatchError:
                    continue
        raise RuntimeError("the catalog kept changing during a merge")

    # --- learners' courses --------------------------------------------------------------

    async def enrollments(self, uid: int) -> dict[str, Enrollment]:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.enrollments(uid)))
        return {cid: Enrollment.from_json(cid, data) for cid, data in raw.items()}

    async def enrollment(self, uid: int, cid: str) -> Enrollment | None:
        raw = cast(str | None, await self.redis.hget(self.keys.enrollments(uid), cid))
        return Enrollment.from_json(cid, raw) if raw is not None else None

    async def sessions(self, uids: list[int], cid: str) -> dict[int, date | None]:
        """Each learner's session of ``cid`` in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for uid in uids:
                pipe.hget(self.keys.enrollments(uid), cid)
            raws = await pipe.execute()
        return {uid: Enrollment.from_json(cid, raw).session for uid, raw in zip(uids, raws, strict=True)}

    async def learners(self, cid: str) -> set[int]:
        return {int(x) for x in await self.redis.smembers(self.keys.learners(cid))}

    async def set_session(self, uid: int, cid: str, session: date | None) -> bool:
        """Set (or clear) the session of one of the learner's courses; False if not theirs."""
        old = await self.enrollment(uid, cid)
        if old is None:
            return False
        new = Enrollment(cid, session, old.added or time.time())
        await self.redis.hset(self.keys.enrollments(uid), cid, new.to_json())
        return True

    async def sync(self, uid: int, cids: list[str], sessions: dict[str, date | None]) -> None:
        """Make the enrollments exactly ``cids`` (new ones with ``sessions``' dates)."""
        old = await self.enrollments(uid)
        now = time.time()
        async with self.redis.pipeline(transaction=True) as pipe:
            for cid in old.keys() - set(cids):
                pipe.hdel(self.keys.enrollments(uid), cid)
                pipe.srem(self.keys.learners(cid), uid)
            for cid in cids:
                if cid in old and cid not in sessions:
                    continue
                session = sessions.get(cid, old[cid].session if cid in old else None)
                added = old[cid].added if cid in old else now
                pipe.hset(self.keys.enrollments(uid), cid, Enrollment(cid, session, added).to_json())
                pipe.sadd(self.keys.learners(cid), uid)
            await pipe.execute()

    async def move_learners(self, keep: str, drop: str) -> list[int]:
        """After a catalog merge: enrollments in ``drop`` become ``keep`` (a learner with
        both keeps the one in ``keep``); returns the learners who had ``drop``."""
        uids = sorted(await self.learners(drop))
        for uid in uids:
            raw = await self.redis.hget(self.keys.enrollments(uid), drop)
            async with self.redis.pipeline(transaction=True) as pipe:
                if raw is not None:
                    pipe.hsetnx(self.keys.enrollments(uid), keep, raw)
                pipe.hdel(self.keys.enrollments(uid), drop)
                pipe.sadd(self.keys.learners(keep), uid)
                pipe.srem(self.keys.learners(drop), uid)
                await pipe.execute()
        return uids

    async def erase_user(self, uid: int) -> None:
        """The learner's enrollments, their place in the course index and their daily count."""
        cids = list(await self.enrollments(uid))
        async with self.redis.pipeline(transaction=True) as pipe:
            for cid in cids:
                pipe.srem(self.keys.learners(cid), uid)
            pipe.delete(self.keys.enrollments(uid), self.keys.made(uid))
            await pipe.execute()
        # Entries they created stay in the catalog (a course is not personal data) but no
        # longer name them.
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.catalog))
        for cid, data in raw.items():
            try:
                parsed = json.loads(data)
            except json.JSONDecodeError:
                continue
            if parsed.get("created_by") == uid:
                parsed.pop("created_by", None)
                await self.redis.hset(self.keys.catalog, cid, json.dumps(parsed, ensure_ascii=False))

    async def export_user(self, uid: int) -> dict[str, Any]:
        """Their courses with session dates, and the catalog entries they created."""
        catalog = await self.catalog()
        courses = []
        for cid, e in sorted((await self.enrollments(uid)).items()):
            course = catalog.by_id(cid)
            courses.append({
                "id": cid, "title": course.title if course else cid,
                "session": e.session.isoformat() if e.session else None, "added_at": e.added,
            })  # fmt: skip
        created = []
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.catalog))
        for cid, data in sorted(raw.items()):
            try:
                parsed = json.loads(data)
            except json.JSONDecodeError:
                continue
            if parsed.get("created_by") == uid:
                created.append({"id": cid, "title": parsed.get("title")})
        out: dict[str, Any] = {}
        if courses:
            out["courses"] = courses
        if created:
            out["catalog_entries_created"] = created
        return out


def _course(data: dict[str, Any] | str) -> Course:
    parsed = json.loads(data) if isinstance(data, str) else data
    return Course.from_dict(parsed)


def course_tags(catalog: Catalog, items: list[str]) -> list[str]:
    """The routing tags of the catalog courses among a profile's ``courses``."""
    tags: list[str] = []
    for item in items:
        course = catalog.by_id(item) if ":" in item else None
        if course is not None:
            tags.extend(t for t in route_tags(course) if t not in tags)
    return tags[:20]


async def set_learner_courses(
    store: Store,
    profile: Profile,
    items: list[str],
    sessions: dict[str, date | None] | None = None,
    *,
    save: bool = True,
) -> Profile:
    """Give ``profile`` these courses (catalog ids and free topics), with their tags, and
    keep the enrollments in step; ``sessions`` sets dates of the ids it names."""
    courses = store.repo(CourseStore)
    catalog = await courses.catalog()
    resolved: list[str] = []
    for item in items:
        course = catalog.by_id(item) if ":" in item else None
        value = course.cid if course is not None else item
        if value not in resolved:
            resolved.append(value)
    profile.courses = resolved[:MAX_COURSES]
    profile.course_tags = course_tags(catalog, profile.courses)
    if save:
        await store.save_profile(profile)
    cids = [c for c in profile.courses if ":" in c]
    dated = {
        (catalog.by_id(k).cid if catalog.by_id(k) else k): v  # type: ignore[union-attr]
        for k, v in (sessions or {}).items()
    }
    await courses.sync(profile.user_id, cids, dated)
    return profile
