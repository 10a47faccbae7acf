"""Moderation through the real stack (PTB ↔ emulator over HTTP, real Redis, real RQ workers):
report → mute → refused → the mute ends by itself; a removal that holds in two groups; a
shadow ban; /modlog."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TEST_PREFIX, run_worker

from .people import Person, buttons, text
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e

MUTE_S = 15.0  # the first mute length on offer, scaled down from an hour (room for a slow CI)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"moderation_mute_hours": (MUTE_S / 3600, 24.0)}


async def send_reply(
    client: Any, who: Person, body: str, chat_id: int, reply_to: int,
    thread_id: int | None = None, count: int = 1,
) -> list[dict[str, Any]]:  # fmt: skip
    """``who`` replies ``body`` to message ``reply_to``; the bot's new messages in that chat."""
    since = await who.seq(chat_id if chat_id != who.id else None)
    await client.send_text(
        who.id, body, chat_id if chat_id != who.id else None,
        message_thread_id=thread_id, reply_to_message_id=reply_to,
    )  # fmt: skip
    return list(await client.wait_for(chat_id, count=count, since_seq=since, timeout=20))


async def settled(client: Any, who: Person) -> None:
    """Every update ``who`` sent before is handled (one user's updates go in order)."""
    await who.send("/groupinfo", timeout=20)


def topic_of(redis_sync: Any, qid: str) -> int:
    return int(redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "thread_id"))


async def post_of(client: Any, group_id: int, thread_id: int, part: str) -> dict[str, Any]:
    msgs = await client.wait_for(group_id, thread_id=thread_id, text_contains=part, timeout=20)
    return dict(msgs[-1])


async def offers_for(client: Any, helper: Person, qid: str) -> list[dict[str, Any]]:
    return [
        m
        for m in await client.messages(helper.id, from_bot=True)
        if f"of:acc:{qid}" in [d for _, d in buttons(m)]
    ]


async def test_report_mute_refused_then_the_mute_ends(
    bot: Any, client: Any, redis_sync: Any, worker: Any
) -> None:
    ana = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    carlos = await person(client, "Carlos", "es")
    es = await forum_group(client, "MOOC en español", ana, [maria, carlos])
    await ana.send("/start")  # admins get reports in private chat
    await register(ana, es["id"], ["es"], "americas")
    await onboard(maria, "es")
    [posted] = await maria.send("¿Dónde descargo el certificado del curso de Python?", timeout=20)
    assert "#1" in text(posted)
    thread_id = topic_of(redis_sync, "1")
    post = await post_of(client, es["id"], thread_id, "certificado")

    # Carlos, a member, reports the question's post in its topic.
    since_ana = await ana.seq()
    [thanks] = await send_reply(
        client, carlos, "/report", es["id"], post["message_id"], thread_id=thread_id
    )
    assert "moderadores" in text(thanks), text(thanks)
    [report] = await client.wait_for(ana.id, since_seq=since_ana, timeout=20)
    assert "Denuncia #1" in text(report) and "certificado" in text(report)
    assert str(maria.id) not in str(report) and "María" not in text(report)
    datas = [d for _, d in buttons(report)]
    assert {"mod:a:dismiss:1:0", "mod:a:warn:1:0", "mod:a:mute:1:0", "mod:a:remove:1:0"} <= set(
        datas
    )
    # Somebody who is not an admin of the group cannot press it.
    refused = await maria.press_answer(report, "mod:a:remove:1:0", force=True)
    assert refused["show_alert"]
    assert redis_sync.hget(f"{TEST_PREFIX}mod:report:1", "status") == "open"

    # Ana mutes María for the first length on offer (an hour, scaled down here).
    since_maria = await maria.seq()
    [done] = await ana.press(report, "mod:a:mute:1:0")
    assert "Hecho" in text(done) and buttons(done) == []
    [told] = await client.wait_for(maria.id, since_seq=since_maria, timeout=20)
    assert "te silenció" in text(told), text(told)
    again = await ana.press_answer(report, "mod:a:warn:1:0", force=True)
    assert again["show_alert"]  # decided once

    # Muted: a new question is refused, in her language.
    [refusal] = await maria.send("/ask ¿Cómo cambio la contraseña de mi cuenta del curso?")
    assert "silenciad" in text(refusal), text(refusal)
    assert redis_sync.get(f"{TEST_PREFIX}qseq") == "1"

    # The worker's scheduled job ends the mute and tells her; she can ask again.
    [ended] = await client.wait_for(
        maria.id, since_seq=refusal["seq"], text_contains="terminó", timeout=MUTE_S + 30
    )
    assert "Ya puedes" in text(ended)
    [ok] = await maria.send("/ask ¿Cómo cambio la contraseña de mi cuenta del curso?", timeout=20)
    assert "#2" in text(ok) and "MOOC en español" in text(ok), text(ok)

    # The audit log: report, mute, the mute's end (newest first).
    [log] = await ana.send("/modlog")
    lines = text(log).splitlines()
    assert "Registro de moderación" in lines[0]
    assert "silencio terminado" in lines[2] and "automático" in lines[2]
    assert "silenciado durante" in lines[3] and "Ana" in lines[3] and "denuncia #1" in lines[3]
    assert "denunciado" in lines[4]
    [no] = await maria.send("/modlog")
    assert "administradores" in text(no)


async def test_a_removed_helper_is_out_of_every_group(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str]
) -> None:
    ana = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    john = await person(client, "John", "en")
    carlos = await person(client, "Carlos", "es")
    lucia = await person(client, "Lucía", "es")
    es = await forum_group(client, "MOOC en español", ana, [maria, carlos, lucia])
    en = await forum_group(client, "MOOC in English", ana, [john, carlos])
    await ana.send("/start")
    await register(ana, es["id"], ["es"], "americas")
    await register(ana, en["id"], ["en"], "europe")
    await onboard(maria, "es")
    await onboard(john, "en")
    await onboard(carlos, "es", role="both")
    await onboard(lucia, "es", role="helper")
    await maria.send("¿Cómo entrego la tarea de la semana 3 en Coursera?", timeout=20)
    await john.send("How do I submit the week 3 assignment on Coursera?", timeout=20)
    es_topic, en_topic = topic_of(redis_sync, "1"), topic_of(redis_sync, "2")
    assert await run_worker(worker_env) == 0  # offers of María's question, before any sanction
    [old_offer] = await offers_for(client, carlos, "1")

    # Before: Carlos's answer in the Spanish topic reaches María.
    since = await maria.seq()
    first = await client.send_text(carlos.id, "Abre la pestaña Calificaciones.", es["id"],
                                   message_thread_id=es_topic)  # fmt: skip
    [answer] = await client.wait_for(maria.id, since_seq=since, timeout=20)
    assert "Calificaciones" in text(answer) and "Carlos" not in text(answer)

    # María reports that answer from her private chat; Ana removes Carlos from the network.
    since_ana = await ana.seq()
    [thanks] = await send_reply(client, maria, "/report", maria.id, answer["message_id"])
    assert "moderadores" in text(thanks)
    [report] = await client.wait_for(ana.id, since_seq=since_ana, timeout=20)
    assert "Calificaciones" in text(report) and "Carlos" not in text(report)
    since_carlos = await carlos.seq()
    await ana.press(report, "mod:a:remove:1:0")
    [told] = await client.wait_for(carlos.id, since_seq=since_carlos, timeout=20)
    assert "eliminaron" in text(told)

    # His posts in both groups' topics reach nobody.
    since_m, since_j = await maria.seq(), await john.seq()
    await client.send_text(carlos.id, "Mira la pestaña Tareas.", es["id"],
                           message_thread_id=es_topic)  # fmt: skip
    await client.send_text(carlos.id, "Open the Assignments tab.", en["id"],
                           message_thread_id=en_topic)  # fmt: skip
    # Nor does an edit of his earlier answer reach María's copy.
    await client.edit(carlos.id, es["id"], first["message_id"], "Compra seguidores aquí.")
    await settled(client, carlos)
    assert [m for m in await client.messages(maria.id, from_bot=True) if m["seq"] > since_m] == []
    copy = next(
        m for m in await client.messages(maria.id, from_bot=True)
        if m["message_id"] == answer["message_id"]
    )  # fmt: skip
    assert "Calificaciones" in text(copy) and "seguidores" not in text(copy)
    assert [m for m in await client.messages(john.id, from_bot=True) if m["seq"] > since_j] == []

    # An offer he got before cannot be accepted now.
    late = await carlos.press_answer(old_offer, "of:acc:1", force=True)
    assert late["show_alert"] and "eliminaron" in late["text"]
    assert redis_sync.get(f"{TEST_PREFIX}offer:claim:1") is None

    # He cannot ask.
    [refusal] = await carlos.send("/ask ¿Cómo se calcula la nota final del curso?")
    assert "eliminaron" in text(refusal)

    # And he is offered nothing: María's next question goes to Lucía only.
    [posted] = await maria.send("/ask ¿Dónde veo la nota de la semana 3 en Coursera?", timeout=20)
    qid = redis_sync.get(f"{TEST_PREFIX}qseq")
    assert f"#{qid}" in text(posted)
    assert await run_worker(worker_env) == 0
    assert await offers_for(client, lucia, qid) != []
    assert await offers_for(client, carlos, qid) == []


async def test_a_shadow_banned_spammer_sees_acceptance_and_reaches_nobody(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str]
) -> None:
    ana = await person(client, "Ana", "es")
    sam = await person(client, "Sam", "es")
    carlos = await person(client, "Carlos", "es")
    lucia = await person(client, "Lucía", "es")
    es = await forum_group(client, "MOOC en español", ana, [sam, carlos, lucia])
    await ana.send("/start")
    await register(ana, es["id"], ["es"], "americas")
    await onboard(sam, "es")
    await onboard(lucia, "es", role="helper")
    [real] = await sam.send(
        "¿Alguien quiere ganar dinero fácil con el curso de Python?", timeout=20
    )
    thread_id = topic_of(redis_sync, "1")
    post = await post_of(client, es["id"], thread_id, "dinero")
    since_ana = await ana.seq()
    await send_reply(client, carlos, "/report", es["id"], post["message_id"], thread_id=thread_id)
    [report] = await client.wait_for(ana.id, since_seq=since_ana, timeout=20)
    since_sam = await sam.seq()
    [done] = await ana.press(report, "mod:a:shadow:1:0")
    assert "Hecho" in text(done)

    topics_before = await topic_count(client, es["id"])
    [accepted] = await sam.send(
        "/ask ¿Quieres ganar dinero fácil? Escríbeme por privado", timeout=20
    )
    # Word for word what a posted question gets.
    assert text(accepted) == text(real).replace("#1", "#2"), text(accepted)
    [added] = await sam.send("Es una oferta única, de verdad.")
    assert "Añadido a tu pregunta #2" in text(added)
    # Nothing told him, no topic was opened, nobody is offered it.
    mine = [text(m) for m in await client.messages(sam.id, from_bot=True) if m["seq"] > since_sam]
    assert mine == [text(accepted), text(added)]
    assert await topic_count(client, es["id"]) == topics_before
    assert redis_sync.hget(f"{TEST_PREFIX}q:2", "status") == "draft"
    assert await run_worker(worker_env) == 0
    assert await offers_for(client, lucia, "1") != []  # his first question, before the ban
    assert await offers_for(client, lucia, "2") == []


async def topic_count(client: Any, group_id: int) -> int:
    state = await client.state()
    chat = next(c for c in state["chats"] if c["id"] == group_id)
    return len(chat["topics"])


async def test_ban_by_reply_and_unban_by_code(bot: Any, client: Any, redis_sync: Any) -> None:
    ana = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    pablo = await person(client, "Pablo", "es")
    es = await forum_group(client, "MOOC en español", ana, [maria, pablo])
    await ana.send("/start")
    await register(ana, es["id"], ["es"], "americas")
    await onboard(maria, "es")
    await onboard(pablo, "es")
    await maria.send("¿Dónde descargo el certificado del curso de Python?", timeout=20)
    thread_id = topic_of(redis_sync, "1")
    spam = await client.send_text(pablo.id, "Compra seguidores baratos aquí", es["id"],
                                  message_thread_id=thread_id)  # fmt: skip

    # A member cannot ban; the group's admin can, by replying to the message.
    [no] = await send_reply(
        client, pablo, "/ban", es["id"], spam["message_id"], thread_id=thread_id
    )
    assert "administradores" in text(no)
    [banned] = await send_reply(
        client, ana, "/ban", es["id"], spam["message_id"], thread_id=thread_id
    )
    assert "eliminado de la red" in text(banned), text(banned)
    code = text(banned).split(":")[0].split()[-1]
    [refusal] = await pablo.send("¿Cómo se calcula la nota final del curso de Python?")
    assert "eliminaron" in text(refusal)

    # Lifted with the member's code, from the admin's private chat.
    [lifted] = await ana.send(f"/unban {code}")
    assert "eliminación revertida" in text(lifted), text(lifted)
    [ok] = await pablo.send("/ask ¿Cómo se calcula la nota final del curso de Python?", timeout=20)
    assert "#2" in text(ok), text(ok)
    [usage] = await ana.send("/unban NOPE42")
    assert "/unban" in text(usage)

    # /mute with hours as a reply; /modlog asked in the group arrives in private chat.
    [muted] = await send_reply(
        client, ana, "/mute 2", es["id"], spam["message_id"], thread_id=thread_id
    )
    assert "silenciado durante 2 horas" in text(muted), text(muted)
    [refusal] = await pablo.send("/ask ¿Cuándo empieza la segunda edición del curso de Python?")
    assert "silenciad" in text(refusal)
    since_ana = await ana.seq()
    [sent] = await ana.send("/modlog", chat_id=es["id"], thread_id=thread_id)
    assert "privado" in text(sent)
    [log] = await client.wait_for(ana.id, since_seq=since_ana, timeout=20)
    assert "silenciado durante 2 horas" in text(log) and "eliminación revertida" in text(log)


async def test_report_in_words_forged_buttons_and_hints(
    bot: Any, client: Any, redis_sync: Any
) -> None:
    ana = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    es = await forum_group(client, "MOOC en español", ana, [maria])
    await ana.send("/start")
    await register(ana, es["id"], ["es"], "americas")
    await onboard(maria, "es")

    # In a group without a reply: how to do it.
    [hint] = await maria.send("/report", chat_id=es["id"])
    assert "Responde /report al mensaje" in text(hint)
    # In private without a reply: the next message describes the problem.
    [ask] = await maria.send("/report")
    assert "¿Qué quieres denunciar?" in text(ask)
    since_ana = await ana.seq()
    [thanks] = await maria.send("Un usuario me escribe por privado ofreciendo respuestas pagadas.")
    assert "moderadores" in text(thanks)
    [report] = await client.wait_for(ana.id, since_seq=since_ana, timeout=20)
    assert "respuestas pagadas" in text(report)
    # The group its language routes to; about nobody, so no member line.
    assert text(report).startswith("Denuncia #1 en “MOOC en español”\n\n"), text(report)
    assert "Sobre:" not in text(report)
    assert [d for _, d in buttons(report)] == ["mod:a:dismiss:1:0"]  # about nobody: dismiss
    # Forged or stale presses get an alert, never an action.
    for forged in (
        "mod:a:remove:1:0",
        "mod:a:mute:99:0",
        "mod:a:mute:1:7",
        "mod:h:ok:5",
        "mod:a:x",
    ):
        answer = await ana.press_answer(report, forged, force=True)
        assert answer["show_alert"], forged
    assert redis_sync.hget(f"{TEST_PREFIX}mod:report:1", "status") == "open"
    [done] = await ana.press(report, "mod:a:dismiss:1:0")
    assert "denuncia descartada" in text(done)
    # Media where a description is expected: asked for words.
    await maria.send("/report")
    since = await maria.seq()
    await client.send_photo(maria.id)
    [words] = await client.wait_for(maria.id, since_seq=since, timeout=20)
    assert "con palabras" in text(words), text(words)
