"""Issue 19: a closed or solved question can be reopened by its asker (the final message
and /myquestions carry the button); the topic reopens, the group is told in its language
and the learner's next messages go to that question."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX, run_worker

from .people import Person, buttons, text
from .world import forum_group, onboard, person, register, spanish_group

pytestmark = pytest.mark.e2e


@pytest.fixture
async def solved(bot: Any, client: Any, redis_sync: Any) -> dict[str, Any]:
    """María's question #1, answered by Carlos in the topic and marked solved."""
    admin = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    carlos = await person(client, "Carlos", "es")
    es = await forum_group(client, "MOOC en español", admin, [maria, carlos])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es")
    [confirm] = await maria.send(
        "¿Cómo entrego la tarea de la semana 3 en Coursera? No encuentro el botón.", timeout=15
    )
    assert "#1" in text(confirm)
    thread = int(redis_sync.hget(f"{TEST_PREFIX}q:1", "thread_id"))
    since = await maria.seq()
    await client.send_text(
        carlos.id, "Pulsa «Enviar» en la pestaña Tareas.", chat_id=es["id"], message_thread_id=thread
    )
    [answer] = await client.wait_for(maria.id, since_seq=since, timeout=15)
    [final, _rating] = await maria.press(answer, "q:solve:1", count=2)
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "status") == "solved"
    return {
        "maria": maria, "carlos": carlos, "es": es, "thread": thread, "final": final,
        "answer": answer,
    }  # fmt: skip


def topic(state: dict[str, Any], chat_id: int, thread: int) -> dict[str, Any]:
    chat = next(c for c in state["chats"] if c["id"] == chat_id)
    found: dict[str, Any] = next(t for t in chat["topics"] if t["message_thread_id"] == thread)
    return found


async def test_reopen_from_the_final_message(
    solved: dict[str, Any], client: Any, redis_sync: Any
) -> None:
    maria, es, thread, final = solved["maria"], solved["es"], solved["thread"], solved["final"]
    assert "#1" in text(final) and [d for _, d in buttons(final)] == ["qr:1"]
    assert redis_sync.exists(f"{TEST_PREFIX}search:d:1")  # indexed as an answer
    helper_stats = f"{TEST_PREFIX}hstats:{solved['carlos'].id}"
    assert redis_sync.hget(helper_stats, "solved") == "1"
    before = topic(await client.state(), es["id"], thread)
    assert before["is_closed"] and before["name"].startswith("✅")

    since_topic = await maria.seq(es["id"], thread_id=thread)
    [opened] = await maria.press(final, "qr:1")
    assert text(opened).startswith("La pregunta #1 está abierta de nuevo.")
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "status") == "open"
    assert not redis_sync.exists(f"{TEST_PREFIX}search:d:1")  # no longer offered as solved
    assert redis_sync.zscore(f"{TEST_PREFIX}solved", "1") is None
    assert redis_sync.hget(helper_stats, "solved") == "0"  # credited again when solved again
    after = topic(await client.state(), es["id"], thread)
    assert not after["is_closed"] and after["name"].startswith("#1 · ¿Cómo entrego")
    # The group hears it in its language, under the learner's pseudonym.
    [notice] = await client.wait_for(
        es["id"], thread_id=thread, since_seq=since_topic, text_contains="abierta de nuevo"
    )
    assert "necesita ayuda" in text(notice) and "María" not in text(notice)

    # What she writes next goes to question #1, not to a new question.
    since_topic = await maria.seq(es["id"], thread_id=thread)
    [hint] = await maria.send("Sigo sin ver el botón de enviar en la semana 3.", timeout=15)
    assert "#1" in text(hint) and "#2" not in text(hint)
    [follow] = await client.wait_for(
        es["id"], thread_id=thread, since_seq=since_topic, text_contains="Sigo sin ver"
    )
    assert follow["message_thread_id"] == thread
    assert redis_sync.get(f"{TEST_PREFIX}qseq") == "1"

    # Pressing again: it is open already.
    again = await maria.press_answer(final, "qr:1")
    assert again["text"] == "Esta pregunta ya está abierta." and not again.get("show_alert")

    # Solved again with the earlier answer's button: closed again, credited once.
    await maria.press(solved["answer"], "q:solve:1", count=2)
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "status") == "solved"
    assert redis_sync.hget(helper_stats, "solved") == "1"
    assert topic(await client.state(), es["id"], thread)["is_closed"]


async def test_only_the_asker_can_reopen(
    solved: dict[str, Any], client: Any, redis_sync: Any
) -> None:
    maria, carlos, final = solved["maria"], solved["carlos"], solved["final"]
    forged = await Person(client, carlos.user).press_answer(
        {"chat": {"id": maria.id}, "message_id": final["message_id"]}, "qr:1", force=True
    )
    assert forged["show_alert"] and forged["text"] == "Este botón no es válido."
    for data in ("qr:1x", "qr:99", "qr:"):
        answer = await maria.press_answer(final, data, force=True)
        assert answer["show_alert"] and answer["text"] == "Este botón no es válido."
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "status") == "solved"


async def test_reopen_ends_after_thirty_days(
    solved: dict[str, Any], client: Any, redis_sync: Any
) -> None:
    maria, final = solved["maria"], solved["final"]
    redis_sync.hset(f"{TEST_PREFIX}q:1", "updated_at", str(time.time() - 31 * 24 * 3600))
    answer = await maria.press_answer(final, "qr:1")
    assert answer["show_alert"] and "hace más de 30 días" in answer["text"]
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "status") == "solved"
    [mine] = await maria.send("/myquestions")
    assert buttons(mine) == []  # past the limit: no Reopen offered


async def test_myquestions_lists_statuses_and_offers_reopen(
    solved: dict[str, Any], client: Any, redis_sync: Any
) -> None:
    maria = solved["maria"]
    [confirm] = await maria.send("/ask ¿Dónde descargo los vídeos de la semana 2 del curso?")
    assert "#2" in text(confirm)
    [mine] = await maria.send("/myquestions")
    body = text(mine)
    assert "Tus últimas 2 preguntas" in body
    assert "✅ #1 · ¿Cómo entrego" in body and "resuelta" in body
    assert "🟡 #2 · ¿Dónde descargo" in body and "esperando respuesta" in body
    assert buttons(mine) == [("🔄 Reabrir #1", "qr:1")]  # only the ended one
    [opened] = await maria.press(mine, "qr:1")
    assert "#1" in text(opened)
    [mine] = await maria.send("/myquestions")
    assert buttons(mine) == [] and "🟡 #1" in text(mine)


async def test_the_helper_who_took_it_gets_it_back(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str]
) -> None:
    admin, maria, carlos, es = await spanish_group(client)
    await maria.send("¿Cómo entrego la tarea de Python de la semana 3?", timeout=15)
    assert await run_worker(worker_env) == 0
    [offer] = await client.wait_for(carlos.id, text_contains="semana 3")
    await carlos.press(offer, "of:acc:1")
    load = f"{TEST_PREFIX}helper:{carlos.id}"
    assert redis_sync.hget(load, "l") == "1"
    since = await maria.seq()
    [_ack] = await carlos.send("Pulsa «Enviar» en la pestaña Tareas.", timeout=15)
    [answer] = await client.wait_for(maria.id, since_seq=since, text_contains="Tareas")
    [final, _rating] = await maria.press(answer, "q:solve:1", count=2)
    assert redis_sync.hget(load, "l") == "0"  # capacity given back

    since = await carlos.seq()
    await maria.press(final, "qr:1")
    [told] = await client.wait_for(carlos.id, since_seq=since, text_contains="#1")
    assert text(told).startswith("El estudiante reabrió la pregunta #1")
    assert redis_sync.hget(load, "l") == "1"
    # His private messages go to María's question again.
    since = await maria.seq()
    [ack] = await carlos.send("¿Ves ahora el botón «Enviar»?", timeout=15)
    assert "#1" in text(ack)
    [got] = await client.wait_for(maria.id, since_seq=since, text_contains="botón «Enviar»")
    assert "q:solve:1" in [d for _, d in buttons(got)]
