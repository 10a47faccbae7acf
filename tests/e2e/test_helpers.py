"""Volunteer helpers through the real stack: a learner asks, a real RQ worker offers the
question to three helpers, one accepts, the others see it taken, the helper answers in
private chat, the learner marks it solved and rates it, and the helper's stats show it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX, run_worker
from tg_support.helpers import reputation

from .people import Person, buttons, text
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e


async def offer_of(client: Any, helper: Person, qid: str) -> dict[str, Any]:
    [offer] = [
        m
        for m in await client.messages(helper.id, from_bot=True)
        if (f"of:acc:{qid}", f"of:pass:{qid}") == tuple(d for _, d in buttons(m))
    ]
    return offer


async def test_offer_accept_answer_solve_rate(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str]
) -> None:
    admin = await person(client, "Ana", "es", username="ana_admin")
    maria = await person(client, "María", "es")
    helpers = [await person(client, name, "es") for name in ("Carlos", "Lucía", "Pedro")]
    outsider = await person(client, "Olga", "ru")
    es = await forum_group(client, "MOOC en español", admin, [maria, *helpers])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es")
    for h in helpers:
        await onboard(h, "es", role="helper")
    await onboard(outsider, "ru", role="helper")
    carlos, lucia, pedro = helpers

    # The onboarding summary leads a helper to their settings.
    summary = (await client.messages(carlos.id, from_bot=True))[-1]
    assert "hp:open:-" in [d for _, d in buttons(summary)]
    [settings] = await carlos.press(summary, "hp:open:-")
    assert "hp:cap:3" in [d for _, d in buttons(settings)]
    assert redis_sync.hget(f"{TEST_PREFIX}helper:{carlos.id}", "c") == "3"

    [confirm] = await maria.send(
        "¿Cómo entrego la tarea de la semana 3 en Coursera? No encuentro el botón de enviar.",
        timeout=15,
    )
    assert "#1" in text(confirm)
    qid = "1"
    thread_id = int(redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "thread_id"))

    # A real worker process runs match_helpers: the three Spanish helpers get the offer.
    assert await run_worker(worker_env) == 0
    offers = {h.id: await offer_of(client, h, qid) for h in helpers}
    for offer in offers.values():
        assert "semana 3" in text(offer) and "#1" in text(offer)
        assert str(maria.id) not in str(offer) and "María" not in text(offer)
    assert [m for m in await client.messages(outsider.id, from_bot=True) if "#1 " in text(m)] == []

    # Carlos accepts; Lucía's and Pedro's offers turn into "taken".
    [took] = await carlos.press(offers[carlos.id], f"of:acc:{qid}")
    assert took["message_id"] == offers[carlos.id]["message_id"] and buttons(took) == []
    for h in (lucia, pedro):  # edited in place: no buttons, no question text
        for _ in range(100):
            msg = next(
                m
                for m in await client.messages(h.id, from_bot=True)
                if m["message_id"] == offers[h.id]["message_id"]
            )
            if not buttons(msg):
                break
            await asyncio.sleep(0.1)
        assert buttons(msg) == [] and "semana 3" not in text(msg) and "#1" in text(msg)
    answer = await lucia.press_answer(offers[lucia.id], f"of:acc:{qid}", force=True)
    assert answer["show_alert"]  # too late: taken
    assert redis_sync.get(f"{TEST_PREFIX}offer:claim:{qid}") == str(carlos.id)

    # Carlos answers in private chat: the learner and the topic get it.
    since_maria = await maria.seq()
    since_topic = await maria.seq(es["id"], thread_id=thread_id)
    [ack] = await carlos.send(
        "Ve a la pestaña Tareas, abre la semana 3 y pulsa «Enviar».", timeout=15
    )
    assert "#1" in text(ack)
    [got] = await client.wait_for(maria.id, since_seq=since_maria, timeout=15)
    assert "pestaña Tareas" in text(got) and "#1" in text(got) and "Carlos" not in text(got)
    [mirror] = await client.wait_for(
        es["id"], thread_id=thread_id, since_seq=since_topic, timeout=15
    )
    assert "pestaña Tareas" in text(mirror) and "Carlos" not in text(mirror)
    assert redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "status") == "answered"

    # Solved, then a 👍: stats, reputation, the helper index and the leaderboards follow.
    [_solved, rating] = await maria.press(got, f"q:solve:{qid}", count=2)
    assert redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "status") == "solved"
    up = next(d for _, d in buttons(rating) if d.endswith(":up"))
    [thanks] = await maria.press(rating, up)
    assert [d for _, d in buttons(thanks)] == [f"ty:{qid}:0"]  # a thank-you note, if they like
    again = await maria.press_answer(thanks, up, force=True)  # a second vote does not count
    assert not again.get("show_alert")
    stats = redis_sync.hgetall(f"{TEST_PREFIX}hstats:{carlos.id}")
    assert {k: stats[k] for k in ("answers", "helpful", "rated", "solved")} == {
        "answers": "1", "helpful": "1", "rated": "1", "solved": "1"
    }  # fmt: skip
    rep = reputation.reputation(1, 1)
    assert float(redis_sync.hget(f"{TEST_PREFIX}helper:{carlos.id}", "r")) == pytest.approx(rep)
    assert redis_sync.hget(f"{TEST_PREFIX}helper:{carlos.id}", "l") == "0"  # capacity freed
    assert redis_sync.zscore(f"{TEST_PREFIX}lb:lang:es", str(carlos.id)) == 1
    assert redis_sync.zscore(f"{TEST_PREFIX}lb:group:{es['id']}", str(carlos.id)) == 1

    [shown] = await carlos.send("/stats")
    body = text(shown)
    assert f"{round(rep * 100)} / 100" in body and "Primera respuesta" in body
    [board] = await carlos.send("/leaderboard", chat_id=es["id"])
    assert "1." in text(board) and "Carlos" not in text(board)  # a pseudonym unless opted in
