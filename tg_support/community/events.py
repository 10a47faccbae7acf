"""Events: what learners read about a meetup or an online study session, and what the bot
sends around it (confirmations with an .ics file, reminders, the "how was it?" prompt,
changes and cancellations), each in the reader's language and time zone.

The venue (an address or an online link) is private: it appears only in messages to learners
who have a seat (:func:`card` with ``venue=True``, :func:`send_confirmation`, reminders and
changes sent to them). Everything else shows the city alone.

Jobs (``workers.events``) call :func:`remind`, :func:`ask_feedback`, :func:`notify_change` and
:func:`notify_cancel`; the bot calls :func:`send_confirmation` and :func:`announce`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal

import icalendar
from babel import Locale
from babel.lists import format_list
from telegram import Bot, InputFile, Message
from telegram.error import Forbidden, TelegramError

from tg_support.broadcast.broadcasts import Audience, Broadcasts, region_of_tz
from tg_support.community import gazetteer
from tg_support.community.dates import format_when
from tg_support.community.event_store import Event, EventStore
from tg_support.core import jobs
from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import LANGUAGE_NAMES, LOCALES, _, ngettext, use_locale
from tg_support.core.messages import keyboard
from tg_support.core.sending import send_once
from tg_support.core.store import Store

log = logging.getLogger(__name__)

#: Hours before the start at which learners with a seat are reminded.
REMIND_HOURS: tuple[int, ...] = (24, 1)
MAX_TITLE = 100
MAX_VENUE = 300
MAX_CAPACITY = 500


class EventNew(CallbackData, prefix="ev:new"):
    """``ev:new``: start creating an event (group admins and experienced helpers)."""


class EventRsvp(CallbackData, prefix="ev:r"):
    """``ev:r:<id>:going|maybe|no``: a learner's answer to an event."""

    eid: int
    choice: Literal["going", "maybe", "no"]


class EventFeedback(CallbackData, prefix="ev:fb"):
    """``ev:fb:<id>:good|ok|missed``: the answer to "how was it?"."""

    eid: int
    answer: Literal["good", "ok", "missed"]


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def duration_text(minutes: int) -> str:
    if minutes % 60 == 0:
        return ngettext("{count} hour", "{count} hours", minutes // 60).format(count=minutes // 60)
    return ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)


def place_text(ev: Event) -> str:
    if ev.online:
        return "💻 " + _("Online")
    return "📍 " + _("In person in {city}").format(city=esc(ev.city_name))


def languages_text(langs: list[str], locale: str) -> str:
    names = [LANGUAGE_NAMES.get(code, code) for code in langs]
    return format_list(names, locale=Locale.parse(locale)) if names else "—"


def card(
    ev: Event, tz: str | None, locale: str, *, course_titles: list[str], venue: bool,
    going: int = 0, waiting: int = 0,
) -> str:  # fmt: skip
    """The event as HTML in the current locale, its start in the reader's zone ``tz``."""
    lines = [
        f"<b>🗓 {esc(ev.title)}</b>",
        place_text(ev),
        "🕒 " + _("{when} (your time), {duration}").format(
            when=format_when(ev.start, tz, locale), duration=duration_text(ev.minutes)
        ),
        "🗣 " + languages_text(ev.langs, locale),
    ]  # fmt: skip
    if course_titles:
        lines.append("📚 " + esc(", ".join(course_titles)))
    lines.append("👥 " + _("{going} of {capacity} seats taken").format(going=going, capacity=ev.capacity))
    if waiting:
        lines.append(ngettext("{count} on the waitlist", "{count} on the waitlist", waiting).format(count=waiting))
    if ev.status != "active":
        lines.append("❌ " + _("This event was cancelled."))
    if venue and ev.venue:
        lines.append("🔑 " + (_("Link: {venue}") if ev.online else _("Venue: {venue}")).format(venue=esc(ev.venue)))
    return "\n".join(lines)


def rsvp_rows(eid: int) -> list[list[tuple[str, str]]]:
    return [[
        (_("✅ Going"), EventRsvp(eid=eid, choice="going").pack()),
        (_("🤔 Maybe"), EventRsvp(eid=eid, choice="maybe").pack()),
        (_("🚫 Can't"), EventRsvp(eid=eid, choice="no").pack()),
    ]]  # fmt: skip


def ics(ev: Event) -> bytes:
    """The event as an iCalendar file (RFC 5545) for the learner's calendar app."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//tg-support//events//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    item = icalendar.Event()
    item.add("uid", f"event-{ev.eid}@tg-support")
    item.add("dtstamp", datetime.now(UTC))
    item.add("dtstart", datetime.fromtimestamp(ev.start, UTC))
    item.add("dtend", datetime.fromtimestamp(ev.end, UTC))
    item.add("summary", ev.title)
    if ev.online:
        item.add("location", ev.venue)
        if ev.venue.startswith(("http://", "https://")):
            item.add("url", ev.venue)
    else:
        item.add("location", f"{ev.venue}, {ev.city_name}" if ev.venue else ev.city_name)
    item.add("status", "CONFIRMED" if ev.status == "active" else "CANCELLED")
    cal.add_component(item)
    return bytes(cal.to_ical())


async def course_titles(store: Store, ev: Event) -> list[str]:
    from tg_support.community.circle_talk import course_title

    return [await course_title(store, cid) for cid in ev.courses]


async def send_confirmation(bot: Bot, store: Store, ev: Event, uid: int, *, promoted: bool) -> None:
    """A seat: the venue or link, and the .ics file, in the learner's language and zone."""
    profile = await store.get_profile(uid)
    if profile is None or profile.blocked:
        return
    locale = profile.lang or "en"
    with use_locale(locale):
        head = (
            _("🎉 A seat opened up and it is yours!") if promoted else _("✅ You are going. See you there!")
        )
        body = card(
            ev, profile.tz, locale, course_titles=await course_titles(store, ev), venue=True,
            going=len(await store.repo(EventStore).going(ev.eid)),
        )  # fmt: skip
        note = _("The calendar file below adds it to your calendar. If you can't come, press “Can't” so the next person gets your seat.")
        try:
            await bot.send_message(uid, f"{head}\n\n{body}\n\n{note}")
            await bot.send_document(
                uid, InputFile(ics(ev), filename=f"event-{ev.eid}.ics"),
                caption=_("📅 Add to calendar"),
            )  # fmt: skip
        except Forbidden:
            await store.set_blocked(uid, True)


def announcement_text(ev: Event, locale: str, titles: list[str]) -> str:
    """The announcement in ``locale`` (plain text: broadcasts send no markup), its start in
    the organizer's zone, named; never the venue."""
    with use_locale(locale):
        lines = [
            "📣 " + _("New event: {title}").format(title=ev.title),
            (_("Online") if ev.online else _("In person in {city}").format(city=ev.city_name)),
            _("{when} ({zone}), {duration}").format(
                when=format_when(ev.start, ev.tz, locale), zone=ev.tz, duration=duration_text(ev.minutes)
            ),
            _("Languages: {languages}").format(languages=languages_text(ev.langs, locale)),
        ]  # fmt: skip
        if titles:
            lines.append(_("Courses: {courses}").format(courses=", ".join(titles)))
        lines.append(ngettext("{count} seat.", "{count} seats.", ev.capacity).format(count=ev.capacity))
        lines.append(_("Send /events to see it and answer."))
        return "\n".join(lines)


def audience_of(ev: Event) -> Audience:
    """The region's learners of the event's courses, in the event's languages."""
    return Audience(kind="learners", langs=list(ev.langs), regions=[ev.region], tags=list(ev.course_tags))


async def announce(store: Store, ev: Event, organizer_locale: str) -> str:
    """Announce through the broadcast pipeline (its recipient states, shared rate limits at
    low priority, a report to the organizer); returns the broadcast id to start."""
    broadcasts = Broadcasts(store.redis, store.p)
    titles = await course_titles(store, ev)
    src = ev.langs[0] if ev.langs else organizer_locale
    b = await broadcasts.create(
        ev.organizer, organizer_locale, src, announcement_text(ev, src, titles), [], audience_of(ev)
    )
    for lang in LOCALES:
        await broadcasts.set_text(b.bid, lang, announcement_text(ev, lang, titles), [], "original")
    await broadcasts.transition(b.bid, ["translating"], "queued")
    return b.bid


async def schedule(submit: Callable[..., Awaitable[Any]], ev: Event) -> None:
    """Schedule the reminders still ahead and the "how was it?" prompt of ``ev`` (by its
    start: jobs of an earlier start find it moved and send nothing)."""
    now = time.time()
    for hours in REMIND_HOURS:
        delay = ev.start - hours * 3600 - now
        if delay > 0:
            await submit(jobs.event_reminder(ev.eid, hours, ev.start), delay=delay)
    await submit(jobs.event_feedback(ev.eid, ev.end), delay=max(1.0, ev.end - now))


async def find_city(msg: Message | None, text: str | None) -> list[gazetteer.City]:
    """The city a message names, or the nearest to the location it shares (the coordinates
    are used here and forgotten)."""
    if msg is not None and msg.location is not None:
        loc = msg.location
        city = await asyncio.to_thread(gazetteer.nearest, loc.latitude, loc.longitude)
        return [city] if city else []
    if text and text.strip():
        return await asyncio.to_thread(gazetteer.search, text)
    return []


def event_region(online: bool, city_tz: str | None, organizer_tz: str | None) -> str:
    """An in-person event belongs to its city's region; an online one to its organizer's."""
    return region_of_tz(city_tz if not online and city_tz else organizer_tz)


# --- jobs ------------------------------------------------------------------------------------


async def _send_once(bot: Bot, store: Store, key: str, uid: int, text: str, rows: Any = None) -> int | None:
    async def send() -> Message:
        return await bot.send_message(uid, text, reply_markup=keyboard(rows) if rows else None)

    try:
        return await send_once(store.redis, store.p, key, send)
    except Forbidden:
        await store.set_blocked(uid, True)
        return None


def reminder_text(ev: Event, tz: str | None, locale: str, hours: int, titles: list[str]) -> str:
    with use_locale(locale):
        left = ngettext("in {count} hour", "in {count} hours", hours).format(count=hours)
        head = "⏰ " + _("“{title}” starts {left}.").format(title=esc(ev.title), left=left)
        return head + "\n\n" + card(ev, tz, locale, course_titles=titles, venue=True)


async def remind(bot: Bot, store: Store, eid: str, hours: int, start: float) -> int:
    """The ``hours``-before reminder to everyone with a seat; nothing if the event moved
    (its new reminders are scheduled) or was cancelled."""
    events = store.repo(EventStore)
    ev = await events.get(eid)
    if ev is None or ev.status != "active" or int(ev.start) != int(start) or ev.start <= time.time():
        return 0
    titles = await course_titles(store, ev)
    sent = 0
    for uid in await events.going(eid):
        profile = await store.get_profile(uid)
        if profile is None or profile.blocked:
            continue
        text = reminder_text(ev, profile.tz, profile.lang or "en", hours, titles)
        if await _send_once(bot, store, f"ev:{eid}:{hours}:{int(start)}:{uid}", uid, text):
            sent += 1
    return sent


async def ask_feedback(bot: Bot, store: Store, eid: str, end: float) -> int:
    """After the event: "how was it?" to everyone who had a seat."""
    events = store.repo(EventStore)
    ev = await events.get(eid)
    if ev is None or ev.status != "active" or int(ev.end) != int(end):
        return 0
    sent = 0
    for uid in await events.going(eid):
        profile = await store.get_profile(uid)
        if profile is None or profile.blocked:
            continue
        with use_locale(profile.lang or "en"):
            text = _("How was “{title}”? Your answer counts your attendance toward your recognition.").format(
                title=esc(ev.title)
            )
            rows = [[
                (_("😀 Great"), EventFeedback(eid=int(eid), answer="good").pack()),
                (_("🙂 Fine"), EventFeedback(eid=int(eid), answer="ok").pack()),
                (_("🙈 I missed it"), EventFeedback(eid=int(eid), answer="missed").pack()),
            ]]  # fmt: skip
        if await _send_once(bot, store, f"ev:{eid}:fb:{uid}", uid, text, rows):
            sent += 1
    return sent


def change_lines(ev: Event, changes: dict[str, list[Any]], tz: str | None, locale: str, *, venue: bool) -> list[str]:
    """What changed, old → new, in the current locale and the reader's zone."""
    out = []
    for name, (old, new) in changes.items():
        if name == "title":
            out.append(_("Title: {old} → {new}").format(old=esc(str(old)), new=esc(str(new))))
        elif name == "start":
            out.append(_("Start: {old} → {new}").format(
                old=format_when(float(old), tz, locale), new=format_when(float(new), tz, locale)))  # fmt: skip
        elif name == "minutes":
            out.append(_("Duration: {old} → {new}").format(old=duration_text(int(old)), new=duration_text(int(new))))
        elif name == "capacity":
            out.append(_("Seats: {old} → {new}").format(old=old, new=new))
        elif name == "venue" and venue:
            out.append(_("New venue or link: {venue}").format(venue=esc(str(new))))
    return out


async def notify_change(bot: Bot, store: Store, eid: str, changes: dict[str, list[Any]], stamp: str) -> int:
    """Tell everyone who answered going, maybe or waitlist what the organizer changed (the
    venue only to those with a seat)."""
    events = store.repo(EventStore)
    ev = await events.get(eid)
    if ev is None:
        return 0
    sent = 0
    for uid, state in (await events.answers(eid)).items():
        if state == "no" or uid == ev.organizer:
            continue
        profile = await store.get_profile(uid)
        if profile is None or profile.blocked:
            continue
        locale = profile.lang or "en"
        with use_locale(locale):
            lines = change_lines(ev, changes, profile.tz, locale, venue=state == "going")
            if not lines:
                continue
            text = "✏️ " + _("The organizer changed “{title}”:").format(title=esc(ev.title)) + "\n" + "\n".join(lines)
        if await _send_once(bot, store, f"ev:{eid}:chg:{stamp}:{uid}", uid, text):
            sent += 1
    return sent


async def notify_cancel(bot: Bot, store: Store, eid: str) -> int:
    """Tell everyone who answered (but "can't") that the event is cancelled, in their language."""
    events = store.repo(EventStore)
    ev = await events.get(eid)
    if ev is None or ev.status != "cancelled":
        return 0
    sent = 0
    for uid, state in (await events.answers(eid)).items():
        if state == "no" or uid == ev.organizer:
            continue
        profile = await store.get_profile(uid)
        if profile is None or profile.blocked:
            continue
        locale = profile.lang or "en"
        with use_locale(locale):
            text = "❌ " + _("“{title}” ({when}) is cancelled. Sorry! Send /events for other events.").format(
                title=esc(ev.title), when=format_when(ev.start, profile.tz, locale)
            )
        if await _send_once(bot, store, f"ev:{eid}:cancel:{uid}", uid, text):
            sent += 1
    return sent


async def safe_send(bot: Bot, store: Store, uid: int, text: str) -> None:
    """A direct word to one learner (a promotion's notice) that must not fail the update."""
    try:
        await bot.send_message(uid, text)
    except Forbidden:
        await store.set_blocked(uid, True)
    except TelegramError:
        log.warning("could not reach an event attendee", exc_info=True)
