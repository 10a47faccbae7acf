"""The update inbox (core.update_inbox) on a real Redis: a process adopts the updates of processes
that are gone, never those of one still running; /forget and /export see pending updates."""

from __future__ import annotations

import redis.asyncio as aioredis

from tg_support.core.update_inbox import UpdateInbox as Inbox


def msg(update_id: int, uid: int, text: str) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {"message_id": 1, "date": 0, "chat": {"id": uid, "type": "private"},
                    "from": {"id": uid, "is_bot": False, "first_name": "A"}, "text": text},
    }  # fmt: skip


async def test_updates_of_a_gone_process_move_to_the_next_one_oldest_first(
    r: aioredis.Redis,
) -> None:
    gone, running = Inbox(r, "t:", "gone"), Inbox(r, "t:", "running")
    await gone.open()
    await running.open()
    await gone.add([msg(7, 1, "b"), msg(3, 1, "a")])
    await running.add([msg(9, 2, "c")])
    await gone.done(3)
    await gone.add([msg(3, 1, "a")])  # written again (re-fetched): still one entry
    await r.delete("t:inbox:alive:gone")  # its liveness expired: it died
    fresh = Inbox(r, "t:", "fresh")
    await fresh.open()
    adopted = await fresh.adopt()
    assert [u["update_id"] for u in adopted] == [3, 7]
    assert [u["update_id"] for u in await fresh.pending()] == [3, 7]
    assert [u["update_id"] for u in await running.pending()] == [9]  # alive: untouched
    assert await r.smembers("t:inbox:instances") == {"running", "fresh"}
    assert await fresh.adopt() == []
    await fresh.done(3)
    await fresh.done(7)
    assert await fresh.close() == 0 and await running.close() == 1
    assert await r.smembers("t:inbox:instances") == {"running"}  # its update waits


async def test_erase_and_export_see_a_users_pending_updates(r: aioredis.Redis) -> None:
    a, b = Inbox(r, "t:", "a"), Inbox(r, "t:", "b")
    await a.open()
    await b.open()
    await a.add([msg(1, 41, "mine"), msg(2, 42, "other")])
    await b.add([msg(3, 41, "mine too")])
    exported = await a.export_user(41)
    assert sorted(u["message"]["text"] for u in exported["pending_updates"]) == ["mine", "mine too"]
    await a.erase_user(41)
    assert (await a.export_user(41)) == {"pending_updates": []}
    assert [u["update_id"] for u in await a.pending()] == [2]
