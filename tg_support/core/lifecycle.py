"""Running the bot until SIGTERM or SIGINT, and stopping it within a bound.

PTB's ``run_polling`` stops by handling *every* update already fetched, however many a
burst left in its queue, each waiting on its chat's rate limit: a bot told to stop kept
working for minutes. :func:`serve` stops in three steps instead, within
``STOP_TIMEOUT_SECONDS``:

1. no more updates: the long poll is cancelled (or the webhook server closed) and what was
   fetched is acknowledged to Telegram, which is safe because it is in the inbox
   (``core.update_inbox``);
2. handlers already running finish; updates not started yet are skipped and stay in the
   inbox; handlers still running at the deadline are cancelled and stay there too;
3. the application shuts down; the next start (of any bot process) handles the inbox first.

A second signal skips the wait of step 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, BaseUpdateProcessor

from tg_support.core import metrics
from tg_support.core.update_inbox import ADOPT_EVERY, ALIVE_EVERY, InboxQueue, UpdateInbox

log = logging.getLogger(__name__)

AnyApp = Application[Any, Any, Any, Any, Any, Any]
POLL_TIMEOUT = 10
REDIS_RETRIES = 5  # after 2, 4, ... 32 s
# Of the stop timeout, what is kept for shutting down after the running handlers (closing
# connections; in the demo, the emulator and the worker's own teardown).
STOP_MARGIN = 4.0


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across users, in order for each user; stoppable within a bound.

    One learner's button presses must be handled in the order they were made, while one
    slow chat (waiting on its rate limit) must not hold up everybody else. A handled update
    leaves the inbox; once :meth:`drain` began, updates not started are left there."""

    def __init__(self, max_concurrent_updates: int = 32, inbox: UpdateInbox | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self.inbox = inbox
        self.stopping = False
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._users: defaultdict[int, int] = defaultdict(int)
        self._running: set[asyncio.Task[Any]] = set()
        # Updates whose handler failed because Redis was away: handled again a little later
        # (they stay in the inbox meanwhile); ``requeue`` is set by ``serve``.
        self._retry: dict[int, int] = {}
        self._failed: set[int] = set()
        self.requeue: Callable[[object], None] | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = 0
        if isinstance(update, Update) and update.effective_user is not None:
            key = update.effective_user.id
        elif isinstance(update, Update) and update.effective_chat is not None:
            key = update.effective_chat.id
        self._users[key] += 1
        try:
            async with self._locks[key]:
                if self.stopping:
                    _close(coroutine)
                    return
                task = asyncio.current_task()
                assert task is not None
                self._running.add(task)
                try:
                    with metrics.handling(update):
                        await coroutine
                except asyncio.CancelledError:
                    raise  # interrupted: it stays in the inbox for the next start
                except Exception:
                    # PTB hands handler errors to the error handler; what escapes is a bug
                    # that would fail again on every replay, so the update is dropped.
                    await self._done(update)
                    raise
                finally:
                    self._running.discard(task)
                if not self._again(update):
                    await self._done(update)
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                self._locks.pop(key, None)

    def redis_failed(self, update: object) -> None:
        """The update's handler failed on a Redis connection: handle it again shortly."""
        if isinstance(update, Update):
            self._failed.add(update.update_id)

    def _again(self, update: object) -> bool:
        if not isinstance(update, Update) or update.update_id not in self._failed:
            return False
        self._failed.discard(update.update_id)
        tries = self._retry.get(update.update_id, 0) + 1
        if tries > REDIS_RETRIES or self.requeue is None or self.stopping:
            self._retry.pop(update.update_id, None)
            return self.stopping  # left in the inbox for the next start, or given up
        self._retry[update.update_id] = tries
        requeue = self.requeue
        asyncio.get_running_loop().call_later(2.0**tries, lambda: requeue(update))
        log.warning("update %s: Redis away, handling it again (try %d)", update.update_id, tries)
        return True

    async def _done(self, update: object) -> None:
        if self.inbox is not None and isinstance(update, Update):
            await self.inbox.done(update.update_id)

    @property
    def running(self) -> int:
        return len(self._running)

    async def drain(self, seconds: float) -> int:
        """Stop starting updates; wait up to ``seconds`` for the running ones, then cancel
        the rest. Returns how many were cancelled."""
        self.stopping = True
        deadline = time.monotonic() + max(0.0, seconds)
        while self._running and time.monotonic() < deadline:
            await asyncio.wait(set(self._running), timeout=deadline - time.monotonic())
        late = list(self._running)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1.0)
        return len(late)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _close(coroutine: Awaitable[Any]) -> None:
    if isinstance(coroutine, Coroutine):
        coroutine.close()


async def serve(
    app: AnyApp,
    *,
    stop_timeout: float,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[], Any] | None = None,
    on_stop: Callable[[], Any] | None = None,
    poll_timeout: int = POLL_TIMEOUT,
) -> None:
    """Start ``app``, poll and handle updates until ``stop`` is set (SIGTERM and SIGINT set
    it), then stop within ``stop_timeout`` seconds (see the module docstring). Webhook mode
    has its own loop over the per-user webhook inbox (``tg_support.webhook``)."""
    stop = stop or asyncio.Event()
    hurry = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        (hurry if stop.is_set() else stop).set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    queue = app.update_queue
    processor = app.update_processor
    assert isinstance(queue, InboxQueue) and isinstance(processor, PerUserUpdateProcessor)
    inbox = queue.inbox
    processor.requeue = queue.put_nowait
    _first_error_handler(app, _redis_error_handler(processor))
    started = False
    try:
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.start()
        started = True
        await inbox.open()
        await _replay(app, queue)
        keeper = asyncio.create_task(_keep_alive(app, queue, stop))
        poller = asyncio.create_task(_poll(app, queue, stop, poll_timeout))
        if on_ready is not None:
            on_ready()
        await stop.wait()
        began = time.monotonic()
        log.info("stopping: no new updates; %d handlers running", processor.running)
        if on_stop is not None:
            on_stop()
        # 1. no new updates
        await poller
        keeper.cancel()
        # 2. running handlers finish (a second signal cuts this short); keep time for 3.
        budget = max(0.0, stop_timeout - (time.monotonic() - began) - STOP_MARGIN)
        drain = asyncio.create_task(processor.drain(budget))
        hurried = asyncio.create_task(hurry.wait())
        await asyncio.wait({drain, hurried}, return_when=asyncio.FIRST_COMPLETED)
        if not drain.done():
            processor.stopping = True
            drain.cancel()
            await asyncio.gather(drain, return_exceptions=True)
            cancelled = await processor.drain(0)
        else:
            cancelled = drain.result()
        hurried.cancel()
        # 3. shut down; what is left is in the inbox.
        await app.stop()
        left = await inbox.close()
        log.info(
            "stopped in %.1fs: %d handlers cancelled, %d updates left in the inbox",
            time.monotonic() - began, cancelled, left,
        )  # fmt: skip
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        with contextlib.suppress(Exception):
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if started and app.running:
                await app.stop()
            if app.post_stop:
                await app.post_stop(app)
            await app.shutdown()
            if app.post_shutdown:
                await app.post_shutdown(app)


def _redis_error_handler(
    processor: PerUserUpdateProcessor,
) -> Callable[[object, Any], Coroutine[Any, Any, None]]:
    async def on_redis_error(update: object, context: Any) -> None:
        """A handler failed because Redis is away (restarting, failing over): nothing can be
        told to the user (sending needs Redis too); the update is handled again."""
        if isinstance(context.error, RedisConnectionError | RedisTimeoutError):
            processor.redis_failed(update)
            raise ApplicationHandlerStop

    return on_redis_error


def _first_error_handler(
    app: AnyApp, callback: Callable[[object, Any], Coroutine[Any, Any, None]]
) -> None:
    others = dict(app.error_handlers)
    app.error_handlers.clear()
    app.add_error_handler(callback)
    app.error_handlers.update(others)


async def _replay(app: AnyApp, queue: InboxQueue) -> int:
    """Queue what earlier processes left in their inboxes (now in ours), oldest first."""
    raws = await queue.inbox.adopt()
    for raw in raws:
        update = Update.de_json(raw, app.bot)
        if update is not None:
            queue.put_nowait(update)
    if raws:
        log.info("inbox: handling %d updates left by an earlier run", len(raws))
    return len(raws)


async def _keep_alive(app: AnyApp, queue: InboxQueue, stop: asyncio.Event) -> None:
    last_adopt = time.monotonic()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), ALIVE_EVERY)
        if stop.is_set():
            return
        try:
            await queue.inbox.keep_alive()
            if time.monotonic() - last_adopt >= ADOPT_EVERY:
                last_adopt = time.monotonic()
                await _replay(app, queue)
        except Exception:  # Redis away for a moment: the next round tries again
            log.warning("inbox: could not refresh", exc_info=True)


async def _wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _fetch(app: AnyApp, offset: int, long_poll: int) -> list[dict[str, Any]]:
    """One long poll, as Bot API JSON: PTB's ``get_updates`` fails the whole batch (and
    acknowledges none of it, so it comes back forever) when one update does not parse."""
    data = {"offset": offset or None, "timeout": long_poll, "allowed_updates": Update.ALL_TYPES}
    raws = await app.bot._post("getUpdates", data, read_timeout=long_poll + 10)
    return [r for r in raws if isinstance(r, dict) and isinstance(r.get("update_id"), int)]


def _read(app: AnyApp, raw: dict[str, Any]) -> Update | None:
    """The update, or None (logged) when it is not one Telegram would send."""
    try:
        update = Update.de_json(raw, app.bot)
    except Exception as exc:
        log.warning("polling: dropped update %s that does not parse (%s)", raw["update_id"], exc)
        return None
    problem = _malformed(update)
    if problem:
        log.warning("polling: dropped malformed update %s (%s)", raw["update_id"], problem)
        return None
    return update


def _malformed(update: Update) -> str | None:
    """What PTB accepts but no handler should have to check: fields of the wrong type."""
    msg = update.effective_message
    if msg is not None:
        for name in ("text", "caption"):
            value = getattr(msg, name)
            if value is not None and not isinstance(value, str):
                return f"message {name} is not a string"
    member = update.my_chat_member or update.chat_member
    if member is not None and (member.new_chat_member is None or member.chat is None):
        return "chat member update without its members"
    query = update.callback_query
    if query is not None and query.data is not None and not isinstance(query.data, str):
        return "callback data is not a string"
    if query is not None and query.message is None and query.inline_message_id is None:
        return "callback query from no message"
    return None


async def _poll(app: AnyApp, queue: InboxQueue, stop: asyncio.Event, long_poll: int) -> None:
    """Long polling whose fetched updates reach the inbox before they are acknowledged.

    Only the long poll itself is ever cancelled, never the writing of a batch, so an update
    is either still unacknowledged at Telegram or in the inbox."""
    offset = 0
    with contextlib.suppress(TelegramError):
        await app.bot.delete_webhook()
    while not stop.is_set():
        fetch = asyncio.ensure_future(_fetch(app, offset, long_poll))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not fetch.done():
            fetch.cancel()
            await asyncio.gather(fetch, return_exceptions=True)
            break
        stopped.cancel()
        try:
            raws = fetch.result()
        except RetryAfter as exc:
            wait = exc.retry_after
            await _wait_or_stop(stop, wait if isinstance(wait, int) else wait.total_seconds())
            continue
        except Exception as exc:  # network or Telegram: PTB's loop also just tries again
            log.warning("polling: %s", exc.__class__.__name__, exc_info=True)
            await _wait_or_stop(stop, 1.0)
            continue
        if not raws:
            continue
        parsed = [(raw, _read(app, raw)) for raw in raws]
        try:
            await queue.inbox.add([raw for raw, update in parsed if update is not None])
        except Exception:  # not written: not acknowledged either, they come again
            log.warning("inbox: could not write a batch; fetching it again", exc_info=True)
            await _wait_or_stop(stop, 1.0)
            continue
        for _, update in parsed:
            if update is not None:
                queue.put_nowait(update)
        offset = raws[-1]["update_id"] + 1
    if offset:
        try:  # acknowledge what was fetched: it is in the inbox
            await app.bot.get_updates(offset=offset, timeout=0, limit=1)
        except Exception:
            log.warning("polling: could not acknowledge the last updates", exc_info=True)
