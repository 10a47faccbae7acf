"""The store's one-round-trip scripts and caches against a real Redis: question numbers under
concurrency, the flood window, the per-update read, and the group list cache."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from tg_support.core.store import CONV_TTL, Conversation, Group, Profile, Store, UpdateContext
from tg_support.questions.store import questions


async def test_new_question_numbers_are_unique_and_indexed(r: aioredis.Redis) -> None:
    store = Store(r, "t:")
    made = await asyncio.gather(
        *[questions(store).new_question(7, f"q {i}", "es", ["python"]) for i in range(50)]
    )
    assert sorted(int(q.qid) for q in made) == list(range(1, 51))
    again = await questions(store).get_question(made[0].qid)
    assert again == made[0]  # the draft returned is exactly what was stored
    assert await r.zcard("t:q:user:7") == 50


async def test_a_new_question_can_move_the_conversation_with_it(r: aioredis.Redis) -> None:
    store = Store(r, "t:")
    draft = await questions(store).new_question(7, "q", "es", [])
    assert await store.get_conv(7) == Conversation()  # untouched without conv_step
    q = await questions(store).new_question(7, "¿cómo?", "es", ["python"], conv_step="ask:thread")
    assert await store.get_conv(7) == Conversation(step="ask:thread", data={"qid": q.qid})
    assert int(q.qid) == int(draft.qid) + 1
    assert 0 < await r.ttl("t:conv:7") <= CONV_TTL


async def test_flood_window_starts_with_the_first_update(r: aioredis.Redis) -> None:
    store = Store(r, "t:")
    assert [await store.flood_hit(1, 10) for _ in range(3)] == [1, 2, 3]
    assert 0 < await r.ttl("t:flood:1") <= 10
    await r.persist("t:flood:1")  # a counter that lost its expiry gets one again
    assert await store.flood_hit(1, 10) == 4 and await r.ttl("t:flood:1") > 0


async def test_update_context_is_profile_conversation_and_count(r: aioredis.Redis) -> None:
    store = Store(r, "t:")
    assert await store.update_context(5, 10) == UpdateContext(None, Conversation(), 1, "")
    await store.save_profile(Profile(user_id=5, lang="hi", onboarded=True))
    await store.set_conv(5, Conversation(step="ask:thread", data={"qid": "3"}))
    await store.save_group(Group(chat_id=-100, title="HI", languages=["hi"]))
    context = await store.update_context(5, 10)
    assert context.profile is not None and context.profile.lang == "hi"
    assert context.conv == Conversation(step="ask:thread", data={"qid": "3"})
    assert context.flood_count == 2
    assert context.groups_version == await r.get("t:groups:ver") != ""
    assert (await store.update_context(5, None)).flood_count is None  # not counted
    assert await store.flood_hit(5, 10) == 3


async def test_group_list_cache_follows_every_change(r: aioredis.Redis) -> None:
    reader, writer = Store(r, "t:"), Store(r, "t:")  # e.g. the bot, and an admin's process
    assert await reader.list_groups() == []
    await writer.save_group(Group(chat_id=-100, title="ES", languages=["es"]))
    assert [g.chat_id for g in await reader.list_groups()] == [-100]
    await writer.save_group(Group(chat_id=-100, title="ES", languages=["es", "pt"]))
    await writer.save_group(Group(chat_id=-200, title="EN", languages=["en"]))
    groups = {g.chat_id: g for g in await reader.list_groups()}
    assert set(groups) == {-100, -200} and groups[-100].languages == ["es", "pt"]
    assert await writer.remove_group(-100)
    assert [g.chat_id for g in await reader.list_groups()] == [-200]
    # The cached list is not shared with callers.
    (await reader.list_groups()).clear()
    assert len(await reader.list_groups()) == 1
    # A version read with the update's context serves as it is; a new one reads the list.
    version = (await reader.update_context(1, None)).groups_version
    await writer.save_group(Group(chat_id=-300, title="HI", languages=["hi"]))
    assert [g.chat_id for g in await reader.list_groups(version)] == [-200]
    version = (await reader.update_context(1, None)).groups_version
    assert [g.chat_id for g in await reader.list_groups(version)] == [-300, -200]


async def test_attach_topic_binds_both_ways_and_indexes_activity(r: aioredis.Redis) -> None:
    store = Store(r, "t:")
    q = await questions(store).new_question(7, "¿cómo entrego la tarea?", "es", ["python"])
    await questions(store).attach_topic(q.qid, -100, 42, "¿Cómo entrego la tarea?")
    assert await questions(store).question_for_topic(-100, 42) == q.qid
    got = await questions(store).get_question(q.qid)
    assert got is not None
    assert (got.group_id, got.thread_id, got.title, got.status) == (
        -100, 42, "¿Cómo entrego la tarea?", "open",
    )  # fmt: skip
    assert got.text == "¿cómo entrego la tarea?" and got.tags == ["python"]  # kept
    assert await questions(store).idle_questions(older_than=got.updated_at) == [q.qid]
    assert await questions(store).idle_questions(older_than=got.updated_at - 1) == []
