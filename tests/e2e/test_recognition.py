"""Recognition through the real stack: a learner's thank-you note after rating reaches the
helper translated; the helper's badge card arrives as a photo; the monthly spotlight names
the helper who opted in, in the group's language."""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import pytest
import redis as redis_lib
from PIL import Image
from rq import Queue

from tests.conftest import TEST_PREFIX

from .people import Person, buttons, text
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"flood_updates": 200}


async def offer_of(client: Any, helper: Person, qid: str) -> dict[str, Any]:
    for m in await client.wait_for(helper.id, text_contains=f"#{qid}", timeout=30):
        if f"of:acc:{qid}" in [d for _, d in buttons(m)]:
            return dict(m)
    raise AssertionError("no offer")


async def test_thank_you_note_badge_card_and_spotlight(
    bot: Any, client: Any, redis_sync: Any, worker: Any, sandbox: Any, redis_url: str
) -> None:
    admin = await person(client, "Ana", "es", username="ana_admin")
    maria = await person(client, "María", "es")
    carlos = await person(client, "Carlos", "es")
    es = await forum_group(client, "MOOC en español", admin, [maria, carlos])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es")
    await onboard(carlos, "es", role="helper")

    [confirm] = await maria.send("¿Cómo entrego la tarea de la semana 3 en Coursera? No encuentro el botón de enviar.", timeout=15)
    qid = "1"
    offer = await offer_of(client, carlos, qid)
    await carlos.press(offer, f"of:acc:{qid}")
    since = await maria.seq()
    await carlos.send("Ve a la pestaña Tareas, abre la semana 3 y pulsa «Enviar».", timeout=15)
    [got] = await client.wait_for(maria.id, since_seq=since, timeout=15)
    [_solved, rating] = await maria.press(got, f"q:solve:{qid}", count=2)
    up = next(d for _, d in buttons(rating) if d.endswith(":up"))
    [thanks] = await maria.press(rating, up)

    # The thank-you note, written in English by a Spanish-speaking learner: Carlos reads it
    # in Spanish (a worker translates it), without María's name.
    [ask] = await maria.press(thanks, f"ty:{qid}:0")
    assert "ty:" not in str(buttons(ask))
    since = await carlos.seq()
    [sent] = await maria.send("Thank you for the answer.")
    assert "💌" in text(sent)
    [note] = await client.wait_for(carlos.id, text_contains="💌", since_seq=since, timeout=40)
    assert "nota de agradecimiento" in text(note) and f"#{qid}" in text(note)
    assert "María" not in text(note) and str(maria.id) not in str(note)
    # Translated by the worker (the shipped en→es model; below its confidence threshold the
    # original comes first, with the translation under a warning).
    [note] = await client.wait_for(carlos.id, text_contains="Gracias por la respuesta", since_seq=since, timeout=40)
    assert "💌" in text(note)
    # One note per answer; a forged button for another question is refused.
    twice = await maria.press_answer(thanks, f"ty:{qid}:0", force=True)  # an old copy of the button
    assert twice["show_alert"]
    forged = await maria.press_answer(thanks, "ty:99:0", force=True)
    assert forged["show_alert"]

    # The badge card: a photo of the card, in Spanish; then the spotlight opt-in.
    since = await carlos.seq()
    await client.send_text(carlos.id, "/card")
    [card] = await client.wait_for(carlos.id, since_seq=since, timeout=20)
    assert card.get("photo") and "tarjeta" in text(card)
    png = sandbox.world.files[card["photo"][-1]["file_id"]].content
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.width == 1000
    answer = await carlos.press_answer(card, "rc:spot:on")
    assert answer["show_alert"]
    assert redis_sync.sismember(f"{TEST_PREFIX}rc:spot:in", str(carlos.id))

    # The month's spotlight (the job RQ's scheduler runs on the first of the month, run now).
    # The bot scheduled next month's at its start; forget it to see the job schedule it.
    from tg_support.community.recognition import month_of, next_month_start

    nxt = f"rc-spot-{month_of(next_month_start(time.time()))}"
    registry = f"rq:scheduled:{TEST_PREFIX}interactive"
    assert nxt in redis_sync.zrange(registry, 0, -1)
    redis_sync.zrem(registry, nxt)
    conn = redis_lib.Redis.from_url(redis_url)
    Queue(TEST_PREFIX + "interactive", connection=conn).enqueue("workers.events.spotlight", "2026-12")
    conn.close()
    [post] = await client.wait_for(es["id"], text_contains="🌟", timeout=30)
    assert "Ayudantes destacados" in text(post) and "diciembre" in text(post)
    assert "1 respuesta útil" in text(post) and "Carlos" not in text(post)
    assert "Ayudó con: python" in text(post)  # the topics of the questions answered there
    deadline = time.monotonic() + 30
    while nxt not in redis_sync.zrange(registry, 0, -1):
        assert time.monotonic() < deadline, "the spotlight did not schedule next month's"
        await asyncio.sleep(0.2)
    # Once per group and month: running it again posts nothing new.
    conn = redis_lib.Redis.from_url(redis_url)
    Queue(TEST_PREFIX + "interactive", connection=conn).enqueue("workers.events.spotlight", "2026-12")
    conn.close()
    await asyncio.sleep(3)
    assert len([m for m in await client.messages(es["id"], from_bot=True) if "🌟" in text(m)]) == 1
