"""The one way out to Telegram.

Every Bot API call of the bot and of the workers goes through a PTB ``Bot`` built with
:class:`RedisRateLimiter`, so Telegram's limits are token buckets shared in Redis by every
process: about 30 messages/s overall, 1/s per private chat (with a small burst), 20/min per
group. A ``RetryAfter`` from Telegram puts the chat (or the whole bot) on hold for every
process, and the call is retried after it. Low-priority calls (broadcasts, passed with
``rate_limit_args={"priority": "low"}``) leave a reserve of the global bucket to interactive
traffic, so replies to learners are never starved.

:func:`send_once` records what was sent under a caller-chosen key, so a retried job does not
send twice.

Key patterns (``{p}`` is the prefix; the ``{bot}`` hash tag keeps one bot's buckets in one
Redis Cluster slot so the Lua script may touch them together):

==============================  ======  ==================================================
``{p}rl:{bot}:global``          hash    global bucket: tokens, ts
``{p}rl:{bot}:chat:{chat_id}``  hash    per-chat bucket
``{p}rl:{bot}:hold:global``     string  set (with PTTL) while Telegram asked the bot to wait
``{p}rl:{bot}:hold:{chat_id}``  string  set while Telegram asked us to wait for that chat
``{p}sent:{key}``               string  message id (or ``pending``) of an idempotent send;
                                        noted in the trail of the private chat it went to
                                        and of the people it is about (``core.trail``)
==============================  ======  ==================================================
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from redis.asyncio import Redis
from redis.exceptions import NoScriptError
from telegram import Message
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from tg_support.core import metrics, trail
from tg_support.core.batching import Batcher

log = logging.getLogger(__name__)

Priority = Literal["high", "low"]


class RateLimitArgs(TypedDict, total=False):
    priority: Priority
    # Called after the rate limit granted the call and right before the request goes out
    # (again before each retry); returning False cancels the call with SendCancelled. It
    # lets a caller record "sending" with the smallest possible window (see ``broadcast``).
    before_send: Callable[[], Awaitable[bool]]


class SendCancelled(Exception):
    """A ``before_send`` hook refused the call: nothing was sent."""


# Endpoints that create messages count against the global and the per-chat buckets.
_SENDING = frozenset(
    {
        "sendmessage", "sendphoto", "senddocument", "sendvideo", "sendaudio", "sendvoice",
        "sendanimation", "sendsticker", "sendmediagroup", "sendlocation", "sendvenue",
        "sendcontact", "sendpoll", "senddice", "sendvideonote", "copymessage", "copymessages",
        "forwardmessage", "forwardmessages",
    }
)  # fmt: skip
# Edits do not count globally but Telegram does throttle them per group.
_EDITING = frozenset({"editmessagetext", "editmessagecaption", "editmessagereplymarkup"})

# KEYS: holds (2) then buckets; ARGV: n_buckets, then rate, capacity, reserve per bucket.
# Returns "0" when a token was taken from every bucket, else the seconds to wait.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local wait = 0
for i = 1, 2 do
  local ms = redis.call('PTTL', KEYS[i])
  if ms > 0 and ms / 1000 > wait then wait = ms / 1000 end
end
if wait > 0 then return tostring(wait) end
local n = tonumber(ARGV[1])
local tokens = {}
for i = 1, n do
  local rate = tonumber(ARGV[2 + (i - 1) * 3])
  local cap = tonumber(ARGV[3 + (i - 1) * 3])
  local reserve = tonumber(ARGV[4 + (i - 1) * 3])
  local b = redis.call('HMGET', KEYS[2 + i], 'tokens', 'ts')
  local tk = tonumber(b[1])
  local ts = tonumber(b[2])
  if tk == nil or ts == nil then tk = cap ts = now end
  tk = math.min(cap, tk + math.max(0, now - ts) * rate)
  tokens[i] = tk
  if tk < 1 + reserve then
    local w = (1 + reserve - tk) / rate
    if w > wait then wait = w end
  end
end
if wait > 0 then return tostring(wait) end
for i = 1, n do
  local rate = tonumber(ARGV[2 + (i - 1) * 3])
  local cap = tonumber(ARGV[3 + (i - 1) * 3])
  redis.call('HSET', KEYS[2 + i], 'tokens', tostring(tokens[i] - 1), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[2 + i], math.ceil(cap / rate * 1000) + 1000)
end
return "0"
"""


# What PTB hands a rate limiter: the Bot API call to make, and what it returns.
ApiResult = bool | dict[str, Any] | list[dict[str, Any]]
ApiCall = Callable[..., Coroutine[Any, Any, ApiResult]]

# One bucket check: the script's keys and arguments.
_Take = tuple[list[str], list[float]]


@dataclass(frozen=True)
class SendLimits:
    """Our buckets, a little inside Telegram's: a message is counted here when the bucket
    grants it but by Telegram when it arrives, and arrival delays vary (a busy event loop,
    the network). A bucket one message smaller than Telegram's per chat, with one send to a
    chat in flight at a time per process, can never exceed Telegram's, whatever the delays:
    of the messages arriving in any window, all but the first were granted inside it.

    The global bucket works the same way with ``global_in_flight`` sends granted but not yet
    answered per process: the messages arriving in a window were granted inside it or were
    in flight when it began, so two processes (the bot and a worker) with 10 each and a burst
    of 10 stay within Telegram's 30, however long a busy host holds a granted send back."""

    global_per_second: float = 30.0
    global_burst: int = 10
    global_in_flight: int = 10
    private_per_second: float = 1.0
    private_burst: int = 2
    group_per_minute: float = 20.0
    group_burst: int = 5
    interactive_reserve: float = 0.2
    max_retries: int = 5


class RedisRateLimiter(BaseRateLimiter[RateLimitArgs]):
    """PTB rate limiter whose buckets live in Redis, shared by every bot and worker process."""

    def __init__(self, redis: Redis, bot_id: int | str, *, prefix: str, limits: SendLimits) -> None:
        self._redis = redis
        self._limits = limits
        self._base = f"{prefix}rl:{{{bot_id}}}:"
        self._take = redis.register_script(_TAKE)
        # Concurrent sends check their buckets in one round trip (the script runs once per
        # send, in order, exactly as if each had been sent alone).
        self._taker: Batcher[_Take, Any] = Batcher(self._take_many)
        # One send in flight per chat (see SendLimits); counted so idle chats are dropped.
        self._chat_locks: dict[int, tuple[asyncio.Lock, int]] = {}
        # Sends granted by the global bucket and not yet answered (see SendLimits).
        self._in_flight = asyncio.Semaphore(max(1, limits.global_in_flight))

    @staticmethod
    def keys_of_chat(prefix: str, bot_id: int | str, chat_id: int) -> list[str]:
        """The keys that name one chat: its bucket and its hold."""
        base = f"{prefix}rl:{{{bot_id}}}:"
        return [f"{base}chat:{chat_id}", f"{base}hold:{chat_id}"]

    @classmethod
    async def erase_chat(cls, redis: Redis, prefix: str, bot_id: int | str, chat_id: int) -> None:
        await redis.delete(*cls.keys_of_chat(prefix, bot_id, chat_id))

    async def initialize(self) -> None:
        """Nothing to prepare: state is in Redis."""

    async def shutdown(self) -> None:
        """Nothing to release: the Redis client belongs to the caller."""

    def _buckets(
        self, endpoint: str, chat_id: int | None, priority: Priority
    ) -> tuple[list[str], list[float]]:
        keys: list[str] = []
        args: list[float] = []
        lim = self._limits
        name = endpoint.lower()
        if name in _SENDING:
            cap = float(max(1, lim.global_burst))
            reserve = cap * lim.interactive_reserve if priority == "low" else 0.0
            keys.append(self._base + "global")
            args += [lim.global_per_second, cap, reserve]
        if chat_id is not None and _chat_limited(name, chat_id):
            keys.append(f"{self._base}chat:{chat_id}")
            if chat_id < 0:
                args += [lim.group_per_minute / 60.0, float(lim.group_burst), 0.0]
            else:
                args += [lim.private_per_second, float(lim.private_burst), 0.0]
        return keys, args

    async def _acquire(self, endpoint: str, chat_id: int | None, priority: Priority) -> bool:
        """Wait for the call's tokens; True when it holds one of the in-flight slots, which
        the caller releases once the call is answered. A slot is held only while trying and
        after a grant, never while sleeping on a bucket."""
        keys, args = self._buckets(endpoint, chat_id, priority)
        if not keys:
            return False
        counted = endpoint.lower() in _SENDING
        holds = [self._base + "hold:global", f"{self._base}hold:{chat_id}"]
        while True:
            if counted:
                await self._in_flight.acquire()
            try:
                wait = float(await self._taker((holds + keys, [len(keys), *args])))
            except BaseException:
                if counted:
                    self._in_flight.release()
                raise
            if wait <= 0:
                return counted
            if counted:
                self._in_flight.release()
            metrics.LIMITER_WAITS.inc()
            metrics.LIMITER_WAIT_SECONDS.inc(min(wait, 60.0))
            await asyncio.sleep(min(wait, 60.0))

    async def _take_many(self, batch: list[_Take]) -> list[Any]:
        if len(batch) == 1:
            keys, args = batch[0]
            return [await self._take(keys=keys, args=args)]  # (loads the script if needed)
        results: list[Any] = [None] * len(batch)
        todo = list(range(len(batch)))
        for _ in range(2):
            async with self._redis.pipeline(transaction=False) as pipe:
                for i in todo:
                    keys, args = batch[i]
                    pipe.evalsha(self._take.sha, len(keys), *keys, *args)
                for i, result in zip(todo, await pipe.execute(raise_on_error=False), strict=True):
                    results[i] = result
            todo = [i for i in todo if isinstance(results[i], NoScriptError)]
            if not todo:
                break
            await self._redis.script_load(_TAKE)  # Redis restarted or flushed its scripts
        return results

    async def hold(self, chat_id: int | None, seconds: float) -> None:
        key = self._base + ("hold:global" if chat_id is None else f"hold:{chat_id}")
        await self._redis.set(key, "1", px=max(1, int(seconds * 1000)))

    async def process_request(
        self,
        callback: ApiCall,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> ApiResult:
        chat_id = _chat_id(data.get("chat_id"))
        if chat_id is None or not _chat_limited(endpoint, chat_id):
            return await self._send(callback, args, kwargs, endpoint, chat_id, rate_limit_args)
        lock, users = self._chat_locks.get(chat_id) or (asyncio.Lock(), 0)
        self._chat_locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                return await self._send(callback, args, kwargs, endpoint, chat_id, rate_limit_args)
        finally:
            lock, users = self._chat_locks[chat_id]
            if users <= 1:
                del self._chat_locks[chat_id]
            else:
                self._chat_locks[chat_id] = (lock, users - 1)

    async def _send(
        self,
        callback: ApiCall,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        chat_id: int | None,
        rate_limit_args: RateLimitArgs | None,
    ) -> ApiResult:
        priority: Priority = (rate_limit_args or {}).get("priority", "high")
        before_send = (rate_limit_args or {}).get("before_send")
        for attempt in range(self._limits.max_retries + 1):
            slot = await self._acquire(endpoint, chat_id, priority)
            try:
                if before_send is not None and not await before_send():
                    raise SendCancelled(endpoint)
                metrics.API_CALLS.labels(endpoint).inc()
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                metrics.API_429.labels(endpoint).inc()
                if attempt >= self._limits.max_retries:
                    raise
                delay = _seconds(exc.retry_after)
                log.warning(
                    "Telegram asked to wait %.1fs on %s (chat %s)", delay, endpoint, chat_id
                )
                await self.hold(chat_id, delay)
            finally:
                if slot:
                    self._in_flight.release()
        raise AssertionError("unreachable")  # pragma: no cover


def _chat_limited(endpoint: str, chat_id: int) -> bool:
    """Whether the call counts against its chat's bucket."""
    name = endpoint.lower()
    return name in _SENDING or (name in _EDITING and chat_id < 0)


def _chat_id(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None  # @channelusername or absent: only the global bucket applies


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


async def send_once(
    redis: Redis,
    prefix: str,
    key: str,
    send: Callable[[], Awaitable[Message]],
    *,
    lease: float | None = None,
    people: Iterable[int] = (),
) -> int | None:
    """Send at most once per ``key``; returns the message id, or None if sent before.

    A ``pending`` marker is taken before sending so two runs of the same job cannot both
    send; it is replaced by the message id after, and removed if the send failed so a
    retry may try again. If the process dies while sending, the marker stays: for 30 days
    by default (the message is never sent twice, and maybe never), or for ``lease`` seconds
    when given, after which a retry sends again (at least once; a duplicate only if the
    process died after Telegram accepted the message but before its id was stored).
    """
    k = f"{prefix}sent:{key}"
    month = 30 * 24 * 3600
    if not await redis.set(k, "pending", nx=True, ex=max(1, int(lease)) if lease else month):
        return None
    try:
        msg = await send()
    except BaseException:
        await redis.delete(k)
        raise
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(k, str(msg.message_id), ex=month)
        # The record names the recipient's chat or the message's subject (``people``): it
        # goes with them on /forget.
        trail.note_in(pipe, prefix, trail.people_of([msg.chat_id], people), [k], month)
        await pipe.execute()
    return msg.message_id


async def sent_message_id(redis: Redis, prefix: str, key: str) -> int | None:
    """The message id :func:`send_once` recorded under ``key`` (None while pending or never)."""
    raw = await redis.get(f"{prefix}sent:{key}")
    if isinstance(raw, bytes):
        raw = raw.decode()
    return int(raw) if raw and str(raw).lstrip("-").isdigit() else None


@dataclass(frozen=True)
class LimiterState:
    """What ``tg-support status`` shows of one bot's limiter (read, never changed)."""

    bot_id: str
    global_tokens: float | None  # as last written (refills with time); None: bucket idle
    global_hold: float  # seconds left on a bot-wide hold from Telegram (0: none)
    chat_holds: dict[int, float]  # chat id -> seconds left on its hold


def limiter_states(
    conn: Any, prefix: str, bot_ids: Iterable[str] = (), *, max_chats: int = 20
) -> list[LimiterState]:
    """The limiter state of ``bot_ids`` and of every bot with a live bucket (an idle bucket
    expires), from Redis (a synchronous client with decoded replies). It SCANs: for an
    operator's command, not for hot paths."""
    states = []
    found = {
        key[len(f"{prefix}rl:{{") : -len("}:global")]
        for key in conn.scan_iter(match=f"{prefix}rl:{{*}}:global", count=1000)
    }
    for bot_id in sorted(found | set(bot_ids)):
        base = f"{prefix}rl:{{{bot_id}}}:"
        tokens = conn.hget(f"{base}global", "tokens")
        holds: dict[int, float] = {}
        for hold in conn.scan_iter(match=f"{base}hold:*", count=1000):
            chat = hold[len(base) + len("hold:") :]
            ms = conn.pttl(hold)
            if chat.lstrip("-").isdigit() and ms > 0 and len(holds) < max_chats:
                holds[int(chat)] = ms / 1000
        ms = conn.pttl(f"{base}hold:global")
        states.append(
            LimiterState(bot_id, float(tokens) if tokens else None, max(ms, 0) / 1000, holds)
        )
    return states


class SendRecords:
    """What the sender keeps about one user: their chat's bucket and hold, and the records
    of idempotent sends to them or about them (through their trail)."""
    def __init__(self, redis: Redis, prefix: str, bot_id: int | str) -> None:
        self.redis = redis
        self.p = prefix
        self.bot_id = bot_id

    async def erase_user(self, uid: int) -> None:
        sent = await trail.Trail(self.redis, self.p).keys(uid, "sent:")
        await self.redis.delete(*RedisRateLimiter.keys_of_chat(self.p, self.bot_id, uid), *sent)

    async def export_user(self, uid: int) -> dict[str, Any]:
        """Nothing to read for a person: message ids and rate buckets only."""
        return {}
