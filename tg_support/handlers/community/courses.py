"""/courses: a learner's courses (catalog entries with an optional session date) and the
catalog's upkeep by group administrators.

``/courses``                      list mine, with session, remove and add buttons
``/courses add <name or link>``   pick a course (the picker of ``community.picker``)
``/courses find <text>``          catalog entries with their ids
``/courses new <link or title>``  (admins of a registered group) add a catalog entry
``/courses merge <keep> <drop>``  (admins) fold a duplicate entry into another, after a yes

Steps: ``crs:add`` (a name, a link, or the last course's session date), ``crs:ses:<key>``
(a session date), ``crs:merge`` (waiting for the merge confirmation).
"""

from __future__ import annotations

import html
import time
from datetime import date
from typing import Literal

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from tg_support.community import picker
from tg_support.community.buttons import course_key
from tg_support.community.circle_life import leave
from tg_support.community.circle_store import CircleStore
from tg_support.community.course_store import CourseStore, set_learner_courses
from tg_support.community.courses import Catalog, Course, slugify, title_from_slug
from tg_support.community.dates import format_day, parse_date
from tg_support.community.reflections import prompt_job
from tg_support.core import callbacks, jobs
from tg_support.core import onboarding as flow
from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import _, get_locale
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation, Profile
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.registry import ensure_card

from ..common import edit_or_send, keyboard, offer_course, reply
from ..steps import StepHandler
from . import course_by_key, is_group_admin, my_courses, onboarded, uid_of


class CourseAction(CallbackData, prefix="crs"):
    """``crs:<action>:<course key>``: set the session (or self-paced), remove (and confirm
    when it also leaves a circle), for one of the presser's courses."""

    action: Literal["ses", "self", "rm", "rmy"]
    course: str


class CoursePick(CallbackData, prefix="crs:p"):
    """``crs:p:<action>:<index>``: /courses add's picker (``community.picker``)."""

    action: Literal["pick", "url", "new", "tag", "skip", "done"]
    index: int


class CourseMenu(CallbackData, prefix="crs:m"):
    """``crs:m:add|keep``: add a course; keep one after all (back to the list)."""

    action: Literal["add", "keep"]


class CatalogMerge(CallbackData, prefix="crs:mg"):
    """``crs:mg:y|n``: an admin confirms the merge they asked for (kept in their step)."""

    answer: Literal["y", "n"]


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def _pick_button(action: picker.Action, index: int) -> str:
    return CoursePick(action=action, index=index).pack()


async def _list_text(ctx: Ctx, profile: Profile) -> tuple[str, list[list[tuple[str, str]]]]:
    courses = ctx.svc.store.repo(CourseStore)
    enrollments = await courses.enrollments(profile.user_id)
    mine = await my_courses(ctx, profile)
    topics = [c for c in profile.courses if ":" not in c]
    lines = ["<b>" + _("📚 Your courses") + "</b>"]
    rows: list[list[tuple[str, str]]] = []
    for i, course in enumerate(mine, 1):
        session = enrollments[course.cid].session if course.cid in enrollments else None
        when = (
            _("session starts {date}").format(date=format_day(session, get_locale()))
            if session else _("self-paced or no date")
        )  # fmt: skip
        lines.append(f"{i}. {esc(picker.label(course))} — {when}")
        key = course_key(course.cid)
        rows.append([
            ("📅 " + _("Session of {number}").format(number=i), CourseAction(action="ses", course=key).pack()),
            ("🗑 " + _("Remove {number}").format(number=i), CourseAction(action="rm", course=key).pack()),
        ])  # fmt: skip
    if not mine:
        lines.append(_("No courses yet."))
    if topics:
        lines += ["", _("Topics: {topics}").format(topics=esc(", ".join(topics)))]
    rows.append([(_("➕ Add a course"), CourseMenu(action="add").pack())])
    return "\n".join(lines), rows


async def courses_cmd(update: Update, ctx: Ctx) -> None:
    """/courses [add|find|new|merge ...]."""
    args = ctx.args or []
    sub = args[0].lower() if args else ""
    rest = " ".join(args[1:]).strip()
    if sub == "find":
        await _find(update, ctx, rest)
        return
    if sub in ("new", "merge"):
        await (_new_entry(update, ctx, rest) if sub == "new" else _merge_ask(update, ctx, args[1:]))
        return
    profile = await onboarded(update, ctx)
    if profile is None:
        return
    if sub == "add":
        if rest:  # a new flow (no step yet): _offer starts it
            await _offer(update, ctx, Conversation(data={}), picker.split_queries(rest))
        else:
            await ctx.svc.store.set_conv(uid_of(update), Conversation(step="crs:add", data={}))
            await reply(update, ctx, _("Send the course's name or paste its link."))
        return
    if sub:
        await reply(update, ctx, _usage())
        return
    text, rows = await _list_text(ctx, profile)
    await reply(update, ctx, text, keyboard(rows))


def _usage() -> str:
    # Translators: the words in angle brackets of /courses' usage lines name what to type:
    # "/courses add <name or link>", "/courses merge <keep> <duplicate>".
    name_or_link, text = _("name or link"), _("text")
    link_or_title, keep, duplicate = _("link or title"), _("keep"), _("duplicate")
    return "\n".join([
        "/courses — " + _("your courses"),
        f"/courses add &lt;{name_or_link}&gt; — " + _("add a course"),
        f"/courses find &lt;{text}&gt; — " + _("search the catalog"),
        f"/courses new &lt;{link_or_title}&gt; — " + _("add a catalog entry (group admins)"),
        f"/courses merge &lt;{keep}&gt; &lt;{duplicate}&gt; — " + _("merge a duplicate entry (group admins)"),
    ])  # fmt: skip


# --- adding a course ---------------------------------------------------------------------


async def _offer(update: Update, ctx: Ctx, conv: Conversation, queries: list[str]) -> None:
    if not queries:
        await reply(update, ctx, _("Send the course's name or paste its link."))
        return
    pick, msg = await offer_course(update, ctx, queries, _pick_button)
    msg_id = msg.message_id if msg else None
    if conv.step != "crs:add":  # a new flow: replaces whatever the user was doing
        conv.step = "crs:add"
        conv.data.update(pick=pick.to_json(), msg=msg_id)
        await ctx.svc.store.set_conv(uid_of(update), conv)
        return
    # Going on in crs:add: a compare-and-set, only while the user is still there.
    await ctx.svc.store.update_conv(
        uid_of(update), lambda c: flow.offered(c, pick.to_json(), msg_id, step="crs:add")
    )


async def on_add_text(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """During ``crs:add``: a name or link, or the session date of the course just added."""
    profile = ctx.profile
    if profile is None or text is None:
        await reply(update, ctx, _("I can only read text here. Please type your answer."))
        return
    last = conv.data.get("last")
    day = parse_date(text, get_locale(), date.today()) if last else None
    if day is not None and last in profile.courses:
        await _set_session(ctx, profile, str(last), day)
        line = _("📅 Your session starts on {date}.").format(date=format_day(day, get_locale()))
        await _prompt_more(update, ctx, conv, line + "\n\n" + picker.next_prompt(None, session=False))
        return
    await _offer(update, ctx, conv, picker.split_queries(text))


async def _prompt_more(update: Update, ctx: Ctx, conv: Conversation, text: str) -> None:
    markup = keyboard([[(_("Done"), _pick_button("done", 0))]])
    msg = await (edit_or_send(update, ctx, text, markup) if update.callback_query else reply(update, ctx, text, markup))
    msg_id = msg.message_id if msg else None
    await ctx.svc.store.update_conv(uid_of(update), lambda c: flow.note_message(c, "crs:add", msg_id))


async def _save_courses(ctx: Ctx, profile: Profile, items: list[str]) -> None:
    await set_learner_courses(ctx.svc.store, profile, items)
    ctx.profile = profile
    if profile.is_helper:  # helpers are matched by their courses' tags
        await ensure_card(ctx.svc.store.repo(HelperIndex), profile)


async def _set_session(ctx: Ctx, profile: Profile, cid: str, day: date | None) -> None:
    await ctx.svc.store.repo(CourseStore).set_session(profile.user_id, cid, day)
    planned = prompt_job(profile.user_id, profile.tz, cid, day, time.time()) if day else None
    if planned is not None:
        await ctx.svc.submit(planned[0], delay=planned[1])


async def on_button(update: Update, ctx: Ctx) -> None:
    """Every ``crs`` button: the picker's, add and keep, a course's session and removal, the
    merge confirmation."""
    query = update.callback_query
    assert query is not None
    data: CoursePick | CourseMenu | CatalogMerge | CourseAction | None = (
        CoursePick.parse(query.data) or CourseMenu.parse(query.data)
        or CatalogMerge.parse(query.data) or CourseAction.parse(query.data)
    )  # fmt: skip
    profile = ctx.profile
    if isinstance(data, CatalogMerge):
        await _merge_button(update, ctx, data)
        return
    if data is None or profile is None or not profile.onboarded:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if isinstance(data, CoursePick):
        await _picker_button(update, ctx, profile, data)
    elif isinstance(data, CourseMenu) and data.action == "keep":
        await query.answer()
        text, rows = await _list_text(ctx, profile)
        await edit_or_send(update, ctx, text, keyboard(rows))
    elif isinstance(data, CourseMenu):
        await query.answer()
        await ctx.svc.store.set_conv(uid_of(update), Conversation(step="crs:add", data={}))
        await reply(update, ctx, _("Send the course's name or paste its link."))
    elif isinstance(data, CourseAction):
        course = await course_by_key(ctx, profile, data.course)
        if course is None:
            await query.answer(_("This button is not valid."), show_alert=True)
            return
        await query.answer()
        await _course_action(update, ctx, profile, data.action, course)


async def _picker_button(update: Update, ctx: Ctx, profile: Profile, data: CoursePick) -> None:
    query = update.callback_query
    assert query is not None
    store = ctx.svc.store
    uid = profile.user_id
    msg_id = query.message.message_id if query.message else None
    expired = _("This button has expired. Please use the latest message.")
    if data.action == "done":
        if not await store.update_conv(uid, lambda c: _close(c, msg_id)):
            await query.answer(expired, show_alert=True)
            return
        await query.answer()
        text, rows = await _list_text(ctx, profile)
        await edit_or_send(update, ctx, text, keyboard(rows))
        return
    # The pick is taken out of the state: of two presses of one picker, one applies.
    raw = await store.update_conv(uid, lambda c: flow.claim_pick(c, msg_id, step="crs:add"))
    if raw is None:
        await query.answer(expired, show_alert=True)
        return
    pick = picker.Pick.from_json(raw)
    courses = store.repo(CourseStore)
    choice = await picker.choose(courses, pick, data.action, data.index, uid) if pick else None
    if pick is None or choice is None or choice.refused:
        await store.update_conv(uid, lambda c: flow.unclaim(c, msg_id, raw, step="crs:add"))
        refused = choice is not None and choice.refused
        await query.answer(picker.refused_text() if refused else _("This button is not valid."), show_alert=True)
        return
    await query.answer()
    items = {"courses": list(profile.courses)}
    added = picker.record(items, choice, await courses.catalog())
    await _save_courses(ctx, profile, items["courses"])
    conv = await store.update_conv(uid, lambda c: _last(c, items.get("last")))
    if pick.rest:
        if added:
            await edit_or_send(update, ctx, _("✅ Added: {item}.").format(item=added))
        await _offer(update, ctx, conv, pick.rest)
        return
    await _prompt_more(update, ctx, conv, picker.next_prompt(added, session=choice.course is not None))


def _close(conv: Conversation, msg_id: int | None) -> bool:
    if conv.step != "crs:add" or conv.data.get("msg") != msg_id:
        return False
    conv.step, conv.data = None, {}
    return True


def _last(conv: Conversation, last: object) -> Conversation:
    """The course just added (its session date may come next), while still in crs:add."""
    if conv.step == "crs:add":
        conv.data["last"] = last
    return Conversation(step=conv.step, data=dict(conv.data))


async def _course_action(
    update: Update, ctx: Ctx, profile: Profile, action: Literal["ses", "self", "rm", "rmy"], course: Course
) -> None:
    store = ctx.svc.store
    key = course_key(course.cid)
    label = esc(picker.label(course))
    if action == "ses":
        await store.set_conv(profile.user_id, Conversation(step=f"crs:ses:{key}"))
        text = _("When does your session of {course} start? Send a date, for example 12 January.").format(course=label)
        await reply(update, ctx, text, keyboard([[(_("Self-paced, no date"), CourseAction(action="self", course=key).pack())]]))
        return
    if action == "self":
        await _set_session(ctx, profile, course.cid, None)
        await store.clear_conv(profile.user_id)
        text, rows = await _list_text(ctx, profile)
        await edit_or_send(update, ctx, text, keyboard(rows))
        return
    circle_id = (await store.repo(CircleStore).user_circles(profile.user_id)).get(course.cid)
    if action == "rm" and circle_id is not None:
        await edit_or_send(
            update, ctx,
            _("Remove {course}? You will also leave its study circle.").format(course=label),
            keyboard([[(_("Remove it"), CourseAction(action="rmy", course=key).pack()),
                       (_("Keep it"), CourseMenu(action="keep").pack())]]),
        )  # fmt: skip
        return
    await remove_course(ctx, profile, course.cid, circle_id)
    text, rows = await _list_text(ctx, profile)
    await edit_or_send(update, ctx, _("Removed {course}.").format(course=label) + "\n\n" + text, keyboard(rows))


async def remove_course(ctx: Ctx, profile: Profile, cid: str, circle_id: str | None) -> None:
    """Out of the learner's courses, its waiting pool and its circle."""
    store = ctx.svc.store
    await _save_courses(ctx, profile, [c for c in profile.courses if c != cid])
    await store.repo(CircleStore).unwait(profile.user_id, cid)
    if circle_id is not None:
        size = await leave(ctx.bot, store, circle_id, profile.user_id)
        if 0 < size < 3:
            await ctx.svc.submit(jobs.tidy_circles(cid))


async def on_session_text(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """During ``crs:ses:<key>``: the session's start date."""
    profile = ctx.profile
    key = (conv.step or "").split(":")[-1]
    course = await course_by_key(ctx, profile, key) if profile else None
    if profile is None or course is None:
        await ctx.svc.store.clear_conv(uid_of(update))
        await reply(update, ctx, _("That course is no longer in your list: /courses."))
        return
    day = parse_date(text or "", get_locale(), date.today())
    if day is None:
        await reply(update, ctx, _("I could not read that date. Try 12 January or 2026-01-12."))
        return
    await _set_session(ctx, profile, course.cid, day)
    await ctx.svc.store.clear_conv(profile.user_id)
    text_, rows = await _list_text(ctx, profile)
    await reply(update, ctx, text_, keyboard(rows))


# --- the catalog: find, new entries, merges -------------------------------------------------


async def _find(update: Update, ctx: Ctx, text: str) -> None:
    if not text:
        await reply(update, ctx, _usage())
        return
    catalog = await ctx.svc.store.repo(CourseStore).catalog()
    found = catalog.search(text, 8)
    if not found:
        await reply(update, ctx, _("Nothing in the catalog looks like that."))
        return
    lines = [f"• {esc(picker.label(c))} — <code>{esc(c.cid)}</code>" for c, _score in found]
    await reply(update, ctx, "\n".join(lines))


async def _new_entry(update: Update, ctx: Ctx, text: str) -> None:
    uid = uid_of(update)
    if not await is_group_admin(ctx, uid):
        await reply(update, ctx, _("Only administrators of a registered group can change the catalog."))
        return
    link, _sep, title = text.partition("|")
    if not link.strip():
        await reply(update, ctx, _usage())
        return
    courses = ctx.svc.store.repo(CourseStore)
    catalog = await courses.catalog()
    course = catalog.by_url(link)
    if course is not None and title.strip() and course.cid not in catalog:
        course = Course(course.cid, course.platform, course.slug, title.strip()[:100])
    elif course is None:
        name = " ".join(text.split())[:100]
        slug = slugify(name)
        course = Course(f"other:{slug}", "other", slug, name or title_from_slug("other", slug))
    known = course.cid in catalog
    added = await courses.add_course(course, by=uid)
    message = _("Already in the catalog: {course}") if known else _("Added to the catalog: {course}")
    await reply(update, ctx, message.format(course=esc(picker.label(added))) + f"\n<code>{esc(added.cid)}</code>")


def _resolve(catalog: Catalog, ref: str) -> Course | None:
    return catalog.by_id(ref.strip()) or (catalog.by_url(ref) if "." in ref else None)


async def _merge_ask(update: Update, ctx: Ctx, args: list[str]) -> None:
    uid = uid_of(update)
    if not await is_group_admin(ctx, uid):
        await reply(update, ctx, _("Only administrators of a registered group can change the catalog."))
        return
    catalog = await ctx.svc.store.repo(CourseStore).catalog()
    keep, drop = (_resolve(catalog, args[0]), _resolve(catalog, args[1])) if len(args) == 2 else (None, None)
    if keep is None or drop is None or keep.cid not in catalog or drop.cid not in catalog:
        await reply(update, ctx, _("Give two catalog ids or links: the entry to keep, then its duplicate. /courses find shows ids."))
        return
    if keep.cid == drop.cid:
        await reply(update, ctx, _("These are the same entry."))
        return
    text = _(
        "Merge {drop} into {keep}? Its learners, circles and deadlines move to {keep}; its "
        "links and names keep finding {keep}."
    ).format(drop="<b>" + esc(picker.label(drop)) + "</b>", keep="<b>" + esc(picker.label(keep)) + "</b>")
    markup = keyboard([[(_("Merge"), CatalogMerge(answer="y").pack()), (_("Cancel"), CatalogMerge(answer="n").pack())]])
    msg = await reply(update, ctx, text, markup)
    conv = Conversation(step="crs:merge", data={"keep": keep.cid, "drop": drop.cid, "msg": msg.message_id if msg else None})
    await ctx.svc.store.set_conv(uid, conv)


async def _merge_button(update: Update, ctx: Ctx, data: CatalogMerge) -> None:
    query = update.callback_query
    assert query is not None
    uid = uid_of(update)
    store = ctx.svc.store
    conv = await store.get_conv(uid)
    msg_id = query.message.message_id if query.message else None
    if conv.step != "crs:merge" or conv.data.get("msg") != msg_id:
        await query.answer(_("This button has expired. Please use the latest message."), show_alert=True)
        return
    await store.clear_conv(uid)
    if data.answer == "n":
        await query.answer()
        await edit_or_send(update, ctx, _("Nothing was merged."))
        return
    if not await is_group_admin(ctx, uid):
        await query.answer(_("Only administrators of a registered group can change the catalog."), show_alert=True)
        return
    await query.answer()
    keep, drop = str(conv.data["keep"]), str(conv.data["drop"])
    moved = await store.repo(CourseStore).merge(keep, drop)
    if moved is None:
        await edit_or_send(update, ctx, _("One of the entries is no longer in the catalog."))
        return
    await ctx.svc.submit(jobs.course_merged(keep, drop))
    await edit_or_send(update, ctx, "✅ " + _("Merged. Learners and circles move over in a moment."))


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("courses", courses_cmd, filters=private),
        CallbackQueryHandler(
            on_button, pattern=callbacks.pattern(CourseAction, CoursePick, CourseMenu, CatalogMerge)
        ),
    ]


async def on_step(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """``crs:ses:<key>`` waits for a date; ``crs:merge`` for a button."""
    if (conv.step or "").startswith("crs:ses:"):
        await on_session_text(update, ctx, conv, text)
    else:
        await reply(update, ctx, _("Please choose one of the buttons above, or send /cancel to stop."))


STEPS: dict[str, StepHandler] = {"crs:add": on_add_text, "crs:": on_step}
