"""Webhook mode for one of several bot processes behind one URL (a reverse proxy).

Every process is stateless: an update is admitted to the user's inbox in Redis
(``core.inbox``) before the webhook answers 200, then handled by whichever process holds
that user's lease, in ``update_id`` order. So an edit never overtakes its message and
two onboarding steps never interleave, however the proxy spreads the requests; a
redelivered update is handled once; and when a process dies, the others finish its users'
updates once its lease has run out (each process sweeps the users with pending updates).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
from collections.abc import Callable
from typing import Any

from aiohttp import web
from telegram import Update

from tg_support.config import Settings
from tg_support.core.inbox import HANDLING, Inbox, LeaseLost
from tg_support.core.services import Services

log = logging.getLogger(__name__)

LEASE_S = 5.0  # a dead process's users wait at most this long for another process
SWEEP_S = 1.0
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class InboxRunner:
    """Admits updates at the webhook and drains users' queues into ``app``."""

    def __init__(self, app: Any, inbox: Inbox, *, in_flight: int = 32) -> None:
        self.app = app
        self.inbox = inbox
        self._slots = asyncio.Semaphore(in_flight)
        self._draining: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()  # woken while its drain was finishing
        self._stopping = False

    def key_of(self, update: Update) -> int:
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
        return 0

    async def admit(self, body: bytes) -> bool:
        """Queue one webhook body; False for a redelivery. Raises on bad JSON."""
        data = json.loads(body)
        update = Update.de_json(data, self.app.bot)
        key = self.key_of(update)
        fresh = await self.inbox.admit(key, update.update_id, body.decode())
        self.wake(key)
        return fresh

    def wake(self, key: int) -> None:
        if self._stopping:
            return
        if key in self._draining:
            self._again.add(key)  # the drain may be letting go right now: look again after
            return
        task = asyncio.get_running_loop().create_task(self._drain(key))
        self._draining[key] = task
        task.add_done_callback(lambda _t: self._drained(key))

    def _drained(self, key: int) -> None:
        self._draining.pop(key, None)
        if key in self._again:
            self._again.discard(key)
            self.wake(key)

    async def _drain(self, key: int) -> None:
        token = await self.inbox.acquire(key, LEASE_S)
        if token is None:
            return  # another process drains this user
        renew = asyncio.get_running_loop().create_task(self._renew(key, token))
        handled: int | None = None
        try:
            while True:
                nxt = await self.inbox.step(key, token, LEASE_S, handled)
                if nxt is None:
                    return  # empty, and the lease is let go
                if self._stopping:
                    await self.inbox.hand_over(key, token)  # the rest: another process
                    return
                update_id, body = nxt
                if body is not None:
                    async with self._slots:
                        await self._handle(update_id, body)
                handled = update_id
        except LeaseLost:
            log.warning("lost the lease of a user's updates; another process goes on")
        finally:
            renew.cancel()

    async def _renew(self, key: int, token: str) -> None:
        alive = True
        while alive:
            await asyncio.sleep(LEASE_S / 3)
            alive = await self.inbox.renew(key, token, LEASE_S)

    async def _handle(self, update_id: int, body: str) -> None:
        marker = HANDLING.set((update_id, [0]))  # its Bot API calls are made once
        try:
            update = Update.de_json(json.loads(body), self.app.bot)
            await self.app.process_update(update)
        except Exception:  # the error handler saw handler errors; this is the rest
            log.exception("an update could not be handled")
        finally:
            HANDLING.reset(marker)

    async def sweep(self) -> None:
        """Take over users whose updates wait with no live drainer (a dead process)."""
        while not self._stopping:
            await asyncio.sleep(SWEEP_S)
            try:
                for key in await self.inbox.pending_keys(64):
                    self.wake(key)
            except Exception:
                log.exception("the inbox sweep failed; trying again")

    async def stop(self, grace: float) -> None:
        """Finish the updates in hand; the rest stay queued for the other processes."""
        self._stopping = True
        tasks = list(self._draining.values())
        if tasks:
            await asyncio.wait(tasks, timeout=grace)


def web_app(runner: InboxRunner, secret: str | None) -> web.Application:
    async def on_update(request: web.Request) -> web.Response:
        if secret is not None and request.headers.get(SECRET_HEADER) != secret:
            return web.Response(status=403)
        try:
            await runner.admit(await request.read())
        except (ValueError, KeyError, TypeError):
            log.warning("a webhook request was not an update")
            return web.Response(status=400)
        return web.Response(text="ok")

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/telegram", on_update)
    app.router.add_get("/telegram/health", health)
    return app


async def serve(
    app: Any, settings: Settings, on_stop: Callable[[], None] | None = None
) -> None:
    """Run until SIGTERM or SIGINT: set the webhook, admit and drain updates. On the signal,
    ``on_stop`` runs at once and in-flight updates get STOP_TIMEOUT_SECONDS; what is left
    stays in the inbox for the other processes (or the next start)."""
    services: Services = app.bot_data["services"]
    name = f"{socket.gethostname()}-{os.getpid()}"
    inbox = Inbox(services.redis, settings.redis_prefix, process=name)
    runner = InboxRunner(app, inbox)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    site_runner = web.AppRunner(web_app(runner, secret), access_log=None)
    await site_runner.setup()
    site = web.TCPSite(site_runner, settings.webhook_listen, settings.webhook_port)
    await site.start()
    await app.bot.set_webhook(
        f"{settings.webhook_url}/telegram", secret_token=secret,
        allowed_updates=Update.ALL_TYPES, max_connections=100,
    )  # fmt: skip
    sweeper = asyncio.get_running_loop().create_task(runner.sweep())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        stop.set()
        if on_stop is not None:
            on_stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    log.info("webhook: %s listening on %s:%s", name, settings.webhook_listen, settings.webhook_port)
    try:
        await stop.wait()
    finally:
        await site_runner.cleanup()  # no new updates here: the proxy sends them elsewhere
        await runner.stop(grace=settings.stop_timeout_seconds)
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await app.stop()
        if app.post_shutdown:
            await app.post_shutdown(app)
        await app.shutdown()


def run_webhook(app: Any, settings: Settings, on_stop: Callable[[], None] | None = None) -> None:
    asyncio.run(serve(app, settings, on_stop))
