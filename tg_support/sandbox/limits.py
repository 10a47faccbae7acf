"""Flood limits: token buckets per bot (global) and per (bot, chat).

Telegram's documented limits: about 30 messages per second overall, one message per second
in a private chat (short bursts are tolerated) and 20 messages per minute in a group.

Which calls count:

* sending methods (``sendMessage``, ``sendPhoto``, ``sendDocument``, ``copyMessage``,
  ``forwardMessage``, ``sendMediaGroup`` …) take a token from the bot's global bucket and
  from the chat's bucket;
* edits (``editMessageText`` …) take a token from the chat bucket in groups only (Telegram
  counts edits towards the group limit; in private chats they are free here);
* nothing else (``getUpdates``, ``answerCallbackQuery``, ``getChat`` …) is limited.

``scale`` multiplies every *rate* (not the burst sizes): ``scale=10`` allows 300 messages
per second overall, 10 per second per private chat and 200 per minute per group.

``retry_after`` is an integer ≥ 1 (as Telegram sends it) while ``scale <= 1``; with
``scale > 1`` it is a float rounded up to 0.01 s (python-telegram-bot accepts both), so
accelerated benchmarks are not slowed down by whole-second waits.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Limits:
    """Flood-limit configuration. ``enabled=False`` turns every check off."""

    enabled: bool = True
    scale: float = 1.0
    global_per_second: float = 30.0
    global_burst: float = 30.0
    private_per_second: float = 1.0
    private_burst: float = 3.0
    group_per_minute: float = 20.0
    group_burst: float = 10.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if key not in self.__dataclass_fields__:
                raise ValueError(f"unknown limit {key!r}")
            setattr(self, key, bool(value) if key == "enabled" else float(value))


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self, now: float) -> float:
        self.refill(now)
        if self.tokens >= 1.0:
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (1.0 - self.tokens) / self.rate


@dataclass
class FloodControl:
    """All buckets for the whole sandbox; keyed by bot id and (bot id, chat id)."""

    limits: Limits
    _global: dict[int, TokenBucket] = field(default_factory=dict)
    _chats: dict[tuple[int, int], TokenBucket] = field(default_factory=dict)

    def reset(self) -> None:
        self._global.clear()
        self._chats.clear()

    def _bucket(self, rate: float, burst: float, now: float) -> TokenBucket:
        return TokenBucket(rate * self.limits.scale, max(burst, 1.0), max(burst, 1.0), now)

    def _global_bucket(self, bot_id: int, now: float) -> TokenBucket:
        bucket = self._global.get(bot_id)
        lim = self.limits
        rate = lim.global_per_second * lim.scale
        if bucket is None:
            bucket = self._global[bot_id] = self._bucket(
                lim.global_per_second, lim.global_burst, now
            )
        elif bucket.rate != rate:  # limits changed at runtime
            bucket.refill(now)
            bucket.rate, bucket.capacity = rate, max(lim.global_burst, 1.0)
        return bucket

    def _chat_bucket(self, bot_id: int, chat_id: int, is_group: bool, now: float) -> TokenBucket:
        lim = self.limits
        if is_group:
            per_s, burst = lim.group_per_minute / 60.0, lim.group_burst
        else:
            per_s, burst = lim.private_per_second, lim.private_burst
        key = (bot_id, chat_id)
        bucket = self._chats.get(key)
        if bucket is None:
            bucket = self._chats[key] = self._bucket(per_s, burst, now)
        elif bucket.rate != per_s * lim.scale:
            bucket.refill(now)
            bucket.rate, bucket.capacity = per_s * lim.scale, max(burst, 1.0)
        return bucket

    def check(
        self, bot_id: int, chat_id: int, is_group: bool, now: float, count_global: bool = True
    ) -> float | int | None:
        """Take a token from each relevant bucket, or return ``retry_after`` without taking any."""
        if not self.limits.enabled:
            return None
        buckets = [self._chat_bucket(bot_id, chat_id, is_group, now)]
        if count_global:
            buckets.append(self._global_bucket(bot_id, now))
        wait = max(b.wait_time(now) for b in buckets)
        if wait > 0:
            return self.retry_after(wait)
        for b in buckets:
            b.tokens -= 1.0
        return None

    def retry_after(self, wait: float) -> float | int:
        if math.isinf(wait):
            return 3600
        if self.limits.scale > 1:
            return max(0.01, math.ceil(wait * 100) / 100)
        return max(1, math.ceil(wait))
