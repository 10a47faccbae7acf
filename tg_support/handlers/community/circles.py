"""/circles: study circles by course and cohort.

``/circles`` lists the learner's circles (write, pause or resume, leave), the courses they
wait for (stop waiting), and a "find a circle" button per other course. Joining asks which
name the circle should see (their first name, or a pseudonym), then seats them at once in a
fitting open circle, or puts them in the course's waiting pool and asks a worker to plan.

Conversation steps: ``circle:<id>`` (messages go to the circle until /cancel) and
``circle:ans:<id>:<round>`` (the next message answers a check-in). Messages in a circle's
forum topic from its members reach the other members too.
"""

from __future__ import annotations

import html
import time

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from tg_support.community import buttons
from tg_support.community.buttons import (
    CheckinAnswer,
    CircleAction,
    CircleJoin,
    CircleName,
    course_key,
)
from tg_support.community.circle_life import leave, record_answer
from tg_support.community.circle_plan import join_now, published_bridge
from tg_support.community.circle_store import Circle, CircleStore
from tg_support.community.circle_talk import circle_title, course_title, relay_envelopes
from tg_support.community.course_store import CourseStore
from tg_support.community.picker import label
from tg_support.core import callbacks, jobs, langid
from tg_support.core.i18n import _, ngettext
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation, Profile
from tg_support.translation.delivery import entities_json

from ..common import deliver, edit_or_send, keyboard, reply
from ..steps import StepHandler
from . import course_by_key, my_courses, onboarded, uid_of

MAX_ANSWER = 1000
OVERVIEW_MARK = "🤝"  # starts the /circles overview, so a pause there redraws it


def esc(text: str) -> str:
    return html.escape(text, quote=False)


async def _title(ctx: Ctx, circle: Circle) -> str:
    return circle_title(await course_title(ctx.svc.store, circle.course), circle.n)


async def _overview(ctx: Ctx, profile: Profile) -> tuple[str, list[list[tuple[str, str]]]]:
    circles = ctx.svc.store.repo(CircleStore)
    mine = await circles.user_circles(profile.user_id)
    waiting = await circles.waiting(profile.user_id)
    lines = ["<b>" + OVERVIEW_MARK + " " + _("Your study circles") + "</b>"]
    rows: list[list[tuple[str, str]]] = []
    for circle_id in sorted(set(mine.values())):
        circle = await circles.get(circle_id)
        if circle is None or circle.status != "active":
            continue
        paused = profile.user_id in await circles.paused(circle_id)
        size = ngettext("{count} member", "{count} members", circle.size).format(count=circle.size)
        state = " · " + _("check-ins paused") if paused else ""
        lines.append(f"• {esc(await _title(ctx, circle))} — {size}{state}")
        rows.append([
            (_("💬 Write"), buttons.circle("write", circle_id)),
            (_("▶️ Resume") if paused else _("⏸ Pause"), buttons.circle("resume" if paused else "pause", circle_id)),
            (_("🚪 Leave"), buttons.circle("leave", circle_id)),
        ])  # fmt: skip
    courses = await my_courses(ctx, profile)
    for course in courses:
        if course.cid in waiting:
            others = await circles.pool_size(course.cid) - 1
            lines.append("⏳ " + _("Waiting for a circle: {course} ({count} others waiting)").format(
                course=esc(label(course)), count=max(0, others)))  # fmt: skip
            rows.append([(_("✖ Stop waiting: {course}").format(course=_short(course.title)),
                          CircleJoin(action="unwait", course=course_key(course.cid)).pack())])  # fmt: skip
    free = [c for c in courses if c.cid not in mine and c.cid not in waiting]
    for course in free:
        join = CircleJoin(action="join", course=course_key(course.cid)).pack()
        rows.append([(_("🤝 Find a circle: {course}").format(course=_short(course.title)), join)])
    if len(lines) == 1:
        lines.append(_("You are in no circle yet."))
    if not courses:
        lines.append(_("Add your courses first with /courses; then I can find learners of the same course for you."))
    elif free:
        lines += ["", _("A circle is 4 to 8 learners of the same course and session, within three hours of your time zone, who check in weekly.")]
    return "\n".join(lines), rows


def _short(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def circles_cmd(update: Update, ctx: Ctx) -> None:
    """/circles: my circles and the courses I could find one for."""
    profile = await onboarded(update, ctx)
    if profile is None:
        return
    text, rows = await _overview(ctx, profile)
    await reply(update, ctx, text, keyboard(rows) if rows else None)


async def on_join_button(update: Update, ctx: Ctx) -> None:
    """``cj:join|unwait:<course key>`` and ``cj:name:<course key>:y|n``."""
    query = update.callback_query
    assert query is not None
    data: CircleName | CircleJoin | None = CircleName.parse(query.data) or CircleJoin.parse(query.data)
    profile = ctx.profile
    course = await course_by_key(ctx, profile, data.course) if profile and data else None
    if data is None or profile is None or course is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    circles = ctx.svc.store.repo(CircleStore)
    await query.answer()
    if isinstance(data, CircleName):
        user = update.effective_user
        name = (user.first_name or None) if data.show == "y" and user else None
        await _join(update, ctx, profile, course.cid, name)
    elif data.action == "unwait":
        if await circles.unwait(profile.user_id, course.cid):
            await _plan_soon(ctx, course.cid)
        text, rows = await _overview(ctx, profile)
        await edit_or_send(update, ctx, text, keyboard(rows) if rows else None)
    else:
        first = update.effective_user.first_name if update.effective_user else ""
        key = course_key(course.cid)
        await edit_or_send(
            update, ctx,
            _("How should the members of your {course} circle see you?").format(course=esc(label(course))),
            keyboard([
                [(_("By my first name, {name}").format(name=_short(first, 24)), CircleName(course=key, show="y").pack())],
                [(_("By a pseudonym"), CircleName(course=key, show="n").pack())],
            ]),
        )  # fmt: skip


async def _join(update: Update, ctx: Ctx, profile: Profile, cid: str, name: str | None) -> None:
    store = ctx.svc.store
    circles = store.repo(CircleStore)
    title = label(c) if (c := await store.repo(CourseStore).course(cid)) else cid
    if cid in await circles.user_circles(profile.user_id):
        await edit_or_send(update, ctx, _("You are already in a circle of this course: /circles."))
        return
    bridge = await published_bridge(store.redis, store.p)
    circle_id = await join_now(store, profile, cid, name, bridge)
    if circle_id is not None:
        circle = await circles.get(circle_id)
        await ctx.svc.submit(jobs.announce_joined(circle_id, [profile.user_id]))
        await edit_or_send(
            update, ctx,
            _("✅ You joined {circle}. I am sending you its members' introductions.").format(
                circle=esc(await _title(ctx, circle)) if circle else esc(title)),
        )  # fmt: skip
        return
    await circles.wait(profile.user_id, cid, name)
    await _plan_soon(ctx, cid)
    waiting = await circles.pool_size(cid)
    await edit_or_send(
        update, ctx,
        _("⏳ You are on the list for {course}. I will introduce you as soon as a circle forms: "
          "at least four learners of the course and session within three hours of your time "
          "zone. Learners waiting now: {count}.").format(course=esc(title), count=waiting),
    )  # fmt: skip


async def _plan_soon(ctx: Ctx, cid: str) -> None:
    """The pool changed: the planner runs at the end of the debounce window."""
    job, delay = jobs.plan_circles(ctx.svc.settings, cid, time.time())
    await ctx.svc.submit(job, delay=delay)


async def on_circle_button(update: Update, ctx: Ctx) -> None:
    """``ci:<action>:<circle id>`` and ``ci:ans:<circle id>:<round>``, for members only."""
    query = update.callback_query
    assert query is not None
    data: CheckinAnswer | CircleAction | None = (
        CheckinAnswer.parse(query.data) or CircleAction.parse(query.data)
    )
    uid = uid_of(update)
    store = ctx.svc.store
    circles = store.repo(CircleStore)
    circle = await circles.get(data.circle) if data else None
    if data is None or circle is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    member = await circles.member(circle.circle_id, uid)
    if member is None or circle.status != "active":
        await query.answer(_("You are not in this circle any more: /circles."), show_alert=True)
        return
    if isinstance(data, CheckinAnswer):
        await _ask_answer(update, ctx, circle, data.round_no)
        return
    action, title = data.action, esc(await _title(ctx, circle))
    if action == "write":
        await query.answer()
        await store.set_conv(uid, Conversation(step=f"circle:{circle.circle_id}"))
        await reply(update, ctx, _("Write your message for {circle}. Everything you send now goes to the circle, until /cancel.").format(circle=title))
    elif action in ("pause", "resume"):
        await circles.set_paused(circle.circle_id, uid, action == "pause")
        await query.answer(_("Check-ins paused. Resume any time in /circles.") if action == "pause" else _("Welcome back! Check-ins resumed."))
        shown = getattr(query.message, "text", None) or ""
        if ctx.profile is not None and shown.startswith(OVERVIEW_MARK):
            text, rows = await _overview(ctx, ctx.profile)
            await edit_or_send(update, ctx, text, keyboard(rows) if rows else None)
    elif action == "leave":
        await query.answer()
        await reply(update, ctx, _("Leave {circle}? The others will be told you left.").format(circle=title),
                    # Translators: button: stay in the study circle (not leave it).
                    keyboard([[(_("Yes, leave"), buttons.circle("bye", circle.circle_id)), (_("Stay"), buttons.circle("stay", circle.circle_id))]]))  # fmt: skip
    elif action == "bye":
        await query.answer()
        size = await leave(ctx.bot, store, circle.circle_id, uid)
        if 0 < size < 3:
            await ctx.svc.submit(jobs.tidy_circles(circle.course))
        elif size > 0 and await circles.pool_size(circle.course):
            await _plan_soon(ctx, circle.course)
        await edit_or_send(update, ctx, _("You left {circle}. /circles finds you another one when you like.").format(circle=title))
    else:  # stay
        await circles.seen(circle.circle_id, uid)
        await query.answer()
        await edit_or_send(update, ctx, _("Great, you stay in {circle}.").format(circle=title))


async def _ask_answer(update: Update, ctx: Ctx, circle: Circle, round_no: int) -> None:
    query = update.callback_query
    assert query is not None
    if round_no <= 0 or round_no > circle.round:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if round_no < circle.round:
        await query.answer(_("This check-in is over; the next one is on its way."), show_alert=True)
        return
    await query.answer()
    await ctx.svc.store.set_conv(uid_of(update), Conversation(step=f"circle:ans:{circle.circle_id}:{round_no}"))
    await reply(update, ctx, _("Your answer, in a few words: what did you finish this week, and what blocks you?"))


async def on_circle_step(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """``circle:<id>``: a message for the circle; ``circle:ans:<id>:<round>``: an answer."""
    step = (conv.step or "").split(":")
    uid = uid_of(update)
    store = ctx.svc.store
    circles = store.repo(CircleStore)
    circle_id = step[2] if step[1:2] == ["ans"] and len(step) == 4 else step[1] if len(step) == 2 else ""
    circle = await circles.get(circle_id) if circle_id else None
    member = await circles.member(circle_id, uid) if circle else None
    if circle is None or member is None or circle.status != "active":
        await store.clear_conv(uid)
        await reply(update, ctx, _("You are not in this circle any more: /circles."))
        return
    if not text:
        await reply(update, ctx, _("I can only pass text on to the circle. Please type your message."))
        return
    profile = ctx.profile
    lang = langid.detect(text, langid.Priors(chosen=profile.lang if profile else None)).lang
    if step[1] == "ans":
        round_no = int(step[3]) if step[3].isdigit() else 0
        everyone = await record_answer(store, circle_id, round_no, uid, text[:MAX_ANSWER], lang)
        await store.clear_conv(uid)
        if everyone:  # no need to wait for the end of the window
            await ctx.svc.submit(jobs.circle_summary(circle_id, round_no))
        await reply(update, ctx, _("Thank you! I will share the answers with the circle."))
        return
    msg = update.message
    assert msg is not None
    await circles.seen(circle_id, uid)
    for env in await relay_envelopes(store, circle, member, text, entities_json(msg.entities), lang,
                                     (msg.chat_id, msg.message_id), to_topic=True):  # fmt: skip
        await deliver(ctx, env)
    if not conv.data.get("hinted"):
        conv.data["hinted"] = True
        await store.set_conv(uid, conv)
        await reply(update, ctx, _("Sent to your circle. Send /cancel when you are done."))


async def from_topic(update: Update, ctx: Ctx) -> None:
    """A message in a circle's forum topic: its members' messages reach the other members."""
    msg, user = update.message, update.effective_user
    if msg is None or user is None or msg.message_thread_id is None or not msg.text:
        return
    store = ctx.svc.store
    circles = store.repo(CircleStore)
    circle_id = await circles.circle_for_topic(msg.chat_id, msg.message_thread_id)
    circle = await circles.get(circle_id) if circle_id else None
    member = await circles.member(circle.circle_id, user.id) if circle else None
    if circle is None or member is None or circle.status != "active":
        return
    profile = await store.get_profile(user.id)
    lang = langid.detect(msg.text, langid.Priors(chosen=profile.lang if profile else None)).lang
    await circles.seen(circle.circle_id, user.id)
    for env in await relay_envelopes(store, circle, member, msg.text, entities_json(msg.entities), lang,
                                     (msg.chat_id, msg.message_id), to_topic=False):  # fmt: skip
        await deliver(ctx, env)


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [
        CommandHandler("circles", circles_cmd, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_join_button, pattern=callbacks.pattern(CircleJoin, CircleName)),
        CallbackQueryHandler(on_circle_button, pattern=callbacks.pattern(CircleAction, CheckinAnswer)),
    ]


def topic_handlers() -> list[BaseHandler[Update, Ctx, None]]:
    """Run in their own handler group: question topics' relay takes every topic message in
    group 0 (and ignores the circles' topics)."""
    groups = filters.ChatType.GROUPS
    return [
        MessageHandler(
            groups & filters.UpdateType.MESSAGE & filters.IS_TOPIC_MESSAGE & filters.TEXT & ~filters.COMMAND,
            from_topic,
        )
    ]


STEPS: dict[str, StepHandler] = {"circle:": on_circle_step}
