"""Reflection at the end of a course's session: a prompt, the learner's answer, and (if they
agree) the answer shared with their circle.

A session's end is its start date plus :data:`SESSION_WEEKS` weeks (the catalog has no course
lengths; most MOOC sessions run four to eight weeks), at 18:00 in the learner's time zone.
Setting a session date schedules the prompt (``workers.community.reflection_prompt``, job id
naming learner, course and session, so a changed date schedules anew and the old job finds
the date changed and does nothing). ``/path`` offers the same prompt at any time.

Key patterns (``{p}`` is ``Settings.redis_prefix``):

====================  ======  =================================================================
``{p}refl:{uid}``     hash    cid -> JSON ``{"text": ..., "lang": ..., "at": ts, "shared": bool}``
====================  ======  =================================================================
"""

from __future__ import annotations

import hashlib
import html
import json
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from redis.asyncio import Redis
from telegram import Bot, Message
from telegram.error import Forbidden

from tg_support.community import buttons
from tg_support.community.circle_talk import course_title
from tg_support.community.course_store import CourseStore
from tg_support.core import jobs
from tg_support.core.i18n import _, use_locale
from tg_support.core.messages import keyboard
from tg_support.core.sending import send_once
from tg_support.core.store import Repository, Store
from tg_support.core.timezones import to_tzinfo

SESSION_WEEKS = 6
MAX_REFLECTION = 2000


class ReflectionKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    def reflections(self, uid: int) -> str:
        return f"{self.p}refl:{uid}"


@dataclass(frozen=True)
class Reflection:
    cid: str
    text: str
    lang: str
    at: float
    shared: bool = False


class ReflectionStore(Repository):
    """Every key in the table above is built here."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = ReflectionKeys(prefix)

    async def save(self, uid: int, cid: str, text: str, lang: str, *, shared: bool = False) -> Reflection:
        r = Reflection(cid, text[:MAX_REFLECTION], lang, time.time(), shared)
        payload = {"text": r.text, "lang": lang, "at": r.at, "shared": shared}
        await self.redis.hset(self.keys.reflections(uid), cid, json.dumps(payload, ensure_ascii=False))
        return r

    async def get(self, uid: int, cid: str) -> Reflection | None:
        raw = cast(str | None, await self.redis.hget(self.keys.reflections(uid), cid))
        return _parse(cid, raw) if raw else None

    async def all(self, uid: int) -> list[Reflection]:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.reflections(uid)))
        return [r for cid, data in raw.items() if (r := _parse(cid, data)) is not None]

    async def mark_shared(self, uid: int, cid: str) -> bool:
        """True the first time only (a double tap shares once)."""
        r = await self.get(uid, cid)
        if r is None or r.shared:
            return False
        await self.save(uid, cid, r.text, r.lang, shared=True)
        return True

    async def erase_user(self, uid: int) -> None:
        await self.redis.delete(self.keys.reflections(uid))

    async def export_user(self, uid: int) -> dict[str, Any]:
        found = sorted(await self.all(uid), key=lambda r: r.at)
        return {"reflections": [asdict(r) for r in found]} if found else {}


def _parse(cid: str, raw: str) -> Reflection | None:
    try:
        data = json.loads(raw)
        return Reflection(cid, str(data["text"]), str(data.get("lang") or "en"),
                          float(data.get("at") or 0), bool(data.get("shared")))  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return None


def session_end(session: date, tz: str | None) -> float:
    """When a session that started on ``session`` ends: 18:00 local, ``SESSION_WEEKS`` later."""
    day = session + timedelta(weeks=SESSION_WEEKS)
    return datetime(day.year, day.month, day.day, 18, tzinfo=to_tzinfo(tz)).timestamp()


def prompt_job_id(uid: int, cid: str, session: date) -> str:
    digest = hashlib.blake2s(f"{uid}:{cid}:{session}".encode(), digest_size=6).hexdigest()
    return f"refl-{uid}-{digest}"


def prompt_text(course: str) -> str:
    """In the current locale."""
    return "🪞 " + _(
        "Your session of {course} is ending. Take two minutes to reflect: what did you "
        "learn, what worked for you, and what would you do differently next time?"
    ).format(course=html.escape(course, quote=False))


async def send_prompt(bot: Bot, store: Store, uid: int, cid: str, session: str) -> str:
    """The end-of-session prompt, unless the learner dropped the course or changed its
    session since it was scheduled. Idempotent."""
    enrollment = await store.repo(CourseStore).enrollment(uid, cid)
    if enrollment is None or enrollment.session is None or enrollment.session.isoformat() != session:
        return "changed"
    profile = await store.get_profile(uid)
    if profile is None or profile.blocked:
        return "nobody"
    title = await course_title(store, cid)
    with use_locale(profile.lang or "en"):
        text = prompt_text(title)
        markup = keyboard([[(_("✍️ Write my reflection"), buttons.reflection("write", cid))]])

    async def send() -> Message:
        return await bot.send_message(uid, text, reply_markup=markup)

    try:
        await send_once(store.redis, store.p, f"refl:prompt:{uid}:{cid}:{session}", send)
    except Forbidden:
        await store.set_blocked(uid, True)
        return "blocked"
    return "sent"


def prompt_job(uid: int, tz: str | None, cid: str, session: date, now: float) -> tuple[jobs.Job, float] | None:
    """The reflection prompt's job and its delay, or None when the session ended already."""
    end = session_end(session, tz)
    if end <= now:
        return None
    job = jobs.reflection_prompt(uid, cid, session.isoformat(), prompt_job_id(uid, cid, session))
    return job, end - now
