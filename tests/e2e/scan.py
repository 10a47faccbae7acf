"""Scanning every key of the test prefix for a person: after /forget nothing may name them."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import TEST_PREFIX


def token_re(uid: int) -> re.Pattern[str]:
    # Her id as a whole number: not a piece of a longer one (timestamps, other ids).
    return re.compile(rf"(?<!\d){uid}(?!\d)")


def mentions(redis_sync: Any, uid: int, texts: list[str]) -> dict[str, str]:
    """Every key of the test prefix whose name or content names ``uid`` or holds one of
    ``texts``: string values, hash fields and values, set and zset members, list items."""
    pattern = token_re(uid)

    def hit(value: str) -> bool:
        return bool(pattern.search(value)) or any(t in value for t in texts)

    found: dict[str, str] = {}
    for key in redis_sync.scan_iter(f"{TEST_PREFIX}*", count=1000):
        name = key[len(TEST_PREFIX) :]
        if pattern.search(name):
            found[name] = "name"
            continue
        kind = redis_sync.type(key)
        if kind == "string":
            values = [redis_sync.get(key) or ""]
        elif kind == "hash":
            values = [x for kv in redis_sync.hgetall(key).items() for x in kv]
        elif kind == "set":
            values = list(redis_sync.smembers(key))
        elif kind == "zset":
            values = list(redis_sync.zrange(key, 0, -1))
        elif kind == "list":
            values = list(redis_sync.lrange(key, 0, -1))
        else:
            values = []
        for v in values:
            if hit(str(v)):
                found[name] = f"{kind}: {str(v)[:120]}"
                break
    return found
