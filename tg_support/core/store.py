"""The Redis repository. Every key the bot itself writes is listed here, under one prefix.

Key patterns (``{p}`` is ``Settings.redis_prefix``):

=================================  =========  =================================================
``{p}user:{uid}``                  hash       profile: lang, tg_lang, role, platforms (JSON),
                                              courses (JSON), tz, goal, onboarded, blocked,
                                              created_at, updated_at
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
``{p}qseq``                        string     last question number (INCR)
``{p}q:{qid}``                     hash       question: asker, lang, text, status, group,
                                              thread, title, pseudonym, tags (JSON),
                                              created_at, updated_at, reminded, helper
``{p}q:user:{uid}``                zset       the learner's question ids by creation time
``{p}q:active``                    zset       open/answered question ids by last activity
                                              (the idle checker's index)
``{p}q:topic:{chat_id}:{thread}``  string     question id of a forum topic
``{p}q:lock:{qid}``                string     held while the question's topic is created
``{p}relay:{chat_id}:{msg_id}``    string     JSON list of [chat_id, msg_id] copies of a
                                              message (for propagating edits)
``{p}solved``                      zset       solved question ids by time (search index feed)
=================================  =========  =================================================

Other modules own their keys and document them in their own docstrings under the same
prefix: ``sending`` (``{p}rl:*``, ``{p}sent:*``), ``search`` (``{p}search:*``),
``helper_index`` (``{p}helper*``), ``broadcast`` (``{p}bc:*``).
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeVar, cast, get_type_hints

from redis.asyncio import Redis

Role = Literal["learner", "helper", "both"]
ROLES: tuple[Role, ...] = ("learner", "helper", "both")
PLATFORMS: tuple[str, ...] = ("coursera", "edx", "udemy", "futurelearn", "khan", "other")
QuestionStatus = Literal["draft", "open", "answered", "solved", "closed"]
T = TypeVar("T")


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

    def group(self, chat_id: int) -> str:
        return f"{self.p}group:{chat_id}"

    @property
    def groups(self) -> str:
        return f"{self.p}groups"

    @property
    def groups_version(self) -> str:
        return f"{self.p}groups:ver"

    @property
    def qseq(self) -> str:
        return f"{self.p}qseq"

    def question(self, qid: str) -> str:
        return f"{self.p}q:{qid}"

    def user_questions(self, uid: int) -> str:
        return f"{self.p}q:user:{uid}"

    @property
    def active_questions(self) -> str:
        return f"{self.p}q:active"

    def topic(self, chat_id: int, thread_id: int) -> str:
        return f"{self.p}q:topic:{chat_id}:{thread_id}"

    def question_lock(self, qid: str) -> str:
        return f"{self.p}q:lock:{qid}"

    def relay(self, chat_id: int, msg_id: int) -> str:
        return f"{self.p}relay:{chat_id}:{msg_id}"

    @property
    def solved(self) -> str:
        return f"{self.p}solved"


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
    courses: list[str] = field(default_factory=list)
    tz: str | None = None
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
class Question:
    qid: str
    asker_id: int
    text: str
    lang: str
    status: str = "draft"
    tags: list[str] = field(default_factory=list)
    pseudonym: str = ""
    title: str = ""
    group_id: int | None = None
    thread_id: int | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    reminded: bool = False
    answer: str | None = None
    answer_lang: str | None = None
    helper_id: int | None = None
    prompt_msg: int | None = None


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
# A new question: its number, its hash and the asker's index in one round trip.
# KEYS: qseq, question key prefix, the asker's question index; ARGV: created_at, field/value...
_NEW_QUESTION = """
local qid = redis.call('INCR', KEYS[1])
local fields = {'qid', tostring(qid)}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[2] .. qid, unpack(fields))
redis.call('ZADD', KEYS[3], ARGV[1], qid)
if ARGV[2] ~= '' then
  local conv = cjson.encode({step = ARGV[2], data = {qid = tostring(qid)}})
  redis.call('SET', KEYS[4], conv, 'EX', ARGV[3])
end
return qid
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
# A question opened in a forum topic: the topic's question, the question's fields and the
# activity index, atomically (a script: a MULTI of three costs redis-py 2.5x its CPU).
# KEYS: topic, question, active index. ARGV: qid, now, then field/value pairs.
_ATTACH = """
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
"""
CONV_TTL = 30 * 24 * 3600  # long enough to come back to a half-finished flow, short enough to clean up


class Store:
    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        self.redis = redis
        self.keys = Keys(prefix)
        self.p = prefix
        self._unlock = redis.register_script(_UNLOCK)
        self._new_question = redis.register_script(_NEW_QUESTION)
        self._context = redis.register_script(_CONTEXT)
        self._attach = redis.register_script(_ATTACH)
        # Values that never change once written (e.g. the pseudonym secret), per process.
        self.constants: dict[str, str] = {}
        self._groups: tuple[str | None, list[Group]] = (None, [])

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
        payload = json.dumps({"step": conv.step, "data": conv.data}, ensure_ascii=False)
        await self.redis.set(self.keys.conv(uid), payload, ex=CONV_TTL)

    async def clear_conv(self, uid: int) -> None:
        await self.redis.delete(self.keys.conv(uid))

    async def flood_hit(self, uid: int, window: int) -> int:
        """Count an update from ``uid``; returns the count within the current window."""
        _, _, count, _ = await self._context(keys=self._context_keys(uid), args=[window, 0])
        return int(count)

    async def flood_warn_once(self, uid: int, window: int) -> bool:
        """True the first time in a window, so the "slow down" notice is sent once."""
        return bool(await self.redis.set(self.keys.flood_warned(uid), "1", ex=window, nx=True))

    async def erase_user(self, uid: int) -> list[str]:
        """Everything this module stores about a user; returns their question ids so the
        caller can remove them from other indexes (search, offers) too."""
        profile = await self.get_profile(uid)
        qids = [str(q) for q in await self.redis.zrange(self.keys.user_questions(uid), 0, -1)]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(
                self.keys.user(uid), self.keys.conv(uid), self.keys.flood(uid),
                self.keys.flood_warned(uid), self.keys.user_questions(uid), f"{self.p}ref:{uid}",
            )  # fmt: skip
            pipe.srem(self.keys.users, uid)
            if profile and profile.lang:
                pipe.srem(self.keys.users_by_lang(profile.lang), uid)
            for qid in qids:
                pipe.delete(self.keys.question(qid))
                pipe.zrem(self.keys.active_questions, qid)
                pipe.zrem(self.keys.solved, qid)
            await pipe.execute()
        return qids

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

    # --- questions --------------------------------------------------------------------

    async def new_question(
        self, asker_id: int, text: str, lang: str, tags: list[str], *, conv_step: str = ""
    ) -> Question:
        """A draft question, numbered. With ``conv_step``, the asker's conversation moves to
        that step about this question in the same script (one round trip for both)."""
        now = time.time()
        q = Question(
            qid="", asker_id=asker_id, text=text, lang=lang, tags=tags,
            created_at=now, updated_at=now,
        )  # fmt: skip
        fields = [x for kv in to_hash(q).items() if kv[0] != "qid" for x in kv]
        qid = await self._new_question(
            keys=[
                self.keys.qseq, self.keys.question(""), self.keys.user_questions(asker_id),
                self.keys.conv(asker_id),
            ],
            args=[now, conv_step, CONV_TTL, *fields],
        )  # fmt: skip
        q.qid = str(qid)
        return q

    async def get_question(self, qid: str) -> Question | None:
        if not qid.isdigit():
            return None
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.question(qid)))
        return from_hash(Question, raw, qid=qid) if raw else None

    async def update_question(self, qid: str, **values: Any) -> None:
        """Set some fields; ``None`` removes a field. Keeps the activity index in step."""
        now = time.time()
        key = self.keys.question(qid)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=cast(Any, _question_fields(values, now)))
            removed = [k for k, v in values.items() if v is None]
            if removed:
                pipe.hdel(key, *removed)
            status = values.get("status")
            if status in ("open", "answered"):
                pipe.zadd(self.keys.active_questions, {qid: now})
            elif status in ("solved", "closed"):
                pipe.zrem(self.keys.active_questions, qid)
            await pipe.execute()

    async def touch_question(self, qid: str) -> None:
        """Activity on an open question postpones its reminder and auto-close."""
        now = time.time()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.keys.active_questions, {qid: now}, xx=True)
            pipe.hset(self.keys.question(qid), mapping={"updated_at": str(now), "reminded": "0"})
            await pipe.execute()

    async def idle_questions(self, older_than: float) -> list[str]:
        return [
            str(x)
            for x in await self.redis.zrangebyscore(self.keys.active_questions, 0, older_than)
        ]

    async def user_questions(self, uid: int, limit: int = 10) -> list[Question]:
        ids = [
            str(x) for x in await self.redis.zrevrange(self.keys.user_questions(uid), 0, limit - 1)
        ]
        out = []
        for qid in ids:
            q = await self.get_question(qid)
            if q is not None and q.status != "draft":
                out.append(q)
        return out

    async def attach_topic(self, qid: str, chat_id: int, thread_id: int, title: str) -> None:
        """The question is open in this forum topic: both directions at once."""
        now = time.time()
        mapping = _question_fields(
            {"group_id": chat_id, "thread_id": thread_id, "title": title, "status": "open"}, now
        )
        await self._attach(
            keys=[
                self.keys.topic(chat_id, thread_id), self.keys.question(qid),
                self.keys.active_questions,
            ],
            args=[qid, now, *(x for kv in mapping.items() for x in kv)],
        )  # fmt: skip

    async def question_for_topic(self, chat_id: int, thread_id: int) -> str | None:
        value = await self.redis.get(self.keys.topic(chat_id, thread_id))
        return str(value) if value else None

    async def lock(self, key: str, ttl: float) -> str | None:
        token = f"{time.time_ns()}"
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


def _conversation(raw: str | bytes | None) -> Conversation:
    if not raw:
        return Conversation()
    try:
        obj = json.loads(raw)
        return Conversation(step=obj.get("step"), data=dict(obj.get("data") or {}))
    except (json.JSONDecodeError, AttributeError):
        return Conversation()


def _question_fields(values: dict[str, Any], now: float) -> dict[str, str]:
    """A question's fields to set (``None`` values left out), stamped with ``updated_at``."""
    mapping = to_hash_values({k: v for k, v in values.items() if v is not None})
    mapping["updated_at"] = str(now)
    return mapping


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
