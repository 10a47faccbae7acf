"""Issue 16 end to end, with a real worker process translating on the shipped models: a
group's glossary term survives translation, "Translation looks wrong" reaches the admins'
/translations, and a Spanish solved answer solves a Hindi learner's question (then joins the
group's FAQ, shown by /faq in each reader's language)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX

from .people import buttons, data_for, text
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The first translation in a fresh worker imports argostranslate (seconds).
    return {"translation_timeout_seconds": 40}


async def only_topic(client: Any, chat_id: int) -> int:
    state = await client.state()
    chat = next(c for c in state["chats"] if c["id"] == chat_id)
    [topic] = [t for t in chat.get("topics", []) if t["message_thread_id"] != 1]
    return int(topic["message_thread_id"])


async def until(check: Any, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def test_glossary_term_survives_and_a_wrong_translation_reaches_the_admins(
    bot: Any, client: Any, worker: Any, redis_sync: Any
) -> None:
    ana = await person(client, "Ana", "en", username="ana_admin")
    maria = await person(client, "María", "es")
    john = await person(client, "John", "en")
    en = await forum_group(client, "MOOC Help (international)", ana, [john])
    await register(ana, en["id"], ["en", "*"], "international")
    await onboard(maria, "es")

    # Only the group's admins may change its glossary.
    [refused] = await john.send("/glossary es peer review = x", chat_id=en["id"])
    assert "administrators" in text(refused)
    [ok] = await ana.send("/glossary es peer review = evaluación entre pares", chat_id=en["id"])
    assert "evaluación entre pares" in text(ok)
    [listing] = await ana.send("/glossary es", chat_id=en["id"])
    assert "peer review → evaluación entre pares" in text(listing)
    assert any(d.startswith("gl:rm:es:") for _, d in buttons(listing))

    await maria.send("Necesito ayuda con la tarea.", timeout=15)
    thread = await only_topic(client, en["id"])
    await client.wait_for(en["id"], thread_id=thread, text_contains="I need help", timeout=40)
    since = await maria.seq()
    await client.send_text(
        john.id, "My question is about peer review.", chat_id=en["id"], message_thread_id=thread
    )
    # The model alone says "la revisión por pares": the group's term comes through instead.
    [got] = await client.wait_for(
        maria.id, since_seq=since, text_contains="evaluación entre pares", timeout=40
    )
    assert "Mi pregunta es sobre evaluación entre pares" in text(got)
    assert "revisión" not in text(got)
    # "Translation looks wrong" sits next to "Show original", in her language.
    labels = dict(buttons(got))
    flag = data_for(got, "La traducción parece incorrecta")
    assert flag.startswith("tr:w:") and any(d.startswith("tr:o:") for d in labels.values())
    answer = await maria.press_answer(got, flag)
    assert answer["show_alert"] and "administradores" in answer["text"]
    again = await maria.press_answer(got, flag)
    assert "Ya señalaste" in again["text"]
    # A forged id, or one of another message, records nothing.
    forged = await maria.press_answer(got, "tr:w:999", force=True)
    assert forged["show_alert"]
    orig_id = flag.rsplit(":", 1)[1]
    assert redis_sync.scard(f"{TEST_PREFIX}tr:flag:by:{orig_id}") == 1
    flagged = redis_sync.hgetall(f"{TEST_PREFIX}tr:flag:{orig_id}")
    assert flagged["src"] == "en" and flagged["dst"] == "es"
    assert flagged["text"] == "My question is about peer review." and flagged["version"]

    # A course title of the catalog passes through as written.
    since = await maria.seq()
    await client.send_text(
        john.id, "My question is about Neural Networks and Deep Learning.",
        chat_id=en["id"], message_thread_id=thread,
    )  # fmt: skip
    [course] = await client.wait_for(
        maria.id, since_seq=since, text_contains="Neural Networks and Deep Learning", timeout=40
    )
    assert "Mi pregunta es sobre Neural Networks and Deep Learning" in text(course)

    # The admins see the pair, its flags and confidences, and the text.
    [report] = await ana.send("/translations", chat_id=en["id"])
    body = text(report)
    assert "English → Español" in body and "1 report" in body
    assert "My question is about peer review." in body
    [refused] = await john.send("/translations", chat_id=en["id"])
    assert "administrators" in text(refused)

    # Removing the term with its button.
    [listing] = await ana.send("/glossary es", chat_id=en["id"])
    [after] = await ana.press(listing, data_for(listing, "peer review"), chat_id=en["id"])
    assert "No terms" in text(after)


async def test_a_spanish_answer_solves_a_hindi_question_and_joins_the_faq(
    bot: Any, client: Any, worker: Any, redis_sync: Any
) -> None:
    ana = await person(client, "Ana", "es", username="ana_admin")
    maria = await person(client, "María", "es")
    carlos = await person(client, "Carlos", "es")
    priya = await person(client, "Priya", "hi")
    lucia = await person(client, "Lucía", "es")
    es = await forum_group(client, "MOOC en español", ana, [maria, carlos])
    await register(ana, es["id"], ["es"], "americas")
    for p, lang in ((maria, "es"), (priya, "hi"), (lucia, "es")):
        await onboard(p, lang)

    # A Spanish question, answered and solved in the Spanish group.
    await maria.send("¿Cómo obtengo el certificado?", timeout=15)
    thread = await only_topic(client, es["id"])
    since = await maria.seq()
    await client.send_text(
        carlos.id, "Necesitas aprobar todos los cuestionarios para obtener el certificado.",
        chat_id=es["id"], message_thread_id=thread,
    )  # fmt: skip
    [ans] = await client.wait_for(maria.id, since_seq=since, timeout=20)
    await maria.press(ans, data_for(ans, "✅"), count=1)
    # A worker indexes it with its English pivot, so other languages find it.
    await until(lambda: redis_sync.hget(f"{TEST_PREFIX}search:d:1", "pivot_lang") == "en")

    # A Hindi learner asks the same: the Spanish answer comes first, in Hindi.
    [offer] = await priya.send("मुझे प्रमाणपत्र कैसे मिलेगा?", timeout=30)
    body = text(offer)
    assert "प्रमाणपत्र पाने के लिए आपको सभी क्विज़ पास करने होंगे" in body, body
    assert "cuestionarios" not in body and "Español" in body  # translated, and says from what
    solves = data_for(offer, "इससे हल हो गया")
    assert solves.startswith("q:dup:") and any(d.startswith("q:go:") for _, d in buttons(offer))
    # Offered alone, first; translated, so the original is a tap away.
    assert [d.split(":")[0] + ":" + d.split(":")[1] for _, d in buttons(offer)] == [
        "q:dup", "q:go", "tr:o"
    ]  # fmt: skip
    await priya.press(offer, solves)
    assert redis_sync.scard(f"{TEST_PREFIX}faq:helped:1") == 2  # María and Priya
    [empty] = await ana.send("/faq", chat_id=es["id"])
    assert "Todavía no hay preguntas frecuentes" in text(empty)

    # A third learner: the answer joins the group's FAQ.
    [offer] = await lucia.send("¿Cómo obtengo el certificado?", timeout=30)
    await lucia.press(offer, data_for(offer, "✅"))
    assert redis_sync.zscore(f"{TEST_PREFIX}faq:{es['id']}", "1") == 3
    [faq] = await ana.send("/faq", chat_id=es["id"])
    assert "¿Cómo obtengo el certificado?" in text(faq) and "3 estudiantes" in text(faq)
    # In private, in the reader's language: Priya reads the Spanish group's FAQ in Hindi.
    [faq] = await priya.send("/faq", timeout=30)
    assert "MOOC en español" in text(faq)
    assert "प्रमाणपत्र पाने के लिए आपको सभी क्विज़ पास करने होंगे" in text(faq), text(faq)
    assert "3 शिक्षार्थियों" in text(faq)
