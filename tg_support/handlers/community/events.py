"""/events: upcoming meetups near the learner and online sessions of their courses; an
event's card with going / maybe / can't; the learner's city (typed, or a shared location
turned into the nearest city); the organizer's edit and cancel. Creating one is
``events_new``.

Steps: ``ev:city`` (a city name or a location), ``ev:edit`` (the new value of the field in
``data``).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date
from typing import Literal, cast

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from tg_support.community import events, gazetteer
from tg_support.community.dates import format_when, parse_due
from tg_support.community.event_store import EDITABLE, Event, EventStore
from tg_support.core import callbacks, jobs
from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import _, get_locale
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation, Profile

from ..common import edit_or_send, esc, keyboard, reply
from ..steps import StepHandler
from . import my_courses, onboarded

LIST_LIMIT = 10
EditField = Literal["title", "start", "minutes", "capacity", "venue"]


class EventOpen(CallbackData, prefix="ev:o"):
    """``ev:o:<id>``: an event's card."""

    eid: int


class EventCity(CallbackData, prefix="ev:city"):
    """``ev:city``: set my city (a name or a location is asked next)."""


class EventCityPick(CallbackData, prefix="ev:cp"):
    """``ev:cp:<GeoNames id>``: this is my city (one of several of that name)."""

    gid: int


class EventManage(CallbackData, prefix="ev:m"):
    """``ev:m:<id>:edit|cancel|cancel_yes``: the organizer's actions."""

    eid: int
    action: Literal["edit", "cancel", "cancel_yes"]


class EventEdit(CallbackData, prefix="ev:e"):
    """``ev:e:<id>:<field>``: change one field of a published event."""

    eid: int
    field: EditField


BUTTONS = (EventOpen, EventCity, EventCityPick, EventManage, EventEdit, events.EventRsvp, events.EventFeedback)
Button = EventOpen | EventCity | EventCityPick | EventManage | EventEdit | events.EventRsvp | events.EventFeedback


async def my_city(ctx: Ctx, uid: int) -> gazetteer.City | None:
    gid = await ctx.svc.store.repo(EventStore).city_of(uid)
    return await asyncio.to_thread(gazetteer.by_id, gid) if gid else None


def relevant(ev: Event, profile: Profile, city: gazetteer.City | None, course_ids: set[str], region: str) -> bool:
    """Meetups of the learner's city or region; online sessions of their courses (or of no
    course in particular) in a language they read."""
    if ev.courses and not course_ids & set(ev.courses):
        return False
    if ev.online:
        return not ev.langs or profile.lang in ev.langs
    return (city is not None and city.gid == ev.city) or ev.region == region


async def _overview(ctx: Ctx, profile: Profile) -> tuple[str, list[list[tuple[str, str]]]]:
    store = ctx.svc.store.repo(EventStore)
    city = await my_city(ctx, profile.user_id)
    region = events.event_region(False, city.tz if city else None, profile.tz)
    courses = {c.cid for c in await my_courses(ctx, profile)}
    mine = await store.answered_by(profile.user_id)
    found = [
        ev for ev in await store.upcoming(time.time())
        if ev.organizer == profile.user_id or ev.eid in mine or relevant(ev, profile, city, courses, region)
    ][:LIST_LIMIT]  # fmt: skip
    lines = ["<b>🗓 " + _("Upcoming events near you and for your courses") + "</b>"]
    lines.append(
        _("Your city: {city}").format(city=esc(city.label)) if city
        else _("Set your city to see meetups near you (optional).")
    )  # fmt: skip
    rows: list[list[tuple[str, str]]] = []
    for i, ev in enumerate(found, 1):
        state = await store.state_of(ev.eid, profile.user_id)
        mark = {"going": "✅ ", "wait": "⏳ ", "maybe": "🤔 "}.get(state or "", "")
        where = _("online") if ev.online else esc(ev.city_name)
        when = format_when(ev.start, profile.tz, get_locale())
        lines.append(f"{i}. {mark}<b>{esc(ev.title)}</b> — {where}\n    {when}")
        rows.append([(f"{i}. {ev.title}"[:60], EventOpen(eid=int(ev.eid)).pack())])
    if not found:
        lines.append(_("No upcoming events yet. Group admins and experienced helpers can create one."))
    rows.append([(_("📍 My city"), EventCity().pack()), (_("➕ Create an event"), events.EventNew().pack())])
    return "\n".join(lines), rows


async def events_cmd(update: Update, ctx: Ctx) -> None:
    """/events: the list."""
    profile = await onboarded(update, ctx)
    if profile is None:
        return
    text, rows = await _overview(ctx, profile)
    await reply(update, ctx, text, keyboard(rows))


async def event_view(ctx: Ctx, ev: Event, uid: int, tz: str | None) -> tuple[str, list[list[tuple[str, str]]]]:
    """The card as ``uid`` may see it (the venue only with a seat, or to the organizer)."""
    store = ctx.svc.store.repo(EventStore)
    state = await store.state_of(ev.eid, uid)
    organizer = ev.organizer == uid
    going, waiting = await store.going(ev.eid), await store.waitlist(ev.eid)
    text = events.card(
        ev, tz, get_locale(), course_titles=await events.course_titles(ctx.svc.store, ev),
        venue=state == "going" or organizer, going=len(going), waiting=len(waiting),
    )  # fmt: skip
    if state:
        label = {
            "going": _("You are going."), "maybe": _("You said maybe."), "no": _("You said you can't come."),
            "wait": _("You are number {position} on the waitlist.").format(
                position=await store.wait_position(ev.eid, uid) or "?"),
        }.get(state, "")  # fmt: skip
        text += "\n\n" + label
    rows = events.rsvp_rows(int(ev.eid)) if ev.status == "active" else []
    if organizer and ev.status == "active":
        rows.append([
            (_("✏️ Edit"), EventManage(eid=int(ev.eid), action="edit").pack()),
            (_("❌ Cancel the event"), EventManage(eid=int(ev.eid), action="cancel").pack()),
        ])  # fmt: skip
    return text, rows


async def on_button(update: Update, ctx: Ctx) -> None:
    """Every ``ev:*`` button but the creation flow's."""
    query = update.callback_query
    assert query is not None
    data = cast(Button | None, callbacks.parse_any(query.data, *BUTTONS))
    profile = ctx.profile
    if data is None or profile is None or not profile.onboarded:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    store = ctx.svc.store.repo(EventStore)
    if isinstance(data, EventCity):
        await query.answer()
        await ctx.svc.store.set_conv(profile.user_id, Conversation(step="ev:city"))
        await reply(update, ctx, _("Which city are you in? Type its name, or share your location with 📎 → Location. I keep only the city, never your location."))
        return
    if isinstance(data, EventCityPick):
        city = await asyncio.to_thread(gazetteer.by_id, str(data.gid))
        if city is None:
            await query.answer(_("This button is not valid."), show_alert=True)
            return
        await query.answer()
        await _set_city(update, ctx, profile, city)
        return
    ev = await store.get(str(data.eid))
    if ev is None:
        await query.answer(_("This event no longer exists."), show_alert=True)
        return
    if isinstance(data, EventOpen):
        await query.answer()
        text, rows = await event_view(ctx, ev, profile.user_id, profile.tz)
        await reply(update, ctx, text, keyboard(rows))
    elif isinstance(data, events.EventRsvp):
        await _rsvp(update, ctx, profile, ev, data.choice)
    elif isinstance(data, events.EventFeedback):
        if await store.state_of(ev.eid, profile.user_id) != "going" or ev.start > time.time():
            await query.answer(_("This button is not valid."), show_alert=True)
            return
        await store.feedback(ev.eid, profile.user_id, data.answer)
        await query.answer(_("Thank you!"))
        await edit_or_send(update, ctx, _("Thank you for telling us how “{title}” went.").format(title=esc(ev.title)))
    elif ev.organizer != profile.user_id or ev.status != "active":
        await query.answer(_("Only the organizer can change this event."), show_alert=True)
    elif isinstance(data, EventManage):
        await _manage(update, ctx, ev, data.action)
    else:
        await query.answer()
        await ctx.svc.store.set_conv(profile.user_id, Conversation(step="ev:edit", data={"eid": ev.eid, "field": data.field}))
        prompts = {
            "title": _("Send the new title."),
            "start": _("Send the new start, for example 2026-03-14 18:30 (your time zone unless you add one)."),
            "minutes": _("Send the new duration in minutes, for example 90."),
            "capacity": _("Send the new number of seats."),
            "venue": _("Send the new venue or online link (only attendees see it)."),
        }
        await reply(update, ctx, prompts[data.field])


async def _rsvp(update: Update, ctx: Ctx, profile: Profile, ev: Event, choice: str) -> None:
    query = update.callback_query
    assert query is not None
    store = ctx.svc.store.repo(EventStore)
    before = await store.state_of(ev.eid, profile.user_id)
    state, promoted = await store.rsvp(ev.eid, profile.user_id, choice)
    if state == "closed":
        await query.answer(_("This event is no longer open."), show_alert=True)
        return
    if state == "wait":
        position = await store.wait_position(ev.eid, profile.user_id)
        await query.answer(
            _("The event is full: you are number {position} on the waitlist. You get the seat automatically if one frees up.").format(position=position),
            show_alert=True,
        )
    else:
        await query.answer(_("Saved."))
    text, rows = await event_view(ctx, ev, profile.user_id, profile.tz)
    await edit_or_send(update, ctx, text, keyboard(rows))
    if state == "going" and before != "going":
        await events.send_confirmation(ctx.bot, ctx.svc.store, ev, profile.user_id, promoted=False)
    for uid in promoted:
        await events.send_confirmation(ctx.bot, ctx.svc.store, ev, uid, promoted=True)


async def _manage(update: Update, ctx: Ctx, ev: Event, action: str) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    eid = int(ev.eid)
    if action == "edit":
        labels = {
            "title": _("Title"), "start": _("Start"), "minutes": _("Duration"),
            "capacity": _("Seats"), "venue": _("Venue or link"),
        }  # fmt: skip
        rows = [[(labels[f], EventEdit(eid=eid, field=f).pack())] for f in EDITABLE]  # type: ignore[arg-type]
        await reply(update, ctx, _("What do you want to change? Attendees are told what changed."), keyboard(rows))
    elif action == "cancel":
        rows = [[(_("Yes, cancel it"), EventManage(eid=eid, action="cancel_yes").pack())]]
        await reply(update, ctx, _("Cancel “{title}”? Everyone who answered is told.").format(title=esc(ev.title)), keyboard(rows))
    elif await ctx.svc.store.repo(EventStore).cancel(ev.eid):
        await ctx.svc.submit(jobs.event_notify(ev.eid, "cancel", {}, "x"))
        await edit_or_send(update, ctx, _("❌ “{title}” is cancelled. Everyone who answered is being told.").format(title=esc(ev.title)))


async def on_step(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """``ev:city`` and ``ev:edit``."""
    profile = ctx.profile
    if profile is None:
        return
    if conv.step == "ev:city":
        await _city_step(update, ctx, profile, text)
    else:
        await _edit_step(update, ctx, profile, conv, text)


async def _city_step(update: Update, ctx: Ctx, profile: Profile, text: str | None) -> None:
    found = await events.find_city(update.effective_message, text)
    if not found:
        await reply(update, ctx, _("I don't know that city. Try its name in English or in its own language, or share your location."))
        return
    if len(found) > 1:
        rows = [[(c.label, EventCityPick(gid=int(c.gid)).pack())] for c in found]
        await reply(update, ctx, _("Which one?"), keyboard(rows))
        return
    await _set_city(update, ctx, profile, found[0])


async def _set_city(update: Update, ctx: Ctx, profile: Profile, city: gazetteer.City) -> None:
    await ctx.svc.store.repo(EventStore).set_city(profile.user_id, city.gid)
    await ctx.svc.store.clear_conv(profile.user_id)
    await reply(update, ctx, _("📍 Your city is now {city}. Send /events to see what is near you.").format(city=esc(city.label)))


def _parse_field(field: str, text: str, profile: Profile) -> object | None:
    value = " ".join(text.split())
    if field == "title":
        return value[: events.MAX_TITLE] or None
    if field == "venue":
        return value[: events.MAX_VENUE] or None
    if field in ("minutes", "capacity"):
        high = 24 * 60 if field == "minutes" else events.MAX_CAPACITY
        return int(value) if value.isdigit() and 1 <= int(value) <= high else None
    due = parse_due(value, get_locale(), date.today(), profile.tz or "UTC")
    return due.at.timestamp() if due is not None and due.at.timestamp() > time.time() else None


async def _edit_step(update: Update, ctx: Ctx, profile: Profile, conv: Conversation, text: str | None) -> None:
    store = ctx.svc.store.repo(EventStore)
    ev = await store.get(str(conv.data.get("eid") or ""))
    field = str(conv.data.get("field") or "")
    if ev is None or ev.organizer != profile.user_id or ev.status != "active" or field not in EDITABLE:
        await ctx.svc.store.clear_conv(profile.user_id)
        await reply(update, ctx, _("This event can no longer be changed."))
        return
    value = _parse_field(field, text or "", profile)
    if value is None:
        await reply(update, ctx, _("I could not use that. Please try again, or send /cancel."))
        return
    old = getattr(ev, field)
    await store.update(ev, **{field: value})
    await ctx.svc.store.clear_conv(profile.user_id)
    if field in ("start", "minutes"):
        await events.schedule(ctx.svc.submit, ev)
    promoted = await store.refill(ev.eid) if field == "capacity" else []
    for uid in promoted:
        await events.send_confirmation(ctx.bot, ctx.svc.store, ev, uid, promoted=True)
    changes = {field: [old, value]}
    await ctx.svc.submit(jobs.event_notify(ev.eid, "edit", json.loads(json.dumps(changes)), str(int(time.time() * 1000))))
    text_, rows = await event_view(ctx, ev, profile.user_id, profile.tz)
    await reply(update, ctx, _("✅ Saved. Attendees are being told what changed.") + "\n\n" + text_, keyboard(rows))


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [
        CommandHandler("events", events_cmd, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_button, pattern=r"^ev:(?:o|city|cp|m|e|r|fb)(?::|$)"),
    ]


STEPS: dict[str, StepHandler] = {"ev:city": on_step, "ev:edit": on_step}

__all__ = ["BUTTONS", "STEPS", "handlers"]
