"""Broadcasts: announcements from group admins to many learners, helpers and groups.

A broadcast goes ``draft`` (audience chosen, text typed) → ``translating`` (a worker job
translates the text into every audience language) → ``preview`` (the admin sees each
language and may replace any by hand) → ``queued`` or ``scheduled`` → ``running`` (the
audience is snapshotted into a recipient list and cut into chunks; one RQ job per chunk on
the ``broadcast`` queue) → ``done``; ``cancelled`` from any state before ``done``.

Key patterns (``{p}`` is the prefix; ``{id}`` the broadcast number):

=============================  ======  ======================================================
``{p}bc:seq``                  string  last broadcast id (INCR)
``{p}bc:{id}``                 hash    admin, locale, src, text, entities (JSON), audience
                                       (JSON), status, created_at, at (scheduled), started_at,
                                       finished_at, total, chunks, progress (message id)
``{p}bc:{id}:tx``              hash    language → JSON {text, entities, how}; ``how`` is
                                       ``original`` | ``machine`` | ``manual`` | ``untranslated``
``{p}bc:{id}:rcpt``            list    the audience snapshot: ``chat_id:lang`` per recipient
                                       (``0:`` once that person erased their data); in
                                       the trail of each person on it
``{p}bc:{id}:st``              hash    chat_id → ``s:{token}`` (sending) | ``ok:{message_id}``
                                       | ``blocked`` | ``fail:{reason}`` | ``unknown``
``{p}bc:{id}:n``               hash    counters: ok, blocked, failed, unknown
``{p}bc:{id}:why``             hash    failure reason → count
``{p}bc:{id}:done``            set     finished chunk numbers
``{p}bc:{id}:lease:{chunk}``   string  token of the job delivering that chunk (TTL)
``{p}bc:{id}:tick``            string  set for ~2 s after a progress edit (throttle)
``{p}bc:admin:{uid}``          zset    the admin's broadcast ids by creation time
=============================  ======  ======================================================

Exactly once
------------
Every recipient's state moves through ``{p}bc:{id}:st`` with Lua scripts, so each change is
atomic with its counter: a recipient is *claimed* (``s:{token}``, only if it has no state
and the broadcast is not cancelled) and then *finished* (``ok``/``blocked``/``fail``, only by
the claimant, counter incremented in the same script). The claim is made from the rate
limiter's ``before_send`` hook (``sending.RateLimitArgs``): after the token bucket granted the
call and immediately before the HTTP request, so the window in which a crash leaves an
ambiguous recipient is one HTTP round trip, not the rate-limit wait.

A run of a chunk skips every recipient that has a state. Two runs of one chunk cannot both
send to anyone (the claim is a compare-and-set), and a chunk lease keeps a re-run from
judging a live run's in-flight claims. If a worker dies (SIGKILL) mid-chunk, RQ re-queues
the job after its timeout (``jobs.Worker``); the new run delivers every recipient without a
state, so nobody who was recorded is sent to twice and nobody unrecorded is skipped.

The only recipients left are those claimed (``s:…``) by the dead run: the request may or
may not have reached Telegram, and the Bot API offers no way to ask. We choose
**at-most-once** for them: they are marked ``unknown`` and reported to the admin as
"unconfirmed", never re-sent. An announcement received twice by thousands of people is
worse than one possibly missed by the one or few (at most ``broadcast_concurrency``)
recipients in flight at the instant of the crash, and the report says how many there are.

Rate limits and priority
------------------------
Every send goes through the bot's ``RedisRateLimiter`` (buckets in Redis shared by every
bot and worker process) with ``priority="low"``, which leaves a reserve of the global bucket
to interactive traffic; the ``broadcast`` queue is the last a worker drains
(``services.QUEUES``), so interactive jobs never wait behind a chunk.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from redis.asyncio import Redis

from tg_support.core import trail
from tg_support.core.store import Group, Profile, from_hash
from tg_support.questions.routing import ANY_LANGUAGE

AUDIENCES: tuple[str, ...] = ("learners", "helpers", "groups", "all")
ACTIVE = frozenset({"queued", "scheduled", "running"})
OPEN = frozenset({"draft", "translating", "preview", *ACTIVE})
MAX_TEXT = 3500  # leaves room for translations that grow, under Telegram's 4096
TTL = 90 * 24 * 3600
ERASED = 0  # the chat id of a recipient-list entry whose person erased their data

_MIDDLE_EAST = frozenset(
    {"Riyadh", "Dubai", "Tehran", "Baghdad", "Jerusalem", "Beirut", "Amman", "Qatar", "Kuwait",
     "Bahrain", "Muscat", "Damascus", "Aden", "Tel_Aviv", "Gaza", "Hebron", "Cairo"}
)  # fmt: skip


def region_of_tz(tz: str | None) -> str:
    """A learner's region from their time zone (groups declare theirs)."""
    if not tz or "/" not in tz:
        return "international"
    area, _, city = tz.partition("/")
    if city.rsplit("/", 1)[-1] in _MIDDLE_EAST:
        return "middle-east"
    return {
        "America": "americas",
        "Europe": "europe",
        "Africa": "africa",
        "Asia": "asia",
        "Australia": "oceania",
        "Pacific": "oceania",
    }.get(area, "international")


@dataclass
class Audience:
    kind: str = "learners"  # one of AUDIENCES
    langs: list[str] = field(default_factory=list)  # empty: every language
    regions: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | dict[str, Any] | None) -> Audience:
        data = json.loads(raw) if isinstance(raw, str) else (raw or {})
        kind = data.get("kind") if data.get("kind") in AUDIENCES else "learners"
        return cls(
            kind=str(kind),
            langs=[str(x) for x in data.get("langs") or []],
            regions=[str(x) for x in data.get("regions") or []],
            tags=[str(x) for x in data.get("tags") or []],
        )

    def wants_users(self) -> bool:
        return self.kind in ("learners", "helpers", "all")

    def wants_groups(self) -> bool:
        return self.kind in ("groups", "all")

    def matches_profile(self, p: Profile) -> bool:
        if p.blocked or not p.onboarded or not p.lang:
            return False
        if self.kind == "learners" and p.role not in ("learner", "both"):
            return False
        if self.kind == "helpers" and not p.is_helper:
            return False
        if self.langs and p.lang not in self.langs:
            return False
        if self.regions and region_of_tz(p.tz) not in self.regions:
            return False
        return not self.tags or _tag_match(self.tags, p.tags)

    def matches_group(self, g: Group) -> bool:
        if not g.active:
            return False
        if self.langs and not (set(g.languages) & {*self.langs, ANY_LANGUAGE}):
            return False
        if self.regions and g.region not in self.regions:
            return False
        return not self.tags or _tag_match(self.tags, g.tags)


def _tag_match(wanted: Sequence[str], have: Iterable[str]) -> bool:
    have_l = [h.lower() for h in have]
    return any(w.lower() in h for w in wanted for h in have_l)


def group_language(g: Group, audience: Audience, fallback: str) -> str:
    """The language a group receives: the first it speaks (that the filter asked for)."""
    langs = [x for x in g.languages if x != ANY_LANGUAGE]
    if audience.langs:
        langs = [x for x in langs if x in audience.langs] or langs
    return langs[0] if langs else fallback


@dataclass
class Broadcast:
    bid: str
    admin: int = 0
    locale: str = "en"
    src: str = "en"
    text: str = ""
    entities: str = "[]"
    audience: str = "{}"
    status: str = "draft"
    created_at: float = 0.0
    at: float = 0.0
    started_at: float = 0.0
    finished_at: float = 0.0
    total: int = 0
    chunks: int = 0
    progress: int = 0

    @property
    def aud(self) -> Audience:
        return Audience.from_json(self.audience)

    def entity_list(self) -> list[dict[str, Any]]:
        loaded = json.loads(self.entities or "[]")
        return loaded if isinstance(loaded, list) else []


@dataclass
class Counts:
    ok: int = 0
    blocked: int = 0
    failed: int = 0
    unknown: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return self.ok + self.blocked + self.failed + self.unknown


# KEYS: bc hash, st hash. ARGV: chat, token. 1 claimed (or ours already), 0 has a state,
# -1 the broadcast was cancelled.
_CLAIM = """
if redis.call('HGET', KEYS[1], 'status') == 'cancelled' then return -1 end
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if cur == false then
  redis.call('HSET', KEYS[2], ARGV[1], 's:' .. ARGV[2])
  return 1
end
if cur == 's:' .. ARGV[2] then return 1 end
return 0
"""

# KEYS: st, n, why. ARGV: chat, token (or '' for a recipient never claimed), outcome,
# counter, reason. Only the claimant (or, with token '', nobody) may finish a recipient.
_FINISH = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '' then
  if cur ~= false then return 0 end
elseif cur ~= 's:' .. ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[2], ARGV[4], 1)
if ARGV[5] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[5], 1) end
return 1
"""

# KEYS: st, n. ARGV: chat ids. Claims left by a dead run become 'unknown' (at most once).
_ORPHANS = """
local n = 0
for i = 1, #ARGV do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur and string.sub(cur, 1, 2) == 's:' then
    redis.call('HSET', KEYS[1], ARGV[i], 'unknown')
    redis.call('HINCRBY', KEYS[2], 'unknown', 1)
    n = n + 1
  end
end
return n
"""

# KEYS: bc hash. ARGV: expected statuses..., then the new status last.
_TRANSITION = """
local cur = redis.call('HGET', KEYS[1], 'status')
for i = 1, #ARGV - 1 do
  if cur == ARGV[i] then
    redis.call('HSET', KEYS[1], 'status', ARGV[#ARGV])
    return 1
  end
end
return 0
"""


class Broadcasts:
    """Broadcast records, audience resolution, recipient state (see the module docstring)."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.p = prefix
        self._claim = redis.register_script(_CLAIM)
        self._finish = redis.register_script(_FINISH)
        self._orphans = redis.register_script(_ORPHANS)
        self._transition = redis.register_script(_TRANSITION)

    # --- keys ---------------------------------------------------------------------------
    def key(self, bid: str, part: str = "") -> str:
        return f"{self.p}bc:{bid}" + (f":{part}" if part else "")

    def admin_key(self, uid: int) -> str:
        return f"{self.p}bc:admin:{uid}"

    # --- records ------------------------------------------------------------------------
    async def create(
        self, admin: int, locale: str, src: str, text: str, entities: list[dict[str, Any]],
        audience: Audience,
    ) -> Broadcast:  # fmt: skip
        bid = str(await self.redis.incr(f"{self.p}bc:seq"))
        b = Broadcast(
            bid=bid, admin=admin, locale=locale, src=src, text=text,
            entities=json.dumps(entities, ensure_ascii=False), audience=audience.to_json(),
            status="translating", created_at=time.time(),
        )  # fmt: skip
        values = {k: str(v) for k, v in asdict(b).items() if k != "bid"}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key(bid), mapping=cast(Any, values))
            pipe.expire(self.key(bid), TTL)
            pipe.zadd(self.admin_key(admin), {bid: b.created_at})
            await pipe.execute()
        return b

    async def get(self, bid: str) -> Broadcast | None:
        if not bid.isdigit():
            return None
        raw = cast(dict[str, str], await self.redis.hgetall(self.key(bid)))
        return from_hash(Broadcast, raw, bid=bid) if raw else None

    async def update(self, bid: str, **values: Any) -> None:
        await self.redis.hset(self.key(bid), mapping={k: str(v) for k, v in values.items()})

    async def transition(self, bid: str, old: Sequence[str], new: str) -> bool:
        """Compare-and-set of the status: True if it was one of ``old`` and is now ``new``."""
        return bool(await self._transition(keys=[self.key(bid)], args=[*old, new]))

    async def for_admin(self, uid: int, limit: int = 10) -> list[Broadcast]:
        ids = [str(x) for x in await self.redis.zrevrange(self.admin_key(uid), 0, limit - 1)]
        out = []
        for bid in ids:
            b = await self.get(bid)
            if b is not None:
                out.append(b)
        return out

    # --- texts per language -------------------------------------------------------------
    async def set_text(
        self, bid: str, lang: str, text: str, entities: list[dict[str, Any]], how: str
    ) -> None:
        payload = json.dumps({"text": text, "entities": entities, "how": how}, ensure_ascii=False)
        await self.redis.hset(self.key(bid, "tx"), lang, payload)
        await self.redis.expire(self.key(bid, "tx"), TTL)

    async def texts(self, bid: str) -> dict[str, dict[str, Any]]:
        raw = cast(dict[str, str], await self.redis.hgetall(self.key(bid, "tx")))
        return {k: json.loads(v) for k, v in raw.items()}

    # --- audience -----------------------------------------------------------------------
    async def resolve(self, audience: Audience, fallback_lang: str) -> list[tuple[int, str]]:
        """Every recipient (chat id, language) the audience covers now, users then groups."""
        from tg_support.core.store import Keys

        keys = Keys(self.p)
        out: list[tuple[int, str]] = []
        if audience.wants_users():
            if audience.langs:
                ids: set[int] = set()
                for lang in audience.langs:
                    ids |= {int(x) for x in await self.redis.smembers(keys.users_by_lang(lang))}
            else:
                ids = {int(x) for x in await self.redis.smembers(keys.users)}
            ordered = sorted(ids)
            for i in range(0, len(ordered), 500):
                batch = ordered[i : i + 500]
                async with self.redis.pipeline(transaction=False) as pipe:
                    for uid in batch:
                        pipe.hgetall(keys.user(uid))
                    raws = await pipe.execute()
                for uid, raw in zip(batch, raws, strict=True):
                    if not raw:
                        continue
                    prof = Profile.from_redis(uid, raw)
                    if audience.matches_profile(prof) and prof.lang:
                        out.append((uid, prof.lang))
        if audience.wants_groups():
            gids = sorted(int(x) for x in await self.redis.smembers(keys.groups))
            for gid in gids:
                graw = cast(dict[str, str], await self.redis.hgetall(keys.group(gid)))
                if not graw:
                    continue
                g = from_hash(Group, graw, chat_id=gid)
                if audience.matches_group(g):
                    out.append((gid, group_language(g, audience, fallback_lang)))
        return out

    async def plan(self, bid: str, recipients: Sequence[tuple[int, str]], chunk_size: int) -> int:
        """Snapshot the recipients (once: a re-run keeps the first snapshot); returns the
        number of chunks."""
        rkey = self.key(bid, "rcpt")
        chunks = (len(recipients) + chunk_size - 1) // chunk_size
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.exists(rkey)
            pipe.hget(self.key(bid), "chunks")
            exists, old_chunks = await pipe.execute()
        if exists:
            return int(old_chunks or 0)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(rkey)
            for i in range(0, len(recipients), 1000):
                pipe.rpush(rkey, *[f"{c}:{lang}" for c, lang in recipients[i : i + 1000]])
            pipe.expire(rkey, TTL)
            pipe.hset(
                self.key(bid),
                mapping={"total": str(len(recipients)), "chunks": str(chunks),
                         "chunk_size": str(chunk_size), "started_at": str(time.time())},
            )  # fmt: skip
            await pipe.execute()
        # Each person on the list finds it again on /forget: noted in batches, outside the
        # snapshot's transaction (a big audience would hold Redis in one long EXEC).
        users = [c for c, _lang in recipients if c > 0]
        for i in range(0, len(users), 1000):
            async with self.redis.pipeline(transaction=False) as pipe:
                for uid in users[i : i + 1000]:
                    trail.note_in(pipe, self.p, [uid], [rkey], TTL)
                await pipe.execute()
        return chunks

    async def chunk(self, bid: str, index: int) -> list[tuple[int, str]]:
        size = int(await self.redis.hget(self.key(bid), "chunk_size") or 0)
        if size <= 0:
            return []
        raw = await self.redis.lrange(self.key(bid, "rcpt"), index * size, (index + 1) * size - 1)
        out = []
        for item in raw:
            chat, _, lang = str(item).partition(":")
            if int(chat) != ERASED:  # someone who erased their data after the snapshot
                out.append((int(chat), lang))
        return out

    # --- recipient state ----------------------------------------------------------------
    async def states(self, bid: str, chats: Sequence[int]) -> list[str | None]:
        if not chats:
            return []
        values = await self.redis.hmget(self.key(bid, "st"), [str(c) for c in chats])
        return [str(v) if v is not None else None for v in values]

    async def claim(self, bid: str, chat: int, token: str) -> int:
        return int(await self._claim(keys=[self.key(bid), self.key(bid, "st")], args=[chat, token]))

    async def finish(
        self, bid: str, chat: int, token: str, outcome: str, counter: str, reason: str = ""
    ) -> bool:
        keys = [self.key(bid, "st"), self.key(bid, "n"), self.key(bid, "why")]
        return bool(await self._finish(keys=keys, args=[chat, token, outcome, counter, reason]))

    async def release(self, bid: str, chat: int, token: str) -> None:
        """Drop our claim when the send was called off before the request (cancelled)."""
        await self.redis.eval(
            "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end return 0",
            1, self.key(bid, "st"), str(chat), "s:" + token,
        )  # fmt: skip

    async def settle_orphans(self, bid: str, chats: Sequence[int]) -> int:
        """Claims of a dead run become ``unknown`` (at most once; module docstring)."""
        if not chats:
            return 0
        keys = [self.key(bid, "st"), self.key(bid, "n")]
        return int(await self._orphans(keys=keys, args=[str(c) for c in chats]))

    async def counts(self, bid: str) -> Counts:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.key(bid, "n"))
            pipe.hgetall(self.key(bid, "why"))
            n, why = await pipe.execute()
        return Counts(
            ok=int(n.get("ok", 0)), blocked=int(n.get("blocked", 0)),
            failed=int(n.get("failed", 0)), unknown=int(n.get("unknown", 0)),
            reasons={str(k): int(v) for k, v in why.items()},
        )  # fmt: skip

    # --- chunks -------------------------------------------------------------------------
    async def take_lease(self, bid: str, index: int, token: str, ttl: float) -> bool:
        key = self.key(bid, f"lease:{index}")
        if await self.redis.set(key, token, nx=True, px=int(ttl * 1000)):
            return True
        return str(await self.redis.get(key) or "") == token

    async def drop_lease(self, bid: str, index: int, token: str) -> None:
        await self.redis.eval(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
            1, self.key(bid, f"lease:{index}"), token,
        )  # fmt: skip

    async def chunk_done(self, bid: str, index: int) -> tuple[int, int]:
        """Record a finished chunk; returns (finished chunks, total chunks)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(self.key(bid, "done"), index)
            pipe.expire(self.key(bid, "done"), TTL)
            pipe.scard(self.key(bid, "done"))
            pipe.hget(self.key(bid), "chunks")
            _, _, done, total = await pipe.execute()
        return int(done), int(total or 0)

    # --- data rights --------------------------------------------------------------------
    async def erase_user(self, uid: int) -> None:
        """Out of the recipient lists that named them (found through their trail), and
        their own broadcasts cancelled and gone. A list entry becomes a tombstone rather
        than being removed, so the chunks of a running broadcast keep their boundaries."""
        for rkey in await trail.Trail(self.redis, self.p).keys(uid, "bc:"):
            if not rkey.endswith(":rcpt"):
                continue
            bid = rkey[len(self.key("")) : -len(":rcpt")]
            items = [str(x) for x in await self.redis.lrange(rkey, 0, -1)]
            for pos, item in enumerate(items):
                if item.partition(":")[0] == str(uid):
                    # LSET by position read just now: the snapshot never grows or moves.
                    await self.redis.lset(rkey, pos, f"{ERASED}:")
            await self.redis.hdel(self.key(bid, "st"), str(uid))
        for bid in [str(x) for x in await self.redis.zrange(self.admin_key(uid), 0, -1)]:
            b = await self.get(bid)
            await self.transition(bid, sorted(OPEN), "cancelled")
            parts = ["", "tx", "rcpt", "st", "n", "why", "done", "tick"]
            leases = [f"lease:{i}" for i in range(b.chunks if b else 0)]
            await self.redis.delete(*(self.key(bid, part) for part in parts + leases))
        await self.redis.delete(self.admin_key(uid))

    async def export_user(self, uid: int) -> dict[str, Any]:
        """The broadcasts they sent as a group admin (what they wrote, to whom, when), and
        the numbers of the broadcasts they were sent."""
        sent = []
        for b in await self.for_admin(uid, limit=1000):
            sent.append({
                "number": int(b.bid), "text": b.text, "audience": json.loads(b.audience or "{}"),
                "status": b.status, "created_at": b.created_at,
            })  # fmt: skip
        received = []
        for rkey in await trail.Trail(self.redis, self.p).keys(uid, "bc:"):
            if rkey.endswith(":rcpt"):
                received.append(int(rkey[len(self.key("")) : -len(":rcpt")]))
        out: dict[str, Any] = {}
        if sent:
            out["sent"] = sent
        if received:
            out["received"] = sorted(received)
        return out

    async def tick(self, bid: str, every: float) -> bool:
        """True at most once per ``every`` seconds across all workers (progress edits)."""
        return bool(await self.redis.set(self.key(bid, "tick"), "1", nx=True, px=int(every * 1000)))


# --- progress text (pure; in the admin's locale, set by the caller) ----------------------


def bar(done: int, total: int, width: int = 20) -> str:
    filled = width if total <= 0 else min(width, round(width * done / total))
    return "▓" * filled + "░" * (width - filled)


def eta_seconds(done: int, total: int, elapsed: float) -> float | None:
    if done <= 0 or elapsed <= 0 or total <= done:
        return None if total > done else 0.0
    return (total - done) * elapsed / done
