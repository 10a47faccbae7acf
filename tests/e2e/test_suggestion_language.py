"""Issue 19: a stored answer keeps the language its helper wrote it in, and a learner who
gets it as a similar-question suggestion reads it in their language, translated by a real
worker, with the original one tap away."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TEST_PREFIX

from .people import Person, buttons, data_for, text
from .scan import mentions
from .waiting import arrives, queues_idle, until
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e

QUESTION = "¿Cómo entrego la tarea de la semana 7 del curso de Python?"
ANSWER = "The assignment is due on Friday."


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"translation_timeout_seconds": 40}


async def test_english_answer_to_spanish_question_is_suggested_in_spanish(
    bot: Any, client: Any, worker: Any, redis_sync: Any
) -> None:
    admin = await person(client, "Ana", "en", username="ana_admin")
    maria = await person(client, "María", "es")
    john = await person(client, "John", "en")
    en = await forum_group(client, "MOOC Help (international)", admin, [john])
    await register(admin, en["id"], ["en", "*"], "international")
    await onboard(maria, "es")
    [confirm] = await maria.send(QUESTION, timeout=20)
    assert "#1" in text(confirm)
    state = await client.state()
    chat = next(c for c in state["chats"] if c["id"] == en["id"])
    [topic] = [t for t in chat.get("topics", []) if t["message_thread_id"] != 1]
    since = await maria.seq()
    await client.send_text(
        john.id, ANSWER, chat_id=en["id"], message_thread_id=topic["message_thread_id"]
    )
    got = await arrives(client, maria.id, since_seq=since, text_contains="#1")
    await maria.press(got, "q:solve:1", count=2)
    # Stored with the language John wrote in, not the question's.
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "answer_lang") == "en"
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "lang") == "es"

    # The worker is free when Lucía asks: her suggestion waits for it only a moment.
    await until(lambda: queues_idle(redis_sync), "idle queues")
    lucia = await person(client, "Lucía", "es")
    await onboard(lucia, "es")
    since = await lucia.seq()
    await lucia.c.send_text(lucia.id, "No sé cómo entregar la tarea de la semana 7 del curso de Python")
    suggest = await arrives(client, lucia.id, since_seq=since, text_contains="semana 7")
    body = text(suggest)
    # The answer in Spanish, said to be a translation from English; not the English text.
    assert "viernes" in body and ANSWER not in body, body
    assert "🌐" in body and "English" in body
    assert [d for _, d in buttons(suggest) if d.startswith("q:dup:")]
    # One tap shows the original answer; the choice buttons stay.
    [shown] = await Person(client, lucia.user).press(suggest, data_for(suggest, "original"))
    assert ANSWER in text(shown) and "viernes" not in text(shown)
    assert [d for _, d in buttons(shown) if d.startswith("q:go:")]

    # Lucía's kept versions of the list hold María's question: when María erases her data,
    # they go too, and nothing stored names María or holds her question.
    [ask] = await maria.send("/forget")
    await maria.press(ask, "pf:forget:yes")
    assert mentions(redis_sync, maria.id, [QUESTION]) == {}
