"""The moderation audit log: every action on a report, a held question or a sanction.

Entries name the admin who acted (their id: they act for the network) and the person acted
on by their member code (``sanctions.Sanctions.code_of``), never by id or name. ``/modlog``
shows the newest entries to admins of registered groups. The log keeps the last
:data:`KEEP` entries.

Key patterns (``{p}`` is the prefix):

=================================  ======  ================================================
``{p}mod:audit:seq``               string  last entry id (INCR)
``{p}mod:audit``                   zset    entry ids by time
``{p}mod:audit:e``                 hash    entry id → JSON :class:`Entry`
``{p}mod:audit:actor:{uid}``       set     ids of the entries an admin made (for /forget)
``{p}mod:audit:target:{hash}``     set     ids of the entries about a user hash (/export)
=================================  ======  ================================================

``erase_user`` of an admin keeps their entries with the actor blanked (the record of what was
done stays, who did it goes); entries about a person stay (they hold only the member code).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from redis.asyncio import Redis

from tg_support.core.store import Repository
from tg_support.moderation.sanctions import Sanctions

KEEP: Final = 5000
# Actions (stable codes; handlers map them to localized labels).
ACTIONS: Final = (
    "report", "dismiss", "warn", "mute", "unmute", "mute_end", "remove", "unremove",
    "shadow", "unshadow", "held", "approve", "reject",
)  # fmt: skip
# Entries an export must not show (they would reveal a shadow ban).
SECRET_ACTIONS: Final = frozenset({"shadow", "unshadow"})


@dataclass
class Entry:
    action: str
    actor: int = 0  # the admin's id; 0 for the system (an expiry, the gate)
    target: str = ""  # member code of the person acted on
    group: int = 0  # the group the report or the held question belongs to
    report: int = 0  # report id, if any
    question: int = 0  # question id, if any
    hours: float = 0.0  # a mute's length
    note: str = ""  # a reason code (the gate's), never free text
    at: float = 0.0
    id: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class AuditKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    @property
    def seq(self) -> str:
        return f"{self.p}mod:audit:seq"

    @property
    def index(self) -> str:
        return f"{self.p}mod:audit"

    @property
    def entries(self) -> str:
        return f"{self.p}mod:audit:e"

    def actor(self, uid: int) -> str:
        return f"{self.p}mod:audit:actor:{uid}"

    def target(self, h: str) -> str:
        return f"{self.p}mod:audit:target:{h}"


class AuditLog(Repository):
    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = AuditKeys(prefix)

    async def add(self, entry: Entry, *, target_hash: str = "") -> Entry:
        entry.id = int(await self.redis.incr(self.keys.seq))
        entry.at = entry.at or time.time()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.entries, str(entry.id), json.dumps(asdict(entry)))
            pipe.zadd(self.keys.index, {str(entry.id): entry.at})
            if entry.actor:
                pipe.sadd(self.keys.actor(entry.actor), entry.id)
            if target_hash:
                pipe.sadd(self.keys.target(target_hash), entry.id)
            await pipe.execute()
        if entry.id % 100 == 0:
            await self._trim()
        return entry

    async def _trim(self) -> None:
        old = await self.redis.zrange(self.keys.index, 0, -KEEP - 1)
        if old:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zrem(self.keys.index, *old)
                pipe.hdel(self.keys.entries, *old)
                await pipe.execute()

    async def count(self) -> int:
        return int(await self.redis.zcard(self.keys.index))

    async def page(self, offset: int, limit: int) -> list[Entry]:
        """The newest entries first, from ``offset``."""
        ids = await self.redis.zrevrange(self.keys.index, offset, offset + limit - 1)
        return await self._load([str(i) for i in ids])

    async def _load(self, ids: list[str]) -> list[Entry]:
        if not ids:
            return []
        raws = await self.redis.hmget(self.keys.entries, ids)
        out = []
        for raw in raws:
            if raw:
                try:
                    out.append(Entry(**json.loads(raw)))
                except (TypeError, ValueError):
                    continue
        return out

    async def erase_user(self, uid: int) -> None:
        """An admin's entries stay with the actor blanked."""
        ids = [str(i) for i in await self.redis.smembers(self.keys.actor(uid))]
        for entry in await self._load(ids):
            entry.actor = 0
            await self.redis.hset(self.keys.entries, str(entry.id), json.dumps(asdict(entry)))
        await self.redis.delete(self.keys.actor(uid))

    async def export_user(self, uid: int) -> dict[str, Any]:
        """What this person did as an admin, and what was done about them (but nothing that
        would reveal a shadow ban)."""
        target_hash = await Sanctions(self.redis, self.p).user_hash(uid)
        mine = await self._load([str(i) for i in await self.redis.smembers(self.keys.actor(uid))])
        about = await self._load(
            [str(i) for i in await self.redis.smembers(self.keys.target(target_hash))]
        )
        return {
            "actions_taken": [_public(e) for e in mine],
            "actions_about_you": [_public(e) for e in about if e.action not in SECRET_ACTIONS],
        }


def _public(e: Entry) -> dict[str, Any]:
    return {
        "at": e.at, "action": e.action, "report": e.report or None,
        "question": e.question or None, "hours": e.hours or None,
    }  # fmt: skip
