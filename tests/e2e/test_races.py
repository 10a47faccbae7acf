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

# Quick presses are the point here: the per-user flood budget must not drop any.
NO_FLOOD = {"flood_updates": 1000}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return dict(NO_FLOOD)


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
    async with two_bots(sandbox, redis_url, **NO_FLOOD):
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


async def test_helper_settings_racing_offers_keep_open_load_exact(
    bot: Any, client: Any, redis_sync: Any, redis_url: str
) -> None:
    """/helper's buttons change the settings while offers take and release the helper's
    load in another process: every take and release counts, every setting sticks."""
    import redis.asyncio as aioredis

    from tg_support.helpers.index import HelperIndex
    from tg_support.helpers.registry import HOURS

    from .world import onboard, person

    h = await person(client, "Ana", "en")
    await onboard(h, "en", role="helper")
    [settings] = await h.send("/helper", timeout=30)
    conn = aioredis.from_url(redis_url, decode_responses=True)
    index = HelperIndex(conn, TEST_PREFIX)
    answer = await h.press_answer(settings, "hp:cap:10")
    assert not answer.get("show_alert")

    held = [0] * 8
    go = asyncio.Event()
    go.set()
    busy = [0]
    stop = False

    async def offers(lane: int) -> None:
        """Accepts take a unit of load, solved questions give it back: eight workers at
        once, each a sawtooth 0..1 (at most 8 of the capacity of 10 in all)."""
        rising = True
        while not stop:
            await go.wait()
            busy[0] += 1
            if rising and await index.try_take_load(h.id):
                held[lane] += 1
            elif not rising:
                await index.release_load(h.id)
                held[lane] -= 1
            rising = held[lane] < 1 if rising else held[lane] == 0
            await index.mark_offered(h.id, time.time())
            busy[0] -= 1

    async def load_now() -> tuple[int, int]:
        """The card's load and the offers' count, with the offers paused in between."""
        go.clear()
        await _until(lambda: busy[0] == 0, "the offers to pause")
        card = await index.get(h.id)
        go.set()
        assert card is not None
        return card.open_load, sum(held)

    tasks = [asyncio.create_task(offers(lane)) for lane in range(len(held))]
    presets = [p for p in HOURS if p != "any"]
    presses = [f"hp:hours:{presets[i % len(presets)]}" for i in range(24)]
    presses += ["hp:lang:es", "hp:lang:es", "hp:lang:fr", "hp:lang:es", "hp:lang:fr", "hp:lang:es"]
    seen: list[tuple[str, int, int]] = []
    try:
        for data in presses:
            answer = await h.press_answer(settings, data)
            assert not answer.get("show_alert"), (data, answer)
            # Checked after every press: a lost take and a lost release cannot cancel out.
            seen.append((data, *await load_now()))
    finally:
        stop = True
        go.set()
        await asyncio.gather(*tasks)
    assert [s for s in seen if s[1] != s[2]] == []
    card = await index.get(h.id)
    await conn.aclose()
    assert card is not None
    assert card.open_load == sum(held)
    assert card.capacity == 10 and dict(card.hours) == HOURS[presets[23 % len(presets)]]
    assert dict(card.languages) == {"en": "native", "fr": "fluent"}
    # The index and the denormalised row agree with the card.
    row = redis_sync.hget(f"{TEST_PREFIX}hrows", str(h.id)).split("\t")
    assert int(row[3]) == sum(held) and int(row[2]) == 10


async def test_two_processes_register_a_group_with_every_language_tapped(
    sandbox: Any, client: Any, redis_sync: Any, redis_url: str
) -> None:
    from .world import forum_group, person

    admin = await person(client, "Ana", "es")
    group = await forum_group(client, "MOOC multilingüe", admin, [])
    async with two_bots(sandbox, redis_url, **NO_FLOOD):
        [msg] = await admin.send("/register", chat_id=group["id"], timeout=30)
        langs = ["es", "pt", "fr", "en"]
        answers = await _burst(admin, msg, [f"gr:lang:{code}" for code in langs])
        assert not [a for a in answers if a.get("show_alert")], answers
        answer = await admin.press_answer(msg, "gr:lang:done")
        assert not answer.get("show_alert"), answer
        # The toggles' edits are paced by the group's rate limit: wait for the region step.
        deadline = time.monotonic() + 30
        while "gr:reg:europe" not in [d for _, d in buttons(msg)]:
            assert time.monotonic() < deadline, "the region step never showed"
            await asyncio.sleep(0.1)
            [msg] = [m for m in await client.messages(group["id"]) if m["message_id"] == msg["message_id"]]
        answer = await admin.press_answer(msg, "gr:reg:europe")
        assert not answer.get("show_alert"), answer
    stored = redis_sync.hgetall(f"{TEST_PREFIX}group:{group['id']}")
    assert sorted(json.loads(stored["languages"])) == sorted(langs)
    assert stored["region"] == "europe"


async def test_two_processes_apply_one_press_of_a_courses_picker_once(
    sandbox: Any, client: Any, redis_sync: Any, redis_url: str
) -> None:
    """/courses add: a double tap of the picker's button on two processes adds the course
    once and tells the second press it expired; the session date still finds its course."""
    import redis.asyncio as aioredis

    from tg_support.core.store import Profile, Store

    from .people import data_for

    user = await client.create_user(first_name="Lea", language_code="en")
    p = Person(client, user)
    conn = aioredis.from_url(redis_url, decode_responses=True)
    await Store(conn, TEST_PREFIX).save_profile(
        Profile(user_id=p.id, lang="en", role="learner", tz="Europe/London", onboarded=True)
    )
    await conn.aclose()
    async with two_bots(sandbox, redis_url, **NO_FLOOD):
        [pick] = await p.send("/courses add Learning How to Learn", timeout=30)
        choice = data_for(pick, "Learning How to Learn")
        answers = await _burst(p, pick, [choice, choice])
        assert sorted(bool(a.get("show_alert")) for a in answers) == [False, True], answers
        conv_key = f"{TEST_PREFIX}conv:{p.id}"
        await _until(lambda: "last" in json.loads(redis_sync.get(conv_key))["data"], "the choice")
        stored = json.loads(redis_sync.get(conv_key))
        assert stored["step"] == "crs:add"
        courses = json.loads(redis_sync.hget(f"{TEST_PREFIX}user:{p.id}", "courses"))
        assert courses == [stored["data"]["last"]]
