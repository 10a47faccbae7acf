"""Creating an event: a guided flow with buttons and a preview (group admins of a registered
group, and helpers whose reputation reached :data:`MIN_REPUTATION`).

title → online or in person → city (in person: typed, or a shared location) → start (in the
organizer's time zone unless the text names one) → duration → seats → languages → courses
→ the private venue or link → preview → publish: the reminders and the "how was it?"
prompt are scheduled and the region's learners of its courses are told through a
broadcast, each in their language.

Steps (``data`` holds the draft): ``ev:n:title``, ``ev:n:city``, ``ev:n:start``,
``ev:n:capacity``, ``ev:n:venue`` take text; ``ev:n:mode``, ``ev:n:minutes``, ``ev:n:langs``,
``ev:n:courses``, ``ev:n:preview`` wait for their buttons (which act only in that step).
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any, Literal, cast

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from tg_support.community import events, gazetteer
from tg_support.community.buttons import course_key
from tg_support.community.dates import format_when, parse_due
from tg_support.community.event_store import Event, EventStore
from tg_support.core import jobs
from tg_support.core.callbacks import CallbackData, parse_any
from tg_support.core.i18n import LANGUAGE_NAMES, LOCALES, _, get_locale
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation, Profile
from tg_support.core.timezones import utc_offset_label
from tg_support.helpers import reputation
from tg_support.helpers.stats import HelperStatsStore

from ..common import edit_or_send, esc, grid, keyboard, reply
from ..steps import StepHandler
from . import is_group_admin, my_courses

#: Helpers organize events once learners rated them this well (``helpers.reputation``).
MIN_REPUTATION = 0.6
DURATIONS = (30, 60, 90, 120, 180)
CAPACITIES = (5, 10, 20, 50)


class NewMode(CallbackData, prefix="ev:n:mode"):
    mode: Literal["online", "inperson"]


class NewCity(CallbackData, prefix="ev:n:city"):
    gid: int


class NewMinutes(CallbackData, prefix="ev:n:dur"):
    minutes: int


class NewCapacity(CallbackData, prefix="ev:n:cap"):
    capacity: int


class NewLang(CallbackData, prefix="ev:n:lang"):
    """``ev:n:lang:<code>|done``: toggle a language; done."""

    code: str


class NewCourse(CallbackData, prefix="ev:n:crs"):
    """``ev:n:crs:<course key>|done``: toggle a course; done."""

    key: str


class NewPublish(CallbackData, prefix="ev:n:pub"):
    answer: Literal["yes", "no"]


BUTTONS = (events.EventNew, NewMode, NewCity, NewMinutes, NewCapacity, NewLang, NewCourse, NewPublish)
Button = events.EventNew | NewMode | NewCity | NewMinutes | NewCapacity | NewLang | NewCourse | NewPublish
# The step each button belongs to: a button pressed in another step is stale.
STEP_OF: dict[type[CallbackData], str] = {
    NewMode: "ev:n:mode", NewCity: "ev:n:city", NewMinutes: "ev:n:minutes", NewCapacity: "ev:n:capacity",
    NewLang: "ev:n:langs", NewCourse: "ev:n:courses", NewPublish: "ev:n:preview",
}  # fmt: skip


async def may_organize(ctx: Ctx, profile: Profile) -> bool:
    if profile.is_helper:
        s = await ctx.svc.store.repo(HelperStatsStore).read(profile.user_id)
        if reputation.reputation(s.helpful, s.rated) >= MIN_REPUTATION:
            return True
    return await is_group_admin(ctx, profile.user_id)


async def _go(update: Update, ctx: Ctx, profile: Profile, step: str, data: dict[str, Any]) -> None:
    """Move the draft to ``step`` and ask its question."""
    await ctx.svc.store.set_conv(profile.user_id, Conversation(step=step, data=data))
    if step == "ev:n:title":
        await reply(update, ctx, _("🗓 New event. What is its title? For example: Machine Learning study evening."))
    elif step == "ev:n:mode":
        rows = [[(_("💻 Online"), NewMode(mode="online").pack()), (_("📍 In person"), NewMode(mode="inperson").pack())]]
        await reply(update, ctx, _("Online or in person?"), keyboard(rows))
    elif step == "ev:n:city":
        await reply(update, ctx, _("In which city? Type its name or share a location near it. Only the city is shown in public; you give the exact place later, for attendees only."))
    elif step == "ev:n:start":
        zone = utc_offset_label(profile.tz or "UTC")
        await reply(update, ctx, _("When does it start? For example 2026-03-14 18:30. I read it in your time zone ({zone}) unless you add another.").format(zone=zone))
    elif step == "ev:n:minutes":
        rows = grid([(events.duration_text(m), NewMinutes(minutes=m).pack()) for m in DURATIONS], 3)
        await reply(update, ctx, _("How long does it last?"), keyboard(rows))
    elif step == "ev:n:capacity":
        rows = [[(str(n), NewCapacity(capacity=n).pack()) for n in CAPACITIES]]
        await reply(update, ctx, _("How many seats? Choose or type a number."), keyboard(rows))
    elif step == "ev:n:langs":
        await reply(update, ctx, _("Which languages will be spoken? Tap to choose, then Done."), keyboard(_lang_rows(data)))
    elif step == "ev:n:courses":
        await reply(update, ctx, _("Which of your courses is it about? Tap to choose, then Done (none: for everyone)."), keyboard(await _course_rows(ctx, profile, data)))
    elif step == "ev:n:venue":
        await reply(update, ctx, _("Now the exact place (address, room) or the online link. Only people with a seat will see it."))
    else:
        await reply(update, ctx, await _preview(ctx, profile, data), keyboard([[
            (_("✅ Publish"), NewPublish(answer="yes").pack()), (_("🗑 Discard"), NewPublish(answer="no").pack()),
        ]]))  # fmt: skip


def _lang_rows(data: dict[str, Any]) -> list[list[tuple[str, str]]]:
    chosen = set(data.get("langs") or [])
    buttons = [(("✅ " if c in chosen else "") + LANGUAGE_NAMES[c], NewLang(code=c).pack()) for c in LOCALES]
    return [*grid(buttons, 4), [(_("Done"), NewLang(code="done").pack())]]


async def _course_rows(ctx: Ctx, profile: Profile, data: dict[str, Any]) -> list[list[tuple[str, str]]]:
    chosen = set(data.get("courses") or [])
    rows = [
        [(("✅ " if c.cid in chosen else "") + c.title[:50], NewCourse(key=course_key(c.cid)).pack())]
        for c in await my_courses(ctx, profile)
    ]
    return [*rows, [(_("Done"), NewCourse(key="done").pack())]]


def _draft_event(profile: Profile, data: dict[str, Any]) -> Event:
    online = bool(data.get("online"))
    return Event(
        eid="0", organizer=profile.user_id, title=str(data.get("title") or "?"), online=online,
        city="" if online else str(data.get("city") or ""),
        city_name="" if online else str(data.get("city_name") or ""),
        region=events.event_region(online, data.get("city_tz"), profile.tz),
        start=float(data.get("start") or 0), tz=str(data.get("tz") or profile.tz or "UTC"),
        minutes=int(data.get("minutes") or 60), capacity=int(data.get("capacity") or 10),
        langs=list(data.get("langs") or []), courses=list(data.get("courses") or []),
        course_tags=list(data.get("course_tags") or []), venue=str(data.get("venue") or ""),
    )  # fmt: skip


async def _preview(ctx: Ctx, profile: Profile, data: dict[str, Any]) -> str:
    ev = _draft_event(profile, data)
    body = events.card(ev, profile.tz, get_locale(), course_titles=await events.course_titles(ctx.svc.store, ev), venue=True)
    return "\n\n".join([
        "<b>" + _("Preview") + "</b>", body,
        _("Learners see everything but the venue or link; those with a seat get it with a calendar file."),
    ])  # fmt: skip


async def on_button(update: Update, ctx: Ctx) -> None:
    """``ev:new`` and the flow's buttons."""
    query = update.callback_query
    assert query is not None
    data = cast(Button | None, parse_any(query.data, *BUTTONS))
    profile = ctx.profile
    if data is None or profile is None or not profile.onboarded:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if isinstance(data, events.EventNew):
        if not await may_organize(ctx, profile):
            await query.answer(_("Events are created by admins of a registered group and by helpers with a good rating."), show_alert=True)
            return
        await query.answer()
        await _go(update, ctx, profile, "ev:n:title", {})
        return
    conv = ctx.conv or await ctx.svc.store.get_conv(profile.user_id)
    if conv.step != STEP_OF.get(type(data)):
        await query.answer(_("This button is from an earlier step. Send /events to start again."), show_alert=True)
        return
    draft = dict(conv.data)
    await query.answer()
    if isinstance(data, NewMode):
        draft["online"] = data.mode == "online"
        await _go(update, ctx, profile, "ev:n:start" if draft["online"] else "ev:n:city", draft)
    elif isinstance(data, NewCity):
        city = await asyncio.to_thread(gazetteer.by_id, str(data.gid))
        if city is not None:
            await _with_city(update, ctx, profile, draft, city)
    elif isinstance(data, NewMinutes):
        if data.minutes in DURATIONS:
            draft["minutes"] = data.minutes
            await _go(update, ctx, profile, "ev:n:capacity", draft)
    elif isinstance(data, NewCapacity):
        draft["capacity"] = max(1, min(events.MAX_CAPACITY, data.capacity))
        await _go(update, ctx, profile, "ev:n:langs", draft)
    elif isinstance(data, NewLang):
        await _toggle_lang(update, ctx, profile, draft, data.code)
    elif isinstance(data, NewCourse):
        await _toggle_course(update, ctx, profile, draft, data.key)
    elif data.answer == "no":
        await ctx.svc.store.clear_conv(profile.user_id)
        await edit_or_send(update, ctx, _("Discarded. Nothing was published."))
    else:
        await _publish(update, ctx, profile, draft)


async def _toggle_lang(update: Update, ctx: Ctx, profile: Profile, draft: dict[str, Any], code: str) -> None:
    langs = list(draft.get("langs") or [])
    if code == "done":
        draft["langs"] = langs or [profile.lang or get_locale()]
        await _go(update, ctx, profile, "ev:n:courses", draft)
        return
    if code in LOCALES:
        langs = [c for c in langs if c != code] if code in langs else [*langs, code]
        draft["langs"] = langs
        await ctx.svc.store.set_conv(profile.user_id, Conversation(step="ev:n:langs", data=draft))
        await edit_or_send(update, ctx, _("Which languages will be spoken? Tap to choose, then Done."), keyboard(_lang_rows(draft)))


async def _toggle_course(update: Update, ctx: Ctx, profile: Profile, draft: dict[str, Any], key: str) -> None:
    courses = {course_key(c.cid): c for c in await my_courses(ctx, profile)}
    chosen = list(draft.get("courses") or [])
    if key == "done":
        draft["course_tags"] = sorted({t for k, c in courses.items() if c.cid in chosen for t in c.tags})
        await _go(update, ctx, profile, "ev:n:venue", draft)
        return
    course = courses.get(key)
    if course is not None:
        chosen = [c for c in chosen if c != course.cid] if course.cid in chosen else [*chosen, course.cid]
        draft["courses"] = chosen
        await ctx.svc.store.set_conv(profile.user_id, Conversation(step="ev:n:courses", data=draft))
        await edit_or_send(update, ctx, _("Which of your courses is it about? Tap to choose, then Done (none: for everyone)."), keyboard(await _course_rows(ctx, profile, draft)))


async def _with_city(update: Update, ctx: Ctx, profile: Profile, draft: dict[str, Any], city: gazetteer.City) -> None:
    draft.update(city=city.gid, city_name=city.name, city_tz=city.tz)
    await _go(update, ctx, profile, "ev:n:start", draft)


async def on_step(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """The flow's text steps."""
    profile = ctx.profile
    if profile is None:
        return
    draft = dict(conv.data)
    value = " ".join((text or "").split())
    if conv.step == "ev:n:city":
        found = await events.find_city(update.effective_message, text)
        if len(found) == 1:
            await _with_city(update, ctx, profile, draft, found[0])
        elif found:
            rows = [[(c.label, NewCity(gid=int(c.gid)).pack())] for c in found]
            await reply(update, ctx, _("Which one?"), keyboard(rows))
        else:
            await reply(update, ctx, _("I don't know that city. Try its name in English or in its own language, or share your location."))
        return
    if not value:
        await reply(update, ctx, _("I can only read text here. Please type your answer."))
        return
    if conv.step == "ev:n:title":
        draft["title"] = value[: events.MAX_TITLE]
        await _go(update, ctx, profile, "ev:n:mode", draft)
    elif conv.step == "ev:n:start":
        due = parse_due(value, get_locale(), date.today(), profile.tz or "UTC")
        if due is None:
            await reply(update, ctx, _("I could not read that date and time. Try 2026-01-20 23:59, or 20 January 18:00 UTC."))
        elif due.at.timestamp() <= time.time():
            await reply(update, ctx, _("That moment has already passed. Please send a future date."))
        else:
            draft.update(start=due.at.timestamp(), tz=due.tz)
            await _go(update, ctx, profile, "ev:n:minutes", draft)
    elif conv.step == "ev:n:capacity":
        if not value.isdigit() or not 1 <= int(value) <= events.MAX_CAPACITY:
            await reply(update, ctx, _("Please send a number of seats from 1 to {most}.").format(most=events.MAX_CAPACITY))
            return
        draft["capacity"] = int(value)
        await _go(update, ctx, profile, "ev:n:langs", draft)
    else:
        draft["venue"] = value[: events.MAX_VENUE]
        await _go(update, ctx, profile, "ev:n:preview", draft)


async def _publish(update: Update, ctx: Ctx, profile: Profile, draft: dict[str, Any]) -> None:
    store = ctx.svc.store
    ev = _draft_event(profile, draft)
    if ev.start <= time.time():
        await reply(update, ctx, _("That moment has already passed. Please send a future date."))
        await _go(update, ctx, profile, "ev:n:start", draft)
        return
    await store.clear_conv(profile.user_id)
    ev = await store.repo(EventStore).create(ev)
    await events.schedule(ctx.svc.submit, ev)
    bid = await events.announce(store, ev, get_locale())
    await ctx.svc.submit(jobs.start_broadcast(bid))
    when = format_when(ev.start, ev.tz, get_locale())
    await edit_or_send(update, ctx, "\n".join([
        _("✅ Published “{title}” ({when}).").format(title=esc(ev.title), when=when),
        _("The region's learners of its courses are told in their language; attendees are reminded 24 hours and 1 hour before."),
        _("Send /events to see it, edit it or cancel it."),
    ]))  # fmt: skip


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [CallbackQueryHandler(on_button, pattern=r"^ev:(?:new|n)(?::|$)")]


STEPS: dict[str, StepHandler] = {
    step: on_step for step in ("ev:n:title", "ev:n:city", "ev:n:start", "ev:n:capacity", "ev:n:venue")
}
