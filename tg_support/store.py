"""The Redis repository. Every key the bot itself writes is listed here, under one prefix.

Key patterns (``{p}`` is ``Settings.redis_prefix``):

=================================  =========  =================================================
``{p}user:{uid}``                  hash       profile: lang, tg_lang, role, platforms (JSON),
                                              courses (JSON), tz, goal, onboarded, blocked,
                                              created_at, updated_at
``{p}users``                       set        every user id that has a profile
``{p}users:lang:{lang}``           set        user ids by chosen language (broadcast audiences)
``{p}conv:{uid}``                  string     JSON ``{"step": ..., "data": {...}}``: where the
                                              user is in a multi-step flow; survives restarts
``{p}flood:{uid}``                 string     update counter for the current flood window (TTL)
``{p}flood:warned:{uid}``          string     set while the "slow down" notice is in force (TTL)
=================================  =========  =================================================

Other modules own their keys and document them in their own docstrings under the same
prefix: ``sending`` (``{p}rl:*``, ``{p}sent:*``), ``search`` (``{p}search:*``),
``helper_index`` (``{p}helper*``).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast

from redis.asyncio import Redis

Role = Literal["learner", "helper", "both"]
ROLES: tuple[Role, ...] = ("learner", "helper", "both")
PLATFORMS: tuple[str, ...] = ("coursera", "edx", "udemy", "futurelearn", "khan", "other")


class Keys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    def user(self, uid: int) -> str:
        return f"{self.p}user:{uid}"

    @property
    def users(self) -> str:
        return f"{self.p}users"

    def users_by_lang(self, lang: str) -> str:
        return f"{self.p}users:lang:{lang}"

    def conv(self, uid: int) -> str:
        return f"{self.p}conv:{uid}"

    def flood(self, uid: int) -> str:
        return f"{self.p}flood:{uid}"

    def flood_warned(self, uid: int) -> str:
        return f"{self.p}flood:warned:{uid}"


@dataclass
class Profile:
    user_id: int
    lang: str | None = None
    tg_lang: str | None = None
    role: Role | None = None
    platforms: list[str] = field(default_factory=list)
    courses: list[str] = field(default_factory=list)
    tz: str | None = None
    goal: str | None = None
    onboarded: bool = False
    blocked: bool = False
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def is_helper(self) -> bool:
        return self.role in ("helper", "both")

    def to_redis(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in asdict(self).items():
            if v is None:
                continue
            if isinstance(v, bool):
                out[k] = "1" if v else "0"
            elif isinstance(v, list):
                out[k] = json.dumps(v, ensure_ascii=False)
            else:
                out[k] = str(v)
        return out

    @classmethod
    def from_redis(cls, uid: int, raw: dict[str, str]) -> Profile:
        def lst(name: str) -> list[str]:
            try:
                value = json.loads(raw.get(name) or "[]")
            except json.JSONDecodeError:
                return []
            return [str(x) for x in value] if isinstance(value, list) else []

        role = raw.get("role")
        return cls(
            user_id=uid,
            lang=raw.get("lang") or None,
            tg_lang=raw.get("tg_lang") or None,
            role=role if role in ROLES else None,
            platforms=lst("platforms"),
            courses=lst("courses"),
            tz=raw.get("tz") or None,
            goal=raw.get("goal") or None,
            onboarded=raw.get("onboarded") == "1",
            blocked=raw.get("blocked") == "1",
            created_at=float(raw.get("created_at") or 0),
            updated_at=float(raw.get("updated_at") or 0),
        )


@dataclass
class Conversation:
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class Store:
    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        self.redis = redis
        self.keys = Keys(prefix)

    async def get_profile(self, uid: int) -> Profile | None:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.user(uid)))
        return Profile.from_redis(uid, raw) if raw else None

    async def save_profile(self, profile: Profile) -> None:
        now = time.time()
        if not profile.created_at:
            profile.created_at = now
        profile.updated_at = now
        old_lang = cast(str | None, await self.redis.hget(self.keys.user(profile.user_id), "lang"))
        async with self.redis.pipeline(transaction=True) as pipe:
            # Absent fields must not survive from an older version of the profile.
            pipe.delete(self.keys.user(profile.user_id))
            pipe.hset(self.keys.user(profile.user_id), mapping=cast(Any, profile.to_redis()))
            pipe.sadd(self.keys.users, profile.user_id)
            if old_lang and old_lang != profile.lang:
                pipe.srem(self.keys.users_by_lang(old_lang), profile.user_id)
            if profile.lang:
                pipe.sadd(self.keys.users_by_lang(profile.lang), profile.user_id)
            await pipe.execute()

    async def set_blocked(self, uid: int, blocked: bool) -> None:
        if await self.redis.exists(self.keys.user(uid)):
            await self.redis.hset(self.keys.user(uid), "blocked", "1" if blocked else "0")

    async def get_conv(self, uid: int) -> Conversation:
        raw = await self.redis.get(self.keys.conv(uid))
        if not raw:
            return Conversation()
        try:
            obj = json.loads(raw)
            return Conversation(step=obj.get("step"), data=dict(obj.get("data") or {}))
        except (json.JSONDecodeError, AttributeError):
            return Conversation()

    async def set_conv(self, uid: int, conv: Conversation) -> None:
        payload = json.dumps({"step": conv.step, "data": conv.data}, ensure_ascii=False)
        # A month: long enough to come back to a half-finished profile, short enough to clean up.
        await self.redis.set(self.keys.conv(uid), payload, ex=30 * 24 * 3600)

    async def clear_conv(self, uid: int) -> None:
        await self.redis.delete(self.keys.conv(uid))

    async def flood_hit(self, uid: int, window: int) -> int:
        """Count an update from ``uid``; returns the count within the current window."""
        key = self.keys.flood(uid)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def flood_warn_once(self, uid: int, window: int) -> bool:
        """True the first time in a window, so the "slow down" notice is sent once."""
        return bool(await self.redis.set(self.keys.flood_warned(uid), "1", ex=window, nx=True))

    async def erase_user(self, uid: int) -> None:
        profile = await self.get_profile(uid)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.user(uid), self.keys.conv(uid), self.keys.flood(uid))
            pipe.srem(self.keys.users, uid)
            if profile and profile.lang:
                pipe.srem(self.keys.users_by_lang(profile.lang), uid)
            await pipe.execute()
