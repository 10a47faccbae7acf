"""Helper cards and the candidate indexes in Redis (async, ``redis.asyncio``).

Key patterns (``{p}`` is the prefix, ``tgs:`` by default)
-------------------------------------------------------
``{p}helper:{uid}`` (hash)
    One helper card. Fields: ``p`` JSON profile ``{"l": {lang: level}, "t": [tags], "z": tz,
    "h": {weekday: [[start, end], ...]}}``; ``c`` capacity; ``l`` open load; ``r`` reputation;
    ``o`` last offered at (epoch seconds); ``a`` away (``0``/``1``); ``idx`` the space-separated
    names of every index key below that holds this helper while they are offerable.
``{p}hlang:{lang}`` (sorted set: member uid, score reputation)
    Offerable helpers (not away, ``open_load < capacity``) speaking ``lang`` at any level.
``{p}hlt:{lang}:{tag}`` (sorted set: member uid, score reputation)
    Offerable helpers speaking ``lang`` and tagged ``tag`` — the tag index, scoped by language
    so that fetching the tag-matching speakers of a language costs O(log N + fetched).
``{p}hrows`` (hash: field uid -> row)
    A denormalised copy of every card as one line, ``uid TAB profile TAB capacity TAB load TAB
    reputation TAB offered TAB away``, rewritten by every mutation, so that candidates are
    fetched with a single HMGET and shipped as one string (the client caches parsed cards by
    row text, so unchanged helpers cost a dict lookup).
``{p}hlangs`` (set)
    Every language ever registered (to enumerate languages when widening; never shrinks,
    an empty index for a stale language costs one empty ZREVRANGE).

Invariants and atomicity
------------------------
Membership of a helper in its index keys mirrors "offerable" (``a == 0`` and ``l < c``); every
mutation (upsert, create, update_settings, remove, set_away, try_take_load, release_load,
set_reputation, mark_offered) runs as one Lua script that updates the hash and then re-synchronises the index keys named in
``idx`` and the ``hrows`` row, so readers never see a half-applied change and
:meth:`HelperIndex.try_take_load` cannot overshoot capacity under concurrency. The scripts
touch index keys derived from the hash (not declared in ``KEYS``): fine on a single Redis
server, not Redis-Cluster safe.

Candidates
----------
:meth:`HelperIndex.candidates` runs one Lua script (one round trip; widening adds one
``SMEMBERS`` first) that, per language group, first takes tag-matching helpers from
``hlt:{lang}:{tag}`` in equal shares per tag (best reputation first, at most 80 % of the
group's quota, so some top helpers without the tags always come too), then fills the rest of
the quota from ``hlang:{lang}``, skipping excluded ids and the asker, and returns the picked
rows from ``hrows`` as one string. Without widening the question's language has the whole
``limit``; with widening it has half, and the other languages share the other half (unused
quota carries over to the next group). Without widening, ``cross_tags`` adds a tags-only
group per other language (tag matchers only, up to ``cross_tags`` each, no carry-over): the
helpers who know the course read the question translated from the first round on. The work is O(groups · tags · log N + limit): it grows with the
number of candidates returned, not with the number of registered helpers. Card profiles are
parsed once and cached by their JSON text.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections.abc import Callable, Collection, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from tg_support.core.store import Repository
from tg_support.helpers.matching import LEVELS, HelperCard, QuestionCard

if TYPE_CHECKING:
    import redis.asyncio

# Every mutation script gets KEYS[1] = the helper hash, KEYS[2] = the rows hash, ARGV[1] = uid.
# sync() makes the index memberships and the denormalised row mirror the hash.
_SYNC = """
local function sync(hk, rk, uid)
  local f = redis.call('HMGET', hk, 'c', 'l', 'a', 'r', 'idx', 'p', 'o')
  if not f[6] then
    redis.call('HDEL', rk, uid)
    return
  end
  local on = f[3] == '0' and tonumber(f[2]) < tonumber(f[1])
  for k in string.gmatch(f[5] or '', '%S+') do
    if on then redis.call('ZADD', k, f[4], uid) else redis.call('ZREM', k, uid) end
  end
  redis.call('HSET', rk, uid, uid .. '\\t' .. f[6] .. '\\t' .. f[1] .. '\\t' .. f[2] .. '\\t'
    .. f[4] .. '\\t' .. f[7] .. '\\t' .. f[3])
end
"""

# KEYS[3] hlangs; ARGV[2] idx, ARGV[3] langs (space separated), ARGV[4..] field/value pairs
_WRITE_CARD = """
local old = redis.call('HGET', KEYS[1], 'idx')
if old then
  for k in string.gmatch(old, '%S+') do redis.call('ZREM', k, ARGV[1]) end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'idx', ARGV[2], unpack(ARGV, 4))
for l in string.gmatch(ARGV[3], '%S+') do redis.call('SADD', KEYS[3], l) end
sync(KEYS[1], KEYS[2], ARGV[1])
return 1
"""
_UPSERT = _SYNC + _WRITE_CARD
# The same, only when there is no card yet (two first /helper presses make one card).
_CREATE = _SYNC + "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n" + _WRITE_CARD

# The settings (profile ``p``, capacity ``c``) of an existing card, compare-and-set: ARGV[2]
# and ARGV[3] the ``p`` and ``c`` the change was computed from, ARGV[4] the new idx, ARGV[5]
# the new languages, ARGV[6] and ARGV[7] the new ``p`` and ``c``. Load, last offer,
# reputation and away are not touched. Returns 1, 0 (settings changed meanwhile), -1 (no card).
_SET_SETTINGS = (
    _SYNC
    + """
local f = redis.call('HMGET', KEYS[1], 'p', 'c', 'idx')
if not f[1] then return -1 end
if f[1] ~= ARGV[2] or f[2] ~= ARGV[3] then return 0 end
for k in string.gmatch(f[3] or '', '%S+') do redis.call('ZREM', k, ARGV[1]) end
redis.call('HSET', KEYS[1], 'idx', ARGV[4], 'p', ARGV[6], 'c', ARGV[7])
for l in string.gmatch(ARGV[5], '%S+') do redis.call('SADD', KEYS[3], l) end
sync(KEYS[1], KEYS[2], ARGV[1])
return 1
"""
)
SETTINGS_ATTEMPTS = 50

_REMOVE = """
local old = redis.call('HGET', KEYS[1], 'idx')
if old then
  for k in string.gmatch(old, '%S+') do redis.call('ZREM', k, ARGV[1]) end
end
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
"""

# ARGV[2] field, ARGV[3] value: set a field of an existing card, then resync
_SET_FIELD = (
    _SYNC
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
sync(KEYS[1], KEYS[2], ARGV[1])
return 1
"""
)

_TAKE = (
    _SYNC
    + """
local f = redis.call('HMGET', KEYS[1], 'c', 'l')
if not f[1] then return -1 end
if tonumber(f[2]) >= tonumber(f[1]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'l', 1)
sync(KEYS[1], KEYS[2], ARGV[1])
return 1
"""
)

_RELEASE = (
    _SYNC
    + """
local l = redis.call('HGET', KEYS[1], 'l')
if not l then return -1 end
if tonumber(l) <= 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'l', -1)
sync(KEYS[1], KEYS[2], ARGV[1])
return 1
"""
)

# KEYS[1] the rows hash, then per group its tag keys and its language key.
# ARGV[1] number of groups, then per group (quota, number of tag keys, tags only 0/1), then
# the excluded ids. A tags-only group takes tag matchers only (up to its whole quota).
_CANDIDATES = """
local ngroups = tonumber(ARGV[1])
local seen = {}
for i = 2 + 3 * ngroups, #ARGV do seen[ARGV[i]] = true end
local picked = {}
-- add up to want unseen ids from key (best first) from rank cursor on;
-- returns the number added, the new cursor, and whether the key is exhausted
local function fill(key, want, cursor)
  local added = 0
  while added < want do
    local n = want - added
    local ids = redis.call('ZREVRANGE', key, cursor, cursor + n - 1)
    cursor = cursor + #ids
    for _, id in ipairs(ids) do
      if not seen[id] then
        seen[id] = true
        picked[#picked + 1] = id
        added = added + 1
      end
    end
    if #ids < n then return added, cursor, true end
  end
  return added, cursor, false
end
local carry = 0
local ki = 2
local pos = 2
for g = 1, ngroups do
  local ntags = tonumber(ARGV[pos + 1])
  local tagsonly = ARGV[pos + 2] == '1'
  -- a tags-only group neither uses nor passes on the other groups' unused quota
  local quota = tonumber(ARGV[pos]) + (tagsonly and 0 or carry)
  pos = pos + 3
  local got = 0
  if quota > 0 then
    -- tag matchers first, in equal shares per tag, at most 80% of the quota
    local tagquota = math.floor(quota * 0.8)
    if tagsonly then tagquota = quota end
    local active = {}
    local cursor = {}
    for t = 1, ntags do active[#active + 1] = t; cursor[t] = 0 end
    while got < tagquota and #active > 0 do
      local per = math.ceil((tagquota - got) / #active)
      local still = {}
      for _, t in ipairs(active) do
        local want = math.min(per, tagquota - got)
        if want <= 0 then still[#still + 1] = t else
          local added, cur, done = fill(KEYS[ki + t - 1], want, cursor[t])
          got = got + added
          cursor[t] = cur
          if not done then still[#still + 1] = t end
        end
      end
      active = still
    end
    -- then the best by reputation
    if got < quota and not tagsonly then
      local added = fill(KEYS[ki + ntags], quota - got, 0)
      got = got + added
    end
    if not tagsonly then carry = quota - got end
  end
  ki = ki + ntags + 1
end
-- rows are 'uid<TAB>profile<TAB>capacity<TAB>load<TAB>reputation<TAB>offered<TAB>away'
local out = {}
for i = 1, #picked, 1000 do
  local chunk = {}
  for j = i, math.min(i + 999, #picked) do chunk[#chunk + 1] = picked[j] end
  local vals = redis.call('HMGET', KEYS[1], unpack(chunk))
  local rows = {}
  for j = 1, #chunk do
    if vals[j] then rows[#rows + 1] = vals[j] end
  end
  out[#out + 1] = table.concat(rows, '\\n')
end
return table.concat(out, '\\n')
"""

_Profile = tuple[Mapping[str, str], frozenset[str], str, Mapping[int, tuple[tuple[int, int], ...]]]
_PROFILE_CACHE_MAX = 200_000
_CARD_CACHE_MAX = 100_000


def _slug(value: str) -> str:
    return "-".join(value.strip().lower().split())


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class HelperIndex(Repository):
    """Helper cards plus language/tag indexes of offerable helpers (see module docstring)."""

    def __init__(self, redis: redis.asyncio.Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.prefix = prefix
        self._hp = f"{prefix}helper:"
        self._langs_key = f"{prefix}hlangs"
        self._rows_key = f"{prefix}hrows"
        self._upsert = redis.register_script(_UPSERT)
        self._create = redis.register_script(_CREATE)
        self._set_settings = redis.register_script(_SET_SETTINGS)
        self._remove = redis.register_script(_REMOVE)
        self._set_field = redis.register_script(_SET_FIELD)
        self._take = redis.register_script(_TAKE)
        self._release = redis.register_script(_RELEASE)
        self._candidates = redis.register_script(_CANDIDATES)
        self._profiles: dict[str, _Profile] = {}
        self._hours: dict[tuple[Any, ...], Mapping[int, tuple[tuple[int, int], ...]]] = {}
        self._cards: dict[str, HelperCard] = {}  # row line -> card (rows change with state)

    # -- keys ---------------------------------------------------------------------------
    def helper_key(self, user_id: int) -> str:
        return f"{self._hp}{user_id}"

    def lang_key(self, lang: str) -> str:
        return f"{self.prefix}hlang:{lang}"

    def lang_tag_key(self, lang: str, tag: str) -> str:
        return f"{self.prefix}hlt:{lang}:{tag}"

    # -- encoding -------------------------------------------------------------------------
    def _encode(self, card: HelperCard) -> tuple[list[str], list[str]]:
        langs = {_slug(lang): level for lang, level in card.languages.items()}
        for level in langs.values():
            if level not in LEVELS:
                raise ValueError(f"unknown language level {level!r}")
        tags = sorted({_slug(t) for t in card.tags} - {""})
        langs.pop("", None)
        hours = {
            str(day): [[int(s), int(e)] for s, e in spans]
            for day, spans in sorted(card.hours.items())
        }
        profile = json.dumps(
            {"l": langs, "t": tags, "z": card.tz, "h": hours}, sort_keys=True, separators=(",", ":")
        )
        idx: list[str] = []
        for lang in sorted(langs):
            idx.append(self.lang_key(lang))
            idx.extend(self.lang_tag_key(lang, tag) for tag in tags)
        fields = [
            "p", profile,
            "c", str(int(card.capacity)),
            "l", str(int(card.open_load)),
            "r", repr(float(card.reputation)),
            "o", repr(float(card.last_offered_at)),
            "a", "1" if card.away else "0",
        ]  # fmt: skip
        args = [str(card.user_id), " ".join(idx), " ".join(sorted(langs)), *fields]
        return args, [self.helper_key(card.user_id), self._rows_key, self._langs_key]

    def _profile(self, raw: str) -> _Profile:
        prof = self._profiles.get(raw)
        if prof is None:
            data = json.loads(raw)
            spans_by_day = tuple(
                sorted(
                    (int(day), tuple((int(s), int(e)) for s, e in spans))
                    for day, spans in data["h"].items()
                )
            )
            # identical schedules share one mapping (rank() caches availability per object)
            hours = self._hours.get(spans_by_day)
            if hours is None:
                hours = self._hours[spans_by_day] = MappingProxyType(dict(spans_by_day))
            prof = (
                MappingProxyType(dict(data["l"])),
                frozenset(data["t"]),
                str(data["z"]),
                hours,
            )
            if len(self._profiles) >= _PROFILE_CACHE_MAX:
                self._profiles.clear()
                self._hours.clear()
            self._profiles[raw] = prof
        return prof

    def _line_card(self, line: str) -> HelperCard:
        card = self._cards.get(line)
        if card is None:
            card = self._card(*line.split("\t"))
            if len(self._cards) >= _CARD_CACHE_MAX:
                self._cards.clear()
            self._cards[line] = card
        return card

    def _card(self, uid: str, p: str, c: str, load: str, r: str, o: str, a: str) -> HelperCard:
        langs, tags, tz, hours = self._profile(p)
        return HelperCard(
            user_id=int(uid),
            languages=langs,
            tags=tags,
            tz=tz,
            hours=hours,
            capacity=int(c),
            open_load=int(load),
            reputation=float(r),
            last_offered_at=float(o),
            away=a == "1",
        )

    # -- writes ---------------------------------------------------------------------------
    def _keys(self, user_id: int) -> list[str]:
        return [self.helper_key(user_id), self._rows_key]

    async def upsert(self, card: HelperCard) -> None:
        """Write the card (all fields, replacing any previous one) and re-index it.

        This overwrites ``open_load`` and ``last_offered_at`` too (seeding and tests only):
        a helper's settings change with :meth:`update_settings`, live state with
        :meth:`try_take_load`, :meth:`release_load` and :meth:`mark_offered`.
        """
        args, keys = self._encode(card)
        await self._upsert(keys=keys, args=args)

    async def create(self, card: HelperCard) -> bool:
        """Write ``card`` only if the helper has none yet; False when one was there."""
        args, keys = self._encode(card)
        return int(await self._create(keys=keys, args=args)) == 1

    async def update_settings(
        self, user_id: int, change: Callable[[HelperCard], HelperCard | None]
    ) -> HelperCard | None:
        """Change a card's settings (languages, tags, time zone, hours, capacity) and
        nothing else: ``open_load``, ``last_offered_at``, reputation and away stay as the
        offers left them. ``change`` gets the current card and returns the changed one (None:
        no change); when another process changed the settings meanwhile it runs again on
        them (compare-and-set), so it must only compute. The new card, or None when there
        is no card or ``change`` declined."""
        key = self.helper_key(user_id)
        for attempt in range(SETTINGS_ATTEMPTS):
            vals = await self.redis.hmget(key, ["p", "c", "l", "r", "o", "a"])
            if vals[0] is None:
                return None
            raw = [_text(v) if v is not None else "0" for v in vals]
            new = change(self._card(str(user_id), *raw))
            if new is None:
                return None
            args, keys = self._encode(new)
            fields = dict(zip(args[3::2], args[4::2], strict=True))
            settings = [args[1], args[2], fields["p"], fields["c"]]
            res = int(
                await self._set_settings(
                    keys=keys, args=[str(user_id), raw[0], raw[1], *settings]
                )
            )
            if res == 1:
                return new
            if res == -1:
                return None
            await asyncio.sleep(random.uniform(0, 0.002) * (attempt + 1))  # spread a crowd
        raise RuntimeError(f"helper settings changed {SETTINGS_ATTEMPTS} times under us")

    async def upsert_many(self, cards: Iterable[HelperCard], *, batch: int = 1000) -> int:
        """Bulk :meth:`upsert`, one pipelined round trip per ``batch`` cards."""
        count = 0
        pipe = self.redis.pipeline(transaction=False)
        pending = 0
        for card in cards:
            args, keys = self._encode(card)
            await self._upsert(keys=keys, args=args, client=pipe)
            pending += 1
            count += 1
            if pending >= batch:
                await pipe.execute()
                pending = 0
        if pending:
            await pipe.execute()
        return count

    async def remove(self, user_id: int) -> None:
        await self._remove(keys=self._keys(user_id), args=[str(user_id)])

    async def erase_user(self, uid: int) -> None:
        await self.remove(uid)

    async def export_user(self, uid: int) -> dict[str, Any]:
        """Their volunteer card: languages, topics, capacity, load, reputation, away."""
        card = await self.get(uid)
        if card is None:
            return {}
        return {"helper_card": {
            "languages": dict(card.languages), "tags": sorted(card.tags),
            "capacity": card.capacity, "open_load": card.open_load,
            "reputation": card.reputation, "away": card.away,
        }}  # fmt: skip

    async def set_away(self, user_id: int, away: bool) -> None:
        await self._set_field(
            keys=self._keys(user_id), args=[str(user_id), "a", "1" if away else "0"]
        )

    async def set_reputation(self, user_id: int, reputation: float) -> None:
        await self._set_field(
            keys=self._keys(user_id), args=[str(user_id), "r", repr(float(reputation))]
        )

    async def mark_offered(self, user_id: int, ts: float) -> None:
        await self._set_field(keys=self._keys(user_id), args=[str(user_id), "o", repr(float(ts))])

    async def try_take_load(self, user_id: int) -> bool:
        """Atomically ``open_load += 1`` if ``open_load < capacity``; False otherwise/unknown."""
        res = await self._take(keys=self._keys(user_id), args=[str(user_id)])
        return int(res) == 1

    async def release_load(self, user_id: int) -> None:
        """``open_load -= 1`` (never below 0); the helper becomes offerable again if eligible."""
        await self._release(keys=self._keys(user_id), args=[str(user_id)])

    # -- reads ----------------------------------------------------------------------------
    async def get(self, user_id: int) -> HelperCard | None:
        vals = await self.redis.hmget(self.helper_key(user_id), ["p", "c", "l", "r", "o", "a"])
        if vals[0] is None:
            return None
        return self._card(str(user_id), *(_text(v) if v is not None else "0" for v in vals))

    async def load(self, langs: Collection[str]) -> tuple[int, int, int]:
        """(open load, capacity, helpers) of the helpers speaking any of ``langs`` (every
        helper for ``*``), away ones left out: one HVALS of the rows, O(helpers)."""
        wanted = {_slug(x) for x in langs}
        load = capacity = count = 0
        for row in await self.redis.hvals(self._rows_key):
            card = self._line_card(_text(row))
            if card.away or ("*" not in wanted and not wanted & set(card.languages)):
                continue
            load, capacity, count = load + card.open_load, capacity + card.capacity, count + 1
        return load, capacity, count

    async def candidates(
        self,
        question: QuestionCard,
        *,
        widen: bool = False,
        limit: int = 500,
        exclude: Collection[int] = (),
        cross_tags: int = 0,
    ) -> list[HelperCard]:
        """Offerable helpers for ``question`` from the indexes, at most ``limit``.

        Speakers of the question's language (tag matchers first, then best reputation);
        with ``widen`` also speakers of the other languages. Without ``widen``,
        ``cross_tags`` more helpers of other languages who share a tag with the question
        (their offers are translated). The asker and ``exclude`` are skipped. Order is not
        meaningful: pass the result to :func:`matching.rank`.
        """
        if limit <= 0:
            return []
        lang = _slug(question.lang)
        tags = sorted({_slug(t) for t in question.tags} - {""})
        groups: list[tuple[str, int, bool]] = [(lang, limit, False)]
        if not widen and cross_tags > 0 and tags:
            members = await self.redis.smembers(self._langs_key)
            others = sorted({_text(m) for m in members} - {lang})
            groups.extend((other, cross_tags, True) for other in others)
        if widen:
            members = await self.redis.smembers(self._langs_key)
            others = sorted({_text(m) for m in members} - {lang})
            if others:
                own = max(limit // 2, 1)
                groups = [(lang, own, False)]
                share = math.ceil((limit - own) / len(others))
                left = limit - own
                for other in others:
                    q = min(share, left)
                    groups.append((other, q, False))
                    left -= q
        keys: list[str] = [self._rows_key]
        args: list[str] = [str(len(groups))]
        for g_lang, quota, tags_only in groups:
            keys.extend(self.lang_tag_key(g_lang, t) for t in tags)
            keys.append(self.lang_key(g_lang))
            args.extend((str(quota), str(len(tags)), "1" if tags_only else "0"))
        args.append(str(question.asker_id))
        args.extend(str(uid) for uid in exclude)
        raw = _text(await self._candidates(keys=keys, args=args))
        if not raw:
            return []
        line_card = self._line_card
        return [line_card(line) for line in raw.split("\n") if line]
