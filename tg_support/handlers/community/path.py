"""/path (where I stand on the learning pathway), reflections, and /intro.

Steps: ``refl:<course key>`` (the reflection's text), ``intro:city`` (the city for /intro).
"""

from __future__ import annotations

import html
from typing import Literal

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from tg_support.community import buttons, introductions, pathway
from tg_support.community.buttons import ReflectionAction
from tg_support.community.circle_store import CircleStore
from tg_support.community.circle_talk import relay_envelopes
from tg_support.community.picker import label
from tg_support.community.reflections import MAX_REFLECTION, ReflectionStore
from tg_support.core import callbacks, langid
from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import _
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation, Profile

from ..common import deliver, edit_or_send, keyboard, reply
from ..steps import StepHandler
from . import course_by_key, my_courses, onboarded, uid_of


class IntroAction(CallbackData, prefix="in"):
    """``in:start|city|no``: preview an introduction, add a city, cancel."""

    action: Literal["start", "city", "no"]


class IntroPost(CallbackData, prefix="in:post"):
    """``in:post:y|n``: post it under my first name (y) or a pseudonym (n)."""

    show: Literal["y", "n"]


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def stage_label(stage: str) -> str:
    labels = {
        # Translators: the five stages of the learning pathway shown by /path.
        "goals": _("Set goals"),
        "platforms": _("Pick platforms and courses"),
        "community": _("Join a community"),
        "collaborate": _("Collaborate"),
        "reflect": _("Reflect"),
    }
    return labels[stage]


def stage_hint(stage: str) -> str:
    hints = {
        "goals": _("Say what you want to achieve: /profile, then Edit profile."),
        "platforms": _("Add the courses you take: /courses."),
        "community": _("Find a study circle (/circles) or introduce yourself to a group (/intro)."),
        "collaborate": _("Ask a question, answer one, or answer your circle's weekly check-in."),
        "reflect": _("Write a short reflection on a course with the button below."),
    }
    return hints[stage]


async def path_cmd(update: Update, ctx: Ctx) -> None:
    """/path: the five stages with what the learner did in each, and what to do next."""
    profile = await onboarded(update, ctx)
    if profile is None:
        return
    p = await pathway.progress(ctx.svc.store, profile)
    details = {
        "goals": esc(p.goal) if p.goal else "",
        "platforms": _("{platforms} platforms, {courses} courses").format(platforms=p.platforms, courses=p.courses),
        "community": _("{circles} circles, {waiting} waiting lists").format(circles=p.circles, waiting=p.waiting)
        # Translators: after the circles count in /path: the learner posted an introduction.
        + (" · " + _("introduced") if p.introduced else ""),
        "collaborate": _(
            "{asked} questions asked, {answered} answered, {reviews} reviews given, {checkins} check-ins"
        ).format(asked=p.asked, answered=p.answered, reviews=p.reviews, checkins=p.checkins),
        "reflect": _("{count} reflections").format(count=p.reflections),
    }
    lines = ["<b>🧭 " + _("Your learning pathway") + "</b>", ""]
    for i, (stage, done) in enumerate(pathway.stages(p), 1):
        mark = "✅" if done else "⬜"
        detail = f" — {details[stage]}" if details[stage] else ""
        lines.append(f"{mark} {i}. {stage_label(stage)}{detail}")
    upcoming = pathway.next_stage(p)
    lines.append("")
    if upcoming is None:
        lines.append(_("You walked the whole pathway. Keep going: help someone, or reflect on your next course."))
    else:
        lines.append(_("Next: {stage}. {hint}").format(stage=stage_label(upcoming), hint=stage_hint(upcoming)))
    rows = await _reflect_rows(ctx, profile)
    if not p.introduced:
        rows.append([(_("👋 Introduce yourself"), IntroAction(action="start").pack())])
    await reply(update, ctx, "\n".join(lines), keyboard(rows) if rows else None)


async def _reflect_rows(ctx: Ctx, profile: Profile) -> list[list[tuple[str, str]]]:
    done = {r.cid for r in await ctx.svc.store.repo(ReflectionStore).all(profile.user_id)}
    return [
        [("🪞 " + _("Reflect on {course}").format(course=c.title[:40]), buttons.reflection("write", c.cid))]
        for c in await my_courses(ctx, profile)
        if c.cid not in done
    ][:4]


async def on_reflection_button(update: Update, ctx: Ctx) -> None:
    """``rf:write|share|keep:<course key>``."""
    query = update.callback_query
    assert query is not None
    data = ReflectionAction.parse(query.data)
    profile = ctx.profile
    course = await course_by_key(ctx, profile, data.course) if profile and data else None
    if data is None or profile is None or course is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    store = ctx.svc.store
    await query.answer()
    if data.action == "write":
        await store.set_conv(profile.user_id, Conversation(step=f"refl:{data.course}"))
        await reply(update, ctx, _("What did you learn in {course}, what worked for you, and what would you do differently? Write it in a message.").format(course=esc(label(course))))
        return
    if data.action == "keep":
        await edit_or_send(update, ctx, _("Kept to yourself. Thank you for reflecting!"))
        return
    reflections = store.repo(ReflectionStore)
    r = await reflections.get(profile.user_id, course.cid)
    circles = store.repo(CircleStore)
    circle_id = (await circles.user_circles(profile.user_id)).get(course.cid)
    circle = await circles.get(circle_id) if circle_id else None
    member = await circles.member(circle_id, profile.user_id) if circle_id else None
    if r is None or circle is None or member is None:
        await edit_or_send(update, ctx, _("You are not in a circle of this course any more: /circles."))
        return
    if await reflections.mark_shared(profile.user_id, course.cid):
        source = (profile.user_id, int(r.at))
        for env in await relay_envelopes(store, circle, member, r.text, [], r.lang, source, to_topic=True, kind="reflection"):
            await deliver(ctx, env)
    await edit_or_send(update, ctx, _("Shared with your circle. Thank you for reflecting!"))


async def on_reflection_text(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """``refl:<course key>``: the reflection; then the offer to share it with the circle."""
    profile = ctx.profile
    key = (conv.step or "").split(":")[-1]
    course = await course_by_key(ctx, profile, key) if profile else None
    store = ctx.svc.store
    if profile is None or course is None:
        await store.clear_conv(uid_of(update))
        await reply(update, ctx, _("That course is no longer in your list: /courses."))
        return
    if not text or not text.strip():
        await reply(update, ctx, _("I can only read text here. Please type your answer."))
        return
    lang = langid.detect(text, langid.Priors(chosen=profile.lang)).lang
    await store.repo(ReflectionStore).save(profile.user_id, course.cid, text[:MAX_REFLECTION], lang)
    await store.clear_conv(profile.user_id)
    in_circle = course.cid in await store.repo(CircleStore).user_circles(profile.user_id)
    if not in_circle:
        await reply(update, ctx, _("Saved. Thank you for reflecting!"))
        return
    await reply(update, ctx, _("Saved. Share it with your circle? They read it in their own language."),
                keyboard([[(_("Share with my circle"), buttons.reflection("share", course.cid)),
                           (_("Keep it to myself"), buttons.reflection("keep", course.cid))]]))  # fmt: skip


# --- /intro ----------------------------------------------------------------------------------


async def intro_cmd(update: Update, ctx: Ctx) -> None:
    """/intro: preview an introduction for the matching group, then post it."""
    profile = await onboarded(update, ctx)
    if profile is None:
        return
    await _preview(update, ctx, profile, Conversation(step="intro:ready", data={}), edit=False)


async def _preview(update: Update, ctx: Ctx, profile: Profile, conv: Conversation, *, edit: bool) -> None:
    store = ctx.svc.store
    group = await introductions.group_for(store, profile)
    if group is None:
        await reply(update, ctx, _("No registered group takes introductions in your language yet."))
        return
    city = conv.data.get("city")
    courses = [label(c) for c in await my_courses(ctx, profile)]
    lines = [
        _("Your introduction for “{group}”:").format(group=esc(group.title)), "",
        _("🎯 Goal: {goal}").format(goal=esc(profile.goal) if profile.goal else "—"),
        _("📚 Courses: {courses}").format(courses=esc(", ".join(courses)) if courses else "—"),
    ]  # fmt: skip
    if city:
        lines.append(_("📍 City: {city}").format(city=esc(str(city))))
    lines += ["", _("Readers get it in their language. Post it?")]
    first = update.effective_user.first_name if update.effective_user else ""
    markup = keyboard([
        [(_("Post as {name}").format(name=first[:24]), IntroPost(show="y").pack())],
        [(_("Post with a pseudonym"), IntroPost(show="n").pack())],
        [(_("📍 Add my city") if not city else _("📍 Change my city"), IntroAction(action="city").pack())],
        [(_("Cancel"), IntroAction(action="no").pack())],
    ])  # fmt: skip
    msg = await (edit_or_send(update, ctx, "\n".join(lines), markup) if edit else reply(update, ctx, "\n".join(lines), markup))
    conv.step = "intro:ready"
    conv.data["msg"] = msg.message_id if msg else None
    await store.set_conv(profile.user_id, conv)


async def on_intro_button(update: Update, ctx: Ctx) -> None:
    """``in:start|city|no|post:y|n``."""
    query = update.callback_query
    assert query is not None
    data: IntroPost | IntroAction | None = IntroPost.parse(query.data) or IntroAction.parse(query.data)
    profile = ctx.profile
    if data is None or profile is None or not profile.onboarded:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    store = ctx.svc.store
    if isinstance(data, IntroAction) and data.action == "start":
        await query.answer()
        await _preview(update, ctx, profile, Conversation(step="intro:ready", data={}), edit=False)
        return
    conv = await store.get_conv(profile.user_id)
    msg_id = query.message.message_id if query.message else None
    if not (conv.step or "").startswith("intro:") or conv.data.get("msg") != msg_id:
        await query.answer(_("This button has expired. Please use the latest message."), show_alert=True)
        return
    if isinstance(data, IntroPost):
        await _post(update, ctx, profile, conv, data.show == "y")
    elif data.action == "no":
        await query.answer()
        await store.clear_conv(profile.user_id)
        await edit_or_send(update, ctx, _("Nothing was posted."))
    else:  # city
        await query.answer()
        conv.step = "intro:city"
        await store.set_conv(profile.user_id, conv)
        await reply(update, ctx, _("Which city should I mention? Only the city, never an address."))


async def _post(update: Update, ctx: Ctx, profile: Profile, conv: Conversation, by_name: bool) -> None:
    query = update.callback_query
    assert query is not None
    store = ctx.svc.store
    intros = store.repo(introductions.IntroStore)
    group = await introductions.group_for(store, profile)
    if group is None:
        await query.answer(_("No registered group takes introductions in your language yet."), show_alert=True)
        return
    if not await intros.may_post(profile.user_id):
        await query.answer(_("You introduced yourself this week already. Thank you!"), show_alert=True)
        return
    await query.answer()
    thread_id = await introductions.intro_topic(ctx.bot, store, group)
    if thread_id is None:
        await intros.unpost(profile.user_id)
        await edit_or_send(update, ctx, _("The group did not let me open its Introductions topic. Please tell its admins."))
        return
    first = update.effective_user.first_name if by_name and update.effective_user else None
    city = conv.data.get("city")
    key = f"{profile.user_id}:{query.id}"
    for env in await introductions.envelopes(store, profile, group, thread_id, first, str(city) if city else None, key):
        await deliver(ctx, env)
    await intros.posted(profile.user_id)
    await store.clear_conv(profile.user_id)
    await edit_or_send(update, ctx, _("✅ Posted in “{group}”. Welcome!").format(group=esc(group.title)))


async def on_intro_step(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """``intro:city``: the city; ``intro:ready`` waits for a button."""
    profile = ctx.profile
    if profile is None:
        return
    if conv.step != "intro:city":
        await reply(update, ctx, _("Please choose one of the buttons above, or send /cancel to stop."))
        return
    city = " ".join((text or "").split())[: introductions.MAX_CITY]
    if not city:
        await reply(update, ctx, _("I can only read text here. Please type your answer."))
        return
    conv.data["city"] = city
    await _preview(update, ctx, profile, conv, edit=False)


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("path", path_cmd, filters=private),
        CommandHandler("intro", intro_cmd, filters=private),
        CallbackQueryHandler(on_reflection_button, pattern=ReflectionAction.pattern()),
        CallbackQueryHandler(on_intro_button, pattern=callbacks.pattern(IntroAction, IntroPost)),
    ]


STEPS: dict[str, StepHandler] = {"refl:": on_reflection_text, "intro:": on_intro_step}
