"""Study circles in Redis: the waiting pool per course, circles and their members, check-in
answers. Joins, new circles, leaving and merging are Lua scripts, so two joins at once never
put a ninth member in a circle of eight and nobody ends up in two circles of one course.

Key patterns (``{p}`` is ``Settings.redis_prefix``; ``{id}`` a circle id such as ``c12``):

=================================  ======  =====================================================
``{p}circ:pool:{cid}``             zset    uids waiting for a circle of course ``cid`` -> since
``{p}circ:pools``                  set     course ids whose pool is not empty
``{p}circ:w:{uid}``                hash    cid -> JSON ``{"name": shown name or null}`` while
                                           the learner waits (their choice, used on joining)
``{p}circ:{id}``                   hash    circle: course, n, session, langs (JSON), status
                                           (active / merged / closed), size, created_at,
                                           group_id, thread_id, checkin_dow, checkin_min,
                                           round, merged_into
``{p}circ:{id}:m``                 hash    uid -> JSON ``{"name": ..., "lang": ..., "joined": ts}``
``{p}circ:{id}:paused``            set     members who paused (no check-ins, never nudged)
``{p}circ:{id}:seen``              hash    uid -> last activity (joined, wrote, answered)
``{p}circ:{id}:nudged``            set     members nudged for inactivity (released next time)
``{p}circ:{id}:ci:{round}``        hash    uid -> JSON ``{"text": ..., "lang": ...}``: answers
``{p}circ:{id}:sum:{round}``       string  set when the round's summary job first ran
``{p}circ:u:{uid}``                hash    cid -> circle id: the learner's circle per course
``{p}circ:done:{uid}``             string  check-in rounds the learner answered (``/path``)
``{p}circ:c:{cid}``                set     active circle ids of a course
``{p}circ:all``                    set     every active circle id
``{p}circ:seq``                    string  last circle number (ids)
``{p}circ:n:{cid}``                string  last circle number within a course ("circle 3")
``{p}circ:t:{chat}:{thread}``      string  circle id of a forum topic
``{p}circ:lock:{key}``             string  held while a course is planned or a topic opened
=================================  ======  =====================================================
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from redis.asyncio import Redis

from tg_support.core.store import Repository
from tg_support.ops.stats import HealthStats

ANSWERS_TTL = 60 * 24 * 3600

# KEYS: circle, members, user's circles, pool, wait, seen, pools. ARGV: uid, member JSON,
# max size, course, circle id, 1 if the uid must be waiting in the pool, now.
# Returns 1 joined, 2 already in this circle, 0 full, -1 not active, -2 in another circle of
# the course, -3 not waiting (the planner's join raced a "stop waiting").
_JOIN = """
if redis.call('HGET', KEYS[1], 'status') ~= 'active' then return -1 end
local cur = redis.call('HGET', KEYS[3], ARGV[4])
if cur then
  if cur == ARGV[5] then return 2 end
  return -2
end
if ARGV[6] == '1' and not redis.call('ZSCORE', KEYS[4], ARGV[1]) then return -3 end
local n = redis.call('HLEN', KEYS[2])
if n >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[4], ARGV[5])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[4])
redis.call('HSET', KEYS[6], ARGV[1], ARGV[7])
redis.call('HSET', KEYS[1], 'size', n + 1)
if redis.call('ZCARD', KEYS[4]) == 0 then redis.call('SREM', KEYS[7], ARGV[4]) end
return 1
"""

# KEYS: circle, members, course's circles, all circles, pool, seen, pools, then for each
# candidate its circles hash and its wait hash. ARGV: circle id, course, min size, now,
# number of record fields, field, value, ..., then uid, member JSON per candidate.
# Creates the circle with the candidates still waiting and in no circle of the course, if
# at least min size of them are; returns their uids (empty: nothing created).
_CREATE = """
local nf = tonumber(ARGV[5])
local base = 5 + 2 * nf
local ok = {}
local i = 1
while base + 2 * i - 1 <= #ARGV do
  local uid = ARGV[base + 2 * i - 1]
  if redis.call('ZSCORE', KEYS[5], uid) and not redis.call('HGET', KEYS[7 + 2 * i - 1], ARGV[2]) then
    table.insert(ok, i)
  end
  i = i + 1
end
if #ok < tonumber(ARGV[3]) or redis.call('EXISTS', KEYS[1]) == 1 then return {} end
for f = 1, nf do
  redis.call('HSET', KEYS[1], ARGV[5 + 2 * f - 1], ARGV[5 + 2 * f])
end
local placed = {}
for _, j in ipairs(ok) do
  local uid = ARGV[base + 2 * j - 1]
  redis.call('HSET', KEYS[2], uid, ARGV[base + 2 * j])
  redis.call('HSET', KEYS[7 + 2 * j - 1], ARGV[2], ARGV[1])
  redis.call('HDEL', KEYS[7 + 2 * j], ARGV[2])
  redis.call('ZREM', KEYS[5], uid)
  redis.call('HSET', KEYS[6], uid, ARGV[4])
  table.insert(placed, uid)
end
redis.call('HSET', KEYS[1], 'size', #placed, 'status', 'active')
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
if redis.call('ZCARD', KEYS[5]) == 0 then redis.call('SREM', KEYS[7], ARGV[2]) end
return placed
"""

# KEYS: circle, members, user's circles, paused, seen, nudged. ARGV: uid, course, circle id.
# Returns the circle's size after, or -1 when the uid was not a member.
_LEAVE = """
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[3], ARGV[2]) == ARGV[3] then redis.call('HDEL', KEYS[3], ARGV[2]) end
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('SREM', KEYS[6], ARGV[1])
local n = redis.call('HLEN', KEYS[2])
redis.call('HSET', KEYS[1], 'size', n)
return n
"""

# KEYS: drop circle, drop members, into circle, into members, course's circles, all
# circles, drop paused, into paused, drop seen, into seen, drop nudged, then each moved
# member's circles hash. ARGV: drop id, into id, max size, course, then the members' uids.
# Moves every member of ``drop`` into ``into`` if both are active, the uids given are
# exactly drop's members and everything fits; returns the new size of ``into``, or
# -1 (not active), -2 (members changed meanwhile), 0 (too big).
_MERGE = """
if redis.call('HGET', KEYS[1], 'status') ~= 'active' or redis.call('HGET', KEYS[3], 'status') ~= 'active' then
  return -1
end
local n_drop = redis.call('HLEN', KEYS[2])
if n_drop ~= #ARGV - 4 then return -2 end
for i = 5, #ARGV do
  if redis.call('HEXISTS', KEYS[2], ARGV[i]) == 0 then return -2 end
end
local n_into = redis.call('HLEN', KEYS[4])
if n_into + n_drop > tonumber(ARGV[3]) then return 0 end
for i = 5, #ARGV do
  local uid = ARGV[i]
  redis.call('HSET', KEYS[4], uid, redis.call('HGET', KEYS[2], uid))
  redis.call('HSET', KEYS[12 + i - 5], ARGV[4], ARGV[2])
  if redis.call('SISMEMBER', KEYS[7], uid) == 1 then redis.call('SADD', KEYS[8], uid) end
  local seen = redis.call('HGET', KEYS[9], uid)
  if seen then redis.call('HSET', KEYS[10], uid, seen) end
end
redis.call('DEL', KEYS[2], KEYS[7], KEYS[9], KEYS[11])
redis.call('HSET', KEYS[1], 'status', 'merged', 'size', 0, 'merged_into', ARGV[2])
redis.call('HSET', KEYS[3], 'size', n_into + n_drop)
redis.call('SREM', KEYS[5], ARGV[1])
redis.call('SREM', KEYS[6], ARGV[1])
return n_into + n_drop
"""


class CircleKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    def pool(self, cid: str) -> str:
        return f"{self.p}circ:pool:{cid}"

    @property
    def pools(self) -> str:
        return f"{self.p}circ:pools"

    def waiting(self, uid: int) -> str:
        return f"{self.p}circ:w:{uid}"

    def circle(self, circle_id: str) -> str:
        return f"{self.p}circ:{circle_id}"

    def members(self, circle_id: str) -> str:
        return f"{self.p}circ:{circle_id}:m"

    def paused(self, circle_id: str) -> str:
        return f"{self.p}circ:{circle_id}:paused"

    def seen(self, circle_id: str) -> str:
        return f"{self.p}circ:{circle_id}:seen"

    def nudged(self, circle_id: str) -> str:
        return f"{self.p}circ:{circle_id}:nudged"

    def answers(self, circle_id: str, round_no: int) -> str:
        return f"{self.p}circ:{circle_id}:ci:{round_no}"

    def summarized(self, circle_id: str, round_no: int) -> str:
        return f"{self.p}circ:{circle_id}:sum:{round_no}"

    def user(self, uid: int) -> str:
        return f"{self.p}circ:u:{uid}"

    def answered(self, uid: int) -> str:
        return f"{self.p}circ:done:{uid}"

    def course(self, cid: str) -> str:
        return f"{self.p}circ:c:{cid}"

    @property
    def all(self) -> str:
        return f"{self.p}circ:all"

    @property
    def seq(self) -> str:
        return f"{self.p}circ:seq"

    def number(self, cid: str) -> str:
        return f"{self.p}circ:n:{cid}"

    def topic(self, chat_id: int, thread_id: int) -> str:
        return f"{self.p}circ:t:{chat_id}:{thread_id}"

    def lock(self, name: str) -> str:
        return f"{self.p}circ:lock:{name}"


@dataclass
class Member:
    uid: int
    name: str | None  # the name they chose to show; None: their pseudonym
    lang: str
    joined: float = 0.0

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "lang": self.lang, "joined": self.joined})

    @classmethod
    def from_json(cls, uid: int, raw: str) -> Member:
        try:
            data = json.loads(raw)
            return cls(uid, data.get("name"), str(data.get("lang") or "en"), float(data.get("joined") or 0))
        except (ValueError, TypeError, AttributeError):
            return cls(uid, None, "en")


@dataclass
class Circle:
    circle_id: str
    course: str
    n: int
    session: date | None = None
    langs: list[str] = field(default_factory=list)
    status: str = "active"
    size: int = 0
    created_at: float = 0.0
    group_id: int | None = None
    thread_id: int | None = None
    checkin_dow: int = 6
    checkin_min: int = 17 * 60
    round: int = 0
    merged_into: str | None = None

    @classmethod
    def from_hash(cls, circle_id: str, raw: dict[str, str]) -> Circle:
        def num(name: str, default: int | None) -> int | None:
            try:
                return int(raw[name]) if raw.get(name) not in (None, "") else default
            except ValueError:
                return default

        try:
            langs = [str(x) for x in json.loads(raw.get("langs") or "[]")]
        except json.JSONDecodeError:
            langs = []
        try:
            session = date.fromisoformat(raw["session"]) if raw.get("session") else None
        except ValueError:
            session = None
        return cls(
            circle_id=circle_id,
            course=raw.get("course", ""),
            n=num("n", 0) or 0,
            session=session,
            langs=langs,
            status=raw.get("status", "active"),
            size=num("size", 0) or 0,
            created_at=float(raw.get("created_at") or 0),
            group_id=num("group_id", None),
            thread_id=num("thread_id", None),
            checkin_dow=num("checkin_dow", 6) or 0,
            checkin_min=num("checkin_min", 17 * 60) or 0,
            round=num("round", 0) or 0,
            merged_into=raw.get("merged_into") or None,
        )


class CircleStore(Repository):
    """Every key in the table above is built here."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = CircleKeys(prefix)
        self._join = redis.register_script(_JOIN)
        self._create = redis.register_script(_CREATE)
        self._leave = redis.register_script(_LEAVE)
        self._merge = redis.register_script(_MERGE)

    # --- the waiting pool ---------------------------------------------------------------

    async def wait(self, uid: int, cid: str, name: str | None, since: float | None = None) -> bool:
        """Put the learner in the course's pool (keeping an earlier ``since``); False when
        they are in a circle of the course already."""
        if await self.redis.hexists(self.keys.user(uid), cid):
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.keys.pool(cid), {str(uid): since or time.time()}, nx=True)
            pipe.hset(self.keys.waiting(uid), cid, json.dumps({"name": name}))
            pipe.sadd(self.keys.pools, cid)
            await pipe.execute()
        return True

    async def unwait(self, uid: int, cid: str) -> bool:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.keys.pool(cid), uid)
            pipe.hdel(self.keys.waiting(uid), cid)
            removed, _ = await pipe.execute()
        if not await self.redis.zcard(self.keys.pool(cid)):
            await self.redis.srem(self.keys.pools, cid)
        return bool(removed)

    async def pool(self, cid: str) -> list[tuple[int, float]]:
        """Waiting learners of a course and since when, longest-waiting first."""
        rows = cast(
            list[tuple[str, float]],
            await self.redis.zrange(self.keys.pool(cid), 0, -1, withscores=True),
        )
        return [(int(uid), float(since)) for uid, since in rows]

    async def pool_size(self, cid: str) -> int:
        return int(await self.redis.zcard(self.keys.pool(cid)))

    async def pools(self) -> list[str]:
        return sorted(str(x) for x in await self.redis.smembers(self.keys.pools))

    async def waiting(self, uid: int) -> dict[str, str | None]:
        """The courses the learner waits for, with the name they chose to show."""
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.waiting(uid)))
        out: dict[str, str | None] = {}
        for cid, data in raw.items():
            try:
                out[cid] = json.loads(data).get("name")
            except (ValueError, AttributeError):
                out[cid] = None
        return out

    async def waiting_names(self, uids: list[int], cid: str) -> dict[int, str | None]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for uid in uids:
                pipe.hget(self.keys.waiting(uid), cid)
            raws = await pipe.execute()
        out: dict[int, str | None] = {}
        for uid, raw in zip(uids, raws, strict=True):
            try:
                out[uid] = json.loads(raw).get("name") if raw else None
            except (ValueError, AttributeError):
                out[uid] = None
        return out

    # --- circles ------------------------------------------------------------------------

    async def new_id(self, cid: str) -> tuple[str, int]:
        """A fresh circle id and the circle's number within its course."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(self.keys.seq)
            pipe.incr(self.keys.number(cid))
            seq, n = await pipe.execute()
        return f"c{int(seq)}", int(n)

    async def create(
        self, circle: Circle, members: list[Member], min_size: int
    ) -> list[int]:
        """Create ``circle`` with those of ``members`` still waiting and free; returns who
        was placed (nothing is created when fewer than ``min_size`` are)."""
        k = self.keys
        cid, circle_id = circle.course, circle.circle_id
        record = {
            "course": cid,
            "n": circle.n,
            "session": circle.session.isoformat() if circle.session else "",
            "langs": json.dumps(sorted(set(circle.langs))),
            "created_at": circle.created_at or time.time(),
            "checkin_dow": circle.checkin_dow,
            "checkin_min": circle.checkin_min,
            "round": 0,
        }
        keys = [
            k.circle(circle_id), k.members(circle_id), k.course(cid), k.all, k.pool(cid),
            k.seen(circle_id), k.pools,
        ]  # fmt: skip
        args: list[Any] = [circle_id, cid, min_size, time.time(), len(record)]
        for name, value in record.items():
            args += [name, value]
        for m in members:
            keys += [k.user(m.uid), k.waiting(m.uid)]
            args += [m.uid, m.to_json()]
        placed = await self._create(keys=keys, args=args)
        return [int(x) for x in placed]

    async def join(
        self, circle_id: str, cid: str, member: Member, max_size: int, *, from_pool: bool
    ) -> int:
        """Add one member atomically (see ``_JOIN`` for the result codes)."""
        k = self.keys
        keys = [
            k.circle(circle_id), k.members(circle_id), k.user(member.uid), k.pool(cid),
            k.waiting(member.uid), k.seen(circle_id), k.pools,
        ]  # fmt: skip
        args: list[Any] = [member.uid, member.to_json(), max_size, cid, circle_id, int(from_pool), time.time()]
        return int(await self._join(keys=keys, args=args))

    async def leave(self, circle_id: str, uid: int) -> int:
        """Remove a member; the circle's size after, or -1 if they were not in it."""
        k = self.keys
        circle = await self.get(circle_id)
        if circle is None:
            return -1
        keys = [
            k.circle(circle_id), k.members(circle_id), k.user(uid), k.paused(circle_id),
            k.seen(circle_id), k.nudged(circle_id),
        ]  # fmt: skip
        return int(await self._leave(keys=keys, args=[uid, circle.course, circle_id]))

    async def merge(self, drop: str, into: str, max_size: int) -> int:
        """Move every member of ``drop`` into ``into`` (see ``_MERGE``)."""
        k = self.keys
        circle = await self.get(drop)
        if circle is None:
            return -1
        uids = await self.member_ids(drop)
        keys = [
            k.circle(drop), k.members(drop), k.circle(into), k.members(into),
            k.course(circle.course), k.all, k.paused(drop), k.paused(into), k.seen(drop),
            k.seen(into), k.nudged(drop), *(k.user(u) for u in uids),
        ]  # fmt: skip
        return int(await self._merge(keys=keys, args=[drop, into, max_size, circle.course, *uids]))

    async def close(self, circle_id: str) -> None:
        """A circle whose last member left: out of the indexes."""
        circle = await self.get(circle_id)
        if circle is None:
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.circle(circle_id), "status", "closed")
            pipe.srem(self.keys.course(circle.course), circle_id)
            pipe.srem(self.keys.all, circle_id)
            await pipe.execute()

    async def get(self, circle_id: str) -> Circle | None:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.circle(circle_id)))
        return Circle.from_hash(circle_id, raw) if raw else None

    async def update(self, circle_id: str, **values: Any) -> None:
        mapping = {
            name: json.dumps(sorted(v)) if isinstance(v, (list, set, frozenset)) else str(v)
            for name, v in values.items()
        }
        await self.redis.hset(self.keys.circle(circle_id), mapping=cast(Any, mapping))

    async def members(self, circle_id: str) -> list[Member]:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.members(circle_id)))
        return sorted(
            (Member.from_json(int(uid), data) for uid, data in raw.items()),
            key=lambda m: (m.joined, m.uid),
        )

    async def member(self, circle_id: str, uid: int) -> Member | None:
        raw = cast(str | None, await self.redis.hget(self.keys.members(circle_id), uid))
        return Member.from_json(uid, raw) if raw is not None else None

    async def member_ids(self, circle_id: str) -> list[int]:
        return sorted(int(x) for x in await self.redis.hkeys(self.keys.members(circle_id)))

    async def circles_of_course(self, cid: str) -> list[Circle]:
        ids = sorted(str(x) for x in await self.redis.smembers(self.keys.course(cid)))
        out = []
        for circle_id in ids:
            circle = await self.get(circle_id)
            if circle is not None and circle.status == "active":
                out.append(circle)
        return out

    async def active_circles(self) -> list[str]:
        return sorted(str(x) for x in await self.redis.smembers(self.keys.all))

    async def user_circles(self, uid: int) -> dict[str, str]:
        """The learner's circle per course: ``{cid: circle id}``."""
        return cast(dict[str, str], await self.redis.hgetall(self.keys.user(uid)))

    async def set_topic(self, circle_id: str, chat_id: int, thread_id: int) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.circle(circle_id), mapping={"group_id": chat_id, "thread_id": thread_id})
            pipe.set(self.keys.topic(chat_id, thread_id), circle_id)
            await pipe.execute()
        await HealthStats(self.redis, self.p).count_once("circ", chat_id, circle_id)

    async def circle_for_topic(self, chat_id: int, thread_id: int) -> str | None:
        raw = await self.redis.get(self.keys.topic(chat_id, thread_id))
        return str(raw) if raw else None

    async def rename_course(self, keep: str, drop: str) -> None:
        """After a catalog merge: ``drop``'s circles, pool and memberships become ``keep``'s."""
        k = self.keys
        for circle_id in [str(x) for x in await self.redis.smembers(k.course(drop))]:
            uids = await self.member_ids(circle_id)
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(k.circle(circle_id), "course", keep)
                pipe.sadd(k.course(keep), circle_id)
                pipe.srem(k.course(drop), circle_id)
                for uid in uids:
                    pipe.hdel(k.user(uid), drop)
                    pipe.hsetnx(k.user(uid), keep, circle_id)
                await pipe.execute()
        for uid, since in await self.pool(drop):
            raw = await self.redis.hget(k.waiting(uid), drop)
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zrem(k.pool(drop), uid)
                pipe.hdel(k.waiting(uid), drop)
                if not await self.redis.hexists(k.user(uid), keep):
                    pipe.zadd(k.pool(keep), {str(uid): since}, nx=True)
                    pipe.hsetnx(k.waiting(uid), keep, raw or json.dumps({"name": None}))
                    pipe.sadd(k.pools, keep)
                await pipe.execute()
        await self.redis.srem(k.pools, drop)

    # --- activity and check-ins -----------------------------------------------------------

    async def seen(self, circle_id: str, uid: int) -> None:
        """The member did something: active again, and no longer nudged."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(self.keys.seen(circle_id), uid, time.time())
            pipe.srem(self.keys.nudged(circle_id), uid)
            await pipe.execute()

    async def last_seen(self, circle_id: str) -> dict[int, float]:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.seen(circle_id)))
        return {int(uid): float(ts) for uid, ts in raw.items()}

    async def set_paused(self, circle_id: str, uid: int, paused: bool) -> bool:
        """Pause or resume a member; False when they are not one."""
        if not await self.redis.hexists(self.keys.members(circle_id), uid):
            return False
        if paused:
            await self.redis.sadd(self.keys.paused(circle_id), uid)
        else:
            await self.redis.srem(self.keys.paused(circle_id), uid)
            await self.seen(circle_id, uid)
        return True

    async def paused(self, circle_id: str) -> set[int]:
        return {int(x) for x in await self.redis.smembers(self.keys.paused(circle_id))}

    async def nudged(self, circle_id: str) -> set[int]:
        return {int(x) for x in await self.redis.smembers(self.keys.nudged(circle_id))}

    async def mark_nudged(self, circle_id: str, uid: int) -> bool:
        return bool(await self.redis.sadd(self.keys.nudged(circle_id), uid))

    async def start_round(self, circle_id: str, round_no: int) -> bool:
        """Record that check-in ``round_no`` began; False if it (or a later one) already had."""
        key = self.keys.circle(circle_id)
        current = int(cast(str | None, await self.redis.hget(key, "round")) or 0)
        if current >= round_no:
            return False
        await self.redis.hset(key, mapping={"round": round_no, f"round_at:{round_no}": time.time()})
        return True

    async def round_started(self, circle_id: str, round_no: int) -> float | None:
        raw = await self.redis.hget(self.keys.circle(circle_id), f"round_at:{round_no}")
        return float(raw) if raw else None

    async def add_answer(self, circle_id: str, round_no: int, uid: int, text: str, lang: str) -> None:
        """Keep (or replace) a member's answer; the first one of a round counts for ``/path``."""
        key = self.keys.answers(circle_id, round_no)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, uid, json.dumps({"text": text, "lang": lang}, ensure_ascii=False))
            pipe.expire(key, ANSWERS_TTL)
            new, _ = await pipe.execute()
        if new:
            await self.redis.incr(self.keys.answered(uid))
        await self.seen(circle_id, uid)

    async def first_summary(self, circle_id: str, round_no: int) -> bool:
        """True for the first summary run of a round (a re-run must not tidy again)."""
        key = self.keys.summarized(circle_id, round_no)
        return bool(await self.redis.set(key, "1", nx=True, ex=ANSWERS_TTL))

    async def answered_count(self, uid: int) -> int:
        return int(cast(str | None, await self.redis.get(self.keys.answered(uid))) or 0)

    async def answers(self, circle_id: str, round_no: int) -> dict[int, tuple[str, str]]:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.answers(circle_id, round_no)))
        out: dict[int, tuple[str, str]] = {}
        for uid, data in raw.items():
            try:
                parsed = json.loads(data)
                out[int(uid)] = (str(parsed["text"]), str(parsed.get("lang") or "en"))
            except (ValueError, KeyError, TypeError):
                continue
        return out

    # --- locks ----------------------------------------------------------------------------

    async def lock(self, name: str, ttl: float) -> str | None:
        import secrets

        token = secrets.token_hex(16)
        ok = await self.redis.set(self.keys.lock(name), token, nx=True, px=int(ttl * 1000))
        return token if ok else None

    async def unlock(self, name: str, token: str) -> None:
        script = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
        await self.redis.eval(script, 1, self.keys.lock(name), token)

    # --- erasure ----------------------------------------------------------------------------

    async def erase_user(self, uid: int) -> list[str]:
        """Out of every pool and circle, with their check-in answers; returns the circles
        they left (so the caller can tidy them)."""
        left: list[str] = []
        for cid in list((await self.waiting(uid)).keys()):
            await self.unwait(uid, cid)
        for circle_id in set((await self.user_circles(uid)).values()):
            if await self.leave(circle_id, uid) >= 0:
                left.append(circle_id)
            circle = await self.get(circle_id)
            for round_no in range(1, (circle.round if circle else 0) + 1):
                await self.redis.hdel(self.keys.answers(circle_id, round_no), uid)
        await self.redis.delete(self.keys.user(uid), self.keys.waiting(uid), self.keys.answered(uid))
        return left

    async def export_user(self, uid: int) -> dict[str, Any]:
        """Their circles (course, number, when they joined, the name they show) with their
        own check-in answers, and the courses whose pool they wait in."""
        circles = []
        for cid, circle_id in sorted((await self.user_circles(uid)).items()):
            circle = await self.get(circle_id)
            me = await self.member(circle_id, uid)
            answers = []
            for round_no in range(1, (circle.round if circle else 0) + 1):
                mine = (await self.answers(circle_id, round_no)).get(uid)
                if mine is not None:
                    answers.append({"round": round_no, "text": mine[0], "language": mine[1]})
            circles.append({
                "course": cid, "circle": circle.n if circle else None,
                "joined_at": me.joined if me else None, "shown_as": me.name if me else None,
                "checkin_answers": answers,
            })  # fmt: skip
        waiting = sorted((await self.waiting(uid)).keys())
        out: dict[str, Any] = {}
        if circles:
            out["circles"] = circles
        if waiting:
            out["waiting_for_a_circle"] = waiting
        return out
