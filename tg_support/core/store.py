"""The Redis repository base, and the keys every feature reads: profiles, conversation
steps, flood control, registered groups and relayed message copies.

Key patterns (``{p}`` is ``Settings.redis_prefix``):

=================================  =========  =================================================
``{p}user:{uid}``                  hash       profile: lang, tg_lang, role, platforms (JSON),
                                              courses (JSON: course ids and free topics),
                                              course_tags (JSON), tz, region, goal,
                                              onboarded, blocked, created_at, updated_at
``{p}users``                       set        every user id that has a profile
``{p}users:lang:{lang}``           set        user ids by chosen language (broadcast audiences)
``{p}conv:{uid}``                  string     JSON ``{"step": ..., "data": {...}}``: where the
                                              user is in a multi-step flow; survives restarts
``{p}flood:{uid}``                 string     update counter for the current flood window (TTL)
``{p}flood:warned:{uid}``          string     set while the "slow down" notice is in force (TTL)
``{p}ref:{uid}``                   string     deep-link payload of the last /start (TTL 7 days)
``{p}group:{chat_id}``             hash       registered group: title, languages (JSON), region,
                                              tags (JSON), registered_by, created_at, active
``{p}groups``                      set        registered group chat ids
``{p}groups:ver``                  string     bumped on every group change (list cache key)
``{p}relay:{chat_id}:{msg_id}``    list       JSON [chat_id, msg_id, qid] copies of a
                                              message (for propagating edits); noted in the
                                              trail of both private chats (``core.trail``)
=================================  =========  =================================================

One owner per key: every other key pattern is built by one :class:`Repository` subclass in
its feature package and listed in that module's docstring under the same prefix
(``questions.store``, ``questions.search``, ``helpers.index``, ``helpers.offers``,
``helpers.stats``, ``translation.argos``, ``translation.delivery``, ``broadcast``,
``core.sending``). Each owner erases what it holds about a user in ``erase_user``;
``/forget`` calls every one of them (``tg_support.erase``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeVar, cast, get_type_hints

from redis.asyncio import Redis
from redis.exceptions import WatchError

from tg_support.core import trail

Role = Literal["learner", "helper", "both"]
ROLES: tuple[Role, ...] = ("learner", "helper", "both")
PLATFORMS: tuple[str, ...] = ("coursera", "edx", "udemy", "futurelearn", "khan", "other")
QuestionStatus = Literal["draft", "open", "answered", "solved", "closed"]
T = TypeVar("T")
R = TypeVar("R", bound="Repository")


class Keys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    def user(self, uid: int) -> str:
        return f"{self.p}user:{uid}"

    @property
    def users(self) -> str:
        return f"{self.p}users"

    def users_by_lang(self, lang: str) -> str:
        return f"{self.p}users:lang:{lang}"

    def conv(self, uid: int) -> str:
        return f"{self.p}conv:{uid}"

    def flood(self, uid: int) -> str:
        return f"{self.p}flood:{uid}"

    def flood_warned(self, uid: int) -> str:
        return f"{self.p}flood:warned:{uid}"

    def ref(self, uid: int) -> str:
        return f"{self.p}ref:{uid}"

    def group(self, chat_id: int) -> str:
        return f"{self.p}group:{chat_id}"

    @property
    def groups(self) -> str:
        return f"{self.p}groups"

    @property
    def groups_version(self) -> str:
        return f"{self.p}groups:ver"

    def relay(self, chat_id: int, msg_id: int) -> str:
        return f"{self.p}relay:{chat_id}:{msg_id}"


def to_hash(obj: Any) -> dict[str, str]:
    """A flat dataclass as a Redis hash: lists as JSON, bools as 0/1, None left out."""
    return to_hash_values(
        {f.name: getattr(obj, f.name) for f in fields(obj) if getattr(obj, f.name) is not None}
    )


@functools.cache
def _field_kinds(cls: type) -> tuple[tuple[str, str], ...]:
    """``(field name, kind)`` of a dataclass's fields, kind one of list/bool/float/int/str:
    resolved once per class (``get_type_hints`` is costly and the answer never changes)."""
    hints = get_type_hints(cls)
    kinds = []
    for f in fields(cls):
        hint = str(hints[f.name])
        kind = "str"
        for candidate in ("list", "bool", "float", "int"):
            if candidate in hint:
                kind = candidate
                break
        kinds.append((f.name, kind))
    return tuple(kinds)


def from_hash(cls: type[T], raw: dict[str, str], **fixed: Any) -> T:
    """The inverse of :func:`to_hash`, tolerant of missing or damaged fields."""
    values: dict[str, Any] = dict(fixed)
    for name, kind in _field_kinds(cast(type, cls)):
        if name in values or name not in raw:
            continue
        text = raw[name]
        try:
            if kind == "list":
                loaded = json.loads(text)
                values[name] = [str(x) for x in loaded] if isinstance(loaded, list) else []
            elif kind == "bool":
                values[name] = text == "1"
            elif kind == "float":
                values[name] = float(text)
            elif kind == "int":
                values[name] = int(text)
            else:
                values[name] = text
        except (ValueError, json.JSONDecodeError):
            continue
    return cls(**values)


@dataclass
class Profile:
    user_id: int
    lang: str | None = None
    tg_lang: str | None = None
    role: Role | None = None
    platforms: list[str] = field(default_factory=list)
    # Catalog course ids ("coursera:machine-learning", see community.courses) and, from
    # profiles made before the catalog, free topic tags ("python").
    courses: list[str] = field(default_factory=list)
    # The routing tags of the catalog courses in ``courses`` (kept with them by
    # community.course_store), so routing and matching need no catalog lookup.
    course_tags: list[str] = field(default_factory=list)
    tz: str | None = None
    # One of ``labels.REGIONS`` (never "international"): routing prefers a group of it.
    region: str | None = None
    goal: str | None = None
    onboarded: bool = False
    blocked: bool = False
    # Helpers' choices: show their first name instead of a pseudonym, appear on leaderboards.
    show_name: bool = False
    display_name: str | None = None
    leaderboard: bool = True
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def is_helper(self) -> bool:
        return self.role in ("helper", "both")

    @property
    def tags(self) -> list[str]:
        """Routing and matching tags: free topics as typed, then the catalog courses' tags."""
        free = [c for c in self.courses if ":" not in c]
        return list(dict.fromkeys([*free, *self.course_tags]))

    def to_redis(self) -> dict[str, str]:
        return to_hash(self)

    @classmethod
    def from_redis(cls, uid: int, raw: dict[str, str]) -> Profile:
        profile = from_hash(cls, raw, user_id=uid)
        if profile.role not in ROLES:
            profile.role = None
        return profile


@dataclass
class Group:
    chat_id: int
    title: str = ""
    languages: list[str] = field(default_factory=list)
    region: str = "international"
    tags: list[str] = field(default_factory=list)
    registered_by: int = 0
    created_at: float = 0.0
    active: bool = True


@dataclass
class Conversation:
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class UpdateContext:
    profile: Profile | None
    conv: Conversation
    flood_count: int | None  # None: this update was not counted
    groups_version: str  # of the group list ('' before any group was saved)


# Only the holder may release: compare-and-delete in one step.
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# One script, not a pipeline: a pipeline of five commands costs redis-py about twice the
# CPU of one EVALSHA, and this runs for every update.
# KEYS: the user's profile, conversation, flood counter, the group list's version. ARGV: the
# flood window in seconds ('' = do not count this update), 1 to read the rest (else 0).
# The window starts with its first update (SET NX EX); a counter found without an expiry
# (left by an older version) gets one again, or it would throttle its user for good.
_CONTEXT = """
local count = false
if ARGV[1] ~= '' then
  redis.call('SET', KEYS[3], 0, 'EX', ARGV[1], 'NX')
  count = redis.call('INCR', KEYS[3])
  if redis.call('TTL', KEYS[3]) < 0 then redis.call('EXPIRE', KEYS[3], ARGV[1]) end
end
if ARGV[2] == '1' then
  local groups = redis.call('GET', KEYS[4]) or ''
  return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2]), count, groups}
end
return {{}, false, count, ''}
"""
CONV_TTL = 30 * 24 * 3600  # long enough to come back to a half-finished flow, short enough to clean up
CONV_ATTEMPTS = 50  # compare-and-set rounds before update_conv gives up (ConvBusy)


class ConvBusy(RuntimeError):
    """:meth:`Store.update_conv` lost the race :data:`CONV_ATTEMPTS` times in a row."""


class Repository:
    """A store over one key prefix. Subclasses build every key they own in one keys class
    and list the patterns in their module docstring."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        self.redis = redis
        self.p = prefix

    async def erase_user(self, uid: int) -> Any:
        """Remove everything this owner keeps about ``uid``."""
        raise NotImplementedError


class Store(Repository):
    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = Keys(prefix)
        self._unlock = redis.register_script(_UNLOCK)
        self._context = redis.register_script(_CONTEXT)
        # Values that never change once written (e.g. the pseudonym secret), per process.
        self.constants: dict[str, str] = {}
        self._groups: tuple[str | None, list[Group]] = (None, [])
        self._repos: dict[type[Repository], Repository] = {}

    def repo(self, cls: type[R]) -> R:
        """The feature store ``cls`` over this connection and prefix, built once."""
        found = self._repos.get(cls)
        if found is None:
            found = self._repos[cls] = cls(self.redis, self.p)
        return cast(R, found)

    async def get_profile(self, uid: int) -> Profile | None:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.user(uid)))
        return Profile.from_redis(uid, raw) if raw else None

    async def save_profile(self, profile: Profile) -> None:
        now = time.time()
        if not profile.created_at:
            profile.created_at = now
        profile.updated_at = now
        old_lang = cast(str | None, await self.redis.hget(self.keys.user(profile.user_id), "lang"))
        async with self.redis.pipeline(transaction=True) as pipe:
            # Absent fields must not survive from an older version of the profile.
            pipe.delete(self.keys.user(profile.user_id))
            pipe.hset(self.keys.user(profile.user_id), mapping=cast(Any, profile.to_redis()))
            pipe.sadd(self.keys.users, profile.user_id)
            if old_lang and old_lang != profile.lang:
                pipe.srem(self.keys.users_by_lang(old_lang), profile.user_id)
            if profile.lang:
                pipe.sadd(self.keys.users_by_lang(profile.lang), profile.user_id)
            await pipe.execute()

    async def set_blocked(self, uid: int, blocked: bool) -> None:
        if await self.redis.exists(self.keys.user(uid)):
            await self.redis.hset(self.keys.user(uid), "blocked", "1" if blocked else "0")

    async def get_conv(self, uid: int) -> Conversation:
        return _conversation(await self.redis.get(self.keys.conv(uid)))

    async def update_context(self, uid: int, flood_window: int | None) -> UpdateContext:
        """What every update from ``uid`` starts with, in one round trip: the profile, the
        conversation state, (with a window) the flood counter after counting this update,
        and the group list's version (for :meth:`list_groups`)."""
        raw, conv, count, groups_version = await self._context(
            keys=self._context_keys(uid), args=["" if flood_window is None else flood_window, 1]
        )
        fields = dict(zip(raw[::2], raw[1::2], strict=True))
        return UpdateContext(
            profile=Profile.from_redis(uid, fields) if fields else None,
            conv=_conversation(conv),
            flood_count=None if flood_window is None else int(count),
            groups_version=str(groups_version),
        )

    def _context_keys(self, uid: int) -> list[str]:
        k = self.keys
        return [k.user(uid), k.conv(uid), k.flood(uid), k.groups_version]

    async def set_conv(self, uid: int, conv: Conversation) -> None:
        """Replace the state outright: for starting a flow. A change of the state the user
        is in goes through :meth:`update_conv`, or a concurrent press is lost."""
        await self.redis.set(self.keys.conv(uid), _dump_conv(conv), ex=CONV_TTL)

    async def update_conv(self, uid: int, fn: Callable[[Conversation], T]) -> T:
        """Compare-and-set on ``uid``'s conversation (WATCH/MULTI): ``fn`` changes the
        state it is given in place and returns what the caller needs. When another process
        wrote the state between the read and the write, ``fn`` runs again on the new state,
        so two quick presses handled by two processes both count. ``fn`` may therefore run
        more than once: it must only read and change the conversation. Nothing is written
        when ``fn`` left the state as it was; an emptied state (no step, no data) deletes
        the key."""
        key = self.keys.conv(uid)
        for attempt in range(CONV_ATTEMPTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                await pipe.watch(key)
                raw = await pipe.get(key)
                conv = _conversation(raw)
                before = _dump_conv(conv)
                result = fn(conv)
                after = _dump_conv(conv)
                if after == before:
                    return result
                pipe.multi()  # type: ignore[no-untyped-call]
                if conv.step is None and not conv.data:
                    pipe.delete(key)
                else:
                    pipe.set(key, after, ex=CONV_TTL)
                try:
                    await pipe.execute()
                except WatchError:
                    pass
                else:
                    return result
            # Lost the race: step aside a little (jittered), so a crowd of writers spreads.
            await asyncio.sleep(random.uniform(0, 0.002) * (attempt + 1))
        raise ConvBusy(f"conversation of a user changed {CONV_ATTEMPTS} times under us")

    async def clear_conv(self, uid: int) -> None:
        await self.redis.delete(self.keys.conv(uid))

    async def flood_hit(self, uid: int, window: int) -> int:
        """Count an update from ``uid``; returns the count within the current window."""
        _, _, count, _ = await self._context(keys=self._context_keys(uid), args=[window, 0])
        return int(count)

    async def flood_warn_once(self, uid: int, window: int) -> bool:
        """True the first time in a window, so the "slow down" notice is sent once."""
        return bool(await self.redis.set(self.keys.flood_warned(uid), "1", ex=window, nx=True))

    async def erase_user(self, uid: int) -> None:
        """The profile, conversation, flood counters, last deep link of ``uid``, and the
        relayed copies of messages to or from them (found through their trail)."""
        profile = await self.get_profile(uid)
        relays = await trail.Trail(self.redis, self.p).keys(uid, "relay:")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(
                self.keys.user(uid), self.keys.conv(uid), self.keys.flood(uid),
                self.keys.flood_warned(uid), self.keys.ref(uid), *relays,
            )  # fmt: skip
            pipe.srem(self.keys.users, uid)
            if profile and profile.lang:
                pipe.srem(self.keys.users_by_lang(profile.lang), uid)
            # A group they registered stays registered (it is the group's), without them.
            for group in await self.list_groups():
                if group.registered_by == uid:
                    pipe.hset(self.keys.group(group.chat_id), "registered_by", "0")
            await pipe.execute()

    async def export_user(self, uid: int) -> dict[str, Any]:
        """The profile as stored (ids of the user only), and where a flow stands."""
        profile = await self.get_profile(uid)
        conv = await self.get_conv(uid)
        out: dict[str, Any] = {}
        if profile is not None:
            out["fields"] = {
                f.name: getattr(profile, f.name) for f in fields(profile) if f.name != "user_id"
            }
        if conv.step:
            out["conversation_step"] = conv.step
        ref = await self.redis.get(self.keys.ref(uid))
        if ref:
            out["last_start_link"] = str(ref)
        registered = [g.title for g in await self.list_groups() if g.registered_by == uid]
        if registered:
            out["groups_registered"] = registered
        return out

    # --- groups -----------------------------------------------------------------------

    async def save_group(self, group: Group) -> None:
        if not group.created_at:
            group.created_at = time.time()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.group(group.chat_id))
            pipe.hset(self.keys.group(group.chat_id), mapping=cast(Any, to_hash(group)))
            pipe.sadd(self.keys.groups, group.chat_id)
            pipe.incr(self.keys.groups_version)
            await pipe.execute()

    async def get_group(self, chat_id: int) -> Group | None:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.group(chat_id)))
        return from_hash(Group, raw, chat_id=chat_id) if raw else None

    async def list_groups(self, version: str | None = None) -> list[Group]:
        """Every registered group. Routing asks for this on every question: the list is
        kept in memory and read again only when ``groups:ver`` moved (one GET, not 1 + n;
        none when the caller read ``version`` already, e.g. with :meth:`update_context`).
        The Group objects are shared with that cache: read them, change groups with
        :meth:`save_group`."""
        if version is None:
            version = cast(str | None, await self.redis.get(self.keys.groups_version))
        cached_version, cached = self._groups
        if version and version == cached_version:
            return list(cached)
        ids = sorted(int(x) for x in cast(set[str], await self.redis.smembers(self.keys.groups)))
        async with self.redis.pipeline(transaction=False) as pipe:
            for chat_id in ids:
                pipe.hgetall(self.keys.group(chat_id))
            raws = await pipe.execute()
        groups = [
            from_hash(Group, raw, chat_id=cid) for cid, raw in zip(ids, raws, strict=True) if raw
        ]
        self._groups = (version, groups)
        return list(groups)

    async def remove_group(self, chat_id: int) -> bool:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.group(chat_id))
            pipe.srem(self.keys.groups, chat_id)
            pipe.incr(self.keys.groups_version)
            deleted, _, _ = await pipe.execute()
        return bool(deleted)

    async def lock(self, key: str, ttl: float) -> str | None:
        # Random, not a clock reading: two processes must never hold the same token.
        token = secrets.token_hex(16)
        return token if await self.redis.set(key, token, nx=True, px=int(ttl * 1000)) else None

    async def unlock(self, key: str, token: str) -> None:
        await self._unlock(keys=[key], args=[token])

    # --- relayed copies (for edits) ---------------------------------------------------

    async def add_relay(self, src: tuple[int, int], dst: tuple[int, int], qid: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for a, b in ((src, dst), (dst, src)):
                key = self.keys.relay(*a)
                pipe.rpush(key, json.dumps([b[0], b[1], qid]))
                pipe.expire(key, 90 * 24 * 3600)
            # Both lists name the private chats (= users) of the pair: found again by /forget.
            people = trail.people_of([src[0], dst[0]])
            trail.note_in(pipe, self.p, people, [self.keys.relay(*src), self.keys.relay(*dst)])
            await pipe.execute()

    async def relay_copies(self, chat_id: int, msg_id: int) -> list[tuple[int, int, str]]:
        out = []
        for raw in await self.redis.lrange(self.keys.relay(chat_id, msg_id), 0, -1):
            try:
                c, m, qid = json.loads(raw)
                out.append((int(c), int(m), str(qid)))
            except (ValueError, TypeError):
                continue
        return out


def _dump_conv(conv: Conversation) -> str:
    return json.dumps({"step": conv.step, "data": conv.data}, ensure_ascii=False)


def _conversation(raw: str | bytes | None) -> Conversation:
    if not raw:
        return Conversation()
    try:
        obj = json.loads(raw)
        return Conversation(step=obj.get("step"), data=dict(obj.get("data") or {}))
    except (json.JSONDecodeError, AttributeError):
        return Conversation()


def to_hash_values(values: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in values.items():
        if isinstance(v, bool):
            out[k] = "1" if v else "0"
        elif isinstance(v, (list, tuple)):
            out[k] = json.dumps(list(v), ensure_ascii=False)
        else:
            out[k] = str(v)
    return out
