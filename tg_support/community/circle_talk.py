"""What a circle says: its forum topic, introductions, and members' messages relayed to each
other in their own languages.

Used by the planner job (a circle formed, learners joined) and by the bot (a member writes).
Members appear under the name they chose to show for the circle, or a per-circle pseudonym
(``Learner K7Q2``, an HMAC like the questions' pseudonyms): their Telegram identity never
reaches the other members or the group.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Sequence
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from tg_support.community import buttons
from tg_support.community.circle_plan import checkin_slot, main_language, profiles, utc_offset_min
from tg_support.community.circle_store import Circle, CircleStore, Member
from tg_support.community.course_store import CourseStore
from tg_support.community.courses import PLATFORMS, Course, route_tags
from tg_support.community.dates import next_weekly, weekday_time
from tg_support.core.i18n import LANGUAGE_NAMES, _, use_locale
from tg_support.core.messages import keyboard
from tg_support.core.sending import send_once
from tg_support.core.store import Group, Profile, Store
from tg_support.core.timezones import to_tzinfo, utc_offset_label
from tg_support.questions.routing import GroupCard, choose_group
from tg_support.questions.topics import group_locale, pseudonym_code, target_language
from tg_support.translation.delivery import Envelope

log = logging.getLogger(__name__)

TITLE_LIMIT = 128


def esc(text: str) -> str:
    """People's names and course titles inside the bot's HTML messages."""
    return html.escape(text, quote=False)


def course_label(course: Course | None, cid: str = "") -> str:
    """``Machine Learning · Coursera`` (the id when the catalog lost the course)."""
    if course is None:
        return cid
    platform = PLATFORMS.get(course.platform, course.platform)
    if course.platform == "other":
        return course.title
    return f"{course.title} · {platform}"


def circle_title(course_title: str, n: int) -> str:
    """The circle's name in the current locale, also its forum topic's name."""
    # Translators: the name of a study circle and of its forum topic, e.g.
    # "📚 Machine Learning · circle 3". Keep it short.
    pattern = _("📚 {course} · circle {number}")
    room = TITLE_LIMIT - len(pattern.format(course="", number=n))
    title = course_title if len(course_title) <= room else course_title[: room - 1].rstrip() + "…"
    return pattern.format(course=title, number=n)


async def course_title(store: Store, cid: str) -> str:
    course = await store.repo(CourseStore).course(cid)
    return course.title if course is not None else cid


async def member_name(store: Store, circle_id: str, member: Member) -> str:
    """The name a member shows in the circle (current locale for the pseudonym's word)."""
    if member.name:
        return member.name
    code = await pseudonym_code(store, "C", circle_id, member.uid)
    return _("Learner {code}").format(code=code)


def circle_markup(circle_id: str) -> InlineKeyboardMarkup:
    """Under relayed messages and introductions (current locale)."""
    return keyboard([[(_("💬 Write to the circle"), buttons.circle("write", circle_id))]])


async def group_for(store: Store, circle: Circle, members: Sequence[Member]) -> Group | None:
    """The registered group where the circle's topic goes: one that speaks the members'
    main language, with the course's tags, else an international one."""
    groups = await store.list_groups()
    cards = [
        GroupCard(g.chat_id, frozenset(g.languages), g.region, frozenset(g.tags), g.active)
        for g in groups
    ]
    course = await store.repo(CourseStore).course(circle.course)
    tags = route_tags(course) if course is not None else []
    card = choose_group(main_language(members), tags, cards)
    return next((g for g in groups if card is not None and g.chat_id == card.chat_id), None)


async def ensure_topic(bot: Bot, store: Store, circle_id: str) -> Circle | None:
    """The circle with its forum topic, created once (under a lock) in the matching group;
    the circle without one when no group can take it or the group refuses."""
    circles = store.repo(CircleStore)
    circle = await circles.get(circle_id)
    if circle is None or circle.thread_id is not None or circle.status != "active":
        return circle
    token = await circles.lock(f"topic:{circle_id}", ttl=30)
    if token is None:
        return circle  # another worker is creating it
    try:
        circle = await circles.get(circle_id)
        if circle is None or circle.thread_id is not None:
            return circle
        members = await circles.members(circle_id)
        group = await group_for(store, circle, members)
        if group is None:
            return circle
        title = await course_title(store, circle.course)
        with use_locale(group_locale(group)):
            name = circle_title(title, circle.n)
        try:
            topic = await bot.create_forum_topic(group.chat_id, name=name)
        except (BadRequest, Forbidden) as exc:
            log.warning("could not open a circle's topic: %s", exc.message)
            return circle
        await circles.set_topic(circle_id, group.chat_id, topic.message_thread_id)
        return await circles.get(circle_id)
    finally:
        await circles.unlock(f"topic:{circle_id}", token)


async def _send_private(
    bot: Bot, store: Store, key: str, uid: int, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Once per key; a learner who blocked the bot is recorded and skipped."""
    try:
        await send_once(
            store.redis, store.p, key, lambda: bot.send_message(uid, text, reply_markup=markup)
        )
    except Forbidden:
        await store.set_blocked(uid, True)


async def _send_topic(bot: Bot, store: Store, key: str, circle: Circle, text: str) -> None:
    if circle.group_id is None or circle.thread_id is None:
        return
    try:
        await send_once(
            store.redis, store.p, key,
            lambda: bot.send_message(circle.group_id or 0, text, message_thread_id=circle.thread_id),
        )  # fmt: skip
    except BadRequest as exc:
        log.info("could not post in a circle's topic: %s", exc.message)


def checkin_when(circle: Circle, tz: str | None, locale: str, now: float) -> tuple[str, str]:
    """The weekday and local time of the circle's check-in for a reader in ``tz``."""
    at = next_weekly(now, circle.checkin_dow, circle.checkin_min)
    return weekday_time(_as_local(at, tz), locale)


def _as_local(ts: float, tz: str | None) -> Any:
    from datetime import datetime

    return datetime.fromtimestamp(ts, to_tzinfo(tz))


async def introduction(
    store: Store, circle: Circle, members: Sequence[Member], reader: Profile | None, locale: str
) -> str:
    """The private introduction of a circle to one member, in their locale and time zone."""
    people = await profiles(store, [m.uid for m in members])
    title = await course_title(store, circle.course)
    now = time.time()
    with use_locale(locale):
        lines = [
            _("🎉 Your study circle is ready: {circle}").format(
                circle=esc(circle_title(title, circle.n))
            ),
            "",
        ]
        lines.append(_("Members:"))
        for m in members:
            name = esc(await member_name(store, circle.circle_id, m))
            tz = people[m.uid].tz if m.uid in people else None
            entry = _("{name} — {language}, {offset}").format(
                name=name, language=LANGUAGE_NAMES.get(m.lang, m.lang),
                offset=utc_offset_label(tz or "UTC"),
            )  # fmt: skip
            if reader is not None and m.uid == reader.user_id:
                entry += " " + _("(you)")
            lines.append("• " + entry)
        weekday, at = checkin_when(circle, reader.tz if reader else None, locale, now)
        lines += [
            "",
            _("Weekly check-in: {weekday} at {time} (your time). I will ask what you finished "
              "and what blocks you, and share everyone's answers.").format(weekday=weekday, time=at),
            _("Write to the circle with the button below: everyone reads your messages in "
              "their own language. /circles shows your circles, with pause and leave."),
        ]  # fmt: skip
        if circle.group_id is not None:
            group = await store.get_group(circle.group_id)
            if group is not None:
                lines.append(
                    _("The circle also has a topic in the group “{group}”.").format(group=esc(group.title))
                )
    return "\n".join(lines)


async def announce_formed(bot: Bot, store: Store, circle_id: str) -> None:
    """A new circle: its topic, an introduction there and one to each member. Idempotent."""
    circle = await ensure_topic(bot, store, circle_id)
    if circle is None or circle.status != "active":
        return
    circles = store.repo(CircleStore)
    members = await circles.members(circle_id)
    await _topic_hello(bot, store, circle, members)
    for m in members:
        await _hello(bot, store, circle, members, m.uid)


async def _hello(
    bot: Bot, store: Store, circle: Circle, members: Sequence[Member], uid: int
) -> None:
    profile = await store.get_profile(uid)
    locale = (profile.lang if profile else None) or "en"
    text = await introduction(store, circle, members, profile, locale)
    with use_locale(locale):
        markup = circle_markup(circle.circle_id)
    await _send_private(bot, store, f"circ:hello:{circle.circle_id}:{uid}", uid, text, markup)


async def _topic_hello(bot: Bot, store: Store, circle: Circle, members: Sequence[Member]) -> None:
    if circle.group_id is None:
        return
    group = await store.get_group(circle.group_id)
    title = await course_title(store, circle.course)
    with use_locale(group_locale(group)):
        names = [esc(await member_name(store, circle.circle_id, m)) for m in members]
        weekday, hour = checkin_when(circle, "UTC", group_locale(group), time.time())
        text = "\n".join([
            _("👋 A new study circle for {course} starts here.").format(course=esc(title)),
            _("Members: {names}.").format(names=", ".join(names)),
            _("Weekly check-in: {weekday} at {time} UTC. Members write here or to me in private; "
              "I pass every message on in each member's language.").format(weekday=weekday, time=hour),
        ])  # fmt: skip
    await _send_topic(bot, store, f"circ:hello:{circle.circle_id}:topic", circle, text)


async def announce_joined(bot: Bot, store: Store, circle_id: str, uids: Sequence[int]) -> None:
    """Learners joined an existing circle: they get the introduction, the others a word."""
    circle = await ensure_topic(bot, store, circle_id)
    if circle is None or circle.status != "active":
        return
    circles = store.repo(CircleStore)
    members = await circles.members(circle_id)
    new = [m for m in members if m.uid in set(uids)]
    title = await course_title(store, circle.course)
    for m in new:
        await _hello(bot, store, circle, members, m.uid)
        for other in members:
            if other.uid in set(uids):
                continue
            profile = await store.get_profile(other.uid)
            locale = (profile.lang if profile else None) or other.lang
            with use_locale(locale):
                text = _("👋 {name} joined {circle}.").format(
                    name=esc(await member_name(store, circle_id, m)),
                    circle=esc(circle_title(title, circle.n)),
                )
                markup = circle_markup(circle_id)
            key = f"circ:joined:{circle_id}:{m.uid}:{other.uid}"
            await _send_private(bot, store, key, other.uid, text, markup)
        if circle.group_id is not None:
            group = await store.get_group(circle.group_id)
            with use_locale(group_locale(group)):
                text = _("👋 {name} joined the circle.").format(
                    name=esc(await member_name(store, circle_id, m))
                )
            await _send_topic(bot, store, f"circ:joined:{circle_id}:{m.uid}:topic", circle, text)


async def relay_envelopes(
    store: Store,
    circle: Circle,
    sender: Member,
    text: str,
    entities: list[dict[str, Any]],
    src_lang: str,
    source: tuple[int, int],
    *,
    to_topic: bool,
    kind: str = "msg",
) -> list[Envelope]:
    """A member's message for every other member (in their language) and, when it was
    written to the bot, for the circle's topic. ``source`` is (chat, message) of the
    original, which makes each envelope's key unique and its delivery idempotent."""
    circles = store.repo(CircleStore)
    title = await course_title(store, circle.course)
    out: list[Envelope] = []
    members = await circles.members(circle.circle_id)
    people = await profiles(store, [m.uid for m in members])
    for m in members:
        if m.uid == sender.uid or (m.uid in people and people[m.uid].blocked):
            continue
        locale = (people[m.uid].lang if m.uid in people else None) or m.lang
        with use_locale(locale):
            name = await member_name(store, circle.circle_id, sender)
            head = _head(kind, name, circle_title(title, circle.n))
            markup = circle_markup(circle.circle_id).to_dict()
        out.append(
            Envelope(
                key=f"circ:{circle.circle_id}:{source[0]}:{source[1]}:{m.uid}",
                chat_id=m.uid, text=text, entities=entities, src_lang=src_lang,
                dst_lang=locale, head=head + "\n", markup=markup, people=[sender.uid],
            )
        )
    if to_topic and circle.group_id is not None and circle.thread_id is not None:
        group = await store.get_group(circle.group_id)
        with use_locale(group_locale(group)):
            name = await member_name(store, circle.circle_id, sender)
            head = _head(kind, name, None)
        out.append(
            Envelope(
                key=f"circ:{circle.circle_id}:{source[0]}:{source[1]}:topic",
                chat_id=circle.group_id, thread_id=circle.thread_id, text=text, entities=entities,
                src_lang=src_lang, dst_lang=target_language(src_lang, group) if group else src_lang,
                head=head + "\n", people=[sender.uid],
            )
        )
    return out


def _head(kind: str, name: str, circle: str | None) -> str:
    if kind == "reflection":
        if circle is None:
            return _("🪞 {name} reflects on the course:").format(name=name)
        return _("🪞 {name} reflects on the course ({circle}):").format(name=name, circle=circle)
    if circle is None:
        return _("💬 {name}:").format(name=name)
    return _("💬 {name} in {circle}:").format(name=name, circle=circle)


async def circle_offsets(store: Store, members: Sequence[Member]) -> list[int]:
    people = await profiles(store, [m.uid for m in members])
    now = time.time()
    return [utc_offset_min(people[m.uid].tz if m.uid in people else None, now) for m in members]


async def reslot(store: Store, circle_id: str) -> None:
    """Members changed: the check-in moves to suit the circle as it is now."""
    circles = store.repo(CircleStore)
    members = await circles.members(circle_id)
    if members:
        dow, minute = checkin_slot(await circle_offsets(store, members))
        await circles.update(circle_id, checkin_dow=dow, checkin_min=minute)
