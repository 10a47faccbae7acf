"""Questions in Redis: numbering, fields, the asker's index, topics, the solved feed.

Key patterns (``{p}`` is ``Settings.redis_prefix``):

=================================  =========  =================================================
``{p}qseq``                        string     last question number (INCR)
``{p}q:{qid}``                     hash       question: asker, lang, text, status, group,
                                              thread, title, pseudonym, tags (JSON),
                                              created_at, updated_at, reminded, helper,
                                              src_msg (the asker's private message that
                                              holds the question's text, for edits)
``{p}q:user:{uid}``                zset       the learner's question ids by creation time
``{p}q:active``                    zset       open/answered question ids by last activity
                                              (the idle checker's index)
``{p}q:topic:{chat_id}:{thread}``  string     question id of a forum topic
``{p}q:lock:{qid}``                string     held while the question's topic is created
``{p}solved``                      zset       solved question ids by time (search index feed)
``{p}pseudonym-secret``            string     HMAC key of per-question pseudonyms (made once)
=================================  =========  =================================================
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, cast

from redis.asyncio import Redis

from tg_support.core.replication import replicated
from tg_support.core.store import (
    CONV_TTL,
    Keys,
    Repository,
    Store,
    from_hash,
    to_hash,
    to_hash_values,
)
from tg_support.ops.stats import HealthStats


class QuestionKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

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

    @property
    def solved(self) -> str:
        return f"{self.p}solved"

    @property
    def pseudonym_secret(self) -> str:
        return f"{self.p}pseudonym-secret"


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
    src_msg: int | None = None


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
# A draft nobody will post (solved by an earlier answer, or replaced by a new question): gone,
# and its number given back when no later number was handed out, so the learner's next
# question does not skip one. KEYS: qseq, the question, the asker's index; ARGV: qid.
_DISCARD_DRAFT = """
if redis.call('HGET', KEYS[2], 'status') ~= 'draft' then return 0 end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DECR', KEYS[1]) end
return 1
"""
# A question opened in a forum topic: the topic's question, the question's fields and the
# activity index, atomically (a script: a MULTI of three costs redis-py 2.5x its CPU).
# KEYS: topic, question, active index. ARGV: qid, now, then field/value pairs.
_ATTACH = """
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
"""


class QuestionStore(Repository):
    """Every question key is built here (see the table above)."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = QuestionKeys(prefix)
        self.core = Keys(prefix)
        self._new_question = redis.register_script(_NEW_QUESTION)
        self._attach = redis.register_script(_ATTACH)
        self._discard_draft = redis.register_script(_DISCARD_DRAFT)

    async def new_question(
        self, asker_id: int, text: str, lang: str, tags: list[str], *, conv_step: str = "",
        src_msg: int | None = None,
    ) -> Question:  # fmt: skip
        """A draft question, numbered. With ``conv_step``, the asker's conversation moves to
        that step about this question in the same script (one round trip for both)."""
        now = time.time()
        q = Question(
            qid="", asker_id=asker_id, text=text, lang=lang, tags=tags,
            created_at=now, updated_at=now, src_msg=src_msg,
        )  # fmt: skip
        fields = [x for kv in to_hash(q).items() if kv[0] != "qid" for x in kv]
        keys = [
            self.keys.qseq, self.keys.question(""), self.keys.user_questions(asker_id),
            self.core.conv(asker_id),
        ]  # fmt: skip
        args: list[Any] = [now, conv_step, CONV_TTL, *fields]
        # Replicated: the number is shown to the asker, and a failover must not reuse it.
        qid = await replicated(self.redis, lambda r: self._new_question(keys, args, client=r))
        q.qid = str(qid)
        return q

    async def discard_draft(self, qid: str, asker_id: int) -> bool:
        """Remove a never-posted draft (its number is reused if still the last one)."""
        keys = [self.keys.qseq, self.keys.question(qid), self.keys.user_questions(asker_id)]
        return bool(await self._discard_draft(keys=keys, args=[qid]))

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
        if status in ("solved", "closed"):
            await HealthStats(self.redis, self.p).ended(qid, status)

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

    async def count_user_questions(self, uid: int) -> int:
        """How many questions the learner asked (drafts included: few are left behind)."""
        return int(await self.redis.zcard(self.keys.user_questions(uid)))

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

    async def question_ids(self, uid: int) -> list[str]:
        """Every question id of the learner, drafts included, oldest first."""
        return [str(q) for q in await self.redis.zrange(self.keys.user_questions(uid), 0, -1)]

    async def forget_helper(self, uid: int, qids: list[str]) -> None:
        """Questions a helper answered no longer say who they were (the answer text stays
        with the learner's question: it was posted in the group under a pseudonym)."""
        for qid in qids:
            key = self.keys.question(qid)
            if await self.redis.hget(key, "helper_id") == str(uid):
                await self.redis.hdel(key, "helper_id")

    async def erase_user(self, uid: int) -> list[str]:
        """The learner's questions, their topics' bindings and index entries; returns the
        question ids so other owners (search, offers, translations) can drop theirs."""
        qids = [str(q) for q in await self.redis.zrange(self.keys.user_questions(uid), 0, -1)]
        questions = [await self.get_question(qid) for qid in qids]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.user_questions(uid))
            for qid, q in zip(qids, questions, strict=True):
                pipe.delete(self.keys.question(qid), self.keys.question_lock(qid))
                pipe.zrem(self.keys.active_questions, qid)
                pipe.zrem(self.keys.solved, qid)
                if q is not None and q.group_id is not None and q.thread_id is not None:
                    pipe.delete(self.keys.topic(q.group_id, q.thread_id))
            await pipe.execute()
        return qids


def _question_fields(values: dict[str, Any], now: float) -> dict[str, str]:
    """A question's fields to set (``None`` values left out), stamped with ``updated_at``."""
    mapping = to_hash_values({k: v for k, v in values.items() if v is not None})
    mapping["updated_at"] = str(now)
    return mapping


def questions(store: Store) -> QuestionStore:
    """The question store over ``store``'s connection and prefix."""
    return store.repo(QuestionStore)
