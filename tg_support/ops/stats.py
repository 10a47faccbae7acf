"""Community health counters, kept as things happen (never by scanning questions).

Study circles opened in a group and peer-review swaps started (which belong to no group)
are counted once each the same way (``count_once``); events will join when they land.

A question counts once when it is posted in a group (``asked``), once at its first answer
(``answered``) and once when it ends (``ended``: solved or closed). Each event lands in the
group's bucket of the day (UTC day number); durations go to bounded per-day samples, so
reading four weeks costs the same at a thousand questions as at a million.

Key patterns (``{p}`` is the prefix; ``{day}`` is days since 1970-01-01 UTC):

=================================  ======  ===================================================
``{p}hl:q:{qid}``                  hash    g (group), l (language), t (posted at), a (first
                                           answer at), e (ended at); 90 days
``{p}hl:day:{chat}:{day}``         hash    ``a:{lang}`` questions posted, ``ans`` first
                                           answers, ``sol`` solved, ``cls`` closed, ``circ``
                                           study circles opened; 40 days. Chat 0 (all
                                           groups): ``swp`` peer-review swaps started
``{p}hl:once:{kind}:{id}``         string  set when circle or swap ``id`` was counted
``{p}hl:ttfa:{chat}:{day}``        list    seconds to the first answer (latest ``SAMPLE``)
``{p}hl:tts:{chat}:{day}``         list    seconds from posting to solved (latest ``SAMPLE``)
``{p}hl:open:{chat}``              set     question ids posted and not yet answered or ended
``{p}hl:tz:{chat}``                string  the group's time zone for the weekly digest
``{p}hl:nodigest``                 set     admins (user ids) who turned the weekly digest off
=================================  ======  ===================================================

The scripts derive the day keys from the question's group (read in the script), so they
are not Redis-Cluster safe, like ``helpers.index``'s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, cast

from redis.asyncio import Redis

from tg_support.core.store import Repository

DAY = 86400
DAY_TTL = 40 * DAY  # four weeks shown, with room for a late digest
META_TTL = 90 * DAY  # a question not ended in 90 days no longer counts as open
SAMPLE = 256  # durations kept per group and day: medians from at most 28 * 256 values
ALL_GROUPS = 0  # the bucket of what belongs to no group (peer-review swaps)

# KEYS: meta, day hash, open set. ARGV: qid, chat, lang, now, day ttl, meta ttl.
# A question posted again (its topic recreated) keeps its first record.
_ASKED = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'g', ARGV[2], 'l', ARGV[3], 't', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('HINCRBY', KEYS[2], 'a:' .. ARGV[3], 1)
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""
# KEYS: marker, day hash. ARGV: field, day ttl. Something counted once (a circle's topic may
# be set again, a swap's creation retried).
_ONCE = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""
# KEYS: meta. ARGV: prefix, qid, now, day, day ttl, sample size, kind (ans|sol|cls).
_EVENT = """
local g = redis.call('HGET', KEYS[1], 'g')
if not g then return 0 end
local mark = ARGV[7] == 'ans' and 'a' or 'e'
if redis.call('HSETNX', KEYS[1], mark, ARGV[3]) == 0 then return 0 end
local base = ARGV[1] .. 'hl:'
local day = base .. 'day:' .. g .. ':' .. ARGV[4]
redis.call('HINCRBY', day, ARGV[7], 1)
redis.call('EXPIRE', day, ARGV[5])
redis.call('SREM', base .. 'open:' .. g, ARGV[2])
local sample = nil
if ARGV[7] == 'ans' then sample = 'ttfa' elseif ARGV[7] == 'sol' then sample = 'tts' end
if sample then
  local t = tonumber(redis.call('HGET', KEYS[1], 't')) or tonumber(ARGV[3])
  local list = base .. sample .. ':' .. g .. ':' .. ARGV[4]
  redis.call('LPUSH', list, math.max(0, math.floor(tonumber(ARGV[3]) - t)))
  redis.call('LTRIM', list, 0, tonumber(ARGV[6]) - 1)
  redis.call('EXPIRE', list, ARGV[5])
end
return 1
"""


class HealthKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    def meta(self, qid: str) -> str:
        return f"{self.p}hl:q:{qid}"

    def day(self, chat_id: int, day: int) -> str:
        return f"{self.p}hl:day:{chat_id}:{day}"

    def ttfa(self, chat_id: int, day: int) -> str:
        return f"{self.p}hl:ttfa:{chat_id}:{day}"

    def tts(self, chat_id: int, day: int) -> str:
        return f"{self.p}hl:tts:{chat_id}:{day}"

    def open(self, chat_id: int) -> str:
        return f"{self.p}hl:open:{chat_id}"

    def once(self, kind: str, item: str) -> str:
        return f"{self.p}hl:once:{kind}:{item}"

    def tz(self, chat_id: int) -> str:
        return f"{self.p}hl:tz:{chat_id}"

    @property
    def nodigest(self) -> str:
        return f"{self.p}hl:nodigest"


@dataclass
class Window:
    """A group's counters over ``days`` days ending today (oldest first)."""

    chat_id: int
    first_day: int
    asked: list[dict[str, int]] = field(default_factory=list)  # per day: language -> count
    answered: list[int] = field(default_factory=list)
    solved: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    # per day: seconds to the first answer / to solved, of the questions answered / solved
    first_answer_days: list[list[int]] = field(default_factory=list)
    solve_days: list[list[int]] = field(default_factory=list)
    unanswered: int = 0
    circles: int = 0  # study circles opened in this group's topics
    swaps: int = 0  # peer-review swaps started, all groups (swaps belong to no group)

    @property
    def first_answer_seconds(self) -> list[int]:
        return [x for day in self.first_answer_days for x in day]

    @property
    def solve_seconds(self) -> list[int]:
        return [x for day in self.solve_days for x in day]

    @property
    def total_asked(self) -> int:
        return sum(sum(d.values()) for d in self.asked)

    @property
    def solved_rate(self) -> float | None:
        """Solved among the questions that ended (solved or closed) in the window."""
        ended = sum(self.solved) + sum(self.closed)
        return sum(self.solved) / ended if ended else None

    def languages(self) -> list[str]:
        totals: dict[str, int] = {}
        for d in self.asked:
            for lang, n in d.items():
                totals[lang] = totals.get(lang, 0) + n
        return sorted(totals, key=lambda lang: (-totals[lang], lang))


def median(values: list[int]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return float(s[mid]) if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def day_number(ts: float) -> int:
    return int(ts // DAY)


class HealthStats(Repository):
    """Every ``hl:*`` key is built here (see the table above)."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = HealthKeys(prefix)
        self._asked = redis.register_script(_ASKED)
        self._event = redis.register_script(_EVENT)
        self._once = redis.register_script(_ONCE)

    async def asked(self, qid: str, chat_id: int, lang: str, now: float | None = None) -> bool:
        """Question ``qid`` was posted in group ``chat_id``; False when it was counted before."""
        now = time.time() if now is None else now
        keys = [self.keys.meta(qid), self.keys.day(chat_id, day_number(now)), self.keys.open(chat_id)]
        return bool(await self._asked(keys=keys, args=[qid, chat_id, lang, now, DAY_TTL, META_TTL]))

    async def answered(self, qid: str, now: float | None = None) -> bool:
        """Someone answered ``qid``; counts only its first answer."""
        return await self._record(qid, "ans", now)

    async def ended(self, qid: str, status: str, now: float | None = None) -> bool:
        """``qid`` was solved (``status == "solved"``) or closed; counts once."""
        return await self._record(qid, "sol" if status == "solved" else "cls", now)

    async def count_once(
        self, kind: str, chat_id: int, item: str, now: float | None = None
    ) -> bool:
        """``kind`` (``circ``, ``swp``) happened for ``item`` in ``chat_id`` (``ALL_GROUPS``
        for what has no group); False when ``item`` was counted before."""
        now = time.time() if now is None else now
        keys = [self.keys.once(kind, item), self.keys.day(chat_id, day_number(now))]
        return bool(await self._once(keys=keys, args=[kind, DAY_TTL]))

    async def _record(self, qid: str, kind: str, now: float | None) -> bool:
        now = time.time() if now is None else now
        args: list[str | int | float] = [self.p, qid, now, day_number(now), DAY_TTL, SAMPLE, kind]
        return bool(await self._event(keys=[self.keys.meta(qid)], args=args))

    async def window(self, chat_id: int, days: int = 28, now: float | None = None) -> Window:
        """The group's counters over the last ``days`` days: 3 reads per day, one round trip."""
        today = day_number(time.time() if now is None else now)
        first = today - days + 1
        async with self.redis.pipeline(transaction=False) as pipe:
            for d in range(first, today + 1):
                pipe.hgetall(self.keys.day(chat_id, d))
                pipe.lrange(self.keys.ttfa(chat_id, d), 0, -1)
                pipe.lrange(self.keys.tts(chat_id, d), 0, -1)
            for d in range(first, today + 1):
                pipe.hget(self.keys.day(ALL_GROUPS, d), "swp")
            pipe.scard(self.keys.open(chat_id))
            raw = await pipe.execute()
        w = Window(chat_id=chat_id, first_day=first, unanswered=int(raw[-1]))
        w.swaps = sum(int(x or 0) for x in raw[3 * days : 4 * days])
        for i in range(days):
            counts = cast(dict[str, str], raw[3 * i])
            w.asked.append(
                {k[2:]: int(v) for k, v in counts.items() if k.startswith("a:")}
            )
            w.answered.append(int(counts.get("ans", 0)))
            w.solved.append(int(counts.get("sol", 0)))
            w.closed.append(int(counts.get("cls", 0)))
            w.circles += int(counts.get("circ", 0))
            w.first_answer_days.append([int(x) for x in raw[3 * i + 1]])
            w.solve_days.append([int(x) for x in raw[3 * i + 2]])
        return w

    async def unanswered(self, chat_ids: list[int]) -> dict[int, int]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for chat_id in chat_ids:
                pipe.scard(self.keys.open(chat_id))
            counts = await pipe.execute()
        return {c: int(n) for c, n in zip(chat_ids, counts, strict=True)}

    async def erase_questions(self, qids: list[str]) -> None:
        """Questions whose asker left: no longer open (the day counts keep no id)."""
        if not qids:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for qid in qids:
                pipe.hget(self.keys.meta(qid), "g")
            groups = await pipe.execute()
        async with self.redis.pipeline(transaction=True) as pipe:
            for qid, g in zip(qids, groups, strict=True):
                if g is not None:
                    pipe.srem(self.keys.open(int(g)), qid)
                pipe.delete(self.keys.meta(qid))
            await pipe.execute()

    # --- the weekly digest's settings ---------------------------------------------------

    async def group_tz(self, chat_id: int) -> str | None:
        raw = await self.redis.get(self.keys.tz(chat_id))
        return str(raw) if raw else None

    async def set_group_tz(self, chat_id: int, tz: str) -> None:
        await self.redis.set(self.keys.tz(chat_id), tz)

    async def digest_on(self, uid: int) -> bool:
        return not await self.redis.sismember(self.keys.nodigest, str(uid))

    async def set_digest(self, uid: int, on: bool) -> None:
        if on:
            await self.redis.srem(self.keys.nodigest, str(uid))
        else:
            await self.redis.sadd(self.keys.nodigest, str(uid))

    async def erase_user(self, uid: int) -> None:
        """The admin's digest choice (the counters name no one)."""
        await self.redis.srem(self.keys.nodigest, str(uid))

    async def export_user(self, uid: int) -> dict[str, Any]:
        return {"weekly_health_digest": await self.digest_on(uid)}
