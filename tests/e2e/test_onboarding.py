"""Onboarding through the real stack: PTB application ↔ emulator over HTTP, real Redis."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX

from .people import Person, buttons, data_for, text

pytestmark = pytest.mark.e2e


async def new_person(client: Any, name: str, lang: str) -> Person:
    return Person(client, await client.create_user(first_name=name, language_code=lang))


async def onboard(p: Person, lang: str, *, role: str = "learner") -> list[dict[str, Any]]:
    [picker] = await p.send("/start")
    [role_msg] = await p.press(picker, f"ob:lang:{lang}")
    [plat] = await p.press(role_msg, f"ob:role:{role}")
    [plat] = await p.press(plat, "ob:plat:coursera")
    [courses] = await p.press(plat, "ob:plat:done")
    [pick] = await p.send("ML Andrew Ng")
    [added] = await p.press(pick, data_for(pick, "Supervised Machine Learning"))
    [tz] = await p.press(added, "obc:done:0")
    [goal] = await p.send("Kolkata")
    return await p.send("Finish the ML specialization by June")


async def test_onboarding_in_english(bot: Any, client: Any, redis_sync: Any) -> None:
    p = await new_person(client, "Asha", "en")
    [picker] = await p.send("/start")
    assert "Which language" in text(picker)
    labels = [label for label, _ in buttons(picker)]
    assert "✅ English" in labels and len(labels) == 8
    assert all(len(d.encode()) <= 64 for _, d in buttons(picker))

    [role_msg] = await p.press(picker, "ob:lang:en")
    assert role_msg["message_id"] == picker["message_id"]  # edited in place
    assert "What brings you here?" in text(role_msg)
    [plat] = await p.press(role_msg, data_for(role_msg, "learner"))
    [plat] = await p.press(plat, "ob:plat:coursera")
    assert "☑️ Coursera" in [label for label, _ in buttons(plat)]
    [courses] = await p.press(plat, "ob:plat:done")
    assert "Which courses" in text(courses)
    # Two courses in one message: a picker for each, one after the other.
    [pick] = await p.send("ML Andrew Ng, Python")
    assert "Which course do you mean" in text(pick)
    assert len(buttons(pick)) <= 6 and all(len(d.encode()) <= 64 for _, d in buttons(pick))
    [added, pick2] = await p.press(pick, data_for(pick, "Supervised Machine Learning"), count=2)
    assert "✅" in text(added) and "“Python”" in text(pick2)
    [added] = await p.press(pick2, "obc:tag:0")  # Python as a free topic
    assert "Added: python" in text(added)
    # A pasted link the catalog does not know: a new entry from its slug.
    [link] = await p.send("see https://www.udemy.com/course/rust-from-zero-to-hero/?ref=x")
    assert "Rust from Zero to Hero · Udemy" in text(link) and "don't know" in text(link)
    [added] = await p.press(link, "obc:url:0")
    assert "session starts" in text(added)
    # The session date of the course just added.
    [dated] = await p.send("12 January 2027")
    assert "2027" in text(dated)
    [tz] = await p.press(dated, "obc:done:0")
    assert "time zone" in text(tz)
    [goal] = await p.send("+5:30")
    assert "learning goal" in text(goal)
    [summary] = await p.send("Finish the ML specialization by June")
    body = text(summary)
    assert "Your profile" in body and "Supervised Machine Learning" in body and "python" in body
    assert "Rust from Zero to Hero · Udemy" in body
    assert "UTC+05:30" in body and "Coursera" in body and "Learner" in body

    profile = redis_sync.hgetall(f"{TEST_PREFIX}user:{p.id}")
    assert profile["lang"] == "en" and profile["role"] == "learner" and profile["onboarded"] == "1"
    assert profile["tz"] == "UTC+05:30"
    assert json.loads(profile["courses"]) == [
        "coursera:machine-learning", "python", "udemy:rust-from-zero-to-hero",
    ]  # fmt: skip
    assert "machine-learning" in json.loads(profile["course_tags"])
    enrolled = redis_sync.hgetall(f"{TEST_PREFIX}crs:enr:{p.id}")
    assert json.loads(enrolled["udemy:rust-from-zero-to-hero"])["session"] == "2027-01-12"
    assert redis_sync.hexists(f"{TEST_PREFIX}crs:cat", "udemy:rust-from-zero-to-hero")
    assert not redis_sync.exists(f"{TEST_PREFIX}conv:{p.id}")


async def test_onboarding_in_spanish_from_language_code(
    bot: Any, client: Any, redis_sync: Any
) -> None:
    p = await new_person(client, "María", "es")
    [picker] = await p.send("/start")
    assert "✅ Español" in [label for label, _ in buttons(picker)]
    [role_msg] = await p.press(picker, "ob:lang:es")
    assert "¿Qué te trae por aquí?" in text(role_msg)
    [plat] = await p.press(role_msg, "ob:role:both")
    [courses] = await p.press(plat, "ob:plat:done")
    [pick] = await p.send("aprendizaje automático coursera")
    assert "¿Qué curso" in text(pick), text(pick)
    [added] = await p.press(pick, data_for(pick, "Supervised Machine Learning"))
    [tz] = await p.press(added, "obc:done:0")
    [goal] = await p.send("Madrid")
    [summary] = await p.send("Terminar el curso de Python")
    assert "Tu perfil" in text(summary)
    assert redis_sync.hget(f"{TEST_PREFIX}user:{p.id}", "lang") == "es"


async def test_restart_mid_onboarding_loses_nothing(
    bot: Any, client: Any, redis_sync: Any, redis_url: str, sandbox: Any
) -> None:
    from tests.conftest import make_settings
    from tg_support.app import build_application

    p = await new_person(client, "Ravi", "hi")
    [picker] = await p.send("/start")
    [role_msg] = await p.press(picker, "ob:lang:en")
    [plat] = await p.press(role_msg, "ob:role:helper")
    [courses] = await p.press(plat, "ob:plat:done")

    # Stop this bot process entirely and start a new one on the same Redis.
    assert bot.updater is not None
    await bot.updater.stop()
    await bot.stop()
    app2 = build_application(make_settings(sandbox.url, redis_url), redis_url)
    await app2.initialize()
    await app2.start()
    assert app2.updater is not None
    await app2.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        [pick] = await p.send("Data Science")
        [added] = await p.press(pick, "obc:tag:0")
        [tz] = await p.press(added, "obc:done:0")
        assert "time zone" in text(tz)
        [goal] = await p.send("Delhi")
        [summary] = await p.send("Become a data analyst")
        assert "Volunteer helper" in text(summary) and "data-science" in text(summary)
    finally:
        await app2.updater.stop()
        await app2.stop()
        await app2.shutdown()
        await bot.start()  # let the fixture's teardown stop it normally
        await bot.updater.start_polling(poll_interval=0.0, timeout=1)


async def test_bad_inputs_get_clear_answers(bot: Any, client: Any, redis_sync: Any) -> None:
    p = await new_person(client, "Li", "zh")
    # An unknown command.
    [m] = await p.send("/frobnicate")
    assert "/frobnicate" in text(m) and "/help" in text(m)
    # Media where text is expected (during the courses step).
    [picker] = await p.send("/start")
    [role_msg] = await p.press(picker, "ob:lang:en")
    [plat] = await p.press(role_msg, "ob:role:learner")
    [courses] = await p.press(plat, "ob:plat:done")
    since = await p.seq()
    await client.send_sticker(p.id)
    [m] = await client.wait_for(p.id, since_seq=since)
    assert "only read text" in text(m)
    since = await p.seq()
    await client.send_photo(p.id, caption=None)
    [m] = await client.wait_for(p.id, since_seq=since)
    assert "only read text" in text(m)
    # A 5,000-character message.
    [m] = await p.send("x" * 5000)
    assert "too long" in text(m) and "5000" in text(m)
    # A forged callback and a stale one.
    answer = await p.press_answer(picker, "ob:lang:xx", force=True)
    assert answer["show_alert"] and "not valid" in answer["text"]
    answer = await p.press_answer(picker, "q:go:999999", force=True)
    assert "not valid" in answer["text"]
    [old_picker] = await p.send("/start")
    [new_picker] = await p.send("/start")
    answer = await p.press_answer(old_picker, "ob:lang:en")  # superseded by the newer picker
    assert "expired" in answer["text"]
    # Text while a button step waits.
    [m] = await p.send("hello?")
    assert "buttons above" in text(m)
    # The bot is still fine: /help answers.
    [m] = await p.send("/help")
    assert "/start" in text(m)


async def test_command_menus_per_language(bot: Any, client: Any) -> None:
    en = await client.commands(scope="all_private_chats", language_code="en")
    es = await client.commands(scope="all_private_chats", language_code="es")
    hi = await client.commands(scope="all_private_chats", language_code="hi")
    default = await client.commands(scope="all_private_chats")
    assert (
        [c["command"] for c in en] == [c["command"] for c in es] == [c["command"] for c in default]
    )
    assert {c["command"] for c in en} >= {"start", "help", "ask", "language", "profile", "cancel"}
    desc_en = {c["command"]: c["description"] for c in en}
    desc_es = {c["command"]: c["description"] for c in es}
    desc_hi = {c["command"]: c["description"] for c in hi}
    assert desc_en["start"] != desc_es["start"] != desc_hi["start"]
    for code in ("pt", "fr", "ru", "ar", "zh"):
        assert await client.commands(scope="all_private_chats", language_code=code)


async def test_429_from_telegram_is_waited_out(bot: Any, client: Any) -> None:
    p = await new_person(client, "Tom", "en")
    await client.inject_fault("sendMessage", error_code=429, retry_after=1, count=1, chat_id=p.id)
    [picker] = await p.send("/start", timeout=15)
    assert "Which language" in text(picker)
    log = await client.log(method="sendMessage")
    statuses = [
        e.get("status") for e in log if (e.get("params") or {}).get("chat_id") in (p.id, str(p.id))
    ]
    assert 429 in statuses and 200 in statuses


async def test_blocked_user_is_recorded(bot: Any, client: Any, redis_sync: Any) -> None:
    p = await new_person(client, "Zed", "en")
    await onboard(p, "en")
    await client.block(p.id, True)
    key = f"{TEST_PREFIX}user:{p.id}"
    import asyncio

    for _ in range(50):
        if redis_sync.hget(key, "blocked") == "1":
            break
        await asyncio.sleep(0.1)
    assert redis_sync.hget(key, "blocked") == "1"


async def test_forget_erases_everything(bot: Any, client: Any, redis_sync: Any) -> None:
    p = await new_person(client, "Erin", "en")
    await onboard(p, "en", role="both")
    assert redis_sync.exists(f"{TEST_PREFIX}user:{p.id}")
    [ask] = await p.send("/forget")
    [done] = await p.press(ask, "pf:forget:yes")
    assert "erased everything" in text(done)
    leftovers = [k for k in redis_sync.scan_iter(f"{TEST_PREFIX}*") if str(p.id) in k]
    assert leftovers == []
    assert not redis_sync.sismember(f"{TEST_PREFIX}users", p.id)
    assert redis_sync.hget(f"{TEST_PREFIX}hrows", str(p.id)) is None
