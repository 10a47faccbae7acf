"""The event store against a real Redis: seats, the waitlist and promotions under racing
RSVPs, capacity changes, cancellation once, erasure and export of a user; the gazetteer and
the .ics file."""

from __future__ import annotations

import asyncio
import json
import time

import icalendar
import redis.asyncio as aioredis

from tg_support.community import events, gazetteer
from tg_support.community.event_store import Event, EventStore


def meetup(**values: object) -> Event:
    base: dict[str, object] = dict(
        eid="0", organizer=1, title="Study night", online=False, city="2510911",
        city_name="Sevilla", region="europe", start=time.time() + 86400, tz="Europe/Madrid",
        minutes=90, capacity=2, langs=["es", "en"], courses=["coursera:machine-learning"],
        venue="Calle Secreta 12",
    )  # fmt: skip
    base.update(values)
    return Event(**base)  # type: ignore[arg-type]


async def test_racing_for_the_last_seats_gives_each_seat_once(r: aioredis.Redis) -> None:
    store = EventStore(r, "t:")
    ev = await store.create(meetup(capacity=3))
    results = await asyncio.gather(*(store.rsvp(ev.eid, uid, "going") for uid in range(100, 140)))
    states = [state for state, _ in results]
    assert states.count("going") == 3 and states.count("wait") == 37
    assert len(await store.going(ev.eid)) == 3
    waitlist = await store.waitlist(ev.eid)
    assert len(waitlist) == 37 and len(set(waitlist)) == 37
    # Pressing "going" again changes nothing.
    assert await store.rsvp(ev.eid, waitlist[0], "going") == ("wait", [])


async def test_a_cancellation_promotes_the_first_waiting_and_more_seats_promote_more(r: aioredis.Redis) -> None:
    store = EventStore(r, "t:")
    ev = await store.create(meetup(capacity=2))
    for uid in (1, 2, 3, 4, 5):
        await store.rsvp(ev.eid, uid, "going")
    assert await store.wait_position(ev.eid, 4) == 2
    assert await store.rsvp(ev.eid, 1, "no") == ("no", [3])
    assert await store.going(ev.eid) == [2, 3] and await store.state_of(ev.eid, 3) == "going"
    assert await store.rsvp(ev.eid, 3, "maybe") == ("maybe", [4])  # a seat given up: the next
    assert await store.rsvp(ev.eid, 6, "maybe") == ("maybe", [])  # maybe takes no seat
    await store.update(ev, capacity=5)
    assert await store.refill(ev.eid) == [5]
    assert await store.waitlist(ev.eid) == []
    assert await store.answers(ev.eid) == {1: "no", 2: "going", 3: "maybe", 4: "going", 5: "going", 6: "maybe"}


async def test_cancel_once_closes_rsvps_and_leaves_the_upcoming_list(r: aioredis.Redis) -> None:
    store = EventStore(r, "t:")
    ev = await store.create(meetup())
    assert [e.eid for e in await store.upcoming(time.time())] == [ev.eid]
    assert await asyncio.gather(store.cancel(ev.eid), store.cancel(ev.eid)) in ([True, False], [False, True])
    assert await store.upcoming(time.time()) == []
    assert await store.rsvp(ev.eid, 9, "going") == ("closed", [])
    assert await store.cancel("999") is False


async def test_erase_and_export_a_user(r: aioredis.Redis) -> None:
    store = EventStore(r, "t:")
    mine = await store.create(meetup(organizer=7, capacity=1))
    other = await store.create(meetup(organizer=1, capacity=1, title="Other"))
    await store.rsvp(other.eid, 7, "going")
    await store.rsvp(other.eid, 8, "going")  # waits behind user 7
    await store.set_city(7, "2510911")
    await store.feedback(other.eid, 7, "good")
    assert await store.attended(7) == 1
    exported = await store.export_user(7)
    json.dumps(exported)
    assert exported["city"] == "2510911" and exported["attended"] == 1
    assert exported["rsvps"][other.eid]["answer"] == "going" and exported["rsvps"][other.eid]["feedback"] == "good"
    assert [e["id"] for e in exported["organized"]] == [mine.eid]

    await store.erase_user(7)
    assert await store.going(other.eid) == [8]  # the freed seat went to the waitlist
    assert await store.state_of(other.eid, 7) is None
    assert await store.city_of(7) is None and await store.attended(7) == 0
    kept = await store.get(mine.eid)
    assert kept is not None and kept.organizer == 0
    assert await store.export_user(7) == {"city": None, "attended": 0, "rsvps": {}, "organized": []}
    left = [k for k in await r.keys("t:*") if k.endswith(":7")]
    assert left == [], left
    for key in await r.keys("t:ev:*"):
        if await r.type(key) == "hash":
            assert "7" not in await r.hkeys(key), key


async def test_feedback_counts_attendance_once(r: aioredis.Redis) -> None:
    store = EventStore(r, "t:")
    ev = await store.create(meetup())
    assert await store.feedback(ev.eid, 5, "ok") is True
    assert await store.feedback(ev.eid, 5, "good") is False
    assert await store.attended(5) == 1
    await store.feedback(ev.eid, 6, "missed")
    assert await store.attended(6) == 0


def test_gazetteer_names_in_any_script_and_the_nearest_city() -> None:
    assert gazetteer.search("sevilla")[0].country == "ES"
    assert gazetteer.search("Sevilla CO")[0].country == "CO"
    assert gazetteer.search("القاهرة")[0].name == "Cairo"
    assert gazetteer.search("北京")[0].name == "Beijing"
    assert gazetteer.search("no such place at all") == []
    near = gazetteer.nearest(37.39, -5.98)
    assert near is not None and near.name == "Sevilla" and near.tz == "Europe/Madrid"
    assert gazetteer.nearest(95, 0) is None


def test_the_ics_file_has_the_moment_in_utc_and_the_place() -> None:
    ev = meetup(eid="5", start=1_800_000_000.0)
    cal = icalendar.Calendar.from_ical(events.ics(ev))
    [item] = cal.walk("VEVENT")
    assert item.decoded("dtstart").timestamp() == 1_800_000_000.0
    assert item.decoded("dtend").timestamp() == 1_800_000_000.0 + 90 * 60
    assert str(item["uid"]) == "event-5@tg-support" and str(item["location"]) == "Calle Secreta 12, Sevilla"
    online = icalendar.Calendar.from_ical(events.ics(meetup(online=True, venue="https://meet.example.org/x")))
    [item] = online.walk("VEVENT")
    assert str(item["url"]) == "https://meet.example.org/x"


async def test_recognition_store_erase_and_export(r: aioredis.Redis) -> None:
    from tg_support.community.recognition import RecognitionStore, month_of, next_month_start

    store = RecognitionStore(r, "t:")
    await store.set_spotlight(7, True)
    assert await store.claim_note("12", 7) is True
    assert await store.claim_note("12", 7) is False  # one note per answer
    assert await store.note_sent("12", 7)
    assert await store.export_user(7) == {"spotlight": True, "thanked_for_questions": ["12"]}
    await store.erase_user(7)
    assert await store.export_user(7) == {"spotlight": False, "thanked_for_questions": []}
    assert await r.keys("t:*") == []
    due = next_month_start(1_796_342_400.0)  # 2026-12-04
    assert month_of(due) == "2027-01" and time.gmtime(due).tm_mday == 1 and time.gmtime(due).tm_hour == 12
