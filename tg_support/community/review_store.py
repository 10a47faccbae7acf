"""Peer-review swaps in Redis: requests, swaps, who reviews whom, and reviewers' records.

A learner's request waits in ``rv:open`` until the matching job (``workers.reviews``) places it
in a swap with :func:`tg_support.community.reviews.match`. :meth:`ReviewStore.create_swap` is
one Lua script: it checks that every member request is still open and moves them all into
the swap, or changes nothing, so a request is never in two swaps however many matching runs
overlap. In a swap ``(a, b, c)`` a reviews b, b reviews c, c reviews a; each request records
the state of the review it receives (``got``): ``pending`` → ``delivered`` (→ rated), or
``noshow`` at the re-match lead (→ ``rematched`` when the author asked for a new partner), or
``ended`` when the swap ended first.

Key patterns (``{p}`` is the prefix):

============================  ======  ===========================================================
``{p}rv:seq``                 string  last request number
``{p}rv:req:{rid}``           hash    a request: uid, lang, course, assignment (key), asg_text,
                                      deadline, langs (JSON), want, work_kind (link|doc), work,
                                      work_name, created, status (open|matched|cancelled|
                                      expired), exclude (JSON), rematch, swap, pos, reviewer,
                                      got, rating, review (JSON: the answers of the review
                                      it received, and their language)
``{p}rv:open``                zset    open request ids, scored by deadline
``{p}rv:user:{uid}``          set     a user's request ids
``{p}rv:swseq``               string  last swap number
``{p}rv:swap:{sid}``          hash    a swap: rids (JSON, cycle order), uids (JSON), status
                                      (active|ended), created
``{p}rv:uswap:{uid}``         set     the swaps a user is or was in
``{p}rv:rep:{uid}``           hash    a reviewer's record: given, helpful, rated, noshow
``{p}rv:match:due``           string  set while a matching run is scheduled (debounce; TTL)
``{p}rv:match:lock``          string  held by the running matching job (TTL)
============================  ======  ===========================================================
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast

from redis.asyncio import Redis

from tg_support.community.reviews import ReviewRequest
from tg_support.core.store import Repository, from_hash, to_hash_values
from tg_support.helpers import reputation
from tg_support.ops.stats import ALL_GROUPS, HealthStats

TTL = 120 * 24 * 3600  # a finished request or swap is kept this long, then forgotten
GotState = Literal["pending", "delivered", "noshow", "rematched", "ended"]
# States in which the reviewer may still deliver (a late review is still welcome).
DELIVERABLE = ("pending", "noshow", "rematched")


class ReviewKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    @property
    def seq(self) -> str:
        return f"{self.p}rv:seq"

    def request(self, rid: str) -> str:
        return f"{self.p}rv:req:{rid}"

    @property
    def open(self) -> str:
        return f"{self.p}rv:open"

    def user(self, uid: int) -> str:
        return f"{self.p}rv:user:{uid}"

    @property
    def swap_seq(self) -> str:
        return f"{self.p}rv:swseq"

    def swap(self, sid: str) -> str:
        return f"{self.p}rv:swap:{sid}"

    def user_swaps(self, uid: int) -> str:
        return f"{self.p}rv:uswap:{uid}"

    def record(self, uid: int) -> str:
        return f"{self.p}rv:rep:{uid}"

    @property
    def match_due(self) -> str:
        return f"{self.p}rv:match:due"

    @property
    def match_lock(self) -> str:
        return f"{self.p}rv:match:lock"


@dataclass
class Request:
    """A stored request (see the key table for the fields)."""

    rid: str
    uid: int = 0
    lang: str = "en"  # the language the learner writes in (their profile's)
    course: str = ""
    assignment: str = ""
    asg_text: str = ""
    deadline: float = 0.0
    langs: list[str] = field(default_factory=list)
    want: str = ""
    work_kind: str = "link"
    work: str = ""
    work_name: str = ""
    created: float = 0.0
    status: str = "open"
    exclude: list[str] = field(default_factory=list)
    rematch: bool = False
    swap: str = ""
    pos: int = 0
    reviewer: int = 0
    got: str = ""
    rating: str = ""

    def as_match_input(self) -> ReviewRequest:
        return ReviewRequest(
            rid=self.rid, uid=self.uid, course=self.course, assignment=self.assignment,
            deadline=self.deadline, langs=tuple(self.langs), created=self.created,
            exclude=frozenset(int(x) for x in self.exclude if str(x).lstrip("-").isdigit()),
        )  # fmt: skip


@dataclass
class Swap:
    sid: str
    rids: list[str]
    uids: list[int]
    status: str
    created: float

    def index_of(self, uid: int) -> int | None:
        return self.uids.index(uid) if uid in self.uids else None

    def reviewee_of(self, i: int) -> int:
        """Position of the member that member ``i`` reviews."""
        return (i + 1) % len(self.rids)

    def reviewer_of(self, i: int) -> int:
        return (i - 1) % len(self.rids)


@dataclass(frozen=True)
class ReviewerRecord:
    given: int = 0
    helpful: int = 0
    rated: int = 0
    noshow: int = 0

    @property
    def score(self) -> float:
        """Helpful reviews for, no-shows against: a no-show weighs like an unhelpful review."""
        return reputation.reputation(self.helpful, self.rated + self.noshow)


# KEYS: swap, open set, n request keys, n user-swap sets. ARGV: sid, now, n, n rids, n uids,
# then the rids and uids as JSON. All or nothing: a member that is no longer open (matched by
# another run, cancelled, erased) leaves every request as it was.
_CREATE_SWAP = """
local n = tonumber(ARGV[3])
for i = 1, n do
  local req = KEYS[2 + i]
  if redis.call('HGET', req, 'status') ~= 'open' then return 0 end
  if redis.call('HGET', req, 'uid') ~= ARGV[3 + n + i] then return 0 end
end
for i = 1, n do
  local req = KEYS[2 + i]
  local prev = ((i - 2) % n) + 1
  redis.call('HSET', req, 'status', 'matched', 'swap', ARGV[1], 'pos', i - 1,
             'got', 'pending', 'reviewer', ARGV[3 + n + prev])
  redis.call('ZREM', KEYS[2], ARGV[3 + i])
  redis.call('SADD', KEYS[2 + n + i], ARGV[1])
end
redis.call('HSET', KEYS[1], 'rids', ARGV[4 + 2 * n], 'uids', ARGV[5 + 2 * n],
           'status', 'active', 'created', ARGV[2])
return 1
"""
# Compare-and-set one hash field. KEYS: the hash. ARGV: field, new value, then the values it
# may have now ('' = absent). Returns the old value, or false when it was none of those.
_CAS = """
local old = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
for i = 3, #ARGV do
  if old == ARGV[i] then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
    return old
  end
end
return false
"""


class ReviewStore(Repository):
    """Every key in the table above is built here."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = ReviewKeys(prefix)
        self._create_swap = redis.register_script(_CREATE_SWAP)
        self._cas = redis.register_script(_CAS)

    # --- requests ---------------------------------------------------------------------

    async def add_request(self, values: dict[str, Any]) -> Request:
        """A new open request (``values``: the :class:`Request` fields but rid and status)."""
        rid = str(await self.redis.incr(self.keys.seq))
        req = Request(rid=rid, **{**values, "status": "open", "created": time.time()})
        fields = {k: v for k, v in vars(req).items() if k != "rid"}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.request(rid), mapping=cast(Any, to_hash_values(fields)))
            pipe.zadd(self.keys.open, {rid: req.deadline})
            pipe.sadd(self.keys.user(req.uid), rid)
            await pipe.execute()
        return req

    async def get(self, rid: str) -> Request | None:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.request(rid)))
        return from_hash(Request, raw, rid=rid) if raw else None

    async def get_many(self, rids: list[str]) -> list[Request]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for rid in rids:
                pipe.hgetall(self.keys.request(rid))
            raws = await pipe.execute()
        return [
            from_hash(Request, raw, rid=rid) for rid, raw in zip(rids, raws, strict=True) if raw
        ]

    async def open_requests(self) -> list[Request]:
        rids = [str(r) for r in await self.redis.zrange(self.keys.open, 0, -1)]
        found = await self.get_many(rids)
        gone = set(rids) - {r.rid for r in found}
        if gone:  # an erased request's id left behind by a crash between two commands
            await self.redis.zrem(self.keys.open, *gone)
        return [r for r in found if r.status == "open"]

    async def user_requests(self, uid: int) -> list[Request]:
        rids = sorted((str(r) for r in await self.redis.smembers(self.keys.user(uid))), key=int)
        return await self.get_many(rids)

    async def close_request(self, rid: str, status: Literal["cancelled", "expired"]) -> bool:
        """Open → cancelled or expired; False when it was not open any more."""
        if await self._cas(keys=[self.keys.request(rid)], args=["status", status, "open"]) is None:
            return False
        await self.redis.zrem(self.keys.open, rid)
        await self.redis.expire(self.keys.request(rid), TTL)
        return True

    async def set_got(self, rid: str, new: GotState, *old: str) -> str | None:
        """Move the state of the review ``rid`` receives from one of ``old`` to ``new``;
        returns the state it had, None when it was in none of them."""
        found = await self._cas(keys=[self.keys.request(rid)], args=["got", new, *old])
        return None if found is None else str(found)

    async def save_review(self, rid: str, answers: dict[str, str]) -> None:
        await self.redis.hset(
            self.keys.request(rid), "review", json.dumps(answers, ensure_ascii=False)
        )

    async def review(self, rid: str) -> dict[str, str] | None:
        raw = await self.redis.hget(self.keys.request(rid), "review")
        try:
            found = json.loads(raw) if raw else None
        except ValueError:
            return None
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else None

    async def rate(self, rid: str, rating: str) -> bool:
        """The author's rating of the review they received: once."""
        found = await self._cas(keys=[self.keys.request(rid)], args=["rating", rating, ""])
        return found is not None

    # --- swaps ------------------------------------------------------------------------

    async def create_swap(self, members: list[Request]) -> Swap | None:
        """Move ``members`` (cycle order) from open into one new swap, atomically; None
        when one of them is no longer open (nothing changed then)."""
        sid = str(await self.redis.incr(self.keys.swap_seq))
        now = time.time()
        rids = [m.rid for m in members]
        uids = [m.uid for m in members]
        keys = [
            self.keys.swap(sid), self.keys.open,
            *(self.keys.request(r) for r in rids), *(self.keys.user_swaps(u) for u in uids),
        ]  # fmt: skip
        args: list[str | int | float] = [sid, now, len(rids), *rids, *(str(u) for u in uids)]
        args += [json.dumps(rids), json.dumps(uids)]
        if not await self._create_swap(keys=keys, args=args):
            return None
        await HealthStats(self.redis, self.p).count_once("swp", ALL_GROUPS, sid, now)
        return Swap(sid, rids, uids, "active", now)

    async def swap(self, sid: str) -> Swap | None:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.swap(sid)))
        if not raw:
            return None
        try:
            rids = [str(r) for r in json.loads(raw.get("rids") or "[]")]
            uids = [int(u) for u in json.loads(raw.get("uids") or "[]")]
        except (ValueError, TypeError):
            return None
        return Swap(sid, rids, uids, raw.get("status", "ended"), float(raw.get("created") or 0))

    async def user_swaps(self, uid: int, *, active: bool = True) -> list[Swap]:
        sids = sorted(
            (str(s) for s in await self.redis.smembers(self.keys.user_swaps(uid))), key=int
        )
        found = [s for s in [await self.swap(sid) for sid in sids] if s is not None]
        return [s for s in found if s.status == "active"] if active else found

    async def end_swap(self, sid: str) -> bool:
        """Active → ended, once; the reviews still pending in it end with it."""
        if await self._cas(keys=[self.keys.swap(sid)], args=["status", "ended", "active"]) is None:
            return False
        swap = await self.swap(sid)
        for rid in swap.rids if swap else []:
            await self.set_got(rid, "ended", "pending")
            await self.redis.expire(self.keys.request(rid), TTL)
        await self.redis.expire(self.keys.swap(sid), TTL)
        return True

    # --- reviewers' records -----------------------------------------------------------

    async def count(self, uid: int, **deltas: int) -> None:
        """Add to a reviewer's record (given, helpful, rated, noshow)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for name, delta in deltas.items():
                pipe.hincrby(self.keys.record(uid), name, delta)
            await pipe.execute()

    async def record(self, uid: int) -> ReviewerRecord:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.record(uid)))
        values = {k: max(0, int(v)) for k, v in raw.items() if v.lstrip("-").isdigit()}
        return ReviewerRecord(
            **{k: values.get(k, 0) for k in ("given", "helpful", "rated", "noshow")}
        )

    async def reviews_given(self, uid: int) -> int:
        """How many reviews ``uid`` delivered (for /path and the like)."""
        return int(await self.redis.hget(self.keys.record(uid), "given") or 0)

    # --- matching runs ----------------------------------------------------------------

    async def want_match(self, within: float) -> bool:
        """True for the first change since the last run: that one schedules the run."""
        ttl = max(1, int(within) + 30)  # a lost job must not block matching for long
        return bool(await self.redis.set(self.keys.match_due, "1", nx=True, ex=ttl))

    async def erase_user(self, uid: int) -> None:
        """A user's requests, their place in swaps (the swaps end), and their record."""
        rids = [str(r) for r in await self.redis.smembers(self.keys.user(uid))]
        for swap in await self.user_swaps(uid, active=False):
            await self.end_swap(swap.sid)
            uids = [0 if u == uid else u for u in swap.uids]
            await self.redis.hset(self.keys.swap(swap.sid), "uids", json.dumps(uids))
            for rid in swap.rids:
                if await self.redis.hget(self.keys.request(rid), "reviewer") == str(uid):
                    # What they wrote goes with them (the message the author got stays).
                    await self.redis.hset(self.keys.request(rid), "reviewer", "0")
                    await self.redis.hdel(self.keys.request(rid), "review")
        async with self.redis.pipeline(transaction=True) as pipe:
            for rid in rids:
                pipe.delete(self.keys.request(rid))
            if rids:
                pipe.zrem(self.keys.open, *rids)
            pipe.delete(self.keys.user(uid), self.keys.user_swaps(uid), self.keys.record(uid))
            await pipe.execute()

    async def export_user(self, uid: int) -> dict[str, Any]:
        """Their review requests (what they submitted, the review they received and how
        they rated it), the reviews they wrote, and their reviewer record. Partners are not
        named: a swap is shown by its number."""
        requests = []
        for req in sorted(await self.user_requests(uid), key=lambda r: r.created):
            requests.append({
                "course": req.course, "assignment": req.assignment, "work": req.work,
                "work_name": req.work_name, "status": req.status, "created_at": req.created,
                "swap": int(req.swap) if req.swap.isdigit() else None,
                "review_received": await self.review(req.rid), "your_rating": req.rating or None,
            })  # fmt: skip
        written = []
        for swap in await self.user_swaps(uid, active=False):
            for rid in swap.rids:
                if await self.redis.hget(self.keys.request(rid), "reviewer") == str(uid):
                    written.append({"swap": int(swap.sid), "review": await self.review(rid)})
        rec = await self.record(uid)
        out: dict[str, Any] = {}
        if requests:
            out["review_requests"] = requests
        if written:
            out["reviews_written"] = written
        if rec != ReviewerRecord():
            out["reviewer_record"] = asdict(rec)
        return out


async def reviews_given(store: Any, uid: int) -> int:
    """Reviews ``uid`` gave, from a ``core.store.Store`` (the seam for /path and badges)."""
    repo: ReviewStore = store.repo(ReviewStore)
    return await repo.reviews_given(uid)
