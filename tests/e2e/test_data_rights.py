"""Data rights through the real stack (PTB against the emulator, Redis, a real worker
process translating with argostranslate): a learner who asked, got answers both ways,
rated, received a broadcast and joined a course, then ``/forget`` leaves no key naming her;
``/export`` sends everything stored about her as a JSON document."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from tests.conftest import TEST_PREFIX, TEST_TOKEN
from tg_support.broadcast.broadcasts import Audience, Broadcasts

from .people import buttons, text
from .scan import mentions, token_re
from .waiting import arrives, queues_idle, until
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e

QUESTION = "¿Cómo entrego la tarea de la semana 7 del curso de Python?"
FOLLOW_UP = "Gracias, ¿y si ya pasó la fecha límite de la semana 7?"
ANSWER = "The assignment is due on Friday."
BROADCAST = "New cohort starts on Monday!"
CHECKIN = "Terminé la semana 6 del curso de aprendizaje automático."
ML = "coursera:machine-learning"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The first translation in a fresh worker imports argostranslate (seconds).
    return {"translation_timeout_seconds": 40}


@pytest.fixture
async def aredis(redis_url: str) -> Any:
    r = Redis.from_url(redis_url, decode_responses=True)
    yield r
    await r.aclose()


# What may still name her after /forget, and why. Empty: nothing does. (RQ's own job
# records are outside the prefix: transient, compressed, and expire with their result TTL.)
ALLOWED: dict[str, str] = {}


async def start_broadcast(aredis: Redis, admin: int, body: str) -> str:
    """A confirmed broadcast to everyone without the admin conversation (test_broadcast
    covers that), run by the worker."""
    import os

    from redis import Redis as SyncRedis
    from rq import Queue

    store = Broadcasts(aredis, TEST_PREFIX)
    b = await store.create(admin, "en", "en", body, [], Audience(kind="all"))
    for lang in ("en", "es"):
        await store.set_text(b.bid, lang, body, [], "original")
    await store.transition(b.bid, ["translating"], "queued")
    conn = SyncRedis.from_url(os.environ["REDIS_URL"])  # set by the worker_env fixture
    Queue(TEST_PREFIX + "broadcast", connection=conn).enqueue("workers.broadcast.start", b.bid)
    conn.close()
    return b.bid


async def join_a_circle(aredis: Redis, client: Any, maria: Any) -> str:
    """Her catalog course and a study circle with a check-in answer, seeded through the
    stores (the circles' own tests drive the buttons)."""
    from tg_support.community.circle_plan import create_circle
    from tg_support.community.circle_store import CircleStore, Member
    from tg_support.community.course_store import set_learner_courses
    from tg_support.core.store import Store

    store = Store(aredis, TEST_PREFIX)
    profile = await store.get_profile(maria.id)
    assert profile is not None
    await set_learner_courses(store, profile, [*profile.courses, ML], {ML: None})
    others = [await person(client, name, "es") for name in ("Beto", "Carla", "Dani")]
    members = [Member(maria.id, "María", "es"), *(Member(p.id, None, "es") for p in others)]
    circles = store.repo(CircleStore)
    for m in members:
        await circles.wait(m.uid, ML, m.name)
    circle_id = await create_circle(store, ML, None, [60] * len(members), members)
    assert circle_id is not None
    await circles.start_round(circle_id, 1)
    await circles.add_answer(circle_id, 1, maria.id, CHECKIN, "es")
    return circle_id


async def only_topic(client: Any, chat_id: int) -> int:
    state = await client.state()
    chat = next(c for c in state["chats"] if c["id"] == chat_id)
    [topic] = [t for t in chat.get("topics", []) if t["message_thread_id"] != 1]
    return int(topic["message_thread_id"])


@pytest.fixture
async def life(bot: Any, client: Any, worker: Any, redis_sync: Any, aredis: Redis) -> dict[str, Any]:
    """María's whole life with the bot, up to the moment she asks about her data."""
    admin = await person(client, "Ana", "en", username="ana_admin")
    maria = await person(client, "María", "es", username="maria_learns")
    john = await person(client, "John", "en", username="john_helps")
    en = await forum_group(client, "MOOC Help (international)", admin, [john])
    # English, and any language nobody else takes: her Spanish question lands here.
    await register(admin, en["id"], ["en", "*"], "international")
    await onboard(maria, "es")
    await onboard(john, "en", role="helper")
    circle_id = await join_a_circle(aredis, client, maria)

    # She asks; the question reaches the group translated (the worker).
    [confirm] = await maria.send(QUESTION, timeout=20)
    assert "#1" in text(confirm)
    thread = await only_topic(client, en["id"])
    await arrives(client, en["id"], thread_id=thread, text_contains="#1")

    # John answers in the topic; she gets it translated into Spanish, one tap from the original.
    since = await maria.seq()
    await client.send_text(john.id, ANSWER, chat_id=en["id"], message_thread_id=thread)
    got = await arrives(client, maria.id, since_seq=since, text_contains="#1")
    assert "q:solve:1" in [d for _, d in buttons(got)]

    # Her follow-up goes the other way, translated into English.
    since_topic = await maria.seq(en["id"], thread_id=thread)
    await maria.send(FOLLOW_UP, count=1, timeout=20)
    await arrives(client, en["id"], thread_id=thread, since_seq=since_topic, text_contains="(asker)")

    # Solved, and a 👍 for John.
    [_solved, rating] = await maria.press(got, "q:solve:1", count=2)
    up = next(d for _, d in buttons(rating) if d.endswith(":up"))
    await maria.press(rating, up)
    assert redis_sync.hget(f"{TEST_PREFIX}rated:1", str(john.id)) == "up"

    # An announcement to everyone reaches her.
    bid = await start_broadcast(aredis, admin.id, BROADCAST)
    await arrives(client, maria.id, text_contains=BROADCAST)
    await until(
        lambda: redis_sync.hget(f"{TEST_PREFIX}bc:{bid}", "status") == "done", "the broadcast"
    )
    # Every job she caused has run (the pivot translation for search, offers to helpers).
    await until(lambda: redis_sync.exists(f"{TEST_PREFIX}search:d:1"), "the search index")
    await until(lambda: queues_idle(redis_sync), "idle queues")
    return {"maria": maria, "john": john, "admin": admin, "en": en, "circle": circle_id}


async def test_forget_leaves_no_key_naming_her(life: dict[str, Any], redis_sync: Any) -> None:
    maria, john = life["maria"], life["john"]
    texts = [QUESTION, FOLLOW_UP, CHECKIN]
    before = mentions(redis_sync, maria.id, texts)
    # The scan sees what there is to erase: relays, translations, sends, ratings, lists.
    kinds = {name.split(":")[0] for name in before}
    assert {"user", "q", "relay", "tr", "sent", "bc", "circ", "crs"} <= kinds, sorted(before)

    [ask] = await maria.send("/forget")
    [done] = await maria.press(ask, "pf:forget:yes")
    assert "Borré todo" in text(done)
    left = {k: v for k, v in mentions(redis_sync, maria.id, texts).items() if k not in ALLOWED}
    assert left == {}
    # Other people's data is untouched: John keeps his helper record and his rating.
    assert redis_sync.hget(f"{TEST_PREFIX}hstats:{john.id}", "helpful") == "1"
    assert redis_sync.exists(f"{TEST_PREFIX}user:{john.id}")


async def test_export_sends_everything_about_her_as_json(
    life: dict[str, Any], client: Any, sandbox: Any
) -> None:
    from tg_support.core.i18n import _, use_locale

    maria, john, admin = life["maria"], life["john"], life["admin"]
    [sent] = await maria.send("/export", timeout=20)
    with use_locale("es"):
        caption = _("Everything I store about you, as a JSON file. Send /forget to erase it all.")
        slow_down = _("You can ask for your data once a minute. Please try again in a moment.")
    assert caption != "Everything I store about you, as a JSON file. Send /forget to erase it all."
    assert sent["caption"] == caption
    assert sent["document"]["file_name"] == f"tg-support-data-{maria.id}.json"
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        params = {"file_id": sent["document"]["file_id"]}
        f = (await http.get(f"/bot{TEST_TOKEN}/getFile", params=params)).json()["result"]
        raw = (await http.get(f"/file/bot{TEST_TOKEN}/{f['file_path']}")).content.decode()
    doc = json.loads(raw)
    assert (doc["schema"], doc["version"], doc["user_id"]) == ("tg-support/export", 1, maria.id)
    # Her profile, as she set it up.
    fields = doc["profile"]["fields"]
    assert (fields["lang"], fields["role"], fields["onboarded"]) == ("es", "learner", True)
    assert fields["goal"] == "Learn a lot" and ML in fields["courses"]
    # Her question with its text, the answer she received (in the language John wrote it
    # in) and the rating she gave, John shown as she saw him.
    [q] = doc["questions"]["asked"]
    assert (q["number"], q["text"], q["language"], q["status"]) == (1, QUESTION, "es", "solved")
    assert q["group"] == "MOOC Help (international)"
    assert q["latest_answer"] == {"text": ANSWER, "language": "en"}
    [by] = q["answered_by"]
    assert by["your_rating"] == "helpful" and "John" not in by["helper"] and by["helper"]
    # Her course and circle, with her check-in answer; the broadcast she received.
    [course] = doc["courses"]["courses"]
    assert course["id"] == ML and course["title"]
    [circle] = doc["circles"]["circles"]
    assert circle["course"] == ML and circle["shown_as"] == "María"
    assert circle["checkin_answers"] == [{"round": 1, "text": CHECKIN, "language": "es"}]
    assert doc["broadcasts"]["received"] == [1]
    # The translated messages kept for the "Show original" toggle, both ways.
    kept = doc["translations"]["translated_messages"]
    assert kept and {m["original"] for m in kept} <= {QUESTION, FOLLOW_UP, ANSWER}
    # Nobody else's id: not John's, not the admin's, not her circle's other members'.
    pattern = token_re(maria.id)
    others = [john.id, admin.id]
    assert not [o for o in others if token_re(o).search(raw)]
    assert pattern.search(raw)  # (her own id is there, as user_id)
    # Once a minute.
    [again] = await maria.send("/export")
    assert text(again) == slow_down


async def test_helper_forget_leaves_no_key_naming_him(
    life: dict[str, Any], redis_sync: Any
) -> None:
    """The helper leaves: his record, his rating, his place on the boards and in the offers
    go; María's question stays (with the answer posted in the group) but no longer says who
    wrote it."""
    maria, john = life["maria"], life["john"]
    before = mentions(redis_sync, john.id, [])
    assert {"user", "hstats", "rated"} <= {k.split(":")[0] for k in before}, before
    [ask] = await john.send("/forget")
    [done] = await john.press(ask, "pf:forget:yes")
    assert "erased everything" in text(done)
    # (His answer's text stays with her question: it was posted in the group.)
    assert mentions(redis_sync, john.id, []) == {}
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "text") == QUESTION
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "helper_id") is None
    assert redis_sync.exists(f"{TEST_PREFIX}user:{maria.id}")
