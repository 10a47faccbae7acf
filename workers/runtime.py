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

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot

from tg_support.app import send_limits
from tg_support.config import ConfigError, Settings, load_settings
from tg_support.core.http import AiohttpRequest
from tg_support.core.redis_conn import async_client
from tg_support.core.sending import RateLimitArgs, RedisRateLimiter
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
    token = settings.token()
    limiter = RedisRateLimiter(
        redis, token.split(":", 1)[0], prefix=settings.redis_prefix, limits=send_limits(settings)
    )
    bot: ExtBot[RateLimitArgs] = ExtBot(
        token,
        base_url=settings.bot_api_base_url or "https://api.telegram.org/bot",
        base_file_url=settings.bot_file_base_url or "https://api.telegram.org/file/bot",
        rate_limiter=limiter,
        request=AiohttpRequest() if settings.tg_http == "aiohttp" else None,
        defaults=Defaults(
            parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
    )
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
