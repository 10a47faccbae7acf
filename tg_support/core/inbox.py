"""The webhook inbox: updates of one user handled in order, once, by whichever bot process
is free, even when the process that received them dies.

Telegram sends a chat's next update only after the previous one was acknowledged, so the
order in which updates of one user reach the webhook is their order. A bot process
admits an update to the user's queue in Redis *before* it answers 200 (:meth:`admit`), so
an acknowledged update is never only in a process's memory, and a redelivered one (the
answer was lost) is recognised by its ``update_id`` and dropped. Then one process at a
time drains a user's queue under a lease (:meth:`acquire`, renewed while it works),
handling the updates in ``update_id`` order; an update leaves the queue when it was
handled (:meth:`done`). When a process dies, its lease runs out and any other process
(each sweeps the users with pending updates, :meth:`pending_keys`) drains the rest.

Key patterns (``{p}`` is the prefix; a "key" is the user id, or the chat id of an update
without a user):

===============================  =======  ==================================================
``{p}in:seen:{update_id}``       string   the update was admitted (TTL 1 day): the door's
                                          dedupe
``{p}in:q:{key}``                zset     pending update ids of a user, in order
``{p}in:u:{update_id}``          string   the update's JSON while it is pending (TTL 1 day)
``{p}in:lease:{key}``            string   the token of the process draining the user (PX)
``{p}in:keys``                   set      keys with pending updates (for the sweep)
``{p}in:proc:{name}``            hash     per process: ``admitted`` and ``handled`` counts
                                          (TTL 1 day; for operators and tests)
``{p}in:sent:{update_id}:{n}``   string   the n-th Bot API call made while handling the
                                          update: claimed ('') just before it goes out, then
                                          its result as JSON (TTL 1 day)
===============================  =======  ==================================================

An update whose handler was running when its process was killed is handled again by the
next process. Its calls that had gone out are not made again (:class:`OnceRateLimiter`:
the re-run gets the recorded result), so the user sees each reply once; a call cut off
between its claim and the request leaving the process is the one thing that can be lost.
"""

from __future__ import annotations

import json
import secrets
from contextvars import ContextVar
from typing import Any, cast

from redis.asyncio import Redis
from telegram.error import NetworkError, TelegramError

from .replication import replicated
from .sending import ApiCall, ApiResult, RateLimitArgs, RedisRateLimiter
from .store import Repository

# The update being handled from the inbox, and how many Bot API calls it made so far
# (set by tg_support.webhook around each update; unset elsewhere).
HANDLING: ContextVar[tuple[int, list[int]] | None] = ContextVar("inbox_handling", default=None)

SEEN_TTL = 24 * 3600

# KEYS seen, queue, body, keys, proc. ARGV update_id, json, ttl, key.
_ADMIT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[1])
redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])
redis.call('SADD', KEYS[4], ARGV[4])
redis.call('HINCRBY', KEYS[5], 'admitted', 1)
redis.call('EXPIRE', KEYS[5], ARGV[3])
return 1
"""
# The drain's one step. KEYS lease, queue, keys, proc, body of ARGV[3] (or a dummy).
# ARGV token, lease ms, the id just handled ('' for none), key, ttl.
# Acks the handled id, then returns {next id, its JSON}; with nothing left, lets the lease
# go (in the same script, so an update admitted meanwhile is never left without a
# drainer) and returns 0; -1 when the lease was lost.
_STEP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if ARGV[3] ~= '' then
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('DEL', KEYS[5])
  redis.call('HINCRBY', KEYS[4], 'handled', 1)
  redis.call('EXPIRE', KEYS[4], ARGV[5])
end
local first = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if not first then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[3], ARGV[4])
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local prefix = string.sub(KEYS[5], 1, string.len(KEYS[5]) - string.len(ARGV[6]))
return {first, redis.call('GET', prefix .. first) or ''}
"""
_HAND_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""


class LeaseLost(RuntimeError):
    """Another process took over the user's queue (this one stalled past its lease)."""


class Inbox(Repository):
    def __init__(self, redis: Redis, prefix: str = "tgs:", *, process: str = "") -> None:
        super().__init__(redis, prefix)
        self.process = process or secrets.token_hex(4)
        self._admit = redis.register_script(_ADMIT)
        self._step = redis.register_script(_STEP)
        self._hand_over = redis.register_script(_HAND_OVER)
        self._renew = redis.register_script(_RENEW)

    def _k(self, kind: str, part: object) -> str:
        """``{p}in:{kind}:{part}``: one of the per-update or per-user keys of the table."""
        return f"{self.p}in:{kind}:{part}"

    @property
    def keys_key(self) -> str:
        return f"{self.p}in:keys"

    async def admit(self, key: int, update_id: int, body: str) -> bool:
        """Queue an update for ``key``; False when it was admitted before (a redelivery)."""
        keys = [
            self._k("seen", update_id), self._k("q", key), self._k("u", update_id),
            self.keys_key, self._k("proc", self.process),
        ]  # fmt: skip
        args: list[Any] = [update_id, body, SEEN_TTL, key]
        # Replicated before the webhook answers 200: Telegram will not send it again.
        admitted = await replicated(self.redis, lambda r: self._admit(keys, args, client=r))
        return int(admitted) == 1

    async def acquire(self, key: int, lease_s: float) -> str | None:
        """The right to drain ``key``'s queue, or None while another process has it."""
        token = secrets.token_hex(16)
        ok = await self.redis.set(self._k("lease", key), token, nx=True, px=int(lease_s * 1000))
        return token if ok else None

    async def renew(self, key: int, token: str, lease_s: float) -> bool:
        return bool(
            await self._renew(keys=[self._k("lease", key)], args=[token, int(lease_s * 1000)])
        )

    async def step(
        self, key: int, token: str, lease_s: float, handled: int | None = None
    ) -> tuple[int, str | None] | None:
        """Ack ``handled`` (when given), then the oldest pending update of ``key`` (its id
        and JSON, None if it expired); None when the queue is empty, and then the lease is
        let go. Raises :class:`LeaseLost` when another process has taken over."""
        done = "" if handled is None else str(handled)
        body_key = self._k("u", done)
        keys = [
            self._k("lease", key), self._k("q", key), self.keys_key,
            self._k("proc", self.process), body_key,
        ]  # fmt: skip
        args: list[str | int] = [token, int(lease_s * 1000), done, key, SEEN_TTL, done]
        res = await self._step(keys=keys, args=args)
        if res == -1:
            raise LeaseLost(str(key))
        if not res:
            return None
        update_id, body = res
        return int(update_id), (str(body) or None)

    async def hand_over(self, key: int, token: str) -> None:
        """Let the lease go with updates still queued (this process is stopping)."""
        await self._hand_over(keys=[self._k("lease", key)], args=[token])

    async def pending_keys(self, count: int) -> list[int]:
        """Up to ``count`` keys with pending updates, at random (for the sweep)."""
        found = cast(list[str], await self.redis.srandmember(self.keys_key, count))
        return [int(k) for k in found or []]

    async def counts(self) -> dict[str, dict[str, int]]:
        """``{process: {"admitted": n, "handled": n}}`` of every process in the last day."""
        out: dict[str, dict[str, int]] = {}
        async for name in self.redis.scan_iter(match=self._k("proc", "*"), count=100):
            raw = cast(dict[str, str], await self.redis.hgetall(name))
            out[str(name).rsplit(":", 1)[-1]] = {k: int(v) for k, v in raw.items()}
        return out

    async def erase_user(self, uid: int) -> None:
        """The user's pending updates and lease (the seen markers name no one)."""
        ids = cast(list[str], await self.redis.zrange(self._k("q", uid), 0, -1))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._k("q", uid), self._k("lease", uid), *(self._k("u", i) for i in ids))
            pipe.srem(self.keys_key, uid)
            await pipe.execute()

    async def export_user(self, uid: int) -> dict[str, Any]:
        """How many of the user's updates wait to be handled (their content is the user's
        own messages, exported by their owners once handled)."""
        return {"pending_updates": int(await self.redis.zcard(self._k("q", uid)))}


class AlreadySent(NetworkError):
    """A call a killed process claimed, with no recorded result: it may have reached
    Telegram, so it is not made again."""


class OnceRateLimiter(RedisRateLimiter):
    """The shared limiter, plus: while an inbox update is handled, each Bot API call that
    changes something is made once per update, whichever process handles it again."""

    def __init__(self, redis: Redis, bot_id: int | str, *, prefix: str, **kw: Any) -> None:
        super().__init__(redis, bot_id, prefix=prefix, **kw)
        self._once_prefix = prefix

    async def process_request(
        self,
        callback: ApiCall,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> ApiResult:
        handling = HANDLING.get()
        if handling is None or endpoint.lower().startswith("get"):
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        update_id, counter = handling
        counter[0] += 1
        key = f"{self._once_prefix}in:sent:{update_id}:{counter[0]}"
        redis = self._redis

        async def once(*a: Any, **kw: Any) -> ApiResult:
            # Claimed after the limiter let it through, right before it leaves.
            if not await redis.set(key, "", nx=True, ex=SEEN_TTL):
                recorded = cast(str | None, await redis.get(key))
                if recorded:
                    return cast(ApiResult, json.loads(recorded))
                raise AlreadySent(f"{endpoint} was sent by a process that stopped")
            try:
                result = await callback(*a, **kw)
            except NetworkError:
                raise  # it may have arrived: keep the claim
            except TelegramError:
                await redis.delete(key)  # Telegram refused it: nothing was sent
                raise
            await redis.set(key, json.dumps(result), ex=SEEN_TTL)
            return result

        return await super().process_request(once, args, kwargs, endpoint, data, rate_limit_args)
