"""Read-modify-write races (issue 19) through the real stack: two bot processes (PTB
applications) on one emulator and one Redis handle one user's quick presses at once."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX
from tg_support.core.store import PLATFORMS

from .people import Person, buttons, text
from .two_bots import two_bots

pytestmark = pytest.mark.e2e


async def _answers(p: Person, qids: list[str]) -> list[dict[str, Any]]:
    """The bot's answerCallbackQuery for each press (waits up to 30 s each)."""
    out = []
    for qid in qids:
        result = await p.c.callback_answer(qid, wait=30)
        assert result["answered"], "a press was never answered"
        out.append(result["answer"])
    return out


async def _burst(p: Person, msg: dict[str, Any], datas: list[str]) -> list[dict[str, Any]]:
    """Press every button of ``datas`` on ``msg`` at once, without waiting in between."""
    chat, mid = int(msg["chat"]["id"]), int(msg["message_id"])
    qids = await asyncio.gather(*(p.c.press(p.id, chat, mid, d) for d in datas))
    return await _answers(p, list(qids))


async def _until(predicate: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_two_processes_onboarding_one_user_lose_no_choice(
    sandbox: Any, client: Any, redis_sync: Any, redis_url: str
) -> None:
    user = await client.create_user(first_name="Kofi", language_code="en")
    p = Person(client, user)
    conv_key = f"{TEST_PREFIX}conv:{p.id}"
    async with two_bots(sandbox, redis_url):
        [picker] = await p.send("/start", timeout=30)
        [role_msg] = await p.press(picker, "ob:lang:en", timeout=30)
        [plat] = await p.press(role_msg, "ob:role:learner", timeout=30)
        assert "platforms" in text(plat)

        # Six toggles at once, handled alternately by the two processes: each must count.
        answers = await _burst(p, plat, [f"ob:plat:{s}" for s in PLATFORMS])
        assert not [a for a in answers if a.get("show_alert")], answers
        stored = json.loads(redis_sync.get(conv_key))
        assert sorted(stored["data"]["platforms"]) == sorted(PLATFORMS)

        # A double tap of Done: applied once, the other press is told it expired.
        answers = await _burst(p, plat, ["ob:plat:done", "ob:plat:done"])
        assert sorted(bool(a.get("show_alert")) for a in answers) == [False, True], answers
        await _until(lambda: json.loads(redis_sync.get(conv_key))["step"] == "courses", "courses")

        [pick] = await p.send("Python", timeout=30)
        assert "Python" in text(pick)
        # A double tap on the picker: one course, one "expired".
        answers = await _burst(p, pick, ["obc:tag:0", "obc:tag:0"])
        assert sorted(bool(a.get("show_alert")) for a in answers) == [False, True], answers
        stored = json.loads(redis_sync.get(conv_key))
        assert stored["data"]["courses"] == ["python"]
        done = [
            m for m in await client.messages(p.id)
            if ("obc:done:0" in [d for _, d in buttons(m)])
        ]  # fmt: skip
        assert done, "the Done button after the choice"
        [tz] = await p.press(done[-1], "obc:done:0", timeout=30)
        assert "time zone" in text(tz)
        [goal] = await p.press(tz, "ob:tz:UTC", timeout=30)
        [summary] = await p.send("Get a data job", timeout=30)
        assert "Your profile" in text(summary)

    profile = redis_sync.hgetall(f"{TEST_PREFIX}user:{p.id}")
    assert sorted(json.loads(profile["platforms"])) == sorted(PLATFORMS)
    assert json.loads(profile["courses"]) == ["python"]
    assert profile["tz"] == "UTC" and profile["goal"] == "Get a data job"
    assert profile["onboarded"] == "1" and profile["role"] == "learner"
    assert not redis_sync.exists(conv_key)
