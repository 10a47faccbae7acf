"""Helpers' stats, who answered what, learners' ratings and the leaderboards.

Key patterns (``{p}`` is the prefix):

===============================  ======  ===================================================
``{p}hstats:{uid}``              hash    answers, helpful, rated, solved, langs (JSON),
                                         reviews (peer reviews given in review swaps)
``{p}hdays:{uid}``               set     day numbers (UTC) with at least one answer
``{p}hq:{uid}``                  set     question ids the helper answered (for erasure)
``{p}hboards:{uid}``             set     leaderboard keys the helper is on (for erasure)
``{p}answered:{qid}``            list    helpers who answered the question, in order
``{p}rated:{qid}``               hash    helper id → up/down, once per learner's rating
``{p}alang:{qid}``               hash    helper id → language of their (first) answer
``{p}lb:lang:{lang}``            zset    helpful answers per helper, on the board of the
                                         question's language and of the answer's language
``{p}lb:group:{chat_id}``        zset    helpful answers per helper, by group
``{p}lb:optout``                 set     helpers who do not want to be listed
===============================  ======  ===================================================
"""

from __future__ import annotations

import json
import time
from typing import Any, cast

from redis.asyncio import Redis

from tg_support.core.store import Repository
from tg_support.helpers import reputation
from tg_support.ops.stats import HealthStats
from tg_support.questions.store import QuestionStore

ANSWERED_TTL = 90 * 24 * 3600
RATED_TTL = 365 * 24 * 3600


class StatsKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    def stats(self, uid: int) -> str:
        return f"{self.p}hstats:{uid}"

    def days(self, uid: int) -> str:
        return f"{self.p}hdays:{uid}"

    def answered_by(self, uid: int) -> str:
        return f"{self.p}hq:{uid}"

    def boards(self, uid: int) -> str:
        return f"{self.p}hboards:{uid}"

    def answered(self, qid: str) -> str:
        return f"{self.p}answered:{qid}"

    def rated(self, qid: str) -> str:
        return f"{self.p}rated:{qid}"

    def answer_lang(self, qid: str) -> str:
        return f"{self.p}alang:{qid}"

    def board_lang(self, lang: str) -> str:
        return f"{self.p}lb:lang:{lang}"

    def board_group(self, chat_id: int) -> str:
        return f"{self.p}lb:group:{chat_id}"

    @property
    def optout(self) -> str:
        return f"{self.p}lb:optout"


class HelperStatsStore(Repository):
    """Every key in the table above is built here."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = StatsKeys(prefix)

    async def read(self, uid: int) -> reputation.HelperStats:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.stats(uid)))
        days = {int(d) for d in await self.redis.smembers(self.keys.days(uid))}
        try:
            langs = frozenset(json.loads(raw.get("langs") or "[]"))
        except json.JSONDecodeError:
            langs = frozenset()
        return reputation.HelperStats(
            answers=int(raw.get("answers") or 0),
            helpful=int(raw.get("helpful") or 0),
            rated=int(raw.get("rated") or 0),
            solved=int(raw.get("solved") or 0),
            reviews=int(raw.get("reviews") or 0),
            languages=langs,
            streak_days=reputation.streak(days, int(time.time() // 86400)),
        )

    async def record_answer(
        self, qid: str, helper_id: int, lang: str, answer_lang: str | None = None
    ) -> None:
        """Stats, streak days and the answered list; counted once per question and helper.
        ``answer_lang``: the language the helper wrote in (kept for the boards)."""
        await HealthStats(self.redis, self.p).answered(qid)  # the group's health counts it once
        key = self.keys.answered(qid)
        if answer_lang:
            alang = self.keys.answer_lang(qid)
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hsetnx(alang, str(helper_id), answer_lang)
                pipe.expire(alang, ANSWERED_TTL)
                await pipe.execute()
        existing = [int(x) for x in await self.redis.lrange(key, 0, -1)]
        if helper_id in existing:
            return
        raw_langs = await self.redis.hget(self.keys.stats(helper_id), "langs")
        langs = set(json.loads(raw_langs or "[]"))
        langs.add(lang)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, helper_id)
            pipe.expire(key, ANSWERED_TTL)
            pipe.hincrby(self.keys.stats(helper_id), "answers", 1)
            pipe.hset(self.keys.stats(helper_id), "langs", json.dumps(sorted(langs)))
            pipe.sadd(self.keys.days(helper_id), int(time.time() // 86400))
            pipe.sadd(self.keys.answered_by(helper_id), qid)
            await pipe.execute()

    async def answered(self, qid: str, limit: int = -1) -> list[int]:
        """Helpers who answered ``qid``, first answer first."""
        end = -1 if limit < 0 else limit - 1
        return [int(x) for x in await self.redis.lrange(self.keys.answered(qid), 0, end)]

    async def answer_langs(self, qid: str, helper: int) -> list[str]:
        """The language of the helper's answer to ``qid`` (empty when not recorded)."""
        raw = await self.redis.hget(self.keys.answer_lang(qid), str(helper))
        return [str(raw)] if raw else []

    async def answerer_at(self, qid: str, i: int) -> int | None:
        raw = await self.redis.lindex(self.keys.answered(qid), i)
        return int(raw) if raw is not None else None

    async def mark_rated(self, qid: str, helper: int, vote: str) -> bool:
        """Record the learner's vote on one helper's answer; False when already rated."""
        key = self.keys.rated(qid)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, str(helper), vote)
            pipe.expire(key, RATED_TTL)
            first, _ = await pipe.execute()
        return bool(first)

    async def add_rating(
        self, helper: int, helpful: bool, langs: str | list[str], group_id: int | None
    ) -> reputation.HelperStats:
        """Count a rating; a helpful one also scores on the boards of ``langs`` (the
        question's and the answer's language, each once) and of the group."""
        langs = [langs] if isinstance(langs, str) else langs
        key = self.keys.stats(helper)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, "rated", 1)
            if helpful:
                pipe.hincrby(key, "helpful", 1)
                boards = [self.keys.board_lang(lang) for lang in dict.fromkeys(langs)]
                if group_id is not None:
                    boards.append(self.keys.board_group(group_id))
                for board in boards:
                    pipe.zincrby(board, 1, helper)
                pipe.sadd(self.keys.boards(helper), *boards)
            await pipe.execute()
        return await self.read(helper)

    async def add_review_given(self, uid: int) -> None:
        """A peer review delivered in a review swap (``community.review_store`` keeps the
        reviewer's own record; this count feeds /stats and the badges)."""
        await self.redis.hincrby(self.keys.stats(uid), "reviews", 1)

    async def add_solved(self, helper: int) -> None:
        await self.redis.hincrby(self.keys.stats(helper), "solved", 1)

    async def take_back_solved(self, helper: int) -> None:
        """The question was reopened: it no longer counts as solved (a second "Solved"
        credits it again, once)."""
        await self.redis.hincrby(self.keys.stats(helper), "solved", -1)

    async def board(self, key: str, limit: int = 30) -> list[tuple[int, int]]:
        """(helper id, helpful answers) best first, without helpers who opted out."""
        optout = {int(x) for x in await self.redis.smembers(self.keys.optout)}
        rows = cast(
            list[tuple[str, float]], await self.redis.zrevrange(key, 0, limit, withscores=True)
        )
        return [(int(m), int(s)) for m, s in rows if int(m) not in optout]

    async def set_listed(self, uid: int, listed: bool) -> None:
        if listed:
            await self.redis.srem(self.keys.optout, uid)
        else:
            await self.redis.sadd(self.keys.optout, uid)

    async def votes(self, qid: str) -> dict[int, str]:
        """The learner's votes on the answers to ``qid``: helper id → up/down."""
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.rated(qid)))
        return {int(h): v for h, v in raw.items()}

    async def export_user(self, uid: int) -> dict[str, Any]:
        """As a helper: their counters, answering days, the questions they answered, the
        boards they are on. (The learner's votes go with their questions' export.)"""
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.stats(uid)))
        if not raw:
            return {}
        days = sorted(int(d) for d in await self.redis.smembers(self.keys.days(uid)))
        answered = sorted(int(q) for q in await self.redis.smembers(self.keys.answered_by(uid)))
        boards = sorted(str(b)[len(self.p) :] for b in await self.redis.smembers(self.keys.boards(uid)))
        return {
            "counters": {k: (json.loads(v) if k == "langs" else int(v)) for k, v in raw.items()},
            "answer_days": [time.strftime("%Y-%m-%d", time.gmtime(d * 86400)) for d in days],
            "questions_answered": answered,
            "leaderboards": boards,
            "listed_on_leaderboards": not await self.redis.sismember(self.keys.optout, str(uid)),
        }

    async def erase_user(self, uid: int) -> None:
        """The helper's stats, boards and answer marks; and for a learner, who answered
        their questions and how they rated it."""
        own = await QuestionStore(self.redis, self.p).question_ids(uid)
        await self.erase_questions(own)
        qids = [str(q) for q in await self.redis.smembers(self.keys.answered_by(uid))]
        await QuestionStore(self.redis, self.p).forget_helper(uid, qids)
        boards = [str(b) for b in await self.redis.smembers(self.keys.boards(uid))]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(
                self.keys.stats(uid), self.keys.days(uid), self.keys.answered_by(uid),
                self.keys.boards(uid),
            )  # fmt: skip
            pipe.srem(self.keys.optout, uid)
            for board in boards:
                pipe.zrem(board, uid)
            for qid in qids:
                pipe.lrem(self.keys.answered(qid), 0, str(uid))
                pipe.hdel(self.keys.rated(qid), str(uid))
                pipe.hdel(self.keys.answer_lang(qid), str(uid))
            await pipe.execute()

    async def erase_questions(self, qids: list[str]) -> None:
        """Who answered and how it was rated, for questions whose asker left."""
        if not qids:
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            for qid in qids:
                pipe.delete(
                    self.keys.answered(qid), self.keys.rated(qid), self.keys.answer_lang(qid)
                )
            await pipe.execute()
