"""The gate before the groups through the real stack: gibberish goes back with a request to
rephrase (in the learner's language), a real short question in each of the 8 interface
languages goes through, and a link flood from a new account is held for the admins of the
group it would go to; an admin approves it and it is posted as usual (or rejects it)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TEST_PREFIX

from .people import buttons, text
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e

SHORT = {
    "en": "Why NaN?",
    "es": "¿Qué es pandas?",
    "pt": "O que é Git?",
    "fr": "C'est quoi SQL ?",
    "ru": "Что такое SQL?",
    "hi": "पायथन क्या है?",
    "ar": "ما هو Python؟",
    "zh": "什么是递归？",
}
FLOOD = "https://bit.ly/abc https://bit.ly/def https://bit.ly/ghi"


async def test_gibberish_goes_back_and_short_questions_go_through(
    bot: Any, client: Any, redis_sync: Any
) -> None:
    ana = await person(client, "Ana", "es")
    learners = {lang: await person(client, f"L-{lang}", lang) for lang in SHORT}
    es = await forum_group(client, "MOOC en español", ana, list(learners.values()))
    await register(ana, es["id"], ["es"], "americas")
    for lang, p in learners.items():
        await onboard(p, lang, courses="")

    maria = learners["es"]
    [back] = await maria.send("asdfghjkl qwertyuiop")
    assert "no parece una pregunta" in text(back), text(back)
    [back] = await maria.send("🙂🙂🙂 ???")
    assert "ninguna palabra" in text(back), text(back)
    assert redis_sync.get(f"{TEST_PREFIX}qseq") is None  # nothing was stored

    for lang, p in learners.items():
        [reply] = await p.send(SHORT[lang], timeout=20)
        qid = redis_sync.get(f"{TEST_PREFIX}qseq")
        assert f"#{qid}" in text(reply), (lang, text(reply))
        assert redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "status") == "open", lang
        assert redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "text") == SHORT[lang]
    stats = redis_sync.hgetall(f"{TEST_PREFIX}mod:gate:stats")
    assert stats == {"keyboard_mash": "1", "no_letters": "1", "ok": "8"}


async def test_a_link_flood_from_a_new_account_is_held_until_an_admin_approves(
    bot: Any, client: Any, redis_sync: Any
) -> None:
    ana = await person(client, "Ana", "es")
    nina = await person(client, "Nina", "es")
    es = await forum_group(client, "MOOC en español", ana, [nina])
    await ana.send("/start")
    await register(ana, es["id"], ["es"], "americas")
    await onboard(nina, "es")
    topics_before = await topic_count(client, es["id"])

    since_ana = await ana.seq()
    [held] = await nina.send(FLOOD, timeout=20)
    assert "revisión rápida" in text(held) and "#1" in text(held), text(held)
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "status") == "draft"
    assert await topic_count(client, es["id"]) == topics_before
    [review] = await client.wait_for(ana.id, since_seq=since_ana, timeout=20)
    assert "retenida para revisión" in text(review) and "bit.ly/def" in text(review)
    assert "muchos enlaces" in text(review)
    assert [d for _, d in buttons(review)] == ["mod:h:ok:1", "mod:h:no:1"]
    refused = await nina.press_answer(review, "mod:h:ok:1", force=True)
    assert refused["show_alert"]  # not an admin

    since_nina = await nina.seq()
    [done] = await ana.press(review, "mod:h:ok:1")
    assert "pregunta aprobada" in text(done) and buttons(done) == []
    [approved] = await client.wait_for(nina.id, since_seq=since_nina, timeout=20)
    assert "aprobó tu pregunta #1" in text(approved) and "MOOC en español" in text(approved)
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "status") == "open"
    thread_id = int(redis_sync.hget(f"{TEST_PREFIX}q:1", "thread_id"))
    [post] = await client.wait_for(
        es["id"], thread_id=thread_id, text_contains="bit.ly", timeout=20
    )
    assert "Nina" not in text(post)
    again = await ana.press_answer(review, "mod:h:no:1", force=True)
    assert again["show_alert"]  # decided once

    # The same flood again is held too (a repeat), and a rejection tells her why.
    since_ana = await ana.seq()
    [held] = await nina.send("/ask " + FLOOD, timeout=20)
    assert "#2" in text(held)
    [review] = await client.wait_for(ana.id, since_seq=since_ana, timeout=20)
    since_nina = await nina.seq()
    await ana.press(review, "mod:h:no:2")
    [rejected] = await client.wait_for(nina.id, since_seq=since_nina, timeout=20)
    assert "no publicaron tu pregunta #2" in text(rejected), text(rejected)
    assert redis_sync.exists(f"{TEST_PREFIX}q:2") == 0  # the draft is gone
    [log] = await ana.send("/modlog")
    assert "pregunta rechazada" in text(log) and "pregunta aprobada" in text(log)


async def topic_count(client: Any, group_id: int) -> int:
    state = await client.state()
    chat = next(c for c in state["chats"] if c["id"] == group_id)
    return len(chat["topics"])


async def test_a_newcomer_confirms_a_question_that_is_hardly_one_or_sends_a_longer_one(
    bot: Any, client: Any, redis_sync: Any
) -> None:
    """No question mark and three words, or words of no language: asked in Spanish to post
    it as it is or say more; nothing reaches the group until one or the other."""
    ana = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    luis = await person(client, "Luis", "es")
    es = await forum_group(client, "MOOC en español", ana, [maria, luis])
    await register(ana, es["id"], ["es"], "americas")
    await onboard(maria, "es", courses="")
    await onboard(luis, "es", courses="")
    topics_before = await topic_count(client, es["id"])

    [asked] = await maria.send("Ayuda urgente")
    assert "muy corta" in text(asked), text(asked)
    assert buttons(asked) == [("Publicarla tal cual", "q:go:1")]
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "status") == "draft"
    assert await topic_count(client, es["id"]) == topics_before

    # A longer version replaces the draft and goes straight on.
    longer = "Ayuda urgente con la tarea de la semana 3: el merge de pandas me da KeyError"
    [posted] = await maria.send(longer, timeout=20)
    assert "MOOC en español" in text(posted), text(posted)
    [qid] = [k.split(":")[-1] for k in redis_sync.keys(f"{TEST_PREFIX}q:[0-9]*")]
    assert redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "text") == longer
    assert redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "status") == "open"
    assert await topic_count(client, es["id"]) == topics_before + 1
    stale = await maria.press_answer(asked, "q:go:1")  # the old draft's button
    assert await topic_count(client, es["id"]) == topics_before + 1, stale

    # Words of no language we know: asked too, and one tap posts it as it is.
    jargon = "postgresql mysql sqlalchemy psycopg"
    [asked] = await luis.send(jargon)
    assert "No reconozco las palabras" in text(asked), text(asked)
    [(label, data)] = buttons(asked)
    assert label == "Publicarla tal cual" and data.startswith("q:go:")
    replies = await luis.press(asked, data, count=2, timeout=20)
    assert any("MOOC en español" in text(m) for m in replies), [text(m) for m in replies]
    qid = data.rsplit(":", 1)[1]
    assert redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "text") == jargon
    assert redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "status") == "open"
    assert await topic_count(client, es["id"]) == topics_before + 2
    stats = redis_sync.hgetall(f"{TEST_PREFIX}mod:gate:stats")
    assert stats == {"few_words": "1", "unknown_words": "1", "ok": "1"}
