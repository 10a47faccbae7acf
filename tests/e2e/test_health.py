"""/health through the real stack: counters kept as a question is posted and answered, the
chart as a PNG photo (multipart sendPhoto to the emulator) for a group's admin, refusals
for everybody else."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis

from tests.conftest import TEST_PREFIX, TEST_TOKEN, make_settings, run_worker

from .people import Person, buttons, data_for, text
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e


@pytest.fixture
async def world(bot: Any, client: Any) -> dict[str, Any]:
    admin = await person(client, "Ana", "es", username="ana_admin")
    maria = await person(client, "María", "es")
    carlos = await person(client, "Carlos", "es")
    es = await forum_group(client, "MOOC en español", admin, [maria, carlos])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es")
    return {"admin": admin, "maria": maria, "carlos": carlos, "es": es}


async def download_photo(sandbox_url: str, msg: dict[str, Any]) -> bytes:
    biggest = msg["photo"][-1]
    async with httpx.AsyncClient(base_url=sandbox_url) as http:
        f = (await http.post(f"/bot{TEST_TOKEN}/getFile", json={"file_id": biggest["file_id"]}))
        path = f.json()["result"]["file_path"]
        return (await http.get(f"/file/bot{TEST_TOKEN}/{path}")).content


async def until(check: Callable[[], bool], timeout: float = 30) -> None:
    """Wait for a condition the bot reaches after its reply (generous: CI is slow)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def topic_of(client: Any, chat_id: int) -> int:
    state = await client.state()
    chat = next(c for c in state["chats"] if c["id"] == chat_id)
    [topic] = [t for t in chat.get("topics", []) if t["message_thread_id"] != 1]
    return int(topic["message_thread_id"])


async def test_health_photo_for_admin_refused_to_others(
    world: dict[str, Any], client: Any, sandbox: Any, redis_sync: Any
) -> None:
    admin, maria, carlos, es = world["admin"], world["maria"], world["carlos"], world["es"]
    await maria.send("¿Cómo entrego la tarea de la semana 3 en Coursera? No veo el botón.")
    thread = await topic_of(client, es["id"])
    day_keys = redis_sync.keys(f"{TEST_PREFIX}hl:day:{es['id']}:*")
    assert len(day_keys) == 1 and redis_sync.hget(day_keys[0], "a:es") == "1"
    assert redis_sync.scard(f"{TEST_PREFIX}hl:open:{es['id']}") == 1

    # An answer in the topic: the question leaves "unanswered" and its delay is sampled.
    since = await maria.seq()
    await carlos.c.send_text(carlos.id, "Pestaña Tareas, botón Enviar.", chat_id=es["id"],
                             message_thread_id=thread)  # fmt: skip
    await client.wait_for(maria.id, since_seq=since)
    await until(lambda: redis_sync.hget(day_keys[0], "ans") == "1")
    assert redis_sync.scard(f"{TEST_PREFIX}hl:open:{es['id']}") == 0
    assert redis_sync.llen(day_keys[0].replace(":hl:day:", ":hl:ttfa:")) == 1

    # The admin, in private: a photo (a real PNG) with the summary in Spanish.
    [photo] = await admin.send("/health", timeout=30)
    assert photo.get("photo"), photo
    caption = text(photo)
    assert "Salud de la comunidad: MOOC en español" in caption
    assert "Sin responder ahora: 0" in caption
    assert "1 pregunta" in caption
    png = await download_photo(sandbox.url, photo)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000

    # The admin in the group: the photo arrives in the group.
    [in_group] = await admin.send("/health", chat_id=es["id"], timeout=30)
    assert in_group.get("photo") and "MOOC en español" in text(in_group)

    # A member of the group and a learner in private are refused, with no photo.
    [refused] = await carlos.send("/health", chat_id=es["id"])
    assert "photo" not in refused and "administradores" in text(refused)
    [refused] = await maria.send("/health")
    assert "photo" not in refused and "administradores" in text(refused)


async def test_health_digest_switch_and_forged_button(
    world: dict[str, Any], redis_sync: Any
) -> None:
    admin: Person = world["admin"]
    maria: Person = world["maria"]
    [off] = await admin.send("/health digest off")
    assert redis_sync.sismember(f"{TEST_PREFIX}hl:nodigest", str(admin.id))
    assert "/health digest on" in text(off)
    await admin.send("/health digest on")
    assert not redis_sync.sismember(f"{TEST_PREFIX}hl:nodigest", str(admin.id))
    # A learner administers nothing: refused, nothing stored.
    await maria.send("/health digest off")
    assert not redis_sync.sismember(f"{TEST_PREFIX}hl:nodigest", str(maria.id))
    # A group's digest time zone, set by its admin in the group.
    [tz] = await admin.send("/health tz Europe/Madrid", chat_id=world["es"]["id"])
    assert "Europe/Madrid" in text(tz)
    assert redis_sync.get(f"{TEST_PREFIX}hl:tz:{world['es']['id']}") == "Europe/Madrid"
    # A forged group button is answered, not obeyed.
    [msg] = await admin.send("/help")
    answer = await admin.press_answer(msg, "hl:g:4242", force=True)
    assert answer["show_alert"] and answer["text"]


async def test_weekly_digest_planned_and_sent_once_to_admins_who_want_it(
    world: dict[str, Any], client: Any, sandbox: Any, redis_url: str, redis_sync: Any,
    worker_env: dict[str, str],
) -> None:  # fmt: skip
    from rq import Queue

    from tg_support.core import jobs
    from tg_support.ops.digest import digest_job_id, next_digest

    admin, carlos, es = world["admin"], world["carlos"], world["es"]
    await client.add_member(es["id"], carlos.id, status="administrator")
    await carlos.send("/health digest off")  # an admin who does not want it
    settings = make_settings(sandbox.url, redis_url)

    # The planner (as a worker runs it at start): the group's next Monday 09:00, in the
    # zone its admin set, and tomorrow's planner.
    await admin.send("/health tz Asia/Tokyo", chat_id=es["id"])
    jobs.enqueue_now(settings, jobs.plan_digests("20261207"))
    await run_worker(worker_env)
    conn = redis.Redis.from_url(redis_url)
    scheduled = Queue(TEST_PREFIX + "broadcast", connection=conn).scheduled_job_registry
    due = next_digest(time.time(), "Asia/Tokyo")
    assert scheduled.get_job_ids() == [digest_job_id(es["id"], due)]
    when = scheduled.get_scheduled_time(digest_job_id(es["id"], due))
    assert abs(when.timestamp() - due.timestamp()) < 1
    conn.close()

    # The digest itself, run now: the admin gets the chart in Spanish, once.
    since = await admin.seq()
    for _ in range(2):  # a retried job sends nobody twice
        jobs.enqueue_now(settings, jobs.health_digest(es["id"], "20261207", "hl-dg-test"))
        await run_worker(worker_env)
    got = [m for m in await client.messages(admin.id) if int(m["seq"]) > since]
    assert len(got) == 1 and got[0].get("photo") and "Resumen semanal" in text(got[0])
    assert not [m for m in await client.messages(carlos.id) if m.get("photo")]


async def test_admin_of_two_groups_chooses_one(world: dict[str, Any], client: Any) -> None:
    admin: Person = world["admin"]
    en = await forum_group(client, "MOOC Help (English)", admin, [])
    await register(admin, en["id"], ["en"], "international")
    [choice] = await admin.send("/health")
    assert "¿Qué grupo?" in text(choice)
    labels = [label for label, _ in buttons(choice)]
    assert sorted(labels) == ["MOOC Help (English)", "MOOC en español"]
    [photo] = await admin.press(choice, data_for(choice, "English"), timeout=30)
    assert photo.get("photo") and "MOOC Help (English)" in text(photo)
    # The same button pressed by someone who administers nothing there: refused.
    answer = await world["maria"].press_answer(choice, data_for(choice, "English"), force=True)
    assert answer["show_alert"] and "administradores" in answer["text"]
