"""Issue 20 through the real stack: who gets a question's first round of offers."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX, run_worker

from .people import buttons, data_for, text
from .test_questions import ask, the_topic, world  # noqa: F401 (world: a fixture)
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e


async def test_tag_matched_helpers_of_other_languages_get_the_first_round(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str]
) -> None:
    admin = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    john = await person(client, "John", "en")
    priya = await person(client, "Priya", "hi")
    olga = await person(client, "Olga", "ru")
    # Priya is not in the Spanish group: she must not be sent to answer in its topic.
    es = await forum_group(client, "MOOC en español", admin, [maria, john])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es", courses="Python")
    await onboard(admin, "es", role="both", courses="Python")
    await onboard(john, "en", role="helper", courses="Python, Machine learning")
    await onboard(priya, "hi", role="helper", courses="Statistics, Python")
    await onboard(olga, "ru", role="helper", courses="History")

    await maria.send(
        "¿Cómo instalo una biblioteca de Python en el cuaderno del curso? Me da un error.",
        timeout=15,
    )
    # Only round 0 runs here (a burst worker does not run the scheduled next round).
    assert await run_worker(worker_env) == 0
    chosen = {u for u, _off in json.loads(redis_sync.get(f"{TEST_PREFIX}offer:round:1:0"))}
    assert chosen == {admin.id, john.id, priya.id}
    for helper in (admin, john, priya):
        offers = [
            m
            for m in await client.messages(helper.id, from_bot=True)
            if tuple(d for _, d in buttons(m)) == ("of:acc:1", "of:pass:1")
        ]
        assert len(offers) == 1 and "#1" in text(offers[0])
    # No shared tag and no shared language: not before the widened round.
    assert [m for m in await client.messages(olga.id, from_bot=True) if buttons(m)
            and "of:acc:1" in [d for _, d in buttons(m)]] == []  # fmt: skip

    # Item 2: Priya takes it; she is not a member, so she is told to answer here only.
    offer = next(
        m for m in await client.messages(priya.id, from_bot=True)
        if "of:acc:1" in [d for _, d in buttons(m)]
    )  # fmt: skip
    [took] = await priya.press(offer, "of:acc:1")
    assert "#1" in text(took) and "topic" not in text(took).lower()
    assert "टॉपिक" not in text(took)  # "topic" in her Hindi
    assert redis_sync.get(f"{TEST_PREFIX}member:{priya.id}:{es['id']}") == "0"

    # A member taking the next question is pointed to the topic too.
    await maria.send("/ask ¿Cuándo cierra el plazo para entregar el proyecto final?", timeout=15)
    assert await run_worker(worker_env) == 0
    offer, acc = next(
        (m, d) for m in await client.messages(john.id, from_bot=True)
        for _, d in buttons(m) if d.startswith("of:acc:") and d != "of:acc:1"
    )  # fmt: skip
    [took] = await john.press(offer, acc)
    assert "group's topic" in text(took)
    assert redis_sync.get(f"{TEST_PREFIX}member:{john.id}:{es['id']}") == "1"


async def test_credit_counts_on_the_answer_and_question_boards_under_one_name(
    bot: Any, client: Any, redis_sync: Any, worker: Any
) -> None:
    admin = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    john = await person(client, "John", "en")
    es = await forum_group(client, "MOOC en español", admin, [maria, john])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es", courses="Python")
    await onboard(john, "en", role="helper", courses="Python")

    await maria.send(
        "¿Cómo instalo una biblioteca de Python en el cuaderno del curso? Me da un error.",
        timeout=15,
    )
    offer = None
    for _ in range(150):  # the worker process offers round 0
        offer = next(
            (m for m in await client.messages(john.id, from_bot=True)
             if "of:acc:1" in [d for _, d in buttons(m)]), None,
        )  # fmt: skip
        if offer:
            break
        await asyncio.sleep(0.2)
    assert offer is not None
    await john.press(offer, "of:acc:1")
    since = await maria.seq()
    await john.send("Open a terminal cell and run pip install with the library name.", timeout=15)
    [answer] = await client.wait_for(maria.id, since_seq=since, timeout=60)
    signed = re.search(r"Ayudante (\w{4})", text(answer))
    assert signed, text(answer)
    code = signed.group(1)

    [_solved, rating] = await maria.press(answer, "q:solve:1", count=2)
    assert f"Ayudante {code}" in text(rating)  # the prompt names him as the answer did
    up = next(d for _, d in buttons(rating) if d.endswith(":up"))
    await maria.press(rating, up)
    # The question's board (Spanish) and the answer's (English) both count it.
    assert redis_sync.zscore(f"{TEST_PREFIX}lb:lang:es", str(john.id)) == 1
    assert redis_sync.zscore(f"{TEST_PREFIX}lb:lang:en", str(john.id)) == 1
    assert redis_sync.hget(f"{TEST_PREFIX}alang:1", str(john.id)) == "en"

    [board] = await john.send("/leaderboard")
    assert "No helpful answers yet" not in text(board)
    assert f"Helper {code}" in text(board) and "1 helpful answer" in text(board)
    [board_es] = await maria.send("/leaderboard")
    assert f"Ayudante {code}" in text(board_es)
    [group_board] = await admin.send("/leaderboard", chat_id=es["id"])
    assert f"Ayudante {code}" in text(group_board)


async def test_tags_come_from_the_question_text(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str]
) -> None:
    admin = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    john = await person(client, "John", "en")
    priya = await person(client, "Priya", "hi")
    es = await forum_group(client, "MOOC en español", admin, [maria, john, priya])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es", courses="Python, Machine learning")
    await onboard(john, "en", role="helper", courses="Python, Machine learning")
    await onboard(priya, "hi", role="helper", courses="Statistics, Python")

    await maria.send(
        "¿Cómo se calcula la desviación estándar en estadística descriptiva? No entiendo la fórmula.",
        timeout=15,
    )
    assert json.loads(redis_sync.hget(f"{TEST_PREFIX}q:1", "tags")) == ["statistics"]
    assert await run_worker(worker_env) == 0
    chosen = {u for u, _off in json.loads(redis_sync.get(f"{TEST_PREFIX}offer:round:1:0"))}
    assert priya.id in chosen and john.id not in chosen
    offer = next(
        m for m in await client.messages(priya.id, from_bot=True)
        if "of:acc:1" in [d for _, d in buttons(m)]
    )  # fmt: skip
    assert "#statistics" in text(offer) and "#python" not in text(offer)


async def test_help_lists_what_each_person_can_use(bot: Any, client: Any) -> None:
    admin = await person(client, "Ana", "en")
    maria = await person(client, "María", "en")
    john = await person(client, "John", "en")
    group = await forum_group(client, "MOOC in English", admin, [maria, john])
    await register(admin, group["id"], ["en"], "international")
    await onboard(maria, "en")
    await onboard(john, "en", role="helper")
    await onboard(admin, "en", role="both")

    [learner] = await maria.send("/help")
    for cmd in ("/ask", "/myquestions", "/leaderboard", "/review", "/profile", "/forget"):
        assert cmd in text(learner), cmd
    assert "/stats" not in text(learner) and "/broadcast" not in text(learner)
    [helper] = await john.send("/help")
    for cmd in ("/ask", "/myquestions", "/stats", "/leaderboard", "/helper", "/away"):
        assert cmd in text(helper), cmd
    assert "/broadcast" not in text(helper)
    [group_admin] = await admin.send("/help")
    assert "/broadcast" in text(group_admin) and "/stats" in text(group_admin)
    # In the group: the group's commands; the admin ones for its admins only.
    [in_group] = await maria.send("/help", chat_id=group["id"])
    assert "/leaderboard" in text(in_group) and "/groupinfo" in text(in_group)
    assert "/register" not in text(in_group)
    [in_group_admin] = await admin.send("/help", chat_id=group["id"])
    assert "/register" in text(in_group_admin) and "/unregister" in text(in_group_admin)


async def test_myquestions_cuts_titles_at_a_word_boundary(bot: Any, client: Any) -> None:
    maria = await person(client, "María", "en")
    await onboard(maria, "en")
    question = (
        "How do I submit the programming assignment of week three when the upload button "
        "stays grey and the deadline is tonight?"
    )
    await maria.send(question, timeout=15)
    [mine] = await maria.send("/myquestions")
    line = next(x for x in text(mine).splitlines() if "#1" in x)
    title = line.split(" · ", 1)[1].rsplit(" — ", 1)[0]
    assert title.endswith("…") and len(title) <= 80
    assert question.startswith(title[:-1]) and question[len(title) - 1] == " "


async def test_abandoned_drafts_do_not_take_question_numbers(
    world: dict[str, Any], client: Any, redis_sync: Any  # noqa: F811 (the fixture)
) -> None:
    maria, carlos, es = world["maria"], world["carlos"], world["es"]
    await ask(maria, "¿Cómo descargo el certificado del curso de Python en Coursera?")
    thread_id, _topic = await the_topic(client, es["id"])
    since = await maria.seq()
    await client.send_text(
        carlos.id, "En Logros, pulsa Descargar certificado.",
        chat_id=es["id"], message_thread_id=thread_id,
    )  # fmt: skip
    [ans] = await client.wait_for(maria.id, since_seq=since)
    await maria.press(ans, data_for(ans, "✅"), count=1)
    lucia = await person(client, "Lucía", "es")
    await onboard(lucia, "es")
    # Suggestions (a draft), then "number 1 solves it": the draft goes, with its number.
    suggest = await ask(lucia, "No sé cómo descargar mi certificado de Coursera del curso Python")
    [dup] = [d for _, d in buttons(suggest) if d.startswith("q:dup:")]
    await lucia.press(suggest, dup)
    assert redis_sync.get(f"{TEST_PREFIX}qseq") == "1"
    # Suggestions again, then she writes another question instead of choosing.
    suggest = await ask(lucia, "¿Dónde descargo el certificado de Coursera del curso de Python?")
    assert [d for _, d in buttons(suggest) if d.startswith("q:go:")]
    confirm = await ask(
        lucia, "¿Por qué mi cuaderno de Jupyter no guarda los cambios del ejercicio de la semana 2?"
    )
    assert "#2" in text(confirm), text(confirm)
    assert redis_sync.get(f"{TEST_PREFIX}qseq") == "2"
    assert redis_sync.zrange(f"{TEST_PREFIX}q:user:{lucia.id}", 0, -1) == ["2"]
