"""Data owners' erase_user/export_user on a real Redis, where the end-to-end tests cannot
easily reach: a broadcast running while a recipient erases, a helper's traces in other
people's offers, trails shared by two people."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from tg_support.broadcast.broadcasts import Audience, Broadcasts
from tg_support.core import trail
from tg_support.core.trail import Trail
from tg_support.helpers.offers import OfferKeys, Offers
from tg_support.translation.delivery import Translations

P = "tgs:test:"


async def test_a_recipient_erased_mid_broadcast_keeps_chunk_boundaries(r: aioredis.Redis) -> None:
    bc = Broadcasts(r, P)
    b = await bc.create(7, "en", "en", "Hello", [], Audience(kind="all"))
    people = [(100 + i, "es") for i in range(5)]
    assert await bc.plan(b.bid, [*people, (-1001, "es")], chunk_size=2) == 3
    await bc.claim(b.bid, 102, "tok")  # her send is under way in chunk 1
    await bc.erase_user(102)
    # Her entry is a tombstone: chunk 1 still starts at the same place, chunk 2 too.
    assert await bc.chunk(b.bid, 0) == [(100, "es"), (101, "es")]
    assert await bc.chunk(b.bid, 1) == [(103, "es")]
    assert await bc.chunk(b.bid, 2) == [(104, "es"), (-1001, "es")]
    assert await bc.states(b.bid, [102]) == [None]
    assert "102" not in json.dumps(await r.lrange(bc.key(b.bid, "rcpt"), 0, -1))
    assert await bc.export_user(103) == {"received": [int(b.bid)]}
    # The admin's own broadcast: exported, then cancelled and gone with them.
    [sent] = (await bc.export_user(7))["sent"]
    assert sent["text"] == "Hello" and sent["number"] == int(b.bid)
    await bc.erase_user(7)
    assert await bc.get(b.bid) is None
    assert await r.exists(bc.key(b.bid, "rcpt"), bc.admin_key(7)) == 0


async def test_a_helper_leaves_other_peoples_offers(r: aioredis.Redis) -> None:
    k, qid, helper, other = OfferKeys(P), "9", 501, 502
    await r.sadd(k.sent(qid), helper, other)
    await r.sadd(k.chosen(qid), helper, other)
    await r.sadd(k.passed(qid), helper)
    await r.hset(k.msg(qid), mapping={str(helper): "11", str(other): "12"})
    await r.set(k.claim(qid), helper)
    await r.set(k.round(qid, 0), json.dumps([[helper, False], [other, True]]), ex=600)
    # What send_offer notes for each helper it offers the question to.
    await trail.note(r, P, [helper], [k.sent(qid)])
    await trail.note(r, P, [other], [k.sent(qid)])
    offers = Offers(r, P, rounds=2)
    assert await offers.export_user(helper) == {"questions_offered": [9]}
    await offers.erase_user(helper)
    assert await r.smembers(k.sent(qid)) == {str(other)}
    assert await r.smembers(k.chosen(qid)) == {str(other)}
    assert await r.smembers(k.passed(qid)) == set()
    assert await r.hgetall(k.msg(qid)) == {str(other): "12"}
    assert await r.get(k.claim(qid)) is None  # the question may be claimed again
    assert json.loads(await r.get(k.round(qid, 0)) or "[]") == [[other, True]]
    assert 0 < await r.ttl(k.round(qid, 0)) <= 600  # its expiry kept


async def test_a_shared_trail_entry_leaves_the_other_trail_too(r: aioredis.Redis) -> None:
    key = f"{P}tr:orig:5"
    await r.set(key, "{}")
    await trail.note(r, P, [1, 2], [key])
    t = Trail(r, P)
    assert await t.keys(1, "tr:orig:") == [key] and await t.keys(2, "tr:") == [key]
    # The owner erases the key first (the registry's order), then the trail goes.
    await Translations(r, P).erase_user(1)
    assert await r.exists(key) == 0
    await t.erase_user(1)
    # Person 2's trail no longer names person 1; person 1's is gone.
    assert await r.exists(trail.trail_key(P, 1)) == 0
    assert await r.zrange(trail.trail_key(P, 2), 0, -1) == []


async def test_entries_past_their_keys_lifetime_are_dropped(r: aioredis.Redis) -> None:
    """An active person's trail holds what is still stored, not everything ever noted."""
    await trail.note(r, P, [3], [f"{P}member:3:-100"], ttl=-120)  # (as if written long ago)
    await trail.note(r, P, [3], [f"{P}relay:3:1"])
    assert await Trail(r, P).keys(3) == [f"{P}relay:3:1"]
    assert 0 < await r.ttl(trail.trail_key(P, 3)) <= trail.TRAIL_TTL


async def test_backfill_lets_forget_find_keys_written_before_trails(
    r: aioredis.Redis, redis_url: str
) -> None:
    """Keys as an older version wrote them (no trail), then the operator's command."""
    import asyncio
    import os
    import sys

    from tests.conftest import make_settings
    from tg_support.core.store import Profile, Store
    from tg_support.moderation.erase import erase_user

    uid, helper = 100000007, 100000008
    await r.rpush(f"{P}relay:{uid}:5", json.dumps([-1001, 9, "3"]))
    await r.rpush(f"{P}relay:-1001:9", json.dumps([uid, 5, "3"]))
    await r.set(f"{P}tr:msg:{uid}:6", "4")
    await r.set(f"{P}tr:orig:4", json.dumps({"original": "The assignment is due on Friday."}))
    await r.rpush(f"{P}bc:2:rcpt", f"{uid}:es", f"{helper}:en")
    await r.sadd(f"{P}offer:sent:3", helper)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tg_support.cli", "backfill-trails",
        env={**os.environ, "REDIS_URL": redis_url, "REDIS_PREFIX": P},
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    assert out.decode().split() == ["bc:", "1,", "offer:", "1,", "relay:", "2,", "tr:msg:", "1"]
    store = Store(r, P)
    await store.save_profile(Profile(user_id=uid, lang="es"))
    settings = make_settings("http://127.0.0.1:1", redis_url, redis_prefix=P)
    await erase_user(store, settings, 1, uid)
    assert await r.exists(f"{P}relay:{uid}:5", f"{P}relay:-1001:9", f"{P}tr:msg:{uid}:6",
                          f"{P}tr:orig:4") == 0  # fmt: skip
    assert await r.lrange(f"{P}bc:2:rcpt", 0, -1) == ["0:", f"{helper}:en"]
    assert await Trail(r, P).keys(helper) == [f"{P}bc:2:rcpt", f"{P}offer:sent:3"]
