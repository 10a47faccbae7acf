"""/deadlines: upcoming deadlines of my courses; members of a course's circle (and group
admins) add them, and every member of the course's circles is reminded 48 h and 2 h before.

Steps: ``dl:title:<course key>`` (the assignment's name), ``dl:due:<course key>`` (when it is
due, in the course's time zone: a zone may end the text, else the adder's own applies).
"""

from __future__ import annotations

import html
import time
from datetime import date

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from tg_support.community.buttons import course_key
from tg_support.community.circle_store import CircleStore
from tg_support.community.course_store import CourseStore
from tg_support.community.courses import Course
from tg_support.community.dates import format_when, parse_due
from tg_support.community.deadlines import MAX_TITLE, DeadlineStore, fits, reminder_delays
from tg_support.community.picker import label
from tg_support.core import callbacks, jobs
from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import _, get_locale
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation, Profile
from tg_support.core.timezones import utc_offset_label

from ..common import edit_or_send, keyboard, reply
from ..steps import StepHandler
from . import course_by_key, is_group_admin, my_courses, onboarded, uid_of


class DeadlineAdd(CallbackData, prefix="dl:add"):
    """``dl:add``: add a deadline (the course is asked next)."""


class DeadlineCourse(CallbackData, prefix="dl:c"):
    """``dl:c:<course key>``: the course of the deadline being added."""

    course: str


class DeadlineRemove(CallbackData, prefix="dl:rm"):
    """``dl:rm:<id>``: remove a deadline (its adder, or a group admin)."""

    did: int


def esc(text: str) -> str:
    return html.escape(text, quote=False)


async def _overview(ctx: Ctx, profile: Profile) -> tuple[str, list[list[tuple[str, str]]]]:
    store = ctx.svc.store
    enrollments = await store.repo(CourseStore).enrollments(profile.user_id)
    deadlines = store.repo(DeadlineStore)
    admin: bool | None = None
    lines = ["<b>📅 " + _("Upcoming deadlines") + "</b>"]
    rows: list[list[tuple[str, str]]] = []
    found = []
    for course in await my_courses(ctx, profile):
        session = enrollments[course.cid].session if course.cid in enrollments else None
        for d in await deadlines.upcoming(course.cid, time.time()):
            if fits(d.session, session):
                found.append((d, course))
    for i, (d, course) in enumerate(sorted(found, key=lambda x: x[0].due), 1):
        when = format_when(d.due, profile.tz, get_locale())
        lines.append(f"{i}. “{esc(d.title)}” — {esc(label(course))}\n    {when}")
        if d.by != profile.user_id and admin is None:
            admin = await is_group_admin(ctx, profile.user_id)
        if d.by == profile.user_id or admin:
            rows.append([("🗑 " + _("Remove {number}").format(number=i), DeadlineRemove(did=int(d.did)).pack())])
    if not found:
        lines.append(_("No upcoming deadlines for your courses."))
    rows.append([(_("➕ Add a deadline"), DeadlineAdd().pack())])
    return "\n".join(lines), rows


async def deadlines_cmd(update: Update, ctx: Ctx) -> None:
    """/deadlines: the list, with add and remove."""
    profile = await onboarded(update, ctx)
    if profile is None:
        return
    text, rows = await _overview(ctx, profile)
    await reply(update, ctx, text, keyboard(rows))


async def _may_add(ctx: Ctx, profile: Profile, course: Course) -> bool:
    mine = await ctx.svc.store.repo(CircleStore).user_circles(profile.user_id)
    return course.cid in mine or await is_group_admin(ctx, profile.user_id)


async def on_button(update: Update, ctx: Ctx) -> None:
    """``dl:add``, ``dl:c:<course key>``, ``dl:rm:<id>``."""
    query = update.callback_query
    assert query is not None
    data: DeadlineAdd | DeadlineCourse | DeadlineRemove | None = (
        DeadlineAdd.parse(query.data) or DeadlineCourse.parse(query.data) or DeadlineRemove.parse(query.data)
    )
    profile = ctx.profile
    if data is None or profile is None or not profile.onboarded:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    store = ctx.svc.store
    if isinstance(data, DeadlineAdd):
        await query.answer()
        courses = await my_courses(ctx, profile)
        if not courses:
            await reply(update, ctx, _("Add your courses first with /courses."))
            return
        rows = [[(label(c)[:60], DeadlineCourse(course=course_key(c.cid)).pack())] for c in courses]
        await reply(update, ctx, _("Which course is the deadline for?"), keyboard(rows))
    elif isinstance(data, DeadlineCourse):
        course = await course_by_key(ctx, profile, data.course)
        if course is None:
            await query.answer(_("This button is not valid."), show_alert=True)
            return
        if not await _may_add(ctx, profile, course):
            await query.answer(
                _("Members of a study circle of this course (/circles) and group admins add its deadlines."),
                show_alert=True,
            )
            return
        await query.answer()
        await store.set_conv(profile.user_id, Conversation(step=f"dl:title:{data.course}"))
        await edit_or_send(update, ctx, _("What is the assignment? For example: Week 3 quiz."))
    else:
        d = await store.repo(DeadlineStore).get(str(data.did))
        mine = d is not None and await course_by_key(ctx, profile, course_key(d.course)) is not None
        if d is None or not mine or (d.by != profile.user_id and not await is_group_admin(ctx, profile.user_id)):
            await query.answer(_("This button is not valid."), show_alert=True)
            return
        await store.repo(DeadlineStore).remove(d.did)
        await query.answer(_("Removed."))
        text, rows = await _overview(ctx, profile)
        await edit_or_send(update, ctx, text, keyboard(rows))


async def on_step(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """``dl:title:<key>`` then ``dl:due:<key>``."""
    profile = ctx.profile
    parts = (conv.step or "").split(":")
    course = await course_by_key(ctx, profile, parts[-1]) if profile and len(parts) == 3 else None
    store = ctx.svc.store
    if profile is None or course is None:
        await store.clear_conv(uid_of(update))
        await reply(update, ctx, _("That course is no longer in your list: /courses."))
        return
    if not text or not text.strip():
        await reply(update, ctx, _("I can only read text here. Please type your answer."))
        return
    if parts[1] == "title":
        title = " ".join(text.split())[:MAX_TITLE]
        await store.set_conv(profile.user_id, Conversation(step=f"dl:due:{parts[2]}", data={"title": title}))
        tz = profile.tz or "UTC"
        await reply(update, ctx, _(
            "When is it due? Send the date and time in the course's time zone, for example "
            "2026-01-20 23:59 UTC. Without a zone I use yours ({zone}).").format(zone=utc_offset_label(tz)))  # fmt: skip
        return
    due = parse_due(text, get_locale(), date.today(), profile.tz or "UTC")
    if due is None:
        await reply(update, ctx, _("I could not read that date and time. Try 2026-01-20 23:59, or 20 January 18:00 UTC."))
        return
    now = time.time()
    if due.at.timestamp() <= now:
        await reply(update, ctx, _("That moment has already passed. Please send a future date."))
        return
    await _add(update, ctx, profile, course, str(conv.data.get("title") or "?"), due.at.timestamp(), due.tz)


async def _add(update: Update, ctx: Ctx, profile: Profile, course: Course, title: str, due: float, tz: str) -> None:
    store = ctx.svc.store
    circles = store.repo(CircleStore)
    circle_id = (await circles.user_circles(profile.user_id)).get(course.cid)
    circle = await circles.get(circle_id) if circle_id else None
    d = await store.repo(DeadlineStore).add(
        course.cid, title, due, tz, circle.session if circle else None, profile.user_id
    )
    for hours, delay in reminder_delays(d.due, time.time()).items():
        await ctx.svc.submit(jobs.deadline_reminder(d.did, hours), delay=delay)
    await store.clear_conv(profile.user_id)
    when = format_when(d.due, tz, get_locale())
    await reply(update, ctx, "\n".join([
        _("✅ Added “{assignment}” for {course}.").format(assignment=esc(d.title), course=esc(label(course))),
        _("Due: {when} ({zone}).").format(when=when, zone=esc(tz)),
        _("Members of the course's circles are reminded 48 and 2 hours before, each in their own time."),
    ]))  # fmt: skip


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [
        CommandHandler("deadlines", deadlines_cmd, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(
            on_button, pattern=callbacks.pattern(DeadlineAdd, DeadlineCourse, DeadlineRemove)
        ),
    ]


STEPS: dict[str, StepHandler] = {"dl:": on_step}
