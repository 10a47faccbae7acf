"""Two bot processes on one emulator and one Redis, as behind a load balancer.

Two real PTB ``Application``s of tg-support (each with its own Redis connections and its
own per-user ordering) share the emulator's update stream: a pump takes the updates with
``getUpdates`` over HTTP and hands them to the two applications in turn, so consecutive
updates of one user are handled by different processes at the same time. Nothing is
shared between the two applications but Redis and the emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from telegram import Update

from tests.conftest import TEST_TOKEN, make_settings


async def _pump(sandbox_url: str, apps: list[Any], stop: asyncio.Event) -> None:
    offset = 0
    turn = 0
    url = f"{sandbox_url}/bot{TEST_TOKEN}/getUpdates"
    async with aiohttp.ClientSession() as http:
        while not stop.is_set():
            params = {"offset": offset, "timeout": 0.5}
            async with http.post(url, json=params) as resp:
                body = await resp.json()
            for raw in body.get("result", []):
                offset = max(offset, int(raw["update_id"]) + 1)
                app = apps[turn % len(apps)]
                turn += 1
                # Deserialized with the bot of the application that handles it: its
                # answers and edits go out through that process's own connections.
                await app.update_queue.put(Update.de_json(raw, app.bot))


@contextlib.asynccontextmanager
async def two_bots(sandbox: Any, redis_url: str, **overrides: Any) -> AsyncIterator[list[Any]]:
    from tg_support.app import build_application

    apps = [
        build_application(make_settings(sandbox.url, redis_url, **overrides), redis_url)
        for _ in range(2)
    ]
    for app in apps:
        await app.initialize()
        await app.start()
    stop = asyncio.Event()
    pump = asyncio.create_task(_pump(sandbox.url, apps, stop))
    try:
        yield apps
    finally:
        stop.set()
        await asyncio.wait_for(pump, 10)
        for app in apps:
            await app.stop()
            if app.post_shutdown:
                await app.post_shutdown(app)
            await app.shutdown()
