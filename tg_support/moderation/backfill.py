"""Trails for keys written before trails existed: once, at the upgrade, by an operator
(``tg-support backfill-trails``). It scans the keyspace once; erasure itself never does.

What it can attribute from the keys themselves: relayed copies (the private chats in the
key and in its entries), translated-message maps and the originals they point to (the
chat in the key), broadcast recipient lists (their entries), offers (the helpers in
``offer:sent``), the membership cache (the user in the key). Older send records
(``sent:*``, 30 days) and cached translations (``tr:c2:*``, 30 days) cannot be attributed:
they expire on their own within a month of the upgrade.
"""

from __future__ import annotations

import json
from collections import Counter

from redis.asyncio import Redis

from tg_support.core import trail


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _chats(items: list[str]) -> list[int]:
    out: list[int] = []
    for item in items:
        try:
            loaded = json.loads(item)
            out.append(int(loaded[0]))
        except (ValueError, TypeError, IndexError, KeyError):
            head = str(item).partition(":")[0]
            if head.lstrip("-").isdigit():
                out.append(int(head))
    return out


async def backfill_trails(redis: Redis, prefix: str, count: int = 1000) -> Counter[str]:
    """Note every attributable key in its people's trails; returns how many per kind."""
    done: Counter[str] = Counter()
    async for raw in redis.scan_iter(match=f"{prefix}*", count=count):
        key = _s(raw)
        name = key[len(prefix) :]
        kind, people, keys = "", [], [key]
        if name.startswith("relay:"):
            kind = "relay"
            chat = name.split(":")[1]
            people = trail.people_of([chat, *_chats([_s(x) for x in await redis.lrange(key, 0, -1)])])
        elif name.startswith("tr:msg:"):
            kind = "tr:msg"
            people = trail.people_of([name.split(":")[2]])
            orig = await redis.get(key)
            if orig:
                keys.append(f"{prefix}tr:orig:{_s(orig)}")
        elif name.startswith("bc:") and name.endswith(":rcpt"):
            kind = "bc"
            people = trail.people_of(_chats([_s(x) for x in await redis.lrange(key, 0, -1)]))
        elif name.startswith("offer:sent:"):
            kind = "offer"
            people = trail.people_of([_s(x) for x in await redis.smembers(key)])
        elif name.startswith("member:"):
            kind = "member"
            people = trail.people_of([name.split(":")[1]])
        if not kind or not people:
            continue
        left = int(await redis.ttl(key))
        if kind == "bc":  # a list of everyone: each person's own note, not one shared entry
            for uid in people:
                await trail.note(redis, prefix, [uid], keys, left if left > 0 else trail.KEY_TTL)
        else:
            await trail.note(redis, prefix, people, keys, left if left > 0 else trail.KEY_TTL)
        done[kind] += 1
    return done
