"""Issue 19: edits made in private chat follow every copy the bot made: the learner's
question (its topic post, title, the helpers' offers, a translation redone by a worker),
a follow-up, a draft before it is posted, a helper's private answer; an ended question's
asker is told instead, and edits of unrelated messages are ignored."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX, run_worker

from .people import Person, buttons, text
from .world import forum_group, onboard, person, register, spanish_group

pytestmark = pytest.mark.e2e

QUESTION = "¿Cómo entrego la tarea de la semana 3 en Coursera? No encuentro el botón de enviar."
EDITED = "¿Cómo entrego la tarea de la semana 4 en Coursera? El botón de enviar está gris."


async def ask(client: Any, p: Person, body: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The learner's own message, and the bot's replies to it."""
    since = await p.seq()
    mine = await client.send_text(p.id, body)
    return mine, await client.wait_for(p.id, since_seq=since, timeout=15)


async def message(client: Any, chat_id: int, msg_id: int) -> dict[str, Any]:
    found: dict[str, Any] = next(
        m for m in await client.messages(chat_id) if m["message_id"] == msg_id
    )
    return found


async def topic_named(client: Any, chat_id: int, thread: int, start: str) -> str:
    """The topic's name once it starts with ``start`` (renamed after the post's edit)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 25
    name = ""
    while loop.time() < deadline:
        state = await client.state()
        chat = next(c for c in state["chats"] if c["id"] == chat_id)
        name = next(t["name"] for t in chat["topics"] if t["message_thread_id"] == thread)
        if name.startswith(start):
            break
        await asyncio.sleep(0.1)
    return str(name)


async def test_question_follow_up_and_answer_edits_reach_every_copy(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str]
) -> None:
    admin, maria, carlos, es = await spanish_group(client)

    mine, [confirm] = await ask(client, maria, QUESTION)
    assert "#1" in text(confirm)
    thread = int(redis_sync.hget(f"{TEST_PREFIX}q:1", "thread_id"))
    [post] = await client.wait_for(es["id"], thread_id=thread, text_contains="semana 3")
    assert await run_worker(worker_env) == 0  # match_helpers: Carlos gets the offer
    [offer] = await client.wait_for(carlos.id, text_contains="semana 3")
    assert ("✅ Aceptar", "of:acc:1") in buttons(offer)

    # The learner edits her question: the topic post, its title, the stored text.
    since = await maria.seq(es["id"], thread_id=thread)
    await client.edit(maria.id, maria.id, mine["message_id"], EDITED)
    [edited] = await client.wait_for(
        es["id"], thread_id=thread, since_seq=since, text_contains="semana 4"
    )
    assert edited["message_id"] == post["message_id"] and "semana 3" not in text(edited)
    assert "Pregunta #1" in text(edited) and "Learner" not in text(edited)  # same header
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "text") == EDITED
    start = "#1 · ¿Cómo entrego la tarea de la semana 4"
    assert (await topic_named(client, es["id"], thread, start)).startswith(start)
    # ... and the helper's open offer, redrawn by a worker with its buttons.
    assert await run_worker(worker_env) == 0
    offer = await message(client, carlos.id, offer["message_id"])
    assert "semana 4" in text(offer) and "semana 3" not in text(offer)
    assert ("✅ Aceptar", "of:acc:1") in buttons(offer)

    # A follow-up, then its edit: the topic's copy follows.
    since = await maria.seq(es["id"], thread_id=thread)
    follow, _ = await ask(client, maria, "Ya probé con otro navegador.")
    [copy] = await client.wait_for(es["id"], thread_id=thread, since_seq=since)
    await client.edit(maria.id, maria.id, follow["message_id"], "Ya probé con Firefox y Chrome.")
    [copy2] = await client.wait_for(
        es["id"], thread_id=thread, since_seq=copy["seq"], text_contains="Firefox"
    )
    assert copy2["message_id"] == copy["message_id"] and "(quien pregunta)" in text(copy2)

    # Carlos takes it: the message that confirmed it shows the learner's next edit.
    [took] = await carlos.press(offer, "of:acc:1")
    await client.edit(maria.id, maria.id, mine["message_id"], EDITED + " Uso el móvil.")
    await client.wait_for(es["id"], thread_id=thread, text_contains="Uso el móvil")
    assert await run_worker(worker_env) == 0
    took = await message(client, carlos.id, took["message_id"])
    assert "Uso el móvil" in text(took) and buttons(took) == []

    # Carlos answers in private, then corrects himself: the learner's copy and the topic's.
    since_maria = await maria.seq()
    since_topic = await maria.seq(es["id"], thread_id=thread)
    answer = await client.send_text(carlos.id, "Pulsa «Enviar» en la pestaña Tareas.")
    [got] = await client.wait_for(maria.id, since_seq=since_maria, text_contains="Tareas")
    [mirror] = await client.wait_for(
        es["id"], thread_id=thread, since_seq=since_topic, text_contains="Tareas"
    )
    await client.edit(carlos.id, carlos.id, answer["message_id"], "Pulsa «Entregar» arriba.")
    [got2] = await client.wait_for(maria.id, since_seq=got["seq"], text_contains="Entregar")
    assert got2["message_id"] == got["message_id"] and "q:solve:1" in [d for _, d in buttons(got2)]
    [mirror2] = await client.wait_for(
        es["id"], thread_id=thread, since_seq=mirror["seq"], text_contains="Entregar"
    )
    assert mirror2["message_id"] == mirror["message_id"] and "Carlos" not in text(mirror2)

    # Solved: a later edit is not passed on; the learner is told, with Reopen at hand.
    await maria.press(got2, "q:solve:1", count=2)
    since = await maria.seq()
    await client.edit(maria.id, maria.id, follow["message_id"], "Ya probé con Safari también.")
    [notice] = await client.wait_for(maria.id, since_seq=since)
    assert text(notice) == "La pregunta #1 está cerrada, así que no transmití tu edición."
    assert buttons(notice) == [("🔄 Reabrir", "qr:1")]
    assert "Safari" not in text(await message(client, es["id"], copy["message_id"]))

    # An edit of a message that belongs to no question (an onboarding answer) is ignored:
    # the next command's answer is the only new message.
    goal = next(
        m for m in await client.messages(maria.id, from_bot=False) if text(m) == "Learn a lot"
    )
    since = await maria.seq()
    await client.edit(maria.id, maria.id, goal["message_id"], "Learn even more")
    await maria.send("/myquestions")
    later = [m for m in await client.messages(maria.id, from_bot=True) if m["seq"] > since]
    assert len(later) == 1 and "#1" in text(later[0])


async def test_a_draft_edited_before_ask_anyway_is_posted_as_edited(
    bot: Any, client: Any, redis_sync: Any
) -> None:
    admin = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    carlos = await person(client, "Carlos", "es")
    lucia = await person(client, "Lucía", "es")
    es = await forum_group(client, "MOOC en español", admin, [maria, carlos])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es")
    await onboard(lucia, "es")
    await maria.send("¿Cómo descargo el certificado del curso de Python en Coursera?", timeout=15)
    thread = int(redis_sync.hget(f"{TEST_PREFIX}q:1", "thread_id"))
    since = await maria.seq()
    await client.send_text(
        carlos.id, "En Logros, pulsa Descargar certificado.", chat_id=es["id"],
        message_thread_id=thread,
    )  # fmt: skip
    [ans] = await client.wait_for(maria.id, since_seq=since)
    await maria.press(ans, "q:solve:1", count=2)

    draft, [suggest] = await ask(
        client, lucia, "No sé cómo descargar mi certificado de Coursera del curso Python"
    )
    assert "Descargar certificado" in text(suggest)  # similar questions first: a draft
    assert redis_sync.hget(f"{TEST_PREFIX}q:2", "status") == "draft"
    await client.edit(
        lucia.id, lucia.id, draft["message_id"],
        "No sé cómo descargar mi certificado de Coursera del curso Python: el enlace da error 404.",
    )  # fmt: skip
    # (Edits and presses of one user are handled in order: the edit is applied first.)
    [go] = [d for _, d in buttons(suggest) if d.startswith("q:go:")]
    await lucia.press(suggest, go, count=2)
    assert "error 404" in redis_sync.hget(f"{TEST_PREFIX}q:2", "text")
    thread2 = int(redis_sync.hget(f"{TEST_PREFIX}q:2", "thread_id"))
    [post] = await client.wait_for(es["id"], thread_id=thread2, text_contains="Pregunta #2")
    assert "error 404" in text(post)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The first translation in a fresh worker imports argostranslate (seconds).
    return {"translation_timeout_seconds": 40}


async def test_an_edited_question_is_translated_again_in_place(
    bot: Any, client: Any, redis_sync: Any, worker: Any
) -> None:
    admin = await person(client, "Ana", "en")
    maria = await person(client, "María", "es")
    en = await forum_group(client, "MOOC Help (international)", admin, [])
    await register(admin, en["id"], ["en", "*"], "international")
    await onboard(maria, "es")
    mine, [confirm] = await ask(client, maria, "Necesito ayuda con la tarea.")
    assert "#1" in text(confirm)
    thread = int(redis_sync.hget(f"{TEST_PREFIX}q:1", "thread_id"))
    [post] = await client.wait_for(
        en["id"], thread_id=thread, text_contains="I need help with the assignment", timeout=40
    )
    await client.edit(maria.id, maria.id, mine["message_id"], "¿Cómo entrego la tarea?")
    [edited] = await client.wait_for(
        en["id"], thread_id=thread, since_seq=post["seq"],
        text_contains="How do I submit the assignment?", timeout=40,
    )  # fmt: skip
    assert edited["message_id"] == post["message_id"]
    assert "Translated from Español" in text(edited) and "I need help" not in text(edited)
    assert "Question #1" in text(edited)  # the post's header, in the group's language
    # "Show original" shows the edited original: the stored original was replaced too.
    # (Waited for by its text: the topic's renaming into the group's language may land in
    # the chat in between.)
    since = await Person(client, admin.user).seq(en["id"])
    await client.press(
        admin.id, en["id"], edited["message_id"],
        next(d for _, d in buttons(edited) if d.startswith("tr:o:")),
    )  # fmt: skip
    [shown] = await client.wait_for(
        en["id"], since_seq=since, text_contains="¿Cómo entrego la tarea?", timeout=20
    )
    assert shown["message_id"] == edited["message_id"] and "Necesito ayuda" not in text(shown)
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "text") == "¿Cómo entrego la tarea?"
    # The topic's title follows, in English (a worker renames it).
    title = await topic_named(client, en["id"], thread, "#1 · How do I submit")
    assert title.startswith("#1 · How do I submit the assignment"), title
