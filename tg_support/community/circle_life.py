"""A circle after it formed: weekly check-ins, members who go quiet, leaving and merging.

Check-in round ``n`` of a circle (jobs in ``workers.community``):

1. ``start_checkin``: every member who has not paused gets a private prompt ("what did you
   finish, what blocks you") with an Answer button; the topic gets a note.
2. Members answer (the bot records each answer with its language).
3. ``summarize`` (when everybody answered, else at the end of the check-in window): each
   member gets the answers in their own language (translated by the worker), the topic gets
   them as written. Members who neither answered nor did anything in the circle since the
   round began are nudged; those already nudged last time are released. A circle left with
   fewer than three members is merged into a compatible one of the course.

Every send is idempotent (``send_once`` on a key naming the circle, round and member), so a
job that is retried or runs twice sends nothing twice.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden

from tg_support.community import buttons
from tg_support.community.circle_plan import open_circles
from tg_support.community.circle_store import Circle, CircleStore, Member
from tg_support.community.circle_talk import (
    circle_markup,
    circle_title,
    course_title,
    member_name,
    reslot,
)
from tg_support.community.circles import DEFAULT_RULES, Bridge, Merge, Rules, merge_candidates
from tg_support.core.i18n import _, use_locale
from tg_support.core.messages import keyboard, send_parts
from tg_support.core.sending import send_once
from tg_support.core.store import Store
from tg_support.questions.topics import group_locale

log = logging.getLogger(__name__)

Translate = Callable[[str, str, str], Awaitable[str | None]]
#: Circles with fewer members than this are merged into another one of the course.
MERGE_BELOW = 3


def esc(text: str) -> str:
    return html.escape(text, quote=False)


async def _locale(store: Store, m: Member) -> str:
    profile = await store.get_profile(m.uid)
    return (profile.lang if profile else None) or m.lang


async def _private(
    bot: Bot, store: Store, key: str, uid: int, text: str,
    markup: InlineKeyboardMarkup | None = None, *, head: str = "",
) -> bool:  # fmt: skip
    """Once per key: ``text`` (HTML), or with a ``head`` a bold head and plain ``text`` split
    at Telegram's limit. A learner who blocked the bot is recorded and skipped."""

    async def send() -> Message:
        if head:
            return (await send_parts(bot, uid, head, text, markup=markup))[-1]
        return await bot.send_message(uid, text, reply_markup=markup)

    try:
        await send_once(store.redis, store.p, key, send)
        return True
    except Forbidden:
        await store.set_blocked(uid, True)
        return False


async def _topic(bot: Bot, store: Store, key: str, circle: Circle, text: str) -> None:
    if circle.group_id is None or circle.thread_id is None:
        return
    group_id, thread_id = circle.group_id, circle.thread_id
    try:
        await send_once(
            store.redis, store.p, key,
            lambda: bot.send_message(group_id, text, message_thread_id=thread_id),
        )  # fmt: skip
    except BadRequest as exc:
        log.info("could not post in a circle's topic: %s", exc.message)


# --- check-ins ------------------------------------------------------------------------------


async def start_checkin(bot: Bot, store: Store, circle_id: str, round_no: int) -> str:
    """Prompt every member who has not paused; idempotent. "stale" when a later round began."""
    circles = store.repo(CircleStore)
    circle = await circles.get(circle_id)
    if circle is None or circle.status != "active":
        return "gone"
    if circle.round > round_no:
        return "stale"
    await circles.start_round(circle_id, round_no)
    paused = await circles.paused(circle_id)
    title = await course_title(store, circle.course)
    for m in await circles.members(circle_id):
        if m.uid in paused:
            continue
        with use_locale(await _locale(store, m)):
            text = "\n".join([
                "🗓 " + _("Weekly check-in of {circle}").format(circle=esc(circle_title(title, circle.n))),
                "",
                _("What did you finish this week, and what blocks you? A few words are enough; "
                  "I will share everyone's answers with the circle."),
            ])  # fmt: skip
            markup = keyboard([
                [(_("✍️ Answer"), buttons.answer(circle_id, round_no))],
                [(_("⏸ Pause my check-ins"), buttons.circle("pause", circle_id))],
            ])  # fmt: skip
        await _private(bot, store, f"circ:ci:{circle_id}:{round_no}:{m.uid}", m.uid, text, markup)
    group = await store.get_group(circle.group_id) if circle.group_id else None
    with use_locale(group_locale(group)):
        note = "🗓 " + _(
            "Weekly check-in #{number}: what did you finish, what blocks you? Members answer "
            "in their private chat with me; the summary follows here."
        ).format(number=round_no)
    await _topic(bot, store, f"circ:ci:{circle_id}:{round_no}:topic", circle, note)
    return "sent"


async def record_answer(
    store: Store, circle_id: str, round_no: int, uid: int, text: str, lang: str
) -> bool:
    """Keep a member's answer; True when every member who has not paused has answered."""
    circles = store.repo(CircleStore)
    await circles.add_answer(circle_id, round_no, uid, text, lang)
    answers = await circles.answers(circle_id, round_no)
    paused = await circles.paused(circle_id)
    active = [u for u in await circles.member_ids(circle_id) if u not in paused]
    return all(u in answers for u in active)


async def summarize(
    bot: Bot, store: Store, circle_id: str, round_no: int, translate: Translate
) -> list[int]:
    """Send the round's answers to members and topic, nudge or release the quiet ones;
    returns the uids released. Idempotent."""
    circles = store.repo(CircleStore)
    circle = await circles.get(circle_id)
    if circle is None or circle.status != "active":
        return []
    members = await circles.members(circle_id)
    answers = await circles.answers(circle_id, round_no)
    by_uid = {m.uid: m for m in members}
    title = await course_title(store, circle.course)
    for m in members:
        locale = await _locale(store, m)
        head, body = await _summary(store, circle, title, round_no, members, answers, locale, translate)
        await _private(bot, store, f"circ:sum:{circle_id}:{round_no}:{m.uid}", m.uid, body, head=head)
    if circle.group_id is not None and circle.thread_id is not None:
        group = await store.get_group(circle.group_id)
        locale = group_locale(group)
        head, body = await _summary(store, circle, title, round_no, members, answers, locale, None)
        group_id, thread_id = circle.group_id, circle.thread_id

        async def post() -> Message:
            return (await send_parts(bot, group_id, head, body, thread_id=thread_id))[-1]

        try:
            await send_once(store.redis, store.p, f"circ:sum:{circle_id}:{round_no}:topic", post)
        except BadRequest as exc:
            log.info("could not post a check-in summary: %s", exc.message)
    return await _quiet_members(bot, store, circle, round_no, [by_uid[u] for u in by_uid if u not in answers])


async def _summary(
    store: Store,
    circle: Circle,
    title: str,
    round_no: int,
    members: Sequence[Member],
    answers: dict[int, tuple[str, str]],
    locale: str,
    translate: Translate | None,
) -> tuple[str, str]:
    """(bold head, plain body) of a round's summary in ``locale``; answers translated into
    it when ``translate`` is given and can."""
    lines: list[str] = []
    missing: list[str] = []
    with use_locale(locale):
        head = _("📋 Check-in #{number} of {circle}").format(
            number=round_no, circle=circle_title(title, circle.n)
        ) + "\n\n"
        for m in members:
            name = await member_name(store, circle.circle_id, m)
            if m.uid not in answers:
                missing.append(name)
                continue
            text, lang = answers[m.uid]
            shown = text
            if translate is not None and lang != locale:
                translated = await translate(text, lang, locale)
                if translated:
                    shown = "🌐 " + translated
            lines.append(f"• {name}: {shown}")
        if not lines:
            lines.append(_("Nobody answered this week."))
        if missing:
            lines += ["", _("No answer from: {names}").format(names=", ".join(missing))]
    return head, "\n".join(lines)


async def _quiet_members(
    bot: Bot, store: Store, circle: Circle, round_no: int, unanswered: Sequence[Member]
) -> list[int]:
    """Nudge who went quiet this round; release who was nudged before and stayed quiet."""
    circles = store.repo(CircleStore)
    started = await circles.round_started(circle.circle_id, round_no) or 0.0
    paused = await circles.paused(circle.circle_id)
    nudged = await circles.nudged(circle.circle_id)
    seen = await circles.last_seen(circle.circle_id)
    title = await course_title(store, circle.course)
    released: list[int] = []
    for m in unanswered:
        if m.uid in paused or seen.get(m.uid, m.joined) >= started:
            continue
        if m.uid in nudged:
            await leave(bot, store, circle.circle_id, m.uid, released=True)
            released.append(m.uid)
            continue
        await circles.mark_nudged(circle.circle_id, m.uid)
        with use_locale(await _locale(store, m)):
            text = _(
                "We missed you in {circle} this week. Are you still in? If I hear nothing "
                "until the next check-in, I will free your seat for someone else."
            ).format(circle=esc(circle_title(title, circle.n)))
            markup = keyboard([
                [(_("I'm still in"), buttons.circle("stay", circle.circle_id))],
                [(_("⏸ Pause my check-ins"), buttons.circle("pause", circle.circle_id))],
                [(_("🚪 Leave the circle"), buttons.circle("leave", circle.circle_id))],
            ])  # fmt: skip
        await _private(bot, store, f"circ:nudge:{circle.circle_id}:{round_no}:{m.uid}", m.uid, text, markup)
    return released


# --- leaving and merging ----------------------------------------------------------------------


async def leave(bot: Bot, store: Store, circle_id: str, uid: int, *, released: bool = False) -> int:
    """Take ``uid`` out of the circle and tell the others; the circle's size after (-1: not
    a member). The caller tidies the course (merges) when the circle got small."""
    circles = store.repo(CircleStore)
    circle = await circles.get(circle_id)
    member = await circles.member(circle_id, uid)
    if circle is None or member is None:
        return -1
    size = await circles.leave(circle_id, uid)
    if size < 0:
        return size
    for round_no in range(1, circle.round + 1):
        await store.redis.hdel(circles.keys.answers(circle_id, round_no), uid)
    title = await course_title(store, circle.course)
    if released:
        with use_locale(await _locale(store, member)):
            text = _(
                "I freed your seat in {circle} because you were quiet for two check-ins. "
                "You are welcome back any time: /circles."
            ).format(circle=esc(circle_title(title, circle.n)))
        await _private(bot, store, f"circ:released:{circle_id}:{uid}", uid, text)
    for other in await circles.members(circle_id):
        with use_locale(await _locale(store, other)):
            name = await member_name(store, circle_id, member)
            text = _("{name} left {circle}.").format(
                name=esc(name), circle=esc(circle_title(title, circle.n))
            )
        key = f"circ:left:{circle_id}:{uid}:{other.uid}:{int(member.joined)}"
        await _private(bot, store, key, other.uid, text)
    if size == 0:
        await circles.close(circle_id)
        await close_topic(bot, store, circle, merged_into=None)
    else:
        await reslot(store, circle_id)
    return size


async def close_topic(bot: Bot, store: Store, circle: Circle, *, merged_into: Circle | None) -> None:
    if circle.group_id is None or circle.thread_id is None:
        return
    group = await store.get_group(circle.group_id)
    title = await course_title(store, circle.course)
    with use_locale(group_locale(group)):
        if merged_into is not None:
            note = _("This circle joined {circle}; its members continue there.").format(
                circle=esc(circle_title(title, merged_into.n))
            )
        else:
            note = _("This circle has ended.")
    try:
        await bot.send_message(circle.group_id, note, message_thread_id=circle.thread_id)
        await bot.close_forum_topic(circle.group_id, circle.thread_id)
    except BadRequest as exc:
        log.info("could not close a circle's topic: %s", exc.message)


async def tidy_course(
    bot: Bot, store: Store, cid: str, bridge: Bridge, rules: Rules = DEFAULT_RULES
) -> list[Merge]:
    """Merge the course's circles of fewer than three members into compatible ones."""
    circles = store.repo(CircleStore)
    existing = await open_circles(store, cid, time.time())
    proposals = merge_candidates([oc for _, oc in existing], bridge, rules, below=MERGE_BELOW)
    done: list[Merge] = []
    for merge in proposals:
        drop = await circles.get(merge.drop)
        moved = await circles.member_ids(merge.drop)
        if drop is None or await circles.merge(merge.drop, merge.into, rules.max_size) <= 0:
            continue
        into = await circles.get(merge.into)
        if into is None:
            continue
        done.append(merge)
        langs = sorted({m.lang for m in await circles.members(merge.into)})
        await circles.update(merge.into, langs=langs)
        await reslot(store, merge.into)
        await close_topic(bot, store, drop, merged_into=into)
        await announce_merge(bot, store, into, drop, moved)
    return done


async def announce_merge(
    bot: Bot, store: Store, into: Circle, drop: Circle, moved: Sequence[int]
) -> None:
    """Moved members meet their new circle; its members hear who came."""
    from tg_support.community.circle_talk import introduction

    circles = store.repo(CircleStore)
    members = await circles.members(into.circle_id)
    title = await course_title(store, into.course)
    for m in members:
        profile = await store.get_profile(m.uid)
        locale = (profile.lang if profile else None) or m.lang
        if m.uid in moved:
            with use_locale(locale):
                lead = _("Your circle was small, so it joined another one of the course.")
            text = lead + "\n\n" + await introduction(store, into, members, profile, locale)
        else:
            with use_locale(locale):
                names = [esc(await member_name(store, into.circle_id, x)) for x in members if x.uid in moved]
                text = "👋 " + _("{names} joined {circle} from a smaller circle. Welcome them!").format(
                    names=", ".join(names), circle=esc(circle_title(title, into.n))
                )
        with use_locale(locale):
            markup = circle_markup(into.circle_id)
        key = f"circ:merged:{drop.circle_id}:{into.circle_id}:{m.uid}"
        await _private(bot, store, key, m.uid, text, markup)
