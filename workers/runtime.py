"""What a job needs, built inside the job: settings from the environment, Redis, a Bot.

RQ job functions are synchronous; each runs its coroutine with ``asyncio.run`` and builds
its clients inside that loop (asyncio clients cannot cross event loops). The Bot uses the
same Redis-backed rate limiter as the bot process: there is one sender.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from telegram.ext import ExtBot

from tg_support.config import ConfigError, Settings, load_settings
from tg_support.core.bot import make_bot
from tg_support.core.redis_conn import async_client
from tg_support.core.sending import RateLimitArgs
from tg_support.core.store import Store

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    store: Store
    bot: ExtBot[RateLimitArgs]


@asynccontextmanager
async def runtime() -> AsyncIterator[Runtime]:
    settings = load_settings()
    if not settings.redis_url:
        raise ConfigError("REDIS_URL: workers must share the bot's Redis")
    redis = async_client(settings.redis_url)
    bot = make_bot(settings, redis)
    await bot.initialize()
    try:
        yield Runtime(settings=settings, store=Store(redis, settings.redis_prefix), bot=bot)
    finally:
        await bot.shutdown()
        await redis.aclose()


def run(fn: Callable[[Runtime], Awaitable[T]]) -> T:
    async def main() -> T:
        async with runtime() as rt:
            return await fn(rt)

    return asyncio.run(main())
