"""Prometheus metrics of this process (the bot, or one worker), in one registry.

The places that see things happen record them here: the update processor (``app``), the
one sender (``sending``: Bot API calls, 429s, limiter waits), translation (``argos``: engine
latency, cache hits). What lives in Redis (queue depths, failed jobs, open questions) is
read at scrape time by ``ops.metrics``, which also serves ``/metrics``. Workers are RQ
``SimpleWorker``s (jobs run in the worker's own process), so a plain per-process registry
is right: no multiprocess mode.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter(
    "tgs_updates", "Updates handled, by type.", ["type"], registry=REGISTRY
)
HANDLER_SECONDS = Histogram(
    "tgs_handler_seconds", "Time to handle one update (every handler group), by type.",
    ["type"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)  # fmt: skip
API_CALLS = Counter(
    "tgs_bot_api_calls", "Bot API requests made, by method.", ["method"], registry=REGISTRY
)
API_429 = Counter(
    "tgs_bot_api_429", "Bot API requests Telegram answered with 429 (retry_after), by method.",
    ["method"], registry=REGISTRY,
)  # fmt: skip
LIMITER_WAITS = Counter(
    "tgs_limiter_waits", "Times a Bot API call waited for the shared rate limiter.",
    registry=REGISTRY,
)  # fmt: skip
LIMITER_WAIT_SECONDS = Counter(
    "tgs_limiter_wait_seconds", "Seconds Bot API calls spent waiting for the rate limiter.",
    registry=REGISTRY,
)  # fmt: skip
TRANSLATION_SECONDS = Histogram(
    "tgs_translation_seconds", "Time the translation engine took for one batch (cache misses).",
    registry=REGISTRY, buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)  # fmt: skip
TRANSLATION_CACHE = Counter(
    "tgs_translation_cache", "Translation cache lookups, by result (hit, miss).", ["result"],
    registry=REGISTRY,
)  # fmt: skip

_UPDATE_KINDS = (
    "message", "edited_message", "callback_query", "my_chat_member", "chat_member",
    "channel_post", "inline_query", "chat_join_request", "message_reaction",
)  # fmt: skip


def update_type(update: object) -> str:
    """The update's kind (``message``, ``callback_query``, ...), ``command`` for a /command."""
    for kind in _UPDATE_KINDS:
        value = getattr(update, kind, None)
        if value is not None:
            text = getattr(value, "text", None) if kind == "message" else None
            return "command" if isinstance(text, str) and text.startswith("/") else kind
    return "other"


@contextmanager
def handling(update: object) -> Iterator[None]:
    """Count an update and time its handling (errors included: they are handled too)."""
    kind = update_type(update)
    start = time.perf_counter()
    try:
        yield
    finally:
        UPDATES.labels(kind).inc()
        HANDLER_SECONDS.labels(kind).observe(time.perf_counter() - start)
