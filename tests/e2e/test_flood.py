"""Issue 19: per-user flood control through the real stack: past the budget, updates are
dropped, the user is told once per window in their language, and button presses past it
get the same words as a toast; other users are not affected."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX

from .people import text
from .world import person

pytestmark = pytest.mark.e2e

BUDGET = 3


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A long window: the test never races its end, however slow the machine.
    return {"flood_updates": BUDGET, "flood_window_seconds": 120}


async def counted(redis_sync: Any, uid: int, n: int) -> None:
    """Every update of ``uid`` so far went through the guards (the counter is the first
    thing they touch), so whatever the bot would answer has been sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        if int(redis_sync.get(f"{TEST_PREFIX}flood:{uid}") or 0) >= n:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {redis_sync.get(f'{TEST_PREFIX}flood:{uid}')} updates counted")


async def test_flood_drops_updates_and_says_so_once(bot: Any, client: Any, redis_sync: Any) -> None:
    pedro = await person(client, "Pedro", "es")  # no profile: each text starts onboarding
    lucia = await person(client, "Lucía", "es")
    for i in range(BUDGET + 3):
        await client.send_text(pedro.id, f"hola {i}")
    [notice] = await client.wait_for(pedro.id, text_contains="demasiado rápido", timeout=30)
    assert text(notice) == "Estás enviando mensajes demasiado rápido. Espera un momento."
    await counted(redis_sync, pedro.id, BUDGET + 3)
    # The updates in the budget were answered (the first with a greeting and the language
    # picker, the next ones with a pointer to its buttons)...
    msgs = await client.messages(pedro.id, from_bot=True)
    assert sum(text(m).startswith("¡Hola! Primero configuremos") for m in msgs) == 1
    assert sum(text(m).startswith("Elige uno de los botones") for m in msgs) == BUDGET - 1
    # ... the others were dropped, with one notice for the whole window.
    assert sum("demasiado rápido" in text(m) for m in msgs) == 1

    # A button press past the budget is answered with the same words, as a toast.
    picker = next(m for m in msgs if "ob:lang:es" in str(m.get("reply_markup")))
    answer = await pedro.press_answer(picker, "ob:lang:es")
    assert answer["text"] == text(notice) and not answer.get("show_alert")
    assert redis_sync.hget(f"{TEST_PREFIX}user:{pedro.id}", "lang") is None  # not applied
    assert sum("demasiado rápido" in text(m) for m in await client.messages(pedro.id)) == 1

    # Someone else is served as usual.
    [hello, _picker] = await lucia.send("hola", count=2)
    assert "Hola" in text(hello)
