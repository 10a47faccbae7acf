"""Moderation's stores against a real Redis: sanctions under a keyed hash (what survives
/forget, what /export shows and hides), mutes that end by their time even when no job ran,
the audit log, and reports and held questions decided once."""

from __future__ import annotations

import asyncio
import json
import time

import redis.asyncio as aioredis

from tg_support.moderation.audit import AuditLog, Entry
from tg_support.moderation.reports import Held, Report, Reports
from tg_support.moderation.sanctions import Sanctions

P = "t:"
UID, OTHER, ADMIN = 111, 222, 333


async def keys_naming(r: aioredis.Redis, uid: int) -> list[str]:
    """Every key whose name or value holds ``uid`` (as a number of its own)."""
    found = []
    for key in await r.keys(P + "*"):
        kind = await r.type(key)
        if kind == "string":
            blob = str(await r.get(key))
        elif kind == "hash":
            blob = json.dumps(await r.hgetall(key))
        elif kind == "set":
            blob = json.dumps(sorted(await r.smembers(key)))
        elif kind == "zset":
            blob = json.dumps(await r.zrange(key, 0, -1))
        else:
            blob = ""
        if str(uid) in key or f'"{uid}"' in blob or f": {uid}," in blob or f":{uid}" in blob:
            found.append(key)
    return found


async def test_sanctions_survive_forget_under_a_keyed_hash(r: aioredis.Redis) -> None:
    s = Sanctions(r, P)
    h = await s.user_hash(UID)
    assert h != await s.user_hash(OTHER) and str(UID) not in h
    code = await s.code(UID)
    assert await s.hash_for_code(code.lower()) == h
    assert await s.set_flag(h, "removed", True)
    assert not await s.set_flag(h, "removed", True)  # once
    await s.mute(h, time.time() + 3600)
    await s.warn(h)
    await s.warn(h)
    assert (await s.export_user(UID))["warnings"] == 2

    await s.erase_user(UID)
    standing = await s.standing(UID)
    assert standing.removed and standing.muted_until is not None  # they hold after /forget
    assert (await s.export_user(UID))["warnings"] == 0  # warnings do not
    assert await keys_naming(r, UID) == []  # nothing names the id
    # Another process (a fresh store) finds the same hash: the secret is in Redis.
    assert await Sanctions(r, P).user_hash(UID) == h


async def test_export_never_reveals_a_shadow_ban(r: aioredis.Redis) -> None:
    s, audit = Sanctions(r, P), AuditLog(r, P)
    h = await s.user_hash(UID)
    await s.set_flag(h, "shadow", True)
    await audit.add(Entry(action="shadow", actor=ADMIN, target=s.code_of(h)), target_hash=h)
    await audit.add(Entry(action="warn", actor=ADMIN, target=s.code_of(h)), target_hash=h)
    assert (await s.standing(UID)).shadow
    exported = {**await s.export_user(UID), **await audit.export_user(UID)}
    assert "shadow" not in json.dumps(exported)
    assert [e["action"] for e in exported["actions_about_you"]] == ["warn"]
    assert await s.excluded([UID, OTHER]) == {UID}  # and still no offers


async def test_a_mute_ends_by_its_time_even_without_the_job(r: aioredis.Redis) -> None:
    s = Sanctions(r, P)
    h = await s.user_hash(UID)
    until = time.time() + 0.5
    await s.mute(h, until)
    assert (await s.standing(UID)).muted_until == until
    assert await s.excluded([UID]) == {UID}
    await asyncio.sleep(0.6)
    assert (await s.standing(UID)).muted_until is None  # the key is still there
    assert await s.excluded([UID]) == set()
    # The job for an older mute does not lift a newer one.
    later = time.time() + 60
    await s.mute(h, later)
    assert not await s.unmute(h, only_until=until)
    assert await s.unmute(h, only_until=later)


async def test_the_audit_log_pages_newest_first_and_forgets_the_admin(r: aioredis.Redis) -> None:
    audit = AuditLog(r, P)
    for i in range(25):
        await audit.add(Entry(action="warn", actor=ADMIN, target=f"C{i}", report=i + 1))
    assert await audit.count() == 25
    first = await audit.page(0, 10)
    assert [e.report for e in first] == list(range(25, 15, -1))
    assert [e.report for e in await audit.page(20, 10)] == [5, 4, 3, 2, 1]
    assert len((await audit.export_user(ADMIN))["actions_taken"]) == 25
    await audit.erase_user(ADMIN)
    assert all(e.actor == 0 for e in await audit.page(0, 30))
    assert await audit.count() == 25  # what was done stays
    assert await keys_naming(r, ADMIN) == []


async def test_reports_are_decided_once_and_forget_their_people(r: aioredis.Redis) -> None:
    reports = Reports(r, P)
    rep = await reports.new_report(
        Report(rid=0, reporter=OTHER, target=UID, code="ABCDEF", group=-100, text="spam")
    )
    await reports.add_copy(f"r{rep.rid}", ADMIN, 55, "es")
    assert await reports.copies(f"r{rep.rid}") == {ADMIN: (55, "es")}
    wins = await asyncio.gather(*(reports.decide_report(rep.rid, "warn", a) for a in (1, 2, 3)))
    assert sorted(wins) == [False, False, True]
    await reports.hold(Held(qid=9, asker=UID, reason="link_flood", group=-100))
    assert await reports.decide_held(9, "approve", ADMIN)
    assert not await reports.decide_held(9, "reject", ADMIN)

    exported = await reports.export_user(OTHER)
    assert exported["reports_made"][0]["text"] == "spam"
    assert (await reports.export_user(UID))["questions_held_for_review"][0]["question"] == 9
    assert (await reports.export_user(UID))["reports_made"] == []  # reports about them: not theirs

    assert all([await reports.may_report(OTHER) for _ in range(10)])
    assert not await reports.may_report(OTHER)  # the 11th in an hour
    assert await reports.may_report(UID)

    for uid in (UID, OTHER, ADMIN):
        await reports.erase_user(uid)
        assert await keys_naming(r, uid) == [], uid
    after = await reports.get_report(rep.rid)
    assert after is not None and after.text == "" and after.target == 0 and after.reporter == 0
    assert after.code == "ABCDEF"  # the member code (of the hash) stays with the decision
