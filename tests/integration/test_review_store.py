"""The review-swap store against a real Redis: swaps are created all or nothing, a request is
never in two swaps however many runs race, the review states move once, erasure."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import redis.asyncio as aioredis

from tg_support.community.review_store import Request, ReviewStore
from tg_support.core.store import Store


def values(uid: int, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "uid": uid, "lang": "en", "course": "python", "assignment": "week:3",
        "asg_text": "Week 3", "deadline": time.time() + 3 * 86400, "langs": ["en"],
        "want": "structure", "work_kind": "link", "work": "https://example.org/d",
    }  # fmt: skip
    return {**base, **over}


async def test_racing_runs_never_put_a_request_in_two_swaps(r: aioredis.Redis) -> None:
    rs = Store(r, "t:").repo(ReviewStore)
    reqs = [await rs.add_request(values(uid)) for uid in range(1, 7)]
    # Overlapping candidate swaps, as two runs reading the same open set might propose.
    proposals = [reqs[i : i + 2] for i in range(5)] + [reqs[i : i + 3] for i in range(4)]
    made = await asyncio.gather(*[rs.create_swap(p) for p in proposals * 3])
    swaps = [s for s in made if s is not None]
    members = [rid for s in swaps for rid in s.rids]
    assert len(members) == len(set(members))  # nobody twice
    for s in swaps:
        for i, rid in enumerate(s.rids):
            req = await rs.get(rid)
            assert req is not None and req.status == "matched" and req.swap == s.sid
            assert req.reviewer == s.uids[s.reviewer_of(i)]
            assert req.got == "pending"
    still_open = {r.rid for r in await rs.open_requests()}
    assert still_open == {r.rid for r in reqs} - set(members)


async def test_a_failed_swap_changes_nothing(r: aioredis.Redis) -> None:
    rs = Store(r, "t:").repo(ReviewStore)
    a, b, c = [await rs.add_request(values(uid)) for uid in (1, 2, 3)]
    assert await rs.close_request(c.rid, "cancelled")
    assert await rs.create_swap([a, b, c]) is None
    assert {x.rid for x in await rs.open_requests()} == {a.rid, b.rid}
    assert (await rs.get(a.rid)).status == "open"  # type: ignore[union-attr]
    # A request whose uid does not match what the run read is refused too.
    forged = Request(**{**vars(b), "uid": 99})
    assert await rs.create_swap([a, forged]) is None
    assert await rs.create_swap([a, b]) is not None


async def test_review_states_move_once(r: aioredis.Redis) -> None:
    rs = Store(r, "t:").repo(ReviewStore)
    a, b = [await rs.add_request(values(uid)) for uid in (1, 2)]
    swap = await rs.create_swap([a, b])
    assert swap is not None
    assert await rs.set_got(a.rid, "noshow", "pending") == "pending"
    assert await rs.set_got(a.rid, "noshow", "pending") is None
    assert await rs.set_got(a.rid, "delivered", "pending", "noshow") == "noshow"
    assert await rs.rate(a.rid, "2") and not await rs.rate(a.rid, "0")
    assert await rs.end_swap(swap.sid) and not await rs.end_swap(swap.sid)
    assert (await rs.get(b.rid)).got == "ended"  # type: ignore[union-attr]
    assert (await rs.get(a.rid)).got == "delivered"  # type: ignore[union-attr]


async def test_erase_user_leaves_nothing_naming_them(r: aioredis.Redis) -> None:
    rs = Store(r, "t:").repo(ReviewStore)
    a, b = [await rs.add_request(values(uid)) for uid in (11, 22)]
    swap = await rs.create_swap([a, b])
    assert swap is not None
    await rs.save_review(b.rid, {"works": "ok", "improve": "x", "ask": "?", "lang": "en"})
    await rs.count(11, given=1, helpful=1, rated=1)
    await rs.add_request(values(11, course="ml"))
    await rs.erase_user(11)
    for key in await r.keys("t:rv:*"):
        kind = await r.type(key)
        dump = json.dumps(
            await r.hgetall(key) if kind == "hash" else
            await r.smembers(key) if kind == "set" else
            await r.zrange(key, 0, -1) if kind == "zset" else await r.get(key),
            default=list,
        )  # fmt: skip
        assert "11" not in key and '"11"' not in dump and "11]" not in dump and "[11" not in dump, (
            key
        )
    assert (await rs.get(b.rid)).reviewer == 0  # type: ignore[union-attr]
    assert await rs.review(b.rid) is None
    assert (await rs.swap(swap.sid)).status == "ended"  # type: ignore[union-attr]
    assert await rs.reviews_given(11) == 0
