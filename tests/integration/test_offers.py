"""Offering questions to helpers, with a real Redis, the emulator, and REAL RQ worker
processes (`tg-support worker`): ranking, the atomic claim, re-offers on timeout through
RQ's scheduler, widening and escalation, capacity / away / off-hours, idempotency, and a
worker killed in the middle of a round."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX, TEST_TOKEN, make_settings, run_worker
from tests.e2e.people import buttons, text
from tg_support.questions.store import questions

BOT_ID = TEST_TOKEN.split(":", 1)[0]
QUESTION = "¿Cómo entrego la tarea de la semana 3 en Coursera? No encuentro el botón."


@pytest.fixture
async def store(redis_sync: Any, redis_url: str) -> AsyncIterator[Any]:
    from tg_support.core.redis_conn import async_client
    from tg_support.core.store import Store

    redis = async_client(redis_url)
    yield Store(redis, TEST_PREFIX)
    await redis.aclose()


@pytest.fixture
def index(store: Any) -> Any:
    from tg_support.helpers.index import HelperIndex

    return HelperIndex(store.redis, prefix=TEST_PREFIX)


async def helper(
    client: Any, store: Any, index: Any, name: str, langs: dict[str, str], *,
    tags: tuple[str, ...] = (), capacity: int = 3, load: int = 0, away: bool = False,
    hours: dict[int, tuple[tuple[int, int], ...]] | None = None, reputation: float = 0.5,
    ui: str | None = None,
) -> int:  # fmt: skip
    """An emulator user with a helper profile and card; returns the user id."""
    from tg_support.core.store import Profile
    from tg_support.helpers.matching import HelperCard

    user = await client.create_user(first_name=name, language_code=next(iter(langs)))
    uid = int(user["id"])
    await store.save_profile(
        Profile(user_id=uid, lang=ui or next(iter(langs)), role="helper", onboarded=True)
    )
    await index.upsert(
        HelperCard(
            user_id=uid,
            languages=langs,
            tags=frozenset(tags),
            tz="UTC",
            hours=hours or {},
            capacity=capacity,
            open_load=load,
            reputation=reputation,
            last_offered_at=0.0,
            away=away,
        )
    )
    return uid


async def question(store: Any, asker: int, *, lang: str = "es", group_id: int | None = None) -> str:
    q = await questions(store).new_question(asker, QUESTION, lang, ["python"])
    await questions(store).update_question(q.qid, status="open", group_id=group_id)
    return str(q.qid)


def enqueue_round(
    redis_url: str, sandbox_url: str, qid: str, round_no: int = 0, **settings: Any
) -> str:
    """Enqueue match_helpers as the bot does (same job id, timeout and retries)."""
    import redis
    from rq import Queue

    from tg_support.core.jobs import match_options, round_job_id

    conn = redis.Redis.from_url(redis_url)
    job_id = settings.pop("job_id", None) or round_job_id(qid, round_no)
    opts = match_options(make_settings(sandbox_url, redis_url, **settings))
    Queue(TEST_PREFIX + "match", connection=conn).enqueue(
        "workers.tasks.match_helpers", qid, round_no, job_id=job_id, **opts
    )
    conn.close()
    return str(job_id)


async def offers_to(client: Any, uid: int, qid: str) -> list[dict[str, Any]]:
    """The offer messages the bot sent to a helper for question ``qid`` (as they are now)."""
    msgs = await client.messages(uid, from_bot=True)
    return [m for m in msgs if f"#{qid} " in text(m)]


async def offer_sends(client: Any, uid: int) -> int:
    """Successful sendMessage calls to a private chat (the offers, in these tests)."""
    log = await client.log(method="sendMessage")
    return sum(
        1 for e in log if e["ok"] and str((e.get("params") or {}).get("chat_id")) == str(uid)
    )


def off_hours_now() -> dict[int, tuple[tuple[int, int], ...]]:
    """Available one hour a day, starting two hours from now (UTC): not now."""
    now = datetime.now(UTC)
    start = (now.hour * 60 + now.minute + 120) % 1440
    start = min(start, 1440 - 60)
    if start <= now.hour * 60 + now.minute < start + 60:  # cannot happen, but be sure
        start = (start + 180) % (1440 - 60)
    return {d: ((start, start + 60),) for d in range(7)}


def env_with(worker_env: dict[str, str], **extra: Any) -> dict[str, str]:
    return {**worker_env, **{k: str(v) for k, v in extra.items()}}


async def spawn_worker(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """A long-running `tg-support worker` (with RQ's scheduler) in its own process group."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tg_support.cli", "worker", *args,
        env={**os.environ, **env}, start_new_session=True,
    )  # fmt: skip


async def stop(proc: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()


async def until(predicate: Any, timeout: float = 15.0, step: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if await predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(step)


# ------------------------------------------------------------------------------ tests


async def test_best_k_get_offers_in_rank_order_and_the_rules_hold(
    client: Any, store: Any, index: Any, redis_sync: Any, redis_url: str, sandbox: Any,
    worker_env: dict[str, str],
) -> None:  # fmt: skip
    asker = await helper(
        client, store, index, "Asker", {"es": "native"}, tags=("python",), reputation=1.0
    )
    best = await helper(client, store, index, "Best", {"es": "native"}, tags=("python",))
    second = await helper(client, store, index, "Second", {"es": "native"})
    third = await helper(client, store, index, "Third", {"es": "fluent"})
    fourth = await helper(client, store, index, "Fourth", {"es": "basic"})
    english = await helper(client, store, index, "English", {"en": "native"}, tags=("python",))
    away = await helper(
        client, store, index, "Away", {"es": "native"}, tags=("python",), away=True, reputation=1.0
    )
    full = await helper(
        client,
        store,
        index,
        "Full",
        {"es": "native"},
        tags=("python",),
        capacity=2,
        load=2,
        reputation=1.0,
    )
    sleeping = await helper(
        client,
        store,
        index,
        "Sleeping",
        {"es": "native"},
        tags=("python",),
        hours=off_hours_now(),
        reputation=1.0,
    )
    qid = await question(store, asker)
    enqueue_round(redis_url, sandbox.url, qid)
    assert await run_worker(worker_env) == 0
    chosen = json.loads(redis_sync.get(f"{TEST_PREFIX}offer:round:{qid}:0"))
    assert [u for u, _off in chosen] == [best, second, third]
    assert not any(off for _u, off in chosen)
    for uid in (best, second, third):
        [offer] = await offers_to(client, uid, qid)
        assert "semana 3" in text(offer) and "fuera de tu horario" not in text(offer)
        assert [d for _, d in buttons(offer)] == [f"of:acc:{qid}", f"of:pass:{qid}"]
    # Never the asker, nobody away, at capacity, or outside their hours when others fit.
    for uid in (asker, fourth, english, away, full, sleeping):
        assert await offers_to(client, uid, qid) == []
    assert redis_sync.smembers(f"{TEST_PREFIX}offer:sent:{qid}") == {
        str(best),
        str(second),
        str(third),
    }
    # The next round is scheduled (RQ's scheduler), under the round's job id.
    import redis as redis_lib
    from rq import Queue

    conn = redis_lib.Redis.from_url(redis_url)
    assert (
        f"offer-{qid}-1"
        in Queue(TEST_PREFIX + "match", connection=conn).scheduled_job_registry.get_job_ids()
    )
    conn.close()


async def test_off_hours_helper_only_when_nobody_else_fits_with_a_note(
    client: Any, store: Any, index: Any, redis_sync: Any, redis_url: str, sandbox: Any,
    worker_env: dict[str, str],
) -> None:  # fmt: skip
    asker = await helper(client, store, index, "Asker", {"en": "native"})
    sleeping = await helper(
        client, store, index, "Sleeping", {"es": "native"}, hours=off_hours_now()
    )
    qid = await question(store, asker)
    enqueue_round(redis_url, sandbox.url, qid)
    assert await run_worker(worker_env) == 0
    [offer] = await offers_to(client, sleeping, qid)
    assert "fuera de tu horario" in text(offer)  # the note, in the helper's language


async def test_a_round_run_twice_offers_once(
    client: Any, store: Any, index: Any, redis_sync: Any, redis_url: str, sandbox: Any,
    worker_env: dict[str, str],
) -> None:  # fmt: skip
    asker = await helper(client, store, index, "Asker", {"en": "native"})
    helpers = [await helper(client, store, index, f"H{i}", {"es": "native"}) for i in range(4)]
    qid = await question(store, asker)
    enqueue_round(redis_url, sandbox.url, qid)
    assert await run_worker(worker_env) == 0
    first = json.loads(redis_sync.get(f"{TEST_PREFIX}offer:round:{qid}:0"))
    # The same round again (a duplicate job, as a retry would be): nobody gets a second offer.
    enqueue_round(redis_url, sandbox.url, qid, job_id="duplicate-round-0")
    assert await run_worker(worker_env) == 0
    assert json.loads(redis_sync.get(f"{TEST_PREFIX}offer:round:{qid}:0")) == first
    for uid in helpers:
        expected = 1 if uid in [u for u, _ in first] else 0
        assert len(await offers_to(client, uid, qid)) == expected
        assert await offer_sends(client, uid) == expected


async def test_two_concurrent_accepts_have_exactly_one_winner(
    bot: Any, client: Any, store: Any, index: Any, redis_sync: Any, redis_url: str, sandbox: Any,
    worker_env: dict[str, str],
) -> None:  # fmt: skip
    asker = await helper(client, store, index, "Asker", {"en": "native"})
    a, b, c = [
        await helper(client, store, index, n, {"es": "native"}, ui="en") for n in ("A", "B", "C")
    ]
    qid = await question(store, asker)
    enqueue_round(redis_url, sandbox.url, qid)
    assert await run_worker(worker_env) == 0
    [offer_a] = await offers_to(client, a, qid)
    [offer_b] = await offers_to(client, b, qid)
    presses = await asyncio.gather(
        client.press(a, a, offer_a["message_id"], f"of:acc:{qid}"),
        client.press(b, b, offer_b["message_id"], f"of:acc:{qid}"),
    )
    answers = [(await client.callback_answer(p, wait=10))["answer"] for p in presses]
    winner = int(redis_sync.get(f"{TEST_PREFIX}offer:claim:{qid}"))
    assert winner in (a, b)
    loser = b if winner == a else a
    loser_answer = answers[0] if loser == a else answers[1]
    assert "taken" in (loser_answer.get("text") or "") and loser_answer.get("show_alert")
    assert redis_sync.hget(f"{TEST_PREFIX}q:{qid}", "helper_id") == str(winner)
    assert redis_sync.get(f"{TEST_PREFIX}helping:{winner}") == qid
    # Load: the winner holds one open question, the loser's was given back.
    assert (await index.get(winner)).open_load == 1
    assert (await index.get(loser)).open_load == 0

    async def settled() -> bool:
        msgs = {u: await client.messages(u, from_bot=True) for u in (a, b, c)}
        won = any("You took question" in text(m) for m in msgs[winner])
        others = all(
            any("was taken by another helper" in text(m) and not buttons(m) for m in msgs[u])
            for u in (loser, c)
        )
        return won and others

    await until(settled, timeout=10)


async def test_timeout_reoffers_then_widens_then_tells_admins(
    client: Any, store: Any, index: Any, redis_sync: Any, redis_url: str, sandbox: Any,
    worker_env: dict[str, str],
) -> None:  # fmt: skip
    admin = await client.create_user(first_name="Admin")
    group = await client.create_group(
        title="MOOC <español>", is_forum=True,
        members=[{"user_id": admin["id"], "status": "creator"}],
        bots=[{"token": TEST_TOKEN, "status": "administrator", "can_manage_topics": True}],
    )  # fmt: skip
    from tg_support.core.store import Group

    await store.save_group(Group(chat_id=int(group["id"]), title=group["title"], languages=["es"]))
    asker = await helper(client, store, index, "Asker", {"en": "native"})
    es1 = await helper(client, store, index, "Es1", {"es": "native"})
    es2 = await helper(client, store, index, "Es2", {"es": "fluent"})
    en1 = await helper(client, store, index, "En1", {"en": "native"})
    qid = await question(store, asker, group_id=int(group["id"]))
    env = env_with(worker_env, OFFER_TIMEOUT_SECONDS=1, OFFER_ROUNDS=2, OFFER_BATCH_SIZE=1)
    enqueue_round(redis_url, sandbox.url, qid)
    worker = await spawn_worker(env)  # with RQ's scheduler: it runs the scheduled rounds
    try:
        await until(
            lambda: _has(client, int(admin["id"]), "has had no helper"), timeout=25, step=0.2
        )
    finally:
        await stop(worker)
    rounds = [json.loads(redis_sync.get(f"{TEST_PREFIX}offer:round:{qid}:{n}")) for n in range(3)]
    assert [[u for u, _ in r] for r in rounds] == [[es1], [es2], [en1]]  # en1 only when widened
    for uid in (es1, es2, en1):
        assert await offer_sends(client, uid) == 1
    [note] = [m for m in await client.messages(int(admin["id"]), from_bot=True)]
    assert "MOOC <español>" in text(note)
    assert redis_sync.get(f"{TEST_PREFIX}offer:round:{qid}:4") is None


async def _has(client: Any, chat_id: int, fragment: str) -> bool:
    return any(fragment in text(m) for m in await client.messages(chat_id, from_bot=True))


@pytest.mark.slow
async def test_a_worker_killed_mid_round_loses_nothing_and_offers_once(
    client: Any, store: Any, index: Any, redis_sync: Any, redis_url: str, sandbox: Any,
    worker_env: dict[str, str],
) -> None:  # fmt: skip
    """SIGKILL the worker (and its scheduler) while match_helpers is between two offers;
    once RQ counts the job as abandoned, a new worker retries it: every chosen helper ends
    up with exactly one offer."""
    import redis as redis_lib
    from rq import Queue
    from rq.job import Job

    timeout = 4
    asker = await helper(client, store, index, "Asker", {"en": "native"})
    a = await helper(client, store, index, "A", {"es": "native"}, tags=("python",))
    b = await helper(client, store, index, "B", {"es": "native"})
    c = await helper(client, store, index, "C", {"es": "fluent"})
    qid = await question(store, asker)
    # B's offer meets a flood wait: the job sleeps in the shared rate limiter, mid-round.
    await client.inject_fault("sendMessage", 429, chat_id=b, retry_after=timeout + 1)
    env = env_with(worker_env, MATCH_JOB_TIMEOUT_SECONDS=timeout)
    job_id = enqueue_round(redis_url, sandbox.url, qid, match_job_timeout_seconds=timeout)
    worker = await spawn_worker(env, "--grace", "2")
    try:
        await until(lambda: _flood_waited(client, b), timeout=20, step=0.05)
    finally:
        await stop(worker, signal.SIGKILL)
    assert await offer_sends(client, a) == 1 and await offer_sends(client, b) == 0
    assert redis_sync.get(f"{TEST_PREFIX}sent:offer:{qid}:{b}") == "pending"
    conn = redis_lib.Redis.from_url(redis_url)
    queue = Queue(TEST_PREFIX + "match", connection=conn)
    assert Job.fetch(job_id, connection=conn).get_status() == "started"

    async def abandoned() -> bool:  # the started-registry entry expired (timeout + grace)
        return bool(await asyncio.to_thread(queue.started_job_registry.get_expired_job_ids))

    await until(abandoned, timeout=15, step=0.2)
    assert await run_worker(env, "--grace", "2") == 0  # its maintenance re-queues the job
    job = Job.fetch(job_id, connection=conn)
    assert job.get_status() == "finished", job.get_status()
    assert job.return_value()["sent"] == [a, b, c]
    conn.close()
    for uid in (a, b, c):
        assert await offer_sends(client, uid) == 1
        assert len(await offers_to(client, uid, qid)) == 1
    assert redis_sync.smembers(f"{TEST_PREFIX}offer:sent:{qid}") == {str(a), str(b), str(c)}


async def _flood_waited(client: Any, uid: int) -> bool:
    log = await client.log(method="sendMessage")
    return any(not e["ok"] and str((e.get("params") or {}).get("chat_id")) == str(uid) for e in log)
