"""A group's "Introductions" topic, created on demand, and the learners' introductions in it.

``/intro`` posts a short introduction (goal, courses, city if the learner wants) to the
matching registered group. The bot writes the labels in each reader language of the group
and the learner's goal is translated (a ``translation.delivery`` envelope), so the group reads
it in its language; the original goes too when the group speaks the learner's language.
The learner appears under their first name if they choose, else a pseudonym.

Key patterns (``{p}`` is ``Settings.redis_prefix``):

==========================  ======  ============================================================
``{p}intro:topic:{chat}``   string  thread id of the group's Introductions topic
``{p}intro:last:{uid}``     string  when the learner last introduced themselves (TTL a week:
                                    one introduction a week, so nobody floods the topic)
``{p}intro:done:{uid}``     string  set once the learner introduced themselves (``/path``)
``{p}intro:lock:{chat}``    string  held while the topic is being created
==========================  ======  ============================================================
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from redis.asyncio import Redis
from telegram import Bot
from telegram.error import BadRequest, Forbidden

from tg_support.community.circle_talk import course_label
from tg_support.community.course_store import CourseStore
from tg_support.core.i18n import _, use_locale
from tg_support.core.labels import ANY_LANGUAGE
from tg_support.core.store import Group, Profile, Repository, Store
from tg_support.questions.routing import GroupCard, choose_group
from tg_support.questions.topics import group_locale, pseudonym_code, target_language
from tg_support.translation.delivery import Envelope

log = logging.getLogger(__name__)

WEEK = 7 * 24 * 3600
MAX_CITY = 60


class IntroKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    def topic(self, chat_id: int) -> str:
        return f"{self.p}intro:topic:{chat_id}"

    def last(self, uid: int) -> str:
        return f"{self.p}intro:last:{uid}"

    def done(self, uid: int) -> str:
        return f"{self.p}intro:done:{uid}"

    def lock(self, chat_id: int) -> str:
        return f"{self.p}intro:lock:{chat_id}"


class IntroStore(Repository):
    """Every key in the table above is built here."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = IntroKeys(prefix)

    async def topic(self, chat_id: int) -> int | None:
        raw = await self.redis.get(self.keys.topic(chat_id))
        return int(raw) if raw else None

    async def set_topic(self, chat_id: int, thread_id: int) -> None:
        await self.redis.set(self.keys.topic(chat_id), thread_id)

    async def forget_topic(self, chat_id: int) -> None:
        await self.redis.delete(self.keys.topic(chat_id))

    async def may_post(self, uid: int) -> bool:
        """Take this week's introduction; False if the learner posted one this week."""
        return bool(await self.redis.set(self.keys.last(uid), time.time(), ex=WEEK, nx=True))

    async def posted(self, uid: int) -> None:
        await self.redis.set(self.keys.done(uid), "1")

    async def unpost(self, uid: int) -> None:
        """The post failed: the week's introduction is not used up."""
        await self.redis.delete(self.keys.last(uid))

    async def introduced(self, uid: int) -> bool:
        return bool(await self.redis.exists(self.keys.done(uid)))

    async def erase_user(self, uid: int) -> None:
        await self.redis.delete(self.keys.last(uid), self.keys.done(uid))

    async def export_user(self, uid: int) -> dict[str, Any]:
        last = await self.redis.get(self.keys.last(uid))
        out: dict[str, Any] = {}
        if await self.introduced(uid):
            out["introduced"] = True
        if last:
            out["last_introduction_at"] = float(last)
        return out


async def group_for(store: Store, profile: Profile) -> Group | None:
    groups = await store.list_groups()
    cards = [
        GroupCard(g.chat_id, frozenset(g.languages), g.region, frozenset(g.tags), g.active)
        for g in groups
    ]
    card = choose_group(profile.lang or "en", profile.tags, cards)
    return next((g for g in groups if card is not None and g.chat_id == card.chat_id), None)


async def intro_topic(bot: Bot, store: Store, group: Group) -> int | None:
    """The group's Introductions topic, created once; None if the group refuses."""
    intros = store.repo(IntroStore)
    found = await intros.topic(group.chat_id)
    if found is not None:
        return found
    token = secrets.token_hex(8)
    for _attempt in range(50):
        if await store.redis.set(intros.keys.lock(group.chat_id), token, nx=True, ex=30):
            break
        found = await intros.topic(group.chat_id)
        if found is not None:
            return found
        await asyncio.sleep(0.1)
    try:
        found = await intros.topic(group.chat_id)
        if found is not None:
            return found
        with use_locale(group_locale(group)):
            # Translators: the name of a group's forum topic where learners introduce themselves.
            name = "👋 " + _("Introductions")
        try:
            topic = await bot.create_forum_topic(group.chat_id, name=name)
        except (BadRequest, Forbidden) as exc:
            log.warning("could not open an Introductions topic: %s", exc.message)
            return None
        await intros.set_topic(group.chat_id, topic.message_thread_id)
        return topic.message_thread_id
    finally:
        if await store.redis.get(intros.keys.lock(group.chat_id)) == token:
            await store.redis.delete(intros.keys.lock(group.chat_id))


async def shown_name(store: Store, uid: int, chat_id: int, first_name: str | None) -> str:
    if first_name:
        return first_name
    code = await pseudonym_code(store, "I", str(chat_id), uid)
    return _("Learner {code}").format(code=code)


def reader_languages(profile: Profile, group: Group) -> list[str]:
    """The learner's language if the group speaks it, and the group's main language."""
    lang = profile.lang or "en"
    out = [target_language(lang, group), group_locale(group)]
    return [x for x in dict.fromkeys(out) if x != ANY_LANGUAGE]


async def envelopes(
    store: Store,
    profile: Profile,
    group: Group,
    thread_id: int,
    first_name: str | None,
    city: str | None,
    key: str,
) -> list[Envelope]:
    """One post per reader language: labels in that language, the goal translated into it."""
    catalog = await store.repo(CourseStore).catalog()
    courses = [course_label(catalog.by_id(c), c) if ":" in c else c for c in profile.courses]
    out = []
    for lang in reader_languages(profile, group):
        with use_locale(lang):
            name = await shown_name(store, profile.user_id, group.chat_id, first_name)
            lines = [_("👋 {name} introduces themselves").format(name=name)]
            if courses:
                lines.append(_("📚 Courses: {courses}").format(courses=", ".join(courses)))
            if city:
                lines.append(_("📍 City: {city}").format(city=city[:MAX_CITY]))
            if profile.goal:
                lines.append(_("🎯 Goal:"))
        out.append(
            Envelope(
                key=f"intro:{key}:{lang}",
                chat_id=group.chat_id,
                thread_id=thread_id,
                head="\n".join(lines) + "\n",
                text=profile.goal or "",
                people=[profile.user_id],
                src_lang=profile.lang or "en",
                dst_lang=lang if profile.goal else profile.lang or "en",
            )
        )
    return out
