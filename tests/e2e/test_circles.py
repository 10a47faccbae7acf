"""Study circles through the real stack: PTB ↔ emulator over HTTP, real Redis, a real RQ
worker process (with RQ's scheduler) running the planner, check-ins and merges."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rq import Queue

from tests.conftest import TEST_PREFIX

from .community import FAST, ML, circles_formed, data_with, groups, join, leaks, learner, store
from .people import Person, buttons, text

pytestmark = pytest.mark.e2e
__all__ = ["store"]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return dict(FAST)


@pytest.fixture
def worker_env(worker_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    extra = {k.upper(): str(v) for k, v in FAST.items()}
    for key, value in extra.items():
        monkeypatch.setenv(key, value)
    return {**worker_env, **extra}


def enqueue(redis_url: str, job: Any) -> None:
    """Hand a typed job to the worker through RQ, as the scheduler would."""
    import redis

    conn = redis.Redis.from_url(redis_url)
    Queue(TEST_PREFIX + job.queue, connection=conn).enqueue(job.func, *job.args, **job.options)
    conn.close()


async def test_nine_learners_in_three_languages_form_two_circles(
    bot: Any, client: Any, redis_sync: Any, store: Any, worker: Any
) -> None:
    world = await groups(client)
    madrid = [("Lucía", "es"), ("Mateo", "es"), ("Sofía", "es"), ("Emma", "en"), ("Oliver", "en")]
    kolkata = [("Priya", "hi"), ("Arjun", "hi"), ("Kavya", "hi"), ("Rohan", "en")]
    people: dict[str, Person] = {}
    for name, lang in madrid:
        people[name] = await learner(client, store, name, lang, "Europe/Madrid")
    for name, lang in kolkata:
        people[name] = await learner(client, store, name, lang, "Asia/Kolkata")
    # Lucía shows her name; everybody else a pseudonym.
    for name, p in people.items():
        done = await join(p, by_name=name == "Lucía")
        assert "⏳" in text(done) or "✅" in text(done), text(done)

    formed = await circles_formed(redis_sync, 9)
    groups_by_members = sorted(sorted(m) for m in formed.values())
    assert groups_by_members == sorted(
        [sorted(people[n].id for n, _ in madrid), sorted(people[n].id for n, _ in kolkata)]
    )
    by_member = {uid: cid for cid, ms in formed.items() for uid in ms}
    europe, india = by_member[people["Lucía"].id], by_member[people["Priya"].id]
    assert set(redis_sync.hget(f"{TEST_PREFIX}circ:{europe}", "langs")[1:-1].replace('"', "").split(", ")) == {"en", "es"}
    assert set(redis_sync.hget(f"{TEST_PREFIX}circ:{india}", "langs")[1:-1].replace('"', "").split(", ")) == {"en", "hi"}
    assert redis_sync.zcard(f"{TEST_PREFIX}circ:pool:{ML}") == 0

    # Each circle has its topic: the Spanish-speaking one in the Spanish group, the
    # Hindi-speaking one in the international group.
    def topic_of(cid: str) -> tuple[int, int]:
        for _ in range(100):
            raw = redis_sync.hmget(f"{TEST_PREFIX}circ:{cid}", ["group_id", "thread_id"])
            if raw[1]:
                return int(raw[0]), int(raw[1])
        raise AssertionError("no topic")

    await client.wait_for(people["Priya"].id, text_contains="🎉", timeout=20)
    assert topic_of(europe)[0] == world["es"]["id"]
    assert topic_of(india)[0] == world["intl"]["id"]
    state = await client.state()
    names = [t["name"] for c in state["chats"] for t in c.get("topics", [])]
    assert any(n.startswith("📚 Supervised Machine Learning") for n in names), names

    # Every member is introduced to the circle in their own language, with the others'
    # chosen names: Lucía by her name, the others by pseudonyms.
    [hello_es] = await client.wait_for(people["Mateo"].id, text_contains="🎉", timeout=20)
    assert "Lucía" in text(hello_es) and "Estudiante" in text(hello_es), text(hello_es)
    [hello_hi] = await client.wait_for(people["Priya"].id, text_contains="🎉", timeout=20)
    assert "हिन्दी" in text(hello_hi) and "UTC+05:30" in text(hello_hi)
    assert "Lucía" not in text(hello_hi)

    # A member writes to the circle; the others get it in their language.
    mateo = people["Mateo"]
    [write] = await mateo.press(hello_es, data_with(hello_es, "ci:write:"))
    assert "/cancel" in text(write)
    [sent] = await mateo.send("Hola a todos, ¿empezamos con la semana uno?", timeout=15)
    assert "/cancel" in text(sent)
    [got] = await client.wait_for(people["Emma"].id, text_contains="💬", timeout=40)
    assert "circle" in text(got).lower()
    topic_chat, topic_thread = topic_of(europe)
    await client.wait_for(topic_chat, thread_id=topic_thread, text_contains="💬", timeout=20)

    # Nobody's Telegram identity reached another member or a group (Lucía chose her name).
    log = await client.log()
    for name, p in people.items():
        assert leaks(log, p, {p.id}) == [], name


async def test_a_join_race_never_overfills_a_circle(
    bot: Any, client: Any, redis_sync: Any, store: Any, worker: Any
) -> None:
    from tg_support.community.circle_plan import create_circle
    from tg_support.community.circle_store import CircleStore, Member

    await groups(client)
    seated = [await learner(client, store, f"M{i}", "es", "Europe/Madrid") for i in range(7)]
    circles = store.repo(CircleStore)
    for p in seated:
        await circles.wait(p.id, ML, None)
    circle_id = await create_circle(store, ML, None, [60] * 7, [Member(p.id, None, "es") for p in seated])
    assert circle_id is not None and await circles.pool(ML) == []
    # Five learners press "by a pseudonym" at the same moment for the one free seat.
    racers = [await learner(client, store, f"R{i}", "es", "Europe/Madrid") for i in range(5)]
    asks = []
    for p in racers:
        [overview] = await p.send("/circles")
        [ask] = await p.press(overview, data_with(overview, "cj:join:"))
        asks.append(ask)
    answers = await asyncio.gather(
        *[p.press(ask, data_with(ask, "cj:name:", ":n")) for p, ask in zip(racers, asks, strict=True)]
    )
    texts = [text(a[0]) for a in answers]
    assert sum("✅" in t for t in texts) == 1 and sum("⏳" in t for t in texts) == 4, texts
    assert redis_sync.hlen(f"{TEST_PREFIX}circ:{circle_id}:m") == 8
    # The planner runs over the four left waiting: the full circle takes nobody, and the
    # four form a circle of their own.
    await circles_formed(redis_sync, 12)
    assert redis_sync.hlen(f"{TEST_PREFIX}circ:{circle_id}:m") == 8
    assert redis_sync.hget(f"{TEST_PREFIX}circ:{circle_id}", "size") == "8"
    assert redis_sync.zcard(f"{TEST_PREFIX}circ:pool:{ML}") == 0
    assert redis_sync.scard(f"{TEST_PREFIX}circ:all") == 2


async def test_check_in_round_nudge_release_and_merge(
    bot: Any, client: Any, redis_sync: Any, store: Any, worker: Any, redis_url: str
) -> None:
    from tg_support.community.circle_plan import create_circle
    from tg_support.community.circle_store import CircleStore, Member
    from tg_support.core import jobs

    await groups(client)
    circles = store.repo(CircleStore)
    small_people = [await learner(client, store, n, "es", "Europe/Madrid") for n in ("Ana", "Beto", "Carla")]
    big_people = [await learner(client, store, n, "en", "Europe/London") for n in ("Dan", "Eve", "Fay", "Gus")]
    for p in small_people + big_people:
        await circles.wait(p.id, ML, None)
    small = await create_circle(store, ML, None, [60] * 3, [Member(p.id, None, "es") for p in small_people], _rules(3))
    big = await create_circle(store, ML, None, [0] * 4, [Member(p.id, None, "en") for p in big_people], _rules(3))
    assert small and big

    # Round 1: everyone is prompted; Ana and Beto answer, Carla stays silent.
    enqueue(redis_url, jobs.circle_checkin(small, 1))
    prompts = {}
    for p in small_people:
        [prompts[p.id]] = await client.wait_for(p.id, text_contains="🗓", timeout=20)
        assert "¿Qué terminaste" in text(prompts[p.id]) or "terminaste" in text(prompts[p.id]).lower()
    for p, answer in ((small_people[0], "Terminé la semana 2; me bloquea el ejercicio 3."),
                      (small_people[1], "Vi los vídeos de la semana 2.")):  # fmt: skip
        [ask] = await p.press(prompts[p.id], data_with(prompts[p.id], f"ci:ans:{small}:1"))
        [thanks] = await p.send(answer)
        assert "Gracias" in text(thanks)
    # The window ends: a summary for everyone, a nudge for Carla.
    [summary] = await client.wait_for(small_people[0].id, text_contains="📋", timeout=30)
    assert "ejercicio 3" in text(summary) and "vídeos" in text(summary)
    carla = small_people[2]
    for _ in range(300):
        if redis_sync.sismember(f"{TEST_PREFIX}circ:{small}:nudged", carla.id):
            break
        await asyncio.sleep(0.1)
    nudge = next(
        m for m in await client.messages(carla.id, from_bot=True)
        if f"ci:stay:{small}" in [d for _, d in buttons(m)]
    )
    assert "?" in text(nudge)

    # Round 2: Carla is silent again and is released; the circle falls to two and is
    # merged into the compatible one (English, one hour away, through translation).
    marks = {p.id: await p.seq() for p in small_people}
    enqueue(redis_url, jobs.circle_checkin(small, 2))
    for p in small_people[:2]:
        [prompt] = await client.wait_for(p.id, text_contains="🗓", since_seq=marks[p.id], timeout=20)
        [ask] = await p.press(prompt, data_with(prompt, f"ci:ans:{small}:2"))
        await p.send("Sigo con la semana 3.")
    await client.wait_for(carla.id, text_contains="/circles", since_seq=marks[carla.id], timeout=30)
    assert not redis_sync.hexists(f"{TEST_PREFIX}circ:{small}:m", carla.id)
    for _ in range(300):
        if redis_sync.hget(f"{TEST_PREFIX}circ:{small}", "status") == "merged":
            break
        await asyncio.sleep(0.1)
    assert redis_sync.hget(f"{TEST_PREFIX}circ:{small}", "merged_into") == big
    members = {int(u) for u in redis_sync.hkeys(f"{TEST_PREFIX}circ:{big}:m")}
    assert members == {p.id for p in big_people + small_people[:2]}
    [moved] = await client.wait_for(small_people[0].id, text_contains="🎉", timeout=20)
    assert "Dan" not in text(moved)  # pseudonyms only
    await client.wait_for(big_people[0].id, text_contains="👋", timeout=20)


def _rules(min_size: int) -> Any:
    from tg_support.community.circles import Rules

    return Rules(min_size=min_size)


async def test_leave_from_circles_and_the_first_command_in_hindi(
    bot: Any, client: Any, redis_sync: Any, store: Any
) -> None:
    from tg_support.community.circle_plan import create_circle
    from tg_support.community.circle_store import CircleStore, Member

    # A Hindi speaker whose first message is /circles: the answer is in Hindi.
    from .world import person

    newcomer = await person(client, "Meera", "hi")
    [first] = await newcomer.send("/circles")
    assert "/start" in text(first) and "पहले" in text(first), text(first)
    # A forged button is refused.
    answer = await newcomer.press_answer(first, "ci:leave:c999", force=True)
    assert answer["show_alert"] and "मान्य" in answer["text"], answer

    people = [await learner(client, store, n, "es", "Europe/Madrid") for n in ("Ana", "Beto", "Carla", "Dani")]
    circles = store.repo(CircleStore)
    for p in people:
        await circles.wait(p.id, ML, None)
    circle_id = await create_circle(store, ML, None, [60] * 4, [Member(p.id, None, "es") for p in people])
    ana = people[0]
    [overview] = await ana.send("/circles")
    assert "1." not in text(overview) and "4" in text(overview)
    [pause] = await ana.press(overview, f"ci:pause:{circle_id}")
    assert f"ci:resume:{circle_id}" in [d for _, d in buttons(pause)]
    assert redis_sync.sismember(f"{TEST_PREFIX}circ:{circle_id}:paused", ana.id)
    [confirm] = await ana.press(pause, f"ci:leave:{circle_id}")
    [bye] = await ana.press(confirm, f"ci:bye:{circle_id}")
    assert "/circles" in text(bye)
    assert not redis_sync.hexists(f"{TEST_PREFIX}circ:{circle_id}:m", ana.id)
    assert redis_sync.hget(f"{TEST_PREFIX}circ:{circle_id}", "size") == "3"
    [told] = await client.wait_for(people[1].id, text_contains="salió", timeout=10)
    assert str(ana.id) not in text(told)
    # Another member cannot press Ana's (now stale) buttons for her, nor leave twice.
    answer = await ana.press_answer(overview, f"ci:bye:{circle_id}", force=True)
    assert answer["show_alert"]


async def test_topic_messages_reach_members_and_forget_leaves_no_trace(
    bot: Any, client: Any, redis_sync: Any, store: Any
) -> None:
    from tg_support.community.circle_plan import create_circle
    from tg_support.community.circle_store import CircleStore, Member
    from tg_support.community.circle_talk import ensure_topic
    from tg_support.community.reflections import ReflectionStore

    world = await groups(client)
    people = [await learner(client, store, n, "es", "Europe/Madrid") for n in ("Ana", "Beto", "Carla", "Dani")]
    circles = store.repo(CircleStore)
    for p in people:
        await circles.wait(p.id, ML, None)
    circle_id = await create_circle(store, ML, None, [60] * 4, [Member(p.id, "Ana" if p is people[0] else None, "es") for p in people])
    circle = await ensure_topic(bot.bot, store, circle_id)
    assert circle is not None and circle.group_id == world["es"]["id"] and circle.thread_id
    ana, beto = people[0], people[1]
    await client.add_member(world["es"]["id"], ana.id)
    # Ana writes in the circle's topic; the other members get it in private, under the
    # name she chose; someone who is not a member writing there is not relayed.
    since = await beto.seq()
    await client.send_text(ana.id, "¿Quedamos el jueves para repasar?", chat_id=world["es"]["id"],
                           message_thread_id=circle.thread_id)  # fmt: skip
    [got] = await client.wait_for(beto.id, since_seq=since, text_contains="jueves", timeout=10)
    assert text(got).startswith("💬 Ana") and f"ci:write:{circle_id}" in [d for _, d in buttons(got)]
    outsider = world["admin"]
    await client.send_text(outsider.id, "Hola, soy la admin.", chat_id=world["es"]["id"],
                           message_thread_id=circle.thread_id)  # fmt: skip
    await asyncio.sleep(1.5)
    assert not [m for m in await client.messages(beto.id, from_bot=True) if "admin" in text(m)]
    # Ana has a waiting place for another course, a reflection and a check-in answer...
    await circles.wait(ana.id, "coursera:python", "Ana")
    await store.repo(ReflectionStore).save(ana.id, ML, "Aprendí mucho.", "es")
    await circles.start_round(circle_id, 1)
    await circles.add_answer(circle_id, 1, ana.id, "Terminé la semana 1.", "es")
    # ... and /forget takes all of it, and her seat.
    [ask] = await ana.send("/forget")
    [done] = await ana.press(ask, "pf:forget:yes")
    leftovers = [k for k in redis_sync.scan_iter(f"{TEST_PREFIX}*") if str(ana.id) in k]
    assert leftovers == []
    assert not redis_sync.hexists(f"{TEST_PREFIX}circ:{circle_id}:m", ana.id)
    assert not redis_sync.hexists(f"{TEST_PREFIX}circ:{circle_id}:ci:1", ana.id)
    assert not redis_sync.sismember(f"{TEST_PREFIX}crs:who:{ML}", ana.id)
    assert redis_sync.zscore(f"{TEST_PREFIX}circ:pool:coursera:python", ana.id) is None
