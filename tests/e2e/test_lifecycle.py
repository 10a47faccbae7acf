"""An idle question through the real stack: a real worker with RQ's scheduler reminds the
learner once, in their language, then closes the question and its topic; a question that
gets activity in between is not reminded early."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX

from .people import buttons, text
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e

REMIND_S = 3.0
CLOSE_S = 3.0
LIFECYCLE = {
    "question_reminder_hours": REMIND_S / 3600,
    "question_autoclose_hours": CLOSE_S / 3600,
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return dict(LIFECYCLE)


@pytest.fixture
def worker_env(worker_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    extra = {k.upper(): str(v) for k, v in LIFECYCLE.items()}
    for key, value in extra.items():
        monkeypatch.setenv(key, value)
    return {**worker_env, **extra}


@pytest.fixture
async def asked(bot: Any, client: Any, redis_sync: Any) -> AsyncIterator[dict[str, Any]]:
    admin = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    es = await forum_group(client, "MOOC en español", admin, [maria])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es")
    [confirm] = await maria.send(
        "¿Dónde descargo el certificado del módulo 4? Ya terminé todas las actividades.",
        timeout=15,
    )
    assert "#1" in text(confirm)
    yield {"maria": maria, "group": es, "qid": "1", "asked_at": time.monotonic()}


async def field_becomes(redis_sync: Any, qid: str, name: str, value: str) -> None:
    for _ in range(50):
        if redis_sync.hget(f"{TEST_PREFIX}q:{qid}", name) == value:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"q:{qid} {name} is {redis_sync.hget(f'{TEST_PREFIX}q:{qid}', name)!r}")


async def test_idle_question_is_reminded_once_then_closed(
    asked: dict[str, Any], client: Any, redis_sync: Any, worker: Any
) -> None:
    maria, qid, group = asked["maria"], asked["qid"], asked["group"]
    thread_id = int(redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "thread_id"))

    # The first matching round scheduled the idle check; RQ's scheduler runs it.
    reminder = (
        await client.wait_for(maria.id, text_contains="#1", count=2, timeout=REMIND_S + 15)
    )[-1]
    assert "¿Ya se resolvió tu pregunta #1?" in text(reminder), text(reminder)
    assert f"q:solve:{qid}" in [d for _, d in buttons(reminder)]
    assert time.monotonic() - asked["asked_at"] >= REMIND_S - 0.5
    await field_becomes(redis_sync, qid, "reminded", "1")  # written right after sending
    assert redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "status") == "open"

    closed = (
        await client.wait_for(
            maria.id, since_seq=reminder["seq"], text_contains="#1", timeout=CLOSE_S + 15
        )
    )[-1]
    assert "cerré" in text(closed).lower(), text(closed)
    assert buttons(closed) == [("🔄 Reabrir", f"qr:{qid}")]  # issue 19: it can be reopened
    assert redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "status") == "closed"  # before the message
    state = await client.state()
    chat = next(c for c in state["chats"] if c["id"] == group["id"])
    topic = next(t for t in chat["topics"] if t["message_thread_id"] == thread_id)
    assert topic["is_closed"] is True

    # One reminder, one closing message: nothing more arrives.
    await asyncio.sleep(REMIND_S)
    later = await client.messages(maria.id, from_bot=True)
    assert [m for m in later if m["seq"] > closed["seq"]] == []
    assert sum("#1" in text(m) for m in later) == 3  # confirmation, reminder, closed


async def test_activity_postpones_the_reminder(
    asked: dict[str, Any], client: Any, redis_sync: Any, worker: Any
) -> None:
    maria, qid = asked["maria"], asked["qid"]
    # A follow-up before the check is due: the question is not idle when the check runs.
    await asyncio.sleep(REMIND_S * 0.6)
    [hint] = await maria.send("Lo necesito para mi trabajo, gracias.", count=1, timeout=15)
    assert "Añadido a tu pregunta #1" in text(hint)
    touched = time.monotonic()
    reminder = (
        await client.wait_for(
            maria.id, since_seq=hint["seq"], text_contains="#1", timeout=REMIND_S + 15
        )
    )[-1]
    assert "¿Ya se resolvió tu pregunta #1?" in text(reminder), text(reminder)
    assert f"q:solve:{qid}" in [d for _, d in buttons(reminder)]
    assert time.monotonic() - touched >= REMIND_S - 0.5
