"""Issue 19: a learner's region, chosen with buttons from /profile, routes their questions
to the group of their region among the groups that speak their language."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TEST_PREFIX

from .people import Person, buttons, text
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e


async def choose_region(p: Person, region: str) -> dict[str, Any]:
    [profile] = await p.send("/profile")
    assert "pf:rg:open" in [d for _, d in buttons(profile)]
    [picker] = await p.press(profile, "pf:rg:open")
    assert picker["message_id"] == profile["message_id"]  # drawn over the profile
    assert f"pf:rg:{region}" in [d for _, d in buttons(picker)]
    assert "pf:rg:international" not in [d for _, d in buttons(picker)]
    [saved] = await p.press(picker, f"pf:rg:{region}")
    return saved


def topics_of(state: dict[str, Any], chat_id: int) -> list[dict[str, Any]]:
    chat = next(c for c in state["chats"] if c["id"] == chat_id)
    return [t for t in chat.get("topics", []) if t["message_thread_id"] != 1]


async def test_two_spanish_groups_each_learner_goes_to_their_region(
    bot: Any, client: Any, redis_sync: Any
) -> None:
    admin = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")  # in Madrid
    lucia = await person(client, "Lucía", "es")  # in Bogotá
    pablo = await person(client, "Pablo", "es")  # no region chosen
    # Registered Europe first and Americas second, then the other way round would not
    # matter: each learner's region decides, whatever the tie-break between the two.
    eu = await forum_group(client, "MOOC España", admin, [])
    am = await forum_group(client, "MOOC Latinoamérica", admin, [])
    await register(admin, eu["id"], ["es"], "europe")
    await register(admin, am["id"], ["es"], "americas")
    for p in (maria, lucia, pablo):
        await onboard(p, "es")

    saved = await choose_region(maria, "europe")
    assert text(saved) == "Guardado. Tu región: Europa."
    assert redis_sync.hget(f"{TEST_PREFIX}user:{maria.id}", "region") == "europe"
    await choose_region(lucia, "americas")
    [profile] = await lucia.send("/profile")
    assert "Región: América" in text(profile)

    [confirm] = await maria.send("¿Cómo obtengo el certificado del curso de Python?", timeout=15)
    assert "MOOC España" in text(confirm)
    [confirm] = await lucia.send("¿Dónde veo mis notas del cuestionario de Python?", timeout=15)
    assert "MOOC Latinoamérica" in text(confirm)
    state = await client.state()
    assert [t["name"][:3] for t in topics_of(state, eu["id"])] == ["#1 "]
    assert [t["name"][:3] for t in topics_of(state, am["id"])] == ["#2 "]

    # Without a region, language alone decides (one of the two Spanish groups).
    [confirm] = await pablo.send("¿Cuándo es la fecha límite del curso de Python?", timeout=15)
    assert "MOOC España" in text(confirm) or "MOOC Latinoamérica" in text(confirm)

    # Clearing the region: "No preference".
    [profile] = await maria.send("/profile")
    [picker] = await maria.press(profile, "pf:rg:open")
    assert "✅" in dict((d, label) for label, d in buttons(picker))["pf:rg:europe"]
    [cleared] = await maria.press(picker, "pf:rg:none")
    assert "Sin región" in text(cleared)
    assert redis_sync.hget(f"{TEST_PREFIX}user:{maria.id}", "region") is None


async def test_a_region_group_that_does_not_speak_the_language_is_not_chosen(
    bot: Any, client: Any
) -> None:
    admin = await person(client, "Ana", "en")
    john = await person(client, "John", "en")
    es_eu = await forum_group(client, "MOOC España", admin, [])
    en_am = await forum_group(client, "MOOC Americas (English)", admin, [])
    await register(admin, es_eu["id"], ["es"], "europe")
    await register(admin, en_am["id"], ["en"], "americas")
    await onboard(john, "en")
    await choose_region(john, "europe")
    [confirm] = await john.send("How do I get the certificate for the Python course?", timeout=15)
    assert "MOOC Americas (English)" in text(confirm)  # language first, then region


async def test_forged_region_buttons_are_refused(bot: Any, client: Any, redis_sync: Any) -> None:
    maria = await person(client, "María", "es")
    stranger = await person(client, "Olga", "ru")
    await onboard(maria, "es")
    [profile] = await maria.send("/profile")
    answer = await maria.press_answer(profile, "pf:rg:mars", force=True)
    assert answer["show_alert"] and answer["text"] == "Este botón no es válido."
    answer = await maria.press_answer(profile, "pf:rg:international", force=True)
    assert answer["show_alert"]
    assert redis_sync.hget(f"{TEST_PREFIX}user:{maria.id}", "region") is None
    # Someone without a profile is sent to /start.
    [hello] = await stranger.send("/language")
    answer = await stranger.press_answer(hello, "pf:rg:europe", force=True)
    assert answer["show_alert"] and "/start" in answer["text"]
