"""Broadcasts through the real stack: the bot, real worker processes, the emulator (which
enforces Telegram's flood limits) and Redis.

Per-language variants reach the right people, blocked users are recorded, cancel stops
delivery, non-admins are refused, and a worker killed with SIGKILL mid-broadcast and then
restarted leaves every recipient with exactly one message.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.conftest import TEST_PREFIX, run_worker
from tg_support.broadcast.broadcasts import Audience, Broadcasts
from tg_support.core.store import Profile, Store

from .people import Person, buttons, data_for, text
from .world import forum_group, person, register

pytestmark = pytest.mark.e2e

GLOBAL_RATE = 10.0  # our limit in these tests (the emulator enforces Telegram's 30/s)
WORKER_ENV = {
    "SEND_GLOBAL_PER_SECOND": str(GLOBAL_RATE),
    "BROADCAST_CHUNK_SIZE": "20",
    "BROADCAST_JOB_TIMEOUT_SECONDS": "6",
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"send_global_per_second": GLOBAL_RATE, "broadcast_chunk_size": 20}


@pytest.fixture
async def aredis(redis_url: str) -> Any:
    r = Redis.from_url(redis_url, decode_responses=True)
    yield r
    await r.aclose()


async def seed(
    client: Any, aredis: Redis, n: int, lang: str, *, role: str = "learner", name: str = "L"
) -> list[Person]:
    """Onboarded people, written straight into the store (onboarding has its own tests)."""
    store = Store(aredis, TEST_PREFIX)
    people = []
    for i in range(n):
        p = await person(client, f"{name}{i}", lang)
        await store.save_profile(
            Profile(user_id=p.id, lang=lang, role=role, onboarded=True, courses=["python"])  # type: ignore[arg-type]
        )
        people.append(p)
    return people


async def admin_world(client: Any) -> tuple[Person, dict[str, Any]]:
    admin = await person(client, "Ana", "en", username="ana_admin")
    es = await forum_group(client, "MOOC en español", admin, [])
    await register(admin, es["id"], ["es"], "americas")
    return admin, es


async def bot_texts(client: Any, chat_id: int) -> list[str]:
    return [text(m) for m in await client.messages(chat_id, from_bot=True)]


async def sends_by_chat(client: Any) -> Counter[int]:
    """Successful sendMessage calls per chat, from the emulator's log."""
    log = await client.log(method="sendMessage")
    return Counter(int(e["params"]["chat_id"]) for e in log if e["ok"])


async def start_programmatic(aredis: Redis, admin: int, text_: str, aud: Audience) -> str:
    """A confirmed broadcast without the conversation (which test_admin_flow covers)."""
    from redis import Redis as SyncRedis
    from rq import Queue

    store = Broadcasts(aredis, TEST_PREFIX)
    b = await store.create(admin, "en", "en", text_, [], aud)
    await store.set_text(b.bid, "en", text_, [], "original")
    await store.transition(b.bid, ["translating"], "queued")
    conn = SyncRedis.from_url(os.environ["REDIS_URL"])  # set by the worker_env fixture
    Queue(TEST_PREFIX + "broadcast", connection=conn).enqueue("workers.broadcast.start", b.bid)
    conn.close()
    return b.bid


async def say(p: Person, body: str, contains: str, wait: float = 10.0) -> dict[str, Any]:
    """Send and wait for the bot's reply containing ``contains`` (progress edits may interleave)."""
    since = await p.seq()
    await p.c.send_text(p.id, body)
    msgs = await p.c.wait_for(p.id, since_seq=since, text_contains=contains, timeout=wait)
    return dict(msgs[-1])


def spawn(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return asyncio.create_subprocess_exec(  # type: ignore[return-value]
        sys.executable, "-m", "tg_support.cli", "worker", *args, env={**os.environ, **env}
    )


async def wait_until(pred: Any, within: float = 20.0, every: float = 0.05) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await pred():
            return
        await asyncio.sleep(every)
    raise AssertionError("timed out waiting")


# --- tests ------------------------------------------------------------------------------------


async def test_non_admin_is_refused(bot: Any, client: Any, aredis: Redis) -> None:
    _admin, es = await admin_world(client)
    [member] = await seed(client, aredis, 1, "es", name="Member")
    await client.add_member(es["id"], member.id)
    [refusal] = await member.send("/broadcast")
    assert "administrators of a registered group" in text(refusal) or buttons(refusal) == []
    assert not any(d.startswith("bc:") for _, d in buttons(refusal))
    # Nothing was created for them.
    assert await aredis.keys(f"{TEST_PREFIX}bc:*") == []


async def test_admin_flow_languages_manual_text_blocked_and_report(
    bot: Any, client: Any, aredis: Redis, worker_env: dict[str, str]
) -> None:
    admin, es = await admin_world(client)
    es_people = await seed(client, aredis, 3, "es", name="Esp")
    en_people = await seed(client, aredis, 3, "en", name="Eng")
    [gone] = await seed(client, aredis, 1, "en", name="Gone")
    [silent] = await seed(client, aredis, 1, "en", name="Silent")
    for p in (gone, silent):
        await client.block(p.id)
    user_key = f"{TEST_PREFIX}user:{{}}".format
    await wait_until(lambda: _flags(aredis, [user_key(gone.id), user_key(silent.id)]))
    # The bot missed Silent's block (say it was down): the send will find out.
    await aredis.hset(user_key(silent.id), "blocked", "0")
    [menu] = await admin.send("/broadcast")
    assert data_for(menu, "Everyone") == "bc:aud:all"
    [panel] = await admin.press(menu, "bc:aud:all")
    assert "8 recipients" in text(panel)  # 7 people (Gone is known to have blocked us) + group
    [prompt] = await admin.press(panel, "bc:fn")
    assert "one text message" in text(prompt)
    since = await admin.seq()
    await client.send(
        admin.id, text="New cohort starts on Monday! Register at https://example.org/join",
        entities=[{"type": "bold", "offset": 0, "length": 10}],
    )  # fmt: skip
    await client.wait_for(admin.id, since_seq=since, text_contains="translating")
    env = {**worker_env, **WORKER_ENV}
    assert await run_worker(env, "--queues", "translate", "--no-scheduler", timeout=120) == 0
    msgs = await client.wait_for(admin.id, since_seq=since, count=4, timeout=20)
    previews = [m for m in msgs if "🌐" in text(m)]
    assert {text(m).split(" · ")[0] for m in previews} == {"🌐 English", "🌐 Español"}
    es_preview = next(m for m in previews if "Español" in text(m))
    assert "https://example.org/join" in text(es_preview)  # the link survived translation
    # Replace the Spanish text by hand.
    [ask_text] = await admin.press(es_preview, data_for(es_preview, "Replace"))
    assert "Español" in text(ask_text)
    since = await admin.seq()
    await admin.c.send_text(
        admin.id, "¡Nueva cohorte el lunes! Inscríbete en https://example.org/join"
    )
    new = await client.wait_for(admin.id, since_seq=since, count=2)
    confirm = new[-1]
    assert "your text" in text(new[0])
    [queued] = await admin.press(confirm, data_for(confirm, "Send now"))
    assert "queued" in text(queued)
    assert await run_worker(env, "--queues", "broadcast", "--no-scheduler", timeout=60) == 0
    for p in es_people:
        assert await bot_texts(client, p.id) == [
            "¡Nueva cohorte el lunes! Inscríbete en https://example.org/join"
        ]
    for p in en_people:
        [m] = await client.messages(p.id, from_bot=True)
        assert text(m).startswith("New cohort starts on Monday!")
        assert {"type": "bold", "offset": 0, "length": 10}.items() <= m["entities"][0].items()
    group_msgs = await bot_texts(client, es["id"])
    assert "¡Nueva cohorte el lunes! Inscríbete en https://example.org/join" in group_msgs
    assert await bot_texts(client, gone.id) == [] and await bot_texts(client, silent.id) == []
    assert await aredis.hget(user_key(silent.id), "blocked") == "1"
    assert await aredis.hexists(f"{TEST_PREFIX}bc:1:st", str(gone.id)) is False  # skipped
    report = await client.wait_for(admin.id, text_contains="finished", timeout=10)
    body = text(report[-1])
    assert "Delivered: 7" in body and "Blocked the bot: 1" in body and "Failed: 0" in body
    # The progress message ends at 100 %.
    progress = [m for m in await client.messages(admin.id, from_bot=True) if "📣" in text(m)]
    assert len(progress) == 1 and "100%" in text(progress[0])
    # /broadcasts lists it as finished.
    listing = await say(admin, "/broadcasts", "Your broadcasts")
    assert "#1" in text(listing) and "finished" in text(listing)


async def _flags(aredis: Redis, keys: list[str]) -> bool:
    return all([await aredis.hget(k, "blocked") == "1" for k in keys])


async def test_cancel_stops_delivery_and_interactive_keeps_priority(
    bot: Any, client: Any, aredis: Redis, worker_env: dict[str, str]
) -> None:
    admin, _ = await admin_world(client)
    people = await seed(client, aredis, 40, "en")
    bid = await start_programmatic(aredis, admin.id, "Meetup on Friday", Audience(kind="learners"))
    proc = await spawn({**worker_env, **WORKER_ENV}, "--queues", "broadcast", "--no-scheduler")
    try:
        await wait_until(lambda: _ok_at_least(aredis, bid, 8))
        # Interactive traffic while the broadcast runs at the shared limit: replies at once.
        t0 = time.monotonic()
        listing = await say(admin, "/broadcasts", "Your broadcasts")
        assert time.monotonic() - t0 < 1.5
        since = await admin.seq()
        await client.press(admin.id, admin.id, listing["message_id"], data_for(listing, "Cancel #"))
        await client.wait_for(admin.id, since_seq=since, text_contains="cancelled")
        await asyncio.sleep(1.0)
        sent_after_cancel = total_to(await sends_by_chat(client), people)
        await asyncio.sleep(1.5)
        final = total_to(await sends_by_chat(client), people)
        assert final == sent_after_cancel < len(people)
        assert await aredis.hget(f"{TEST_PREFIX}bc:{bid}", "status") == "cancelled"
    finally:
        proc.kill()
        await proc.wait()


def total_to(per_chat: Counter[int], people: list[Person]) -> int:
    return sum(per_chat[p.id] for p in people)


async def _ok_at_least(aredis: Redis, bid: str, n: int) -> bool:
    return int(await aredis.hget(f"{TEST_PREFIX}bc:{bid}:n", "ok") or 0) >= n


async def test_sigkill_mid_broadcast_then_restart_delivers_each_exactly_once(
    bot: Any, client: Any, aredis: Redis, worker_env: dict[str, str]
) -> None:
    admin, _ = await admin_world(client)
    people = await seed(client, aredis, 80, "en")
    bid = await start_programmatic(aredis, admin.id, "Deadline moved", Audience(kind="learners"))
    env = {**worker_env, **WORKER_ENV}
    proc = await spawn(env, "--queues", "broadcast", "--no-scheduler", "--grace", "1")
    await wait_until(lambda: _ok_at_least(aredis, bid, 25))
    # SIGKILL at a moment with no request in flight (see tg_support.broadcast: a recipient
    # claimed at the instant of a crash is ambiguous and is reported, never re-sent).
    for _ in range(200):
        os.kill(proc.pid, signal.SIGSTOP)
        states = await aredis.hvals(f"{TEST_PREFIX}bc:{bid}:st")
        if not any(s.startswith("s:") for s in states):
            break
        os.kill(proc.pid, signal.SIGCONT)
        await asyncio.sleep(0.003)
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    before = total_to(await sends_by_chat(client), people)
    assert 25 <= before < len(people), before
    # The killed job counts as abandoned after its timeout (6 s) + grace (1 s).
    await asyncio.sleep(7.5)
    assert (
        await run_worker(env, "--queues", "broadcast", "--no-scheduler", "--grace", "1", timeout=90)
        == 0
    )
    per_chat = await sends_by_chat(client)
    assert sorted(per_chat[p.id] for p in people) == [1] * len(people)
    counts = await aredis.hgetall(f"{TEST_PREFIX}bc:{bid}:n")
    assert counts == {"ok": "80"}
    assert await aredis.hget(f"{TEST_PREFIX}bc:{bid}", "status") == "done"
    reports = await client.wait_for(admin.id, text_contains="finished", timeout=10)
    assert len(reports) == 1 and "Delivered: 80" in text(reports[0])


async def test_recipient_in_flight_at_a_crash_is_reported_not_resent(
    bot: Any, client: Any, aredis: Redis, worker_env: dict[str, str]
) -> None:
    """The one ambiguous case: claimed by a run that died before recording the outcome."""
    admin, _ = await admin_world(client)
    people = await seed(client, aredis, 5, "en")
    store = Broadcasts(aredis, TEST_PREFIX)
    bid = await start_programmatic(aredis, admin.id, "Study group call", Audience(kind="learners"))
    # Plan it as the start job would, then leave a claim as a dead run would have.
    await store.transition(bid, ["queued"], "running")
    await store.plan(bid, [(p.id, "en") for p in people], 20)
    await aredis.hset(f"{TEST_PREFIX}bc:{bid}:st", str(people[0].id), "s:deadrun")
    assert (
        await run_worker(
            {**worker_env, **WORKER_ENV}, "--queues", "broadcast", "--no-scheduler", "--burst"
        )
        == 0
    )
    per_chat = await sends_by_chat(client)
    assert [per_chat[p.id] for p in people] == [0, 1, 1, 1, 1]
    assert await aredis.hgetall(f"{TEST_PREFIX}bc:{bid}:n") == {"ok": "4", "unknown": "1"}
    [report] = await client.wait_for(admin.id, text_contains="finished", timeout=10)
    assert "Unconfirmed" in text(report) and ": 1" in text(report)
