"""Events through the real stack (PTB ↔ emulator over HTTP, real Redis, a real RQ worker
with RQ's scheduler): the organizer's guided flow, the announcement through the broadcast
pipeline, RSVPs up to capacity and the waitlist, the .ics confirmation, reminders at the
right local time, edit, cancel, and the venue kept from everyone without a seat."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from tests.conftest import TEST_PREFIX
from tg_support.core.i18n import _, use_locale
from tg_support.sandbox.client import SandboxError

from .community import ML, groups, learner, store
from .people import Person, buttons, text

pytestmark = pytest.mark.e2e
__all__ = ["store"]

VENUE = "Calle Secreta 12, aula 3"
SEVILLA = (37.3891, -5.9845)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The organizer's flow is two dozen updates in a few seconds: faster than a person, so
    # the per-user flood budget is raised here (flood control has its own tests).
    return {"flood_updates": 200}


async def admin_profile(store: Any, admin: Person) -> None:
    from tg_support.community.course_store import set_learner_courses
    from tg_support.core.store import Profile

    profile = Profile(user_id=admin.id, lang="es", role="both", onboarded=True, tz="Europe/Madrid")
    await set_learner_courses(store, profile, [ML], {ML: None})


async def bot_reply(client: Any, p: Person, since: int, count: int = 1) -> list[dict[str, Any]]:
    return list(await client.wait_for(p.id, count=count, since_seq=since, timeout=15))


async def create_event(
    client: Any, ana: Person, title: str, start: datetime, *, online: bool, capacity: str,
    langs: tuple[str, ...], venue: str,
) -> dict[str, Any]:  # fmt: skip
    """The organizer's whole flow, by buttons and typed answers; returns the last message."""
    overview = await overview_of(client, ana)
    [ask_title] = await ana.press(overview, "ev:new")
    assert "?" in text(ask_title)
    [mode] = await ana.send(title)
    [nxt] = await ana.press(mode, "ev:n:mode:online" if online else "ev:n:mode:inperson")
    if not online:
        since = await ana.seq()
        await client.send_location(ana.id, *SEVILLA)  # a location near the venue: its city
        [nxt] = await bot_reply(client, ana, since)
    [duration] = await ana.send(start.strftime("%Y-%m-%d %H:%M:%S"))
    [seats] = await ana.press(duration, "ev:n:dur:90")
    [lang_msg] = await ana.send(capacity)
    for code in langs:
        [lang_msg] = await ana.press(lang_msg, f"ev:n:lang:{code}")
    [course_msg] = await ana.press(lang_msg, "ev:n:lang:done")
    course = next(d for _, d in buttons(course_msg) if d.startswith("ev:n:crs:") and not d.endswith(":done"))
    [course_msg] = await ana.press(course_msg, course)
    [ask_venue] = await ana.press(course_msg, "ev:n:crs:done")
    [preview] = await ana.send(venue)
    assert title in text(preview) and venue in text(preview)
    if not online:
        assert "Sevilla" in text(preview)
    [published] = await ana.press(preview, "ev:n:pub:yes")
    assert "✅" in text(published), text(published)
    return published


async def move_start(client: Any, ana: Person, eid: str, ahead: float) -> datetime:
    """The organizer edits the start to ``ahead`` seconds from now (Madrid time); returns it.
    Reminders are tested on a moved start: the RSVPs before it take as long as they take.
    The field menu, the prompt and the confirmation are found by their buttons and texts: the
    event's announcement to the region (Ana is in it) goes through the broadcast worker and
    may land at any point here."""
    card = await open_card(ana, eid)
    target = f"ev:e:{eid}:start"
    since = await ana.seq()
    await client.press(ana.id, ana.id, int(card["message_id"]), f"ev:m:{eid}:edit")
    fields = await ana.first_from_bot(since, lambda m: target in [d for _, d in buttons(m)])
    with use_locale("es"):
        prompt = _("Send the new start, for example 2026-03-14 18:30 (your time zone unless you add one).")
    since = await ana.seq()
    await client.press(ana.id, ana.id, int(fields["message_id"]), target)
    await ana.first_from_bot(since, lambda m: text(m) == prompt)
    new_start = datetime.fromtimestamp(int(time.time() + ahead), ZoneInfo("Europe/Madrid"))
    since = await ana.seq()
    await ana.send(new_start.strftime("%Y-%m-%d %H:%M:%S"), expect_reply=False)
    await ana.first_from_bot(since, lambda m: "✅" in text(m))
    return new_start


def event_id(redis_sync: Any, title: str) -> str:
    for key in redis_sync.scan_iter(f"{TEST_PREFIX}ev:*"):
        rest = key[len(TEST_PREFIX) + 3 :]
        if rest.isdigit() and redis_sync.hget(key, "title") == title:
            return str(rest)
    raise AssertionError(f"no event {title!r}")


async def wait_long(client: Any, chat: int, contains: str, timeout: float = 120) -> dict[str, Any]:
    """The first bot message with ``contains``, waiting on the scheduler's clock (longer than
    one control-API request may last)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            [msg] = await client.wait_for(chat, text_contains=contains, timeout=20)
            return dict(msg)
        except SandboxError:
            if time.monotonic() > deadline:
                raise


async def overview_of(client: Any, p: Person) -> dict[str, Any]:
    """/events' answer (other messages, such as a broadcast's report, may arrive meanwhile)."""
    since = await p.seq()
    await client.send_text(p.id, "/events")
    return await p.first_from_bot(since, lambda m: "ev:new" in [d for _, d in buttons(m)])


async def open_card(p: Person, eid: str) -> dict[str, Any]:
    overview = await overview_of(p.c, p)
    assert f"ev:o:{eid}" in json.dumps(buttons(overview)), buttons(overview)
    since = await p.seq()
    await p.c.press(p.id, p.id, int(overview["message_id"]), f"ev:o:{eid}")
    # The card, found by its buttons: the event's announcement may land meanwhile.
    mine = (f"ev:r:{eid}:", f"ev:m:{eid}:")
    return await p.first_from_bot(since, lambda m: any(d.startswith(mine) for _, d in buttons(m)))


async def test_meetup_announce_rsvp_waitlist_reminders_edit_cancel(
    bot: Any, client: Any, redis_sync: Any, store: Any, worker: Any, sandbox: Any
) -> None:
    from tg_support.community.dates import format_when

    world = await groups(client)
    ana = world["admin"]
    await admin_profile(store, ana)
    pablo = await learner(client, store, "Pablo", "es", "Europe/Madrid")
    lea = await learner(client, store, "Lea", "en", "Europe/London")
    marta = await learner(client, store, "Marta", "en", "Europe/Lisbon")
    jean = await learner(client, store, "Jean", "fr", "Europe/Paris")
    ravi = await learner(client, store, "Ravi", "hi", "Asia/Kolkata")  # another region

    # A photo where the flow wants text gets a word, not a crash.
    overview = await overview_of(client, ana)
    [ask_title] = await ana.press(overview, "ev:new")
    since = await ana.seq()
    await client.send_photo(ana.id)
    [word] = await bot_reply(client, ana, since)
    assert "texto" in text(word)
    await ana.send("/cancel")

    madrid = ZoneInfo("Europe/Madrid")
    start = datetime.fromtimestamp(int(time.time()) + 3 * 24 * 3600, madrid)
    title = "Noche de estudio ML"
    await create_event(client, ana, title, start, online=False, capacity="2", langs=("es", "en", "fr"), venue=VENUE)
    eid = event_id(redis_sync, title)
    assert redis_sync.hget(f"{TEST_PREFIX}ev:{eid}", "city_name") == "Sevilla"

    # The announcement: the region's learners of the course, each in their language, as a
    # broadcast (its report goes to the organizer); never the venue.
    announced = {p.id: await client.wait_for(p.id, text_contains="📣", timeout=30) for p in (pablo, lea, marta, jean)}
    assert "Nuevo evento" in text(announced[pablo.id][0]) and "Sevilla" in text(announced[pablo.id][0])
    assert "New event" in text(announced[lea.id][0]) and "Nouvel événement" in text(announced[jean.id][0])
    assert any(redis_sync.hget(k, "audience") and '"europe"' in redis_sync.hget(k, "audience")
               for k in redis_sync.scan_iter(f"{TEST_PREFIX}bc:[0-9]*") if k.count(":") == 3)  # fmt: skip
    await asyncio.sleep(1)
    assert not [m for m in await client.messages(ravi.id, from_bot=True) if "📣" in text(m)]

    # A learner may not create events, nor manage one by a forged button.
    overview = await overview_of(client, pablo)
    assert (await pablo.press_answer(overview, "ev:new"))["show_alert"]
    assert (await pablo.press_answer(overview, f"ev:m:{eid}:cancel", force=True))["show_alert"]
    assert (await pablo.press_answer(overview, "ev:r:999:going", force=True))["show_alert"]

    # RSVPs: two seats, the third goes to the waitlist, a "maybe" takes no seat.
    card = await open_card(pablo, eid)
    assert VENUE not in text(card) and "Sevilla" in text(card)
    since = await pablo.seq()
    await client.press(pablo.id, pablo.id, card["message_id"], f"ev:r:{eid}:going")
    got = await client.wait_for(pablo.id, count=3, since_seq=since, timeout=15)
    confirmation = next(m for m in got if "✅" in text(m) and VENUE in text(m))
    doc = next(m for m in got if m.get("document"))
    assert doc["document"]["file_name"] == f"event-{eid}.ics"
    cal = icalendar.Calendar.from_ical(sandbox.world.files[doc["document"]["file_id"]].content)
    [vevent] = cal.walk("VEVENT")
    assert vevent.decoded("dtstart").timestamp() == start.timestamp()
    assert vevent.decoded("dtend").timestamp() == start.timestamp() + 90 * 60
    assert str(vevent["summary"]) == title and VENUE in str(vevent["location"])
    assert format_when(start.timestamp(), "Europe/Madrid", "es") in text(confirmation)

    lea_card = await open_card(lea, eid)
    since = await lea.seq()
    await client.press(lea.id, lea.id, lea_card["message_id"], f"ev:r:{eid}:going")
    await client.wait_for(lea.id, count=3, since_seq=since, timeout=15)
    marta_card = await open_card(marta, eid)
    answer = await marta.press_answer(marta_card, f"ev:r:{eid}:going")
    assert answer["show_alert"] and "1" in answer["text"] and "waitlist" in answer["text"]
    jean_card = await open_card(jean, eid)
    await jean.press_answer(jean_card, f"ev:r:{eid}:maybe")
    assert redis_sync.zrange(f"{TEST_PREFIX}ev:{eid}:going", 0, -1) == [str(pablo.id), str(lea.id)]
    assert redis_sync.zrange(f"{TEST_PREFIX}ev:{eid}:wait", 0, -1) == [str(marta.id)]

    # Lea can't come after all: Marta moves up and gets the venue and the calendar file.
    since = await marta.seq()
    await lea.press_answer(lea_card, f"ev:r:{eid}:no")
    promoted = await client.wait_for(marta.id, count=2, since_seq=since, timeout=15)
    assert any("🎉" in text(m) and VENUE in text(m) for m in promoted)
    assert any((m.get("document") or {}).get("file_name") == f"event-{eid}.ics" for m in promoted)
    assert redis_sync.zrange(f"{TEST_PREFIX}ev:{eid}:going", 0, -1) == [str(pablo.id), str(marta.id)]

    # The organizer moves the start to 24 h and 40 s from now: everyone who answered (not
    # "can't") is told, old and new, in their zone and language.
    new_start = await move_start(client, ana, eid, 24 * 3600 + 40)
    for p, tz, locale in ((pablo, "Europe/Madrid", "es"), (marta, "Europe/Lisbon", "en"), (jean, "Europe/Paris", "fr")):
        [changed] = await client.wait_for(p.id, text_contains="✏️", timeout=30)
        assert format_when(new_start.timestamp(), tz, locale) in text(changed), text(changed)
        assert format_when(start.timestamp(), tz, locale) in text(changed)
    assert not [m for m in await client.messages(lea.id, from_bot=True) if "✏️" in text(m)]

    # 24 h before the start (RQ's scheduler, the emulator's clock): those with a seat are
    # reminded, the start written in their own zone and language.
    for p, tz, locale in ((pablo, "Europe/Madrid", "es"), (marta, "Europe/Lisbon", "en")):
        reminder = await wait_long(client, p.id, "⏰")
        assert format_when(new_start.timestamp(), tz, locale) in text(reminder), text(reminder)
        assert VENUE in text(reminder)
        assert reminder["date"] >= int(new_start.timestamp()) - 24 * 3600 - 1
    assert "starts in 24 hours" in text((await client.wait_for(marta.id, text_contains="⏰"))[0])
    assert not [m for m in await client.messages(lea.id, from_bot=True) if "⏰" in text(m)]

    # A new venue reaches only the people with a seat.
    card = await open_card(ana, eid)
    [fields] = await ana.press(card, f"ev:m:{eid}:edit")
    [ask] = await ana.press(fields, f"ev:e:{eid}:venue")
    await ana.send(VENUE + " (planta 2)")
    for p in (pablo, marta):
        await client.wait_for(p.id, text_contains="planta 2", timeout=30)

    # Cancelled: everyone who answered hears it, in their language.
    card = await open_card(ana, eid)
    [confirm] = await ana.press(card, f"ev:m:{eid}:cancel")
    [done] = await ana.press(confirm, f"ev:m:{eid}:cancel_yes")
    assert "❌" in text(done)
    expect = {pablo: "cancelado", marta: "cancelled", jean: "annulé"}
    for p, word in expect.items():
        [gone] = await client.wait_for(p.id, text_contains="❌", timeout=30)
        assert word in text(gone), text(gone)
    assert redis_sync.hget(f"{TEST_PREFIX}ev:{eid}", "status") == "cancelled"
    answer = await pablo.press_answer(card, f"ev:r:{eid}:going")
    assert answer["show_alert"]

    # The venue never reached anyone without a seat: not Jean (maybe), not Ravi, not the
    # groups; Lea only while she had her seat.
    allowed = {ana.id, pablo.id, marta.id, lea.id}
    for entry in await client.log():
        chat = str((entry.get("params") or {}).get("chat_id", ""))
        if chat and int(chat) not in allowed:
            assert "Secreta" not in json.dumps(entry.get("params"), ensure_ascii=False), entry
    for p in (jean, ravi):
        assert not [m for m in await client.messages(p.id) if "Secreta" in text(m)]
    lea_after = [m for m in await client.messages(lea.id, from_bot=True) if "planta 2" in text(m)]
    assert not lea_after


async def test_online_session_city_from_location_hour_reminder_and_feedback(
    bot: Any, client: Any, redis_sync: Any, store: Any, worker: Any, redis_url: str
) -> None:
    from tg_support.community.dates import format_when
    from tg_support.community.event_store import EventStore
    from tg_support.core import jobs

    world = await groups(client)
    ana = world["admin"]
    await admin_profile(store, ana)
    ravi = await learner(client, store, "Ravi", "hi", "Asia/Kolkata")
    # Ravi shares a location: only the nearest city is kept, never the coordinates.
    overview = await overview_of(client, ravi)
    [ask] = await ravi.press(overview, "ev:city")
    since = await ravi.seq()
    await client.send_location(ravi.id, 28.6304, 77.2177)
    [set_city] = await bot_reply(client, ravi, since)
    assert "Delhi" in text(set_city)
    assert redis_sync.get(f"{TEST_PREFIX}ev:city:{ravi.id}") == "1261481"  # GeoNames: New Delhi
    for key in redis_sync.scan_iter(f"{TEST_PREFIX}*"):
        if redis_sync.type(key) in ("string", "hash"):
            blob = str(redis_sync.get(key) if redis_sync.type(key) == "string" else redis_sync.hgetall(key))
            assert "28.63" not in blob and "77.21" not in blob, key

    kolkata = ZoneInfo("Asia/Kolkata")
    start = datetime.fromtimestamp(int(time.time()) + 2 * 24 * 3600, ZoneInfo("Europe/Madrid"))
    title = "ML office hour"
    await create_event(client, ana, title, start, online=True, capacity="10", langs=("hi", "en"), venue="https://meet.example.org/ml-hour")
    eid = event_id(redis_sync, title)
    card = await open_card(ravi, eid)
    assert format_when(start.timestamp(), "Asia/Kolkata", "hi") in text(card)
    assert "meet.example.org" not in text(card)
    since = await ravi.seq()
    await client.press(ravi.id, ravi.id, card["message_id"], f"ev:r:{eid}:going")
    got = await client.wait_for(ravi.id, count=3, since_seq=since, timeout=15)
    assert any("meet.example.org" in text(m) for m in got)

    start = await move_start(client, ana, eid, 3600 + 30)
    reminder = await wait_long(client, ravi.id, "⏰")
    assert format_when(start.timestamp(), "Asia/Kolkata", "hi") in text(reminder)
    assert "1 घंटे" in text(reminder), text(reminder)
    assert reminder["date"] >= int(start.timestamp()) - 3600 - 1
    assert datetime.fromtimestamp(reminder["date"], kolkata).hour == datetime.fromtimestamp(start.timestamp() - 3600, kolkata).hour

    # After the event (moved into the past here rather than waited for): "how was it?".
    events = store.repo(EventStore)
    ev = await events.get(eid)
    await events.update(ev, start=time.time() - 2 * 3600)
    import redis as redis_lib
    from rq import Queue

    job = jobs.event_feedback(eid, ev.end)
    since = await ravi.seq()
    conn = redis_lib.Redis.from_url(redis_url)
    Queue(TEST_PREFIX + job.queue, connection=conn).enqueue(job.func, *job.args)
    conn.close()
    [prompt] = await client.wait_for(ravi.id, text_contains=title, since_seq=since, timeout=30)
    assert f"ev:fb:{eid}:good" in json.dumps(buttons(prompt))
    [thanks] = await ravi.press(prompt, f"ev:fb:{eid}:good")
    assert await events.attended(ravi.id) == 1
    assert (await events.export_user(ravi.id))["attended"] == 1
