"""A per-user index of keys that hold someone's data without being named after them.

Most keys that concern a user are found from their id (``user:{uid}``, ``q:user:{uid}``...).
Some are not: a relayed message's copies (``relay:{chat}:{msg}``), a translated message's
original (``tr:orig:{id}``) and its message map (``tr:msg:{chat}:{msg}``), idempotent-send
records (``sent:{key}``), cached translations of their texts (``tr:c2:...:{hash}``), the
recipient lists of broadcasts they received (``bc:{id}:rcpt``). Whoever writes such a key
notes it here at the same moment, for every user it concerns, so ``/forget`` finds them in
one read instead of scanning the keyspace.

The owner of each key pattern erases its own keys (``erase_user`` reads the trail through
:meth:`Trail.keys` for its patterns); the trail itself goes last.

Key pattern (``{p}`` is the prefix):

=====================  ====  ==================================================================
``{p}trail:{uid}``     zset  ``{name}|{uid,uid...}``: the name (without the prefix) of a key
                             that holds data of ``uid``, and everyone it was noted for;
                             score: when that key is gone at the latest (expired entries
                             are dropped by later notes); the set expires
                             :data:`TRAIL_TTL` after its last note
=====================  ====  ==================================================================
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from redis.asyncio import Redis

DAY = 24 * 3600
# How long an entry is kept unless its writer says otherwise: the longest-lived traced keys
# (relayed copies, translated originals, broadcast lists: 90 days).
KEY_TTL = 90 * DAY
# The set itself, after its last note.
TRAIL_TTL = KEY_TTL + DAY


def trail_key(prefix: str, uid: int) -> str:
    return f"{prefix}trail:{uid}"


def people_of(chats: Iterable[int | str | None], extra: Iterable[int] = ()) -> list[int]:
    """The users among chat ids (private chats have their user's id; groups are negative),
    with ``extra`` user ids, each once."""
    out: list[int] = []
    for c in [*chats, *extra]:
        try:
            uid = int(c) if c is not None else 0
        except (TypeError, ValueError):
            continue
        if uid > 0 and uid not in out:
            out.append(uid)
    return out


def note_in(
    pipe: Any, prefix: str, people: Iterable[int], keys: Iterable[str], ttl: float = KEY_TTL
) -> None:
    """Queue the notes on a pipeline the caller executes with its own writes; ``ttl``: how
    long the noted keys live (at most). Each entry says who else it was noted for
    (``name|uid,uid``), so erasing one of them also takes it out of the others' trails: a
    trail must not keep naming someone who left. Entries are scored with the time their
    key is gone by, and every note drops the entries past it, so an active person's trail
    stays as small as what is still stored about them."""
    people = sorted(set(people))
    names = [k[len(prefix) :] if k.startswith(prefix) else k for k in keys]
    if not names or not people:
        return
    now = time.time()
    gone_by = now + ttl + 60
    members = {f"{n}|{','.join(map(str, people))}": gone_by for n in names}
    for uid in people:
        tkey = trail_key(prefix, uid)
        pipe.zadd(tkey, members)
        pipe.zremrangebyscore(tkey, "-inf", now)
        pipe.expire(tkey, TRAIL_TTL)


def _entry(member: str) -> tuple[str, list[int]]:
    name, _, who = member.rpartition("|")
    if not name:  # an entry without its people
        return member, []
    return name, [int(x) for x in who.split(",") if x.isdigit()]


async def note(
    redis: Redis, prefix: str, people: Iterable[int], keys: Iterable[str], ttl: float = KEY_TTL
) -> None:
    """Record that ``keys`` (full names) hold data of every user in ``people``."""
    people, keys = list(people), list(keys)
    if not people or not keys:
        return
    async with redis.pipeline(transaction=False) as pipe:
        note_in(pipe, prefix, people, keys, ttl)
        await pipe.execute()


class Trail:
    """The trail sets (see the module docstring). A repository like ``core.store``'s, but
    not one of its subclasses: ``core.store`` writes trails, so this module cannot import it."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        self.redis = redis
        self.p = prefix

    async def keys(self, uid: int, *kinds: str) -> list[str]:
        """Full names of the traced keys of ``uid`` whose name starts with one of ``kinds``
        (e.g. ``"relay:"``; all without ``kinds``), sorted."""
        members = {str(x) for x in await self.redis.zrange(trail_key(self.p, uid), 0, -1)}
        names = {_entry(m)[0] for m in members}
        return sorted(self.p + n for n in names if not kinds or n.startswith(kinds))

    async def erase_user(self, uid: int) -> None:
        """The index itself (the keys it names are erased by their owners first), and its
        entries in the trails of the other people they were noted for."""
        members = [str(x) for x in await self.redis.zrange(trail_key(self.p, uid), 0, -1)]
        async with self.redis.pipeline(transaction=False) as pipe:
            for member in members:
                for other in _entry(member)[1]:
                    if other != uid:
                        pipe.zrem(trail_key(self.p, other), member)
            pipe.delete(trail_key(self.p, uid))
            await pipe.execute()

    async def export_user(self, uid: int) -> dict[str, Any]:
        """Nothing of its own: the traced keys are exported by their owners."""
        return {}
