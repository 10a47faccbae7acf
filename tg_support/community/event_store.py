"""Events (meetups and online study sessions): records, RSVPs with a waitlist, learners'
cities, attendance. Every key below is built here.

Key patterns (``{p}`` is ``Settings.redis_prefix``):

=========================  ======  ================================================================
``{p}ev:seq``              string  last event id
``{p}ev:{id}``             hash    organizer, title, online, city (GeoNames id), city_name,
                                   region, start (timestamp), tz, minutes, capacity, langs,
                                   courses, course_tags (JSON), venue (private), status, created_at
``{p}ev:{id}:rsvp``        hash    uid → going | wait | maybe | no
``{p}ev:{id}:going``       zset    uids with a seat, by the moment they took it
``{p}ev:{id}:wait``        zset    uids on the waitlist, first come first served
``{p}ev:{id}:fb``          hash    uid → good | ok | missed (the "how was it?" answer)
``{p}ev:up``               zset    active event ids by start time
``{p}ev:by:{uid}``         set     event ids a user organizes
``{p}ev:of:{uid}``         set     event ids a user answered
``{p}ev:city:{uid}``       string  the learner's city (GeoNames id; never coordinates)
``{p}ev:att:{uid}``        string  events the user attended (counts toward recognition)
=========================  ======  ================================================================

A seat is taken, given up and handed to the waitlist by Lua scripts, so two learners racing
for the last seat get one seat and one waitlist place, and a cancellation promotes exactly
the first waiting learner.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from redis.asyncio import Redis

from tg_support.core.store import Repository, from_hash, to_hash

Rsvp = Literal["going", "wait", "maybe", "no"]
KEEP_AFTER_END = 30 * 24 * 3600

# Hand free seats to the waitlist, oldest first; the promoted uids joined by commas.
_FILL = """
local function fill(ev, rsvp, going, wait)
  local cap = tonumber(redis.call('HGET', ev, 'capacity') or '0')
  local promoted = {}
  while redis.call('ZCARD', going) < cap do
    local first = redis.call('ZPOPMIN', wait)
    if #first == 0 then break end
    redis.call('ZADD', going, first[2], first[1])
    redis.call('HSET', rsvp, first[1], 'going')
    promoted[#promoted + 1] = first[1]
  end
  return table.concat(promoted, ',')
end
"""
# KEYS: event, rsvp, going, wait. ARGV: uid, choice (going|maybe|no|erase), now.
_RSVP = _FILL + """
if redis.call('HGET', KEYS[1], 'status') ~= 'active' then return {'closed', ''} end
local uid, choice = ARGV[1], ARGV[2]
local was = redis.call('HGET', KEYS[2], uid) or ''
if choice == 'going' then
  if was == 'going' or was == 'wait' then return {was, ''} end
  local cap = tonumber(redis.call('HGET', KEYS[1], 'capacity') or '0')
  if redis.call('ZCARD', KEYS[3]) < cap then
    redis.call('ZADD', KEYS[3], ARGV[3], uid)
    redis.call('HSET', KEYS[2], uid, 'going')
    return {'going', ''}
  end
  redis.call('ZADD', KEYS[4], ARGV[3], uid)
  redis.call('HSET', KEYS[2], uid, 'wait')
  return {'wait', ''}
end
if choice == 'erase' then redis.call('HDEL', KEYS[2], uid) else redis.call('HSET', KEYS[2], uid, choice) end
redis.call('ZREM', KEYS[3], uid)
redis.call('ZREM', KEYS[4], uid)
return {choice, fill(KEYS[1], KEYS[2], KEYS[3], KEYS[4])}
"""
# KEYS: event, rsvp, going, wait (after a capacity change).
_REFILL = _FILL + "return fill(KEYS[1], KEYS[2], KEYS[3], KEYS[4])"

_CANCEL = """
if redis.call('HGET', KEYS[1], 'status') ~= 'active' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'cancelled')
return 1
"""


@dataclass
class Event:
    eid: str
    organizer: int = 0
    title: str = ""
    online: bool = False
    city: str = ""
    city_name: str = ""
    region: str = "international"
    start: float = 0.0
    tz: str = "UTC"
    minutes: int = 60
    capacity: int = 10
    langs: list[str] = field(default_factory=list)
    courses: list[str] = field(default_factory=list)
    course_tags: list[str] = field(default_factory=list)
    venue: str = ""
    status: str = "active"
    created_at: float = 0.0

    @property
    def end(self) -> float:
        return self.start + self.minutes * 60


# What an organizer may change after publishing.
EDITABLE: tuple[str, ...] = ("title", "start", "minutes", "capacity", "venue")


class EventKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    @property
    def seq(self) -> str:
        return f"{self.p}ev:seq"

    def event(self, eid: str, part: str = "") -> str:
        return f"{self.p}ev:{eid}" + (f":{part}" if part else "")

    @property
    def upcoming(self) -> str:
        return f"{self.p}ev:up"

    def by(self, uid: int) -> str:
        return f"{self.p}ev:by:{uid}"

    def of(self, uid: int) -> str:
        return f"{self.p}ev:of:{uid}"

    def city(self, uid: int) -> str:
        return f"{self.p}ev:city:{uid}"

    def attended(self, uid: int) -> str:
        return f"{self.p}ev:att:{uid}"


class EventStore(Repository):
    """Every key in the module's table is built here."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = EventKeys(prefix)
        self._rsvp = redis.register_script(_RSVP)
        self._refill = redis.register_script(_REFILL)
        self._cancel = redis.register_script(_CANCEL)

    def _four(self, eid: str) -> list[str]:
        k = self.keys
        return [k.event(eid), k.event(eid, "rsvp"), k.event(eid, "going"), k.event(eid, "wait")]

    async def _expire_all(self, ev: Event) -> None:
        ttl = max(3600, int(ev.end - time.time() + KEEP_AFTER_END))
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in (*self._four(ev.eid), self.keys.event(ev.eid, "fb")):
                pipe.expire(key, ttl)
            await pipe.execute()

    async def create(self, ev: Event) -> Event:
        ev.eid = str(await self.redis.incr(self.keys.seq))
        ev.created_at = time.time()
        ev.status = "active"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.event(ev.eid), mapping=cast(Any, _to_hash(ev)))
            pipe.zadd(self.keys.upcoming, {ev.eid: ev.start})
            pipe.sadd(self.keys.by(ev.organizer), ev.eid)
            await pipe.execute()
        await self._expire_all(ev)
        return ev

    async def get(self, eid: str) -> Event | None:
        if not eid.isdigit():
            return None
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.event(eid)))
        return from_hash(Event, raw, eid=eid) if raw else None

    async def update(self, ev: Event, **values: Any) -> Event:
        """Change some fields of a published event; free seats go to the waitlist."""
        for name, value in values.items():
            setattr(ev, name, value)
        mapping = {k: v for k, v in _to_hash(ev).items() if k in values}
        await self.redis.hset(self.keys.event(ev.eid), mapping=cast(Any, mapping))
        if "start" in values and ev.status == "active":
            await self.redis.zadd(self.keys.upcoming, {ev.eid: ev.start})
        await self._expire_all(ev)
        return ev

    async def cancel(self, eid: str) -> bool:
        """True for the one call that moved the event from active to cancelled."""
        await self.redis.zrem(self.keys.upcoming, eid)
        return bool(await self._cancel(keys=[self.keys.event(eid)]))

    async def upcoming(self, now: float, limit: int = 200) -> list[Event]:
        ids = cast(list[str], await self.redis.zrangebyscore(self.keys.upcoming, now, "+inf", 0, limit))
        out = []
        for eid in ids:
            ev = await self.get(eid)
            if ev is None:
                await self.redis.zrem(self.keys.upcoming, eid)
            elif ev.status == "active":
                out.append(ev)
        return out

    async def organized_by(self, uid: int) -> list[Event]:
        out = []
        for eid in sorted(cast(set[str], await self.redis.smembers(self.keys.by(uid))), key=int):
            ev = await self.get(eid)
            if ev is not None:
                out.append(ev)
        return out

    # --- RSVPs ------------------------------------------------------------------------

    async def rsvp(self, eid: str, uid: int, choice: str) -> tuple[str, list[int]]:
        """Record ``choice`` (going, maybe, no); returns the state the learner is in now
        (``wait`` when the event is full, ``closed`` when it is no longer active) and who
        was promoted from the waitlist by it."""
        state, promoted = await self._rsvp(keys=self._four(eid), args=[uid, choice, time.time()])
        if state != "closed":
            await self.redis.sadd(self.keys.of(uid), eid)
        return str(state), [int(x) for x in str(promoted).split(",") if x]

    async def refill(self, eid: str) -> list[int]:
        promoted = await self._refill(keys=self._four(eid))
        return [int(x) for x in str(promoted).split(",") if x]

    async def answered_by(self, uid: int) -> set[str]:
        """Ids of the events ``uid`` answered."""
        return set(cast(set[str], await self.redis.smembers(self.keys.of(uid))))

    async def state_of(self, eid: str, uid: int) -> str | None:
        return cast(str | None, await self.redis.hget(self.keys.event(eid, "rsvp"), str(uid)))

    async def going(self, eid: str) -> list[int]:
        return [int(x) for x in cast(list[str], await self.redis.zrange(self.keys.event(eid, "going"), 0, -1))]

    async def waitlist(self, eid: str) -> list[int]:
        return [int(x) for x in cast(list[str], await self.redis.zrange(self.keys.event(eid, "wait"), 0, -1))]

    async def answers(self, eid: str) -> dict[int, str]:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.event(eid, "rsvp")))
        return {int(k): v for k, v in raw.items()}

    async def wait_position(self, eid: str, uid: int) -> int | None:
        rank = cast(int | None, await self.redis.zrank(self.keys.event(eid, "wait"), str(uid)))
        return None if rank is None else rank + 1

    # --- after the event --------------------------------------------------------------

    async def feedback(self, eid: str, uid: int, answer: str) -> bool:
        """The "how was it?" answer; an attendance counts once per event."""
        first = bool(await self.redis.hsetnx(self.keys.event(eid, "fb"), str(uid), answer))
        if not first:
            await self.redis.hset(self.keys.event(eid, "fb"), str(uid), answer)
            return False
        if answer != "missed":
            await self.redis.incr(self.keys.attended(uid))
        return True

    async def attended(self, uid: int) -> int:
        return int(await self.redis.get(self.keys.attended(uid)) or 0)

    # --- learners' cities -------------------------------------------------------------

    async def set_city(self, uid: int, gid: str) -> None:
        await self.redis.set(self.keys.city(uid), gid)

    async def city_of(self, uid: int) -> str | None:
        return cast(str | None, await self.redis.get(self.keys.city(uid)))

    # --- privacy ----------------------------------------------------------------------

    async def erase_user(self, uid: int) -> None:
        """Their answers (a seat they held goes to the waitlist), city and attendance; events
        they organized stay for their attendees but no longer name them."""
        for eid in cast(set[str], await self.redis.smembers(self.keys.of(uid))):
            if await self.redis.exists(self.keys.event(eid)):
                await self._rsvp(keys=self._four(eid), args=[uid, "erase", time.time()])
                # A cancelled event's script refuses changes: remove the traces directly.
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.hdel(self.keys.event(eid, "rsvp"), str(uid))
                    pipe.hdel(self.keys.event(eid, "fb"), str(uid))
                    pipe.zrem(self.keys.event(eid, "going"), str(uid))
                    pipe.zrem(self.keys.event(eid, "wait"), str(uid))
                    await pipe.execute()
        for eid in cast(set[str], await self.redis.smembers(self.keys.by(uid))):
            if await self.redis.exists(self.keys.event(eid)):
                await self.redis.hset(self.keys.event(eid), "organizer", 0)
        await self.redis.delete(
            self.keys.of(uid), self.keys.by(uid), self.keys.city(uid), self.keys.attended(uid)
        )

    async def export_user(self, uid: int) -> dict[str, Any]:
        rsvps: dict[str, Any] = {}
        for eid in sorted(cast(set[str], await self.redis.smembers(self.keys.of(uid))), key=int):
            ev = await self.get(eid)
            state = await self.state_of(eid, uid)
            if ev is not None and state is not None:
                fb = await self.redis.hget(self.keys.event(eid, "fb"), str(uid))
                rsvps[eid] = {"title": ev.title, "start": ev.start, "answer": state, "feedback": fb}
        organized = [
            {"id": ev.eid, "title": ev.title, "start": ev.start, "status": ev.status}
            for ev in await self.organized_by(uid)
        ]
        return {
            "city": await self.city_of(uid), "attended": await self.attended(uid),
            "rsvps": rsvps, "organized": organized,
        }  # fmt: skip


def _to_hash(ev: Event) -> dict[str, str]:
    out = to_hash(ev)
    out.pop("eid", None)
    return out


__all__ = ["EDITABLE", "Event", "EventStore", "Rsvp"]
