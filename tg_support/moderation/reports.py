"""Reports and held questions: what admins are asked to decide, and who decided first.

A report or a held question is sent to each admin of its group; the first admin to act wins
(a compare-and-set in one script), the others' copies are edited to say what was done.

Key patterns (``{p}`` is the prefix; every key expires :data:`TTL` after its last change):

=================================  ======  ================================================
``{p}mod:report:seq``              string  last report id (INCR)
``{p}mod:report:{rid}``            hash    reporter, target (id, 0 when unknown), code (the
                                           target's member code), group, question, text and
                                           context (the reported message and what it answered),
                                           status (``open``/``done``), action, by, at
``{p}mod:report:{rid}:msgs``       hash    admin id → ``message id:locale`` of their copy
``{p}mod:held:{qid}``              hash    a question the gate held: asker, reason, group,
                                           status (``open``/``done``), action, by, at
``{p}mod:held:{qid}:msgs``         hash    admin id → ``message id:locale`` of their copy
``{p}mod:reports:user:{uid}``      set     ``r<rid>`` / ``h<qid>`` naming this user (as reporter,
                                           target, asker or admin), for /forget and /export
``{p}mod:reports:rate:{uid}``      string  reports this user filed in the current hour (TTL)
=================================  ======  ================================================
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final, cast

from redis.asyncio import Redis

from tg_support.core.store import Repository, from_hash, to_hash

TTL: Final = 30 * 24 * 3600
REPORTS_PER_HOUR: Final = 10  # so one person cannot bury the admins in reports
TEXT_LIMIT: Final = 1000

# KEYS[1] the record; ARGV: action, by, now. Only an open record is decided, once.
_DECIDE = """
if redis.call('HGET', KEYS[1], 'status') ~= 'open' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'done', 'action', ARGV[1], 'by', ARGV[2], 'decided_at', ARGV[3])
return 1
"""


@dataclass
class Report:
    rid: int
    reporter: int = 0
    target: int = 0
    code: str = ""
    group: int = 0
    question: int = 0
    text: str = ""
    context: str = ""
    status: str = "open"
    action: str = ""
    by: int = 0
    at: float = 0.0
    decided_at: float = 0.0


@dataclass
class Held:
    qid: int
    asker: int = 0
    reason: str = ""
    group: int = 0
    status: str = "open"
    action: str = ""
    by: int = 0
    at: float = 0.0
    decided_at: float = 0.0


class ReportKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    @property
    def seq(self) -> str:
        return f"{self.p}mod:report:seq"

    def report(self, rid: int) -> str:
        return f"{self.p}mod:report:{rid}"

    def report_msgs(self, rid: int) -> str:
        return f"{self.p}mod:report:{rid}:msgs"

    def held(self, qid: int) -> str:
        return f"{self.p}mod:held:{qid}"

    def held_msgs(self, qid: int) -> str:
        return f"{self.p}mod:held:{qid}:msgs"

    def user(self, uid: int) -> str:
        return f"{self.p}mod:reports:user:{uid}"

    def rate(self, uid: int) -> str:
        return f"{self.p}mod:reports:rate:{uid}"


class Reports(Repository):
    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = ReportKeys(prefix)
        self._decide = redis.register_script(_DECIDE)

    async def _index(self, ref: str, *uids: int) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for uid in {u for u in uids if u}:
                pipe.sadd(self.keys.user(uid), ref)
                pipe.expire(self.keys.user(uid), TTL)
            await pipe.execute()

    # --- reports ---------------------------------------------------------------------

    async def may_report(self, uid: int) -> bool:
        """Count a report by ``uid``; False past :data:`REPORTS_PER_HOUR` in the hour."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.rate(uid), 0, ex=3600, nx=True)
            pipe.incr(self.keys.rate(uid))
            _, count = await pipe.execute()
        return int(count) <= REPORTS_PER_HOUR

    async def new_report(self, report: Report) -> Report:
        report.rid = int(await self.redis.incr(self.keys.seq))
        report.at = time.time()
        report.text = report.text[:TEXT_LIMIT]
        report.context = report.context[:TEXT_LIMIT]
        key = self.keys.report(report.rid)
        await self.redis.hset(key, mapping=cast(Any, to_hash(report)))
        await self.redis.expire(key, TTL)
        await self._index(f"r{report.rid}", report.reporter, report.target)
        return report

    async def get_report(self, rid: int) -> Report | None:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.report(rid)))
        return from_hash(Report, raw, rid=rid) if raw else None

    async def decide_report(self, rid: int, action: str, by: int) -> bool:
        """True for the one admin whose action counts."""
        return bool(
            await self._decide(keys=[self.keys.report(rid)], args=[action, by, time.time()])
        )

    # --- held questions --------------------------------------------------------------

    async def hold(self, held: Held) -> None:
        held.at = time.time()
        key = self.keys.held(held.qid)
        await self.redis.hset(key, mapping=cast(Any, to_hash(held)))
        await self.redis.expire(key, TTL)
        await self._index(f"h{held.qid}", held.asker)

    async def get_held(self, qid: int) -> Held | None:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.held(qid)))
        return from_hash(Held, raw, qid=qid) if raw else None

    async def decide_held(self, qid: int, action: str, by: int) -> bool:
        return bool(await self._decide(keys=[self.keys.held(qid)], args=[action, by, time.time()]))

    # --- admins' copies --------------------------------------------------------------

    async def add_copy(self, ref: str, admin: int, msg_id: int, locale: str) -> None:
        key = self._msgs_key(ref)
        await self.redis.hset(key, str(admin), f"{msg_id}:{locale}")
        await self.redis.expire(key, TTL)
        await self._index(ref, admin)

    async def copies(self, ref: str) -> dict[int, tuple[int, str]]:
        """Admin id → (message id of their copy, the locale it was written in)."""
        raw = cast(dict[str, str], await self.redis.hgetall(self._msgs_key(ref)))
        out = {}
        for k, v in raw.items():
            msg_id, _, locale = v.partition(":")
            out[int(k)] = (int(msg_id), locale or "en")
        return out

    def _msgs_key(self, ref: str) -> str:
        kind, num = ref[0], int(ref[1:])
        return self.keys.report_msgs(num) if kind == "r" else self.keys.held_msgs(num)

    # --- /forget and /export ---------------------------------------------------------

    async def erase_user(self, uid: int) -> None:
        """Reports the user made or that are about them lose their id and the message text;
        their copies as an admin go; held questions forget their asker."""
        refs = [str(r) for r in await self.redis.smembers(self.keys.user(uid))]
        for ref in refs:
            kind, num = ref[0], int(ref[1:])
            await self.redis.hdel(self._msgs_key(ref), str(uid))
            if kind == "r":
                report = await self.get_report(num)
                if report is None:
                    continue
                key = self.keys.report(num)
                if report.reporter == uid:
                    await self.redis.hset(key, "reporter", "0")
                if report.target == uid:
                    await self.redis.hset(key, mapping={"target": "0", "text": "", "context": ""})
                if report.by == uid:
                    await self.redis.hset(key, "by", "0")
            else:
                held = await self.get_held(num)
                if held is not None and held.asker == uid:
                    await self.redis.delete(self.keys.held(num), self.keys.held_msgs(num))
                elif held is not None and held.by == uid:
                    await self.redis.hset(self.keys.held(num), "by", "0")
        await self.redis.delete(self.keys.user(uid), self.keys.rate(uid))

    async def export_user(self, uid: int) -> dict[str, Any]:
        """Reports the user made, and their questions held for review (reports about them
        are the reporters' and stay out, as does which admins saw what)."""
        made, held = [], []
        for ref in sorted(str(r) for r in await self.redis.smembers(self.keys.user(uid))):
            kind, num = ref[0], int(ref[1:])
            if kind == "r":
                report = await self.get_report(num)
                if report is not None and report.reporter == uid:
                    made.append(
                        {"report": num, "at": report.at, "text": report.text,
                         "status": report.status}
                    )  # fmt: skip
            else:
                h = await self.get_held(num)
                if h is not None and h.asker == uid:
                    held.append(
                        {"question": num, "at": h.at, "reason": h.reason, "status": h.status,
                         "decision": h.action or None}
                    )  # fmt: skip
        return {"reports_made": made, "questions_held_for_review": held}
