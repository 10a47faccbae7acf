"""A learner's question through the real stack: routing to a language-matched forum group,
one topic per question, answers relayed back, edits, solved, and privacy."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX

from .people import Person, buttons, data_for, text
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e


@pytest.fixture
async def world(bot: Any, client: Any) -> dict[str, Any]:
    admin = await person(client, "Ana", "es", username="ana_admin")
    maria = await person(client, "María", "es", username="maria_learns")
    john = await person(client, "John", "en", username="john_helps")
    carlos = await person(client, "Carlos", "es", username="carlos_helps")
    es = await forum_group(client, "MOOC en español", admin, [maria, carlos, john])
    en = await forum_group(client, "MOOC Help (English)", admin, [john])
    await register(admin, es["id"], ["es"], "americas")
    await register(admin, en["id"], ["en"], "international")
    for p, lang in ((maria, "es"), (john, "en")):
        await onboard(p, lang)
    return {"admin": admin, "maria": maria, "john": john, "carlos": carlos, "es": es, "en": en}


async def ask(p: Person, question: str) -> dict[str, Any]:
    """Ask and return the bot's confirmation (or suggestions) in the private chat."""
    msgs = await p.send(question, count=1, timeout=15)
    return msgs[-1]


async def topic_messages(
    client: Any, chat_id: int, thread_id: int, count: int = 1
) -> list[dict[str, Any]]:
    """The bot's posts in a topic, without the topic-created service message."""
    msgs = await client.wait_for(chat_id, thread_id=thread_id, count=count + 1, timeout=10)
    return [m for m in msgs if "forum_topic_created" not in m]


async def the_topic(client: Any, chat_id: int) -> tuple[int, dict[str, Any]]:
    state = await client.state()
    chat = next(c for c in state["chats"] if c["id"] == chat_id)
    topics = [t for t in chat.get("topics", []) if t["message_thread_id"] != 1]
    assert len(topics) == 1, topics
    return int(topics[0]["message_thread_id"]), topics[0]


async def test_spanish_question_goes_to_spanish_group_and_back(
    world: dict[str, Any], client: Any, redis_sync: Any
) -> None:
    maria, carlos, es = world["maria"], world["carlos"], world["es"]
    confirm = await ask(
        maria, "¿Cómo entrego la tarea de la semana 3 en Coursera? No encuentro el botón de enviar."
    )
    assert "#1" in text(confirm) and "MOOC en español" in text(confirm)
    thread_id, topic = await the_topic(client, es["id"])
    assert topic["name"].startswith("#1 · ¿Cómo entrego") and len(topic["name"]) <= 128
    [post] = await topic_messages(client, es["id"], thread_id)
    assert "semana 3" in text(post) and "#1" in text(post)
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "lang") == "es"
    # A member answers in the topic; the learner gets it under a pseudonym.
    since = await maria.seq()
    answer = await carlos.c.send_text(
        carlos.id,
        "Ve a la pestaña Tareas y pulsa «Enviar».",
        chat_id=es["id"],
        message_thread_id=thread_id,
    )
    [got] = await client.wait_for(maria.id, since_seq=since)
    assert "pestaña Tareas" in text(got) and "#1" in text(got)
    assert "Carlos" not in text(got)
    # The helper edits the answer; the learner's copy follows.
    since = await maria.seq()
    await client.edit(
        carlos.id,
        es["id"],
        answer["message_id"],
        "Ve a la pestaña Tareas, abre la semana 3 y pulsa «Enviar».",
    )
    [edited] = await client.wait_for(maria.id, since_seq=since)
    assert edited["message_id"] == got["message_id"] and "abre la semana 3" in text(edited)
    # A follow-up from the learner reaches the same topic.
    since_topic = await maria.seq(es["id"])
    await maria.send("Gracias, ¿y si ya pasó la fecha límite?", count=1)
    [follow] = await client.wait_for(es["id"], thread_id=thread_id, since_seq=since_topic)
    assert "fecha límite" in text(follow)
    # Solved: the topic is closed and renamed with a check mark.
    since = await maria.seq()
    [solved_msg] = await maria.press(edited, data_for(edited, "✅"), count=1)
    _, topic = await the_topic(client, es["id"])
    assert topic["is_closed"] and topic["name"].startswith("✅")
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "status") == "solved"


async def test_english_learner_goes_to_english_group(world: dict[str, Any], client: Any) -> None:
    john, en, es = world["john"], world["en"], world["es"]
    confirm = await ask(john, "How do I reset my quiz attempts on edX? The button is greyed out.")
    assert "MOOC Help (English)" in text(confirm)
    thread_id, topic = await the_topic(client, en["id"])
    assert "reset my quiz" in topic["name"]
    state = await client.state()
    es_chat = next(c for c in state["chats"] if c["id"] == es["id"])
    assert [t for t in es_chat.get("topics", []) if t["message_thread_id"] != 1] == []


async def solved_certificate_question(world: dict[str, Any], client: Any) -> None:
    """María asks how to download her certificate, Carlos answers, she marks it solved."""
    maria, carlos, es = world["maria"], world["carlos"], world["es"]
    await ask(maria, "¿Cómo descargo el certificado del curso de Python en Coursera?")
    thread_id, _ = await the_topic(client, es["id"])
    since = await maria.seq()
    await client.send_text(
        carlos.id, "En Logros, pulsa Descargar certificado.", chat_id=es["id"],
        message_thread_id=thread_id,
    )  # fmt: skip
    [ans] = await client.wait_for(maria.id, since_seq=since)
    await maria.press(ans, data_for(ans, "✅"), count=1)


async def test_similar_solved_question_is_offered_first(world: dict[str, Any], client: Any) -> None:
    es = world["es"]
    await solved_certificate_question(world, client)
    # Another learner asks much the same thing.
    lucia = await person(client, "Lucía", "es")
    await onboard(lucia, "es")
    suggest = await ask(lucia, "No sé cómo descargar mi certificado de Coursera del curso Python")
    assert "Descargar certificado" in text(suggest)
    [go] = [d for _, d in buttons(suggest) if d.startswith("q:go:")]
    # Two presses of "ask anyway" racing: still exactly one new topic.
    qid1 = await client.press(lucia.id, lucia.id, suggest["message_id"], go)
    qid2 = await client.press(lucia.id, lucia.id, suggest["message_id"], go)
    await client.callback_answer(qid1, wait=10)
    await client.callback_answer(qid2, wait=10)
    await client.wait_for(lucia.id, text_contains="#2", timeout=10)
    await asyncio.sleep(0.5)
    state = await client.state()
    es_chat = next(c for c in state["chats"] if c["id"] == es["id"])
    names = [t["name"] for t in es_chat["topics"] if t["message_thread_id"] != 1]
    assert len([n for n in names if n.startswith("#2 ")]) == 1, names


async def test_non_admin_cannot_register(world: dict[str, Any], client: Any) -> None:
    maria, es = world["maria"], world["es"]
    [refusal] = await maria.send("/register", chat_id=es["id"])
    assert refusal["message_id"] and "administra" in text(refusal).lower()


async def test_no_learner_identity_reaches_groups_or_helpers(
    world: dict[str, Any], client: Any
) -> None:
    maria, carlos, es = world["maria"], world["carlos"], world["es"]
    await ask(
        maria, "Mi cuaderno de Jupyter no guarda los cambios en el curso de datos, ¿qué hago?"
    )
    thread_id, _ = await the_topic(client, es["id"])
    since = await maria.seq()
    await client.send_text(
        carlos.id, "Prueba a reiniciar el kernel.", chat_id=es["id"], message_thread_id=thread_id
    )
    await client.wait_for(maria.id, since_seq=since)
    await maria.send("Lo reinicié y sigue igual.")
    secrets = {
        str(maria.id),
        maria.user["first_name"],
        maria.user["last_name"],
        maria.user["username"],
    }
    leaks = []
    for entry in await client.log():
        params = entry.get("params") or {}
        chat = str(params.get("chat_id", ""))
        if chat in ("", str(maria.id)):
            continue  # only what the bot sent to the learner herself may name her
        blob = json.dumps(params, ensure_ascii=False)
        leaks += [(entry["method"], s) for s in secrets if s and s in blob]
    assert leaks == []


async def test_a_deleted_topic_is_recreated_for_the_next_follow_up(
    world: dict[str, Any], client: Any, sandbox: Any, redis_sync: Any
) -> None:
    import httpx

    from tests.conftest import TEST_TOKEN

    maria, es = world["maria"], world["es"]
    await ask(maria, "¿Dónde veo mis notas del cuestionario de la semana 2?")
    thread_id, _ = await the_topic(client, es["id"])
    # A moderator deletes the topic.
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            f"{sandbox.url}/bot{TEST_TOKEN}/deleteForumTopic",
            json={"chat_id": es["id"], "message_thread_id": thread_id},
        )
        assert resp.json()["ok"]
    await maria.send("Sigo sin ver las notas.", count=1)
    new_thread, topic = await the_topic(client, es["id"])
    assert new_thread != thread_id and topic["name"].startswith("#1 ")
    posts = [text(m) for m in await client.messages(es["id"], thread_id=new_thread, from_bot=True)]
    assert any("semana 2" in t for t in posts) and any("Sigo sin ver" in t for t in posts)
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "thread_id") == str(new_thread)


async def test_a_short_first_question_with_earlier_answers_is_confirmed_under_them(
    world: dict[str, Any], client: Any
) -> None:
    """Three words and no question mark: the nudge comes first, then the solved question;
    "Ask anyway" under it posts the short question as it is (one topic, one number)."""
    es = world["es"]
    await solved_certificate_question(world, client)

    pablo = await person(client, "Pablo", "es")
    await onboard(pablo, "es")
    nudge, suggest = await pablo.send("certificado Coursera Python", count=2, timeout=15)
    assert "muy corta" in text(nudge) and buttons(nudge) == [], text(nudge)
    assert "Descargar certificado" in text(suggest), text(suggest)
    [go] = [d for _, d in buttons(suggest) if d.startswith("q:go:")]
    replies = await pablo.press(suggest, go, count=2, timeout=15)
    assert any("#2" in text(m) and "MOOC en español" in text(m) for m in replies), [
        text(m) for m in replies
    ]
    state = await client.state()
    es_chat = next(c for c in state["chats"] if c["id"] == es["id"])
    names = [t["name"] for t in es_chat["topics"] if t["message_thread_id"] != 1]
    assert [n for n in names if n.startswith("#2 ")] == ["#2 · certificado Coursera Python"], names
