"""Course deadlines and their reminders.

A deadline belongs to a course (and, when a circle member adds it, to their circle's session):
an assignment's name and the moment it is due, with the time zone it was given in. Members of
the course's circles whose session fits are reminded :data:`REMIND_HOURS` before, each in
their own language and time zone, by jobs scheduled with RQ's scheduler under deterministic
ids (``dl-{id}-{hours}``), through the one sender and ``send_once``.

Key patterns (``{p}`` is ``Settings.redis_prefix``):

=======================  ======  ===============================================================
``{p}dl:seq``            string  last deadline id
``{p}dl:{id}``           hash    course, title, due (timestamp), tz, session, by, created_at
``{p}dl:c:{cid}``        zset    deadline ids of a course by due time
``{p}dl:by:{uid}``       set     deadline ids a user added (erasure forgets who added them)
=======================  ======  ===============================================================
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from redis.asyncio import Redis
from telegram import Bot, Message
from telegram.error import Forbidden

from tg_support.community.circle_store import CircleStore
from tg_support.community.circle_talk import course_title
from tg_support.community.dates import format_when
from tg_support.core.i18n import _, ngettext, use_locale
from tg_support.core.sending import send_once
from tg_support.core.store import Repository, Store

#: Hours before the due time at which members are reminded.
REMIND_HOURS: tuple[int, ...] = (48, 2)
MAX_TITLE = 120
#: Sessions closer than this share deadlines (the circles' session window).
SESSION_WINDOW_DAYS = 14
KEEP_AFTER_DUE = 7 * 24 * 3600


class DeadlineKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    @property
    def seq(self) -> str:
        return f"{self.p}dl:seq"

    def deadline(self, did: str) -> str:
        return f"{self.p}dl:{did}"

    def course(self, cid: str) -> str:
        return f"{self.p}dl:c:{cid}"

    def by(self, uid: int) -> str:
        return f"{self.p}dl:by:{uid}"


@dataclass(frozen=True)
class Deadline:
    did: str
    course: str
    title: str
    due: float
    tz: str
    session: date | None = None
    by: int = 0
    created_at: float = 0.0


class DeadlineStore(Repository):
    """Every key in the table above is built here."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = DeadlineKeys(prefix)

    async def add(
        self, course: str, title: str, due: float, tz: str, session: date | None, by: int
    ) -> Deadline:
        did = str(await self.redis.incr(self.keys.seq))
        d = Deadline(did, course, title[:MAX_TITLE], due, tz, session, by, time.time())
        ttl = max(60, int(due - time.time() + KEEP_AFTER_DUE))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.deadline(did), mapping=cast(Any, {
                "course": course, "title": d.title, "due": due, "tz": tz,
                "session": session.isoformat() if session else "", "by": by,
                "created_at": d.created_at,
            }))  # fmt: skip
            pipe.expire(self.keys.deadline(did), ttl)
            pipe.zadd(self.keys.course(course), {did: due})
            pipe.sadd(self.keys.by(by), did)
            await pipe.execute()
        return d

    async def get(self, did: str) -> Deadline | None:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.deadline(did)))
        if not raw:
            return None
        try:
            session = date.fromisoformat(raw["session"]) if raw.get("session") else None
            return Deadline(
                did, raw["course"], raw["title"], float(raw["due"]), raw.get("tz") or "UTC",
                session, int(raw.get("by") or 0), float(raw.get("created_at") or 0),
            )  # fmt: skip
        except (KeyError, ValueError):
            return None

    async def upcoming(self, cid: str, now: float, limit: int = 20) -> list[Deadline]:
        ids = cast(
            list[str],
            await self.redis.zrangebyscore(self.keys.course(cid), now, "+inf", start=0, num=limit),
        )
        out = []
        for did in ids:
            d = await self.get(did)
            if d is None:
                await self.redis.zrem(self.keys.course(cid), did)  # expired record
            else:
                out.append(d)
        return out

    async def remove(self, did: str) -> bool:
        d = await self.get(did)
        if d is None:
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.deadline(did))
            pipe.zrem(self.keys.course(d.course), did)
            pipe.srem(self.keys.by(d.by), did)
            await pipe.execute()
        return True

    async def rename_course(self, keep: str, drop: str) -> None:
        rows = cast(
            list[tuple[str, float]],
            await self.redis.zrange(self.keys.course(drop), 0, -1, withscores=True),
        )
        for did, due in rows:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(self.keys.deadline(str(did)), "course", keep)
                pipe.zadd(self.keys.course(keep), {str(did): float(due)})
                await pipe.execute()
        await self.redis.delete(self.keys.course(drop))

    async def erase_user(self, uid: int) -> None:
        """Deadlines stay (the course's members need them) but no longer name who added them."""
        for did in await self.redis.smembers(self.keys.by(uid)):
            if await self.redis.exists(self.keys.deadline(str(did))):
                await self.redis.hset(self.keys.deadline(str(did)), "by", 0)
        await self.redis.delete(self.keys.by(uid))

    async def export_user(self, uid: int) -> dict[str, Any]:
        """The deadlines they added (still listed for their course's members)."""
        out = []
        for did in sorted(await self.redis.smembers(self.keys.by(uid)), key=int):
            d = await self.get(str(did))
            if d is not None:
                out.append({"course": d.course, "title": d.title, "due": d.due, "tz": d.tz,
                            "session": d.session.isoformat() if d.session else None})  # fmt: skip
        return {"deadlines_added": out} if out else {}


def fits(deadline_session: date | None, circle_session: date | None) -> bool:
    if deadline_session is None or circle_session is None:
        return True
    return abs((deadline_session - circle_session).days) <= SESSION_WINDOW_DAYS


async def recipients(store: Store, d: Deadline) -> list[int]:
    """Members of the course's active circles whose session fits the deadline's."""
    circles = store.repo(CircleStore)
    uids: set[int] = set()
    for circle in await circles.circles_of_course(d.course):
        if fits(d.session, circle.session):
            uids.update(await circles.member_ids(circle.circle_id))
    return sorted(uids)


def reminder_text(title: str, course: str, due: float, tz: str | None, locale: str, hours: int) -> str:
    """The reminder in ``locale``, with the due moment in the reader's zone ``tz``."""
    with use_locale(locale):
        when = format_when(due, tz or "UTC", locale)
        if hours >= 24 and hours % 24 == 0:
            left = ngettext("in {count} day", "in {count} days", hours // 24).format(count=hours // 24)
        else:
            left = ngettext("in {count} hour", "in {count} hours", hours).format(count=hours)
        return "\n".join([
            "⏰ " + _("“{assignment}” ({course}) is due {left}.").format(
                assignment=html.escape(title, quote=False), course=html.escape(course, quote=False),
                left=left,
            ),
            _("Due: {when} (your time).").format(when=when),
        ])  # fmt: skip


async def remind(bot: Bot, store: Store, did: str, hours: int) -> int:
    """Remind every member of a deadline ``hours`` before it; how many were reminded now."""
    d = await store.repo(DeadlineStore).get(did)
    if d is None or d.due <= time.time():
        return 0
    title = await course_title(store, d.course)
    sent = 0
    for uid in await recipients(store, d):
        profile = await store.get_profile(uid)
        if profile is None or profile.blocked:
            continue
        text = reminder_text(d.title, title, d.due, profile.tz, profile.lang or "en", hours)
        try:
            if await _send_once(bot, store, f"dl:{did}:{hours}:{uid}", uid, text):
                sent += 1
        except Forbidden:
            await store.set_blocked(uid, True)
    return sent


async def _send_once(bot: Bot, store: Store, key: str, uid: int, text: str) -> int | None:
    async def send() -> Message:
        return await bot.send_message(uid, text)

    return await send_once(store.redis, store.p, key, send)


def reminder_delays(due: float, now: float) -> dict[int, float]:
    """Seconds from ``now`` until each reminder that is still ahead."""
    return {h: due - h * 3600 - now for h in REMIND_HOURS if due - h * 3600 > now}
