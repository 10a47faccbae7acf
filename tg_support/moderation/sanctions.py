"""Sanctions that hold across the whole network: removal, shadow ban, mutes, warnings.

A sanction is stored under a keyed hash of the user id (HMAC-SHA256 with a secret made once
in Redis), never under the id itself, and without any name or message: it is what lets a
removal **survive /forget** (a removed spammer who erases their data and comes back is still
removed) while the stored record identifies nobody to someone who reads Redis without the
secret. Decision: removal, shadow ban and a running mute survive ``/forget``; warnings do not
(``erase_user`` drops them). ``export_user`` reports removal, mute and warnings, and never a
shadow ban: telling a spammer defeats it (the audit entries about it are left out too).

Mutes expire by themselves: ``until`` is checked on every read (a late or lost job changes
nothing), the key carries a Redis TTL past ``until`` for cleanup, and a scheduled job
(``workers.moderation.lift_mute``) tells the person when it ends.

Admins see a person as ``Member K7QM2X``: a code derived from the same hash, the same in every
report and audit entry, so repeat offenders are recognisable without an id or a name.

Key patterns (``{p}`` is the prefix):

=================================  ======  ================================================
``{p}mod:secret``                  string  HMAC key of the hashes below (made once)
``{p}mod:removed``                 hash    user hash → JSON {at, code}: removed from the network
``{p}mod:shadow``                  hash    user hash → JSON {at, code}: shadow banned
``{p}mod:mute:{hash}``             string  JSON {until, code}; TTL a day past ``until``
``{p}mod:warns:{hash}``            string  warnings received (a count)
``{p}mod:codes``                   hash    member code → user hash (for /unban CODE)
=================================  ======  ================================================
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from redis.asyncio import Redis

from tg_support.core.store import Repository

Kind = Literal["removed", "shadow"]
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: people read these aloud
CODE_LENGTH = 6


@dataclass(frozen=True, slots=True)
class Standing:
    """What a person may do now."""

    removed: bool = False
    shadow: bool = False
    muted_until: float | None = None  # a mute in force (epoch seconds), else None

    @property
    def restricted(self) -> bool:
        return self.removed or self.muted_until is not None


class SanctionKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    @property
    def secret(self) -> str:
        return f"{self.p}mod:secret"

    @property
    def removed(self) -> str:
        return f"{self.p}mod:removed"

    @property
    def shadow(self) -> str:
        return f"{self.p}mod:shadow"

    def mute(self, h: str) -> str:
        return f"{self.p}mod:mute:{h}"

    def warns(self, h: str) -> str:
        return f"{self.p}mod:warns:{h}"

    @property
    def codes(self) -> str:
        return f"{self.p}mod:codes"


class Sanctions(Repository):
    """The sanction keys above."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)
        self.keys = SanctionKeys(prefix)
        self._secret: bytes | None = None

    async def _key(self) -> bytes:
        if self._secret is None:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.set(self.keys.secret, secrets.token_hex(32), nx=True)
                pipe.get(self.keys.secret)
                _, raw = await pipe.execute()
            self._secret = str(raw).encode()
        return self._secret

    async def user_hash(self, uid: int) -> str:
        """The keyed hash every sanction of ``uid`` is stored under."""
        return hmac.new(await self._key(), f"user:{uid}".encode(), hashlib.sha256).hexdigest()[:32]

    @staticmethod
    def code_of(h: str) -> str:
        """The member code admins see for a user hash."""
        raw = bytes.fromhex(h)
        return "".join(_ALPHABET[b % len(_ALPHABET)] for b in raw[:CODE_LENGTH])

    async def code(self, uid: int) -> str:
        """``uid``'s member code, remembered so that ``/unban CODE`` finds the hash."""
        h = await self.user_hash(uid)
        code = self.code_of(h)
        await self.redis.hset(self.keys.codes, code, h)
        return code

    async def hash_for_code(self, code: str) -> str | None:
        value = await self.redis.hget(self.keys.codes, code.strip().upper())
        return str(value) if value else None

    async def standing(self, uid: int, now: float | None = None) -> Standing:
        return await self.standing_of(await self.user_hash(uid), now)

    async def standing_of(self, h: str, now: float | None = None) -> Standing:
        now = time.time() if now is None else now
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hexists(self.keys.removed, h)
            pipe.hexists(self.keys.shadow, h)
            pipe.get(self.keys.mute(h))
            removed, shadow, mute = await pipe.execute()
        until = _until(mute)
        return Standing(
            removed=bool(removed),
            shadow=bool(shadow),
            muted_until=until if until is not None and until > now else None,
        )

    async def excluded(self, uids: list[int]) -> set[int]:
        """Of ``uids``, those who must get no offers: removed, shadow banned or muted."""
        if not uids:
            return set()
        hashes = [await self.user_hash(u) for u in uids]
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(self.keys.removed, hashes)
            pipe.hmget(self.keys.shadow, hashes)
            for h in hashes:
                pipe.get(self.keys.mute(h))
            removed, shadow, *mutes = await pipe.execute()
        out = set()
        for i, uid in enumerate(uids):
            until = _until(mutes[i])
            if removed[i] or shadow[i] or (until is not None and until > now):
                out.add(uid)
        return out

    async def set_flag(self, h: str, kind: Kind, on: bool) -> bool:
        """Remove (or shadow ban) the person with hash ``h``, or lift it; True when it changed."""
        key = self.keys.removed if kind == "removed" else self.keys.shadow
        if on:
            value = json.dumps({"at": time.time(), "code": self.code_of(h)})
            return bool(await self.redis.hsetnx(key, h, value))
        return bool(await self.redis.hdel(key, h))

    async def mute(self, h: str, until: float) -> None:
        # Kept a day past its end so the job that ends it still finds it when it runs late.
        ttl = max(1, int(until - time.time()) + 86_400)
        payload = json.dumps({"until": until, "code": self.code_of(h)})
        await self.redis.set(self.keys.mute(h), payload, ex=ttl)

    async def unmute(self, h: str, *, only_until: float | None = None) -> bool:
        """Lift a mute; with ``only_until``, only the mute that ends then (a later mute set
        meanwhile stays). True when a mute was lifted."""
        if only_until is not None:
            current = _until(await self.redis.get(self.keys.mute(h)))
            if current is None or abs(current - only_until) > 1e-3:
                return False
        return bool(await self.redis.delete(self.keys.mute(h)))

    async def warn(self, h: str) -> int:
        """Count a warning; returns how many the person has had."""
        return int(await self.redis.incr(self.keys.warns(h)))

    async def erase_user(self, uid: int) -> None:
        """Warnings go; removal, shadow ban and a running mute stay (see the module docstring:
        they are stored under a keyed hash, with no id, name or message)."""
        await self.redis.delete(self.keys.warns(await self.user_hash(uid)))

    async def export_user(self, uid: int) -> dict[str, Any]:
        """Removal, a running mute and warnings; never a shadow ban."""
        st = await self.standing(uid)
        warns = await self.redis.get(self.keys.warns(await self.user_hash(uid)))
        return {
            "removed_from_network": st.removed,
            "muted_until": st.muted_until,
            "warnings": int(warns or 0),
        }


def _until(raw: Any) -> float | None:
    if not raw:
        return None
    try:
        return float(json.loads(raw)["until"])
    except (ValueError, KeyError, TypeError):
        return None
