"""Issue 19: paths that had no end-to-end test: media relayed both ways, the /helper
settings buttons, /away and /back with real offer rounds, and the cross-lingual search
through a worker's translate_text and index_pivot."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis
from rq import Queue

from tests.conftest import TEST_PREFIX, run_worker

from .people import buttons, text
from .world import forum_group, onboard, person, register, spanish_group

pytestmark = pytest.mark.e2e


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Flood control stays out of the way of a quick tester (test_flood.py tests it).
    return {"translation_timeout_seconds": 40, "flood_updates": 1000}


async def until(check: Any, timeout: float = 20) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if check():
            return True
        await asyncio.sleep(0.05)
    return bool(check())


async def test_photos_reach_the_topic_and_come_back_to_the_learner(
    bot: Any, client: Any, redis_sync: Any
) -> None:
    admin = await person(client, "Ana", "es")
    maria = await person(client, "María", "es", username="maria_learns")
    carlos = await person(client, "Carlos", "es")
    es = await forum_group(client, "MOOC en español", admin, [maria, carlos])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es")
    await maria.send("¿Por qué mi cuaderno de Jupyter no guarda los cambios del curso?", timeout=15)
    thread = int(redis_sync.hget(f"{TEST_PREFIX}q:1", "thread_id"))

    # The learner's screenshot goes into the topic, under her pseudonym, caption kept.
    since = await maria.seq(es["id"], thread_id=thread)
    mine = await client.send_photo(maria.id, caption="Así se ve el error.")
    [photo] = await client.wait_for(es["id"], thread_id=thread, since_seq=since)
    assert photo.get("photo") and photo["message_thread_id"] == thread
    caption = text(photo)
    assert caption.startswith("Estudiante ") and "(quien pregunta):\nAsí se ve el error." in caption
    assert "María" not in caption and "maria_learns" not in caption
    # Her caption's edit follows (editMessageCaption), under the same head.
    await client.edit(maria.id, maria.id, mine["message_id"], "Así se ve el error 500.")
    [photo2] = await client.wait_for(
        es["id"], thread_id=thread, since_seq=photo["seq"], text_contains="error 500"
    )
    assert photo2["message_id"] == photo["message_id"] and photo2.get("photo")
    assert text(photo2).startswith(caption.split("\n")[0])

    # A helper's photo in the topic reaches the learner as an answer, with Solved.
    since = await maria.seq()
    await client.send_photo(
        carlos.id, chat_id=es["id"], message_thread_id=thread, caption="Mira esta captura."
    )
    [got] = await client.wait_for(maria.id, since_seq=since)
    assert got.get("photo") and "#1" in text(got) and "Mira esta captura." in text(got)
    assert "Carlos" not in text(got) and buttons(got) == [("✅ Resuelta", "q:solve:1")]
    # (Stored right after the copy is sent: wait for it.)
    assert await until(lambda: redis_sync.hget(f"{TEST_PREFIX}q:1", "status") == "answered")

    # Stickers are refused with a word, not forwarded.
    since = await maria.seq(es["id"], thread_id=thread)
    await client.send_sticker(maria.id)
    [word] = await client.wait_for(maria.id, since_seq=got["seq"])
    assert "stickers" in text(word) or "pegatinas" in text(word)
    assert [m for m in await client.messages(es["id"], thread_id=thread) if m["seq"] > since] == []


async def test_helper_settings_buttons_edit_the_card(bot: Any, client: Any, redis_sync: Any) -> None:
    john = await person(client, "John", "en")
    await onboard(john, "en", role="helper")
    [settings] = await john.send("/helper")
    card = f"{TEST_PREFIX}helper:{john.id}"
    assert "Capacity: 3 open questions at a time" in text(settings)
    [s] = await john.press(settings, "hp:cap:5")
    assert s["message_id"] == settings["message_id"]  # edited in place
    assert "Capacity: 5 open questions at a time" in text(s) and redis_sync.hget(card, "c") == "5"
    assert ("● 5", "hp:cap:5") in buttons(s)
    [s] = await john.press(s, "hp:lang:es")
    assert "Español (native)" in text(s)
    [s] = await john.press(s, "hp:lang:es")
    assert "Español (fluent)" in text(s)
    [s] = await john.press(s, "hp:hours:weekends")
    assert "Available: weekends" in text(s)
    [s] = await john.press(s, "hp:name:toggle")
    assert "Learners see: your first name" in text(s)
    assert redis_sync.hget(f"{TEST_PREFIX}user:{john.id}", "display_name") == "John"
    [s] = await john.press(s, "hp:lb:toggle")
    assert ("Leaderboard: hidden", "hp:lb:toggle") in buttons(s)
    assert redis_sync.hget(f"{TEST_PREFIX}user:{john.id}", "leaderboard") == "0"
    # Values no keyboard draws are refused, and change nothing.
    for forged in ("hp:cap:7", "hp:lang:xx", "hp:hours:night"):
        answer = await john.press_answer(s, forged, force=True)
        assert answer["show_alert"] and answer["text"] == "This button is not valid."
    assert redis_sync.hget(card, "c") == "5"
    # The only language cannot be dropped: cycling English past "basic" is refused.
    [s] = await john.press(s, "hp:lang:es")  # basic
    [s] = await john.press(s, "hp:lang:es")  # dropped
    assert "Español" not in text(s).split("\n")[1]
    for _ in range(2):
        [s] = await john.press(s, "hp:lang:en")  # fluent, basic
    answer = await john.press_answer(s, "hp:lang:en")
    assert answer["show_alert"] and answer["text"] == "Keep at least one language."


async def offers_to(client: Any, uid: int, qid: str) -> list[dict[str, Any]]:
    return [
        m
        for m in await client.messages(uid, from_bot=True)
        if f"of:acc:{qid}" in [d for _, d in buttons(m)]
    ]


async def test_away_helpers_get_no_offers_until_back(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str]
) -> None:
    admin, maria, carlos, es = await spanish_group(client)
    [not_helper] = await maria.send("/away")
    assert "/helper" in text(not_helper)

    [away] = await carlos.send("/away")
    assert text(away) == "¡Disfruta tu descanso! No te ofreceré preguntas hasta que envíes /back."
    assert redis_sync.hget(f"{TEST_PREFIX}helper:{carlos.id}", "a") == "1"
    await maria.send("¿Cómo entrego la tarea de Python de la semana 3?", timeout=15)
    assert await run_worker(worker_env) == 0  # the offer round runs: nobody to offer to
    assert await offers_to(client, carlos.id, "1") == []
    assert redis_sync.get(f"{TEST_PREFIX}offer:round:1:0") == "[]"

    [back] = await carlos.send("/back")
    assert text(back) == "¡Qué bueno tenerte de vuelta! Volveré a ofrecerte preguntas."
    assert redis_sync.hget(f"{TEST_PREFIX}helper:{carlos.id}", "a") == "0"
    await maria.send("/ask ¿Dónde veo la nota del cuestionario de Python?", timeout=15)
    assert await run_worker(worker_env) == 0
    assert len(await offers_to(client, carlos.id, "2")) == 1


async def translated_by_worker(redis_url: str, text_: str, src: str, dst: str) -> Any:
    """Run translate_text once on the worker (loading its model) and return the result."""
    conn = redis.Redis.from_url(redis_url)
    try:
        queue = Queue(f"{TEST_PREFIX}interactive", connection=conn)
        job = queue.enqueue("workers.translate.translate_text", text_, src, dst)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while loop.time() < deadline:
            if job.get_status(refresh=True) == "finished":
                break
            await asyncio.sleep(0.1)
        return job.return_value()
    finally:
        conn.close()


async def test_a_hindi_query_finds_a_solved_spanish_question_through_the_pivot(
    bot: Any, client: Any, redis_sync: Any, redis_url: str, worker: Any
) -> None:
    admin = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    carlos = await person(client, "Carlos", "es")
    priya = await person(client, "Priya", "hi")
    es = await forum_group(client, "MOOC en español", admin, [maria, carlos])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es", courses="")
    await onboard(priya, "hi", courses="")
    [confirm] = await maria.send("¿Cómo obtengo el certificado?", timeout=15)
    assert "#1" in text(confirm)
    thread = int(redis_sync.hget(f"{TEST_PREFIX}q:1", "thread_id"))
    since = await maria.seq()
    await client.send_text(
        carlos.id, "Aprueba todos los cuestionarios.", chat_id=es["id"], message_thread_id=thread
    )
    [answer] = await client.wait_for(maria.id, since_seq=since, timeout=15)
    await maria.press(answer, "q:solve:1", count=2)
    # index_pivot (a worker) adds the English pivot to the solved question.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline:
        if redis_sync.hget(f"{TEST_PREFIX}search:d:1", "pivot_lang"):
            break
        await asyncio.sleep(0.1)
    assert redis_sync.hget(f"{TEST_PREFIX}search:d:1", "pivot_lang") == "en"
    # The bot waits 2 s for a query's translation: the worker loads hi→en beforehand.
    query = "मुझे प्रमाणपत्र कैसे मिलेगा?"
    assert await translated_by_worker(redis_url, query, "hi", "en") == "How do I get the certificate?"

    [suggest] = await priya.send(query, timeout=15)
    # Found through the pivot, with its answer: translated for her when a worker could, the
    # original a tap away (questions.suggestions), else as written.
    toggle = [d for _, d in buttons(suggest) if d.startswith("tr:o:")]
    if toggle:
        [suggest] = await priya.press(suggest, toggle[0])
    assert "¿Cómo obtengo el certificado?" in text(suggest)
    assert "Aprueba todos los cuestionarios." in text(suggest)
    dup = next(d for _, d in buttons(suggest) if d.startswith("q:dup:"))
    assert dup == "q:dup:2:1"
    [glad] = await priya.press(suggest, dup)
    assert glad["message_id"] == suggest["message_id"] and not buttons(glad)
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "helped") == "1"
    assert not redis_sync.exists(f"{TEST_PREFIX}q:2")  # the draft went away
