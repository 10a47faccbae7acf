"""``make_bot``: the one way a process gets a Bot (the bot's Application and every worker):
same server, same HTTP client, same defaults, and the rate limiter shared through Redis."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Defaults, ExtBot
from telegram.request import BaseRequest, HTTPXRequest

from tg_support.config import Settings
from tg_support.core.http import AiohttpRequest
from tg_support.core.inbox import OnceRateLimiter
from tg_support.core.sending import RateLimitArgs, SendLimits

log = logging.getLogger(__name__)

TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILES = "https://api.telegram.org/file/bot"


def send_limits(settings: Settings) -> SendLimits:
    return SendLimits(
        global_per_second=settings.send_global_per_second,
        global_burst=settings.send_global_burst,
        global_in_flight=settings.send_global_in_flight,
        private_per_second=settings.send_private_per_second,
        private_burst=settings.send_private_burst,
        group_per_minute=settings.send_group_per_minute,
        group_burst=settings.send_group_burst,
        interactive_reserve=settings.send_interactive_reserve,
    )


def _request(settings: Settings, *, pool: int) -> BaseRequest:
    if settings.tg_http == "aiohttp":
        return AiohttpRequest(connection_pool_size=pool)
    return HTTPXRequest(connection_pool_size=pool)


class Bot(ExtBot[RateLimitArgs]):
    """PTB's bot, where answering a callback query Telegram no longer knows is not an
    error: a query older than about 15 s cannot be answered (the updates a restart takes
    from the inbox, a handler that waited on the rate limit), and the handler must go on."""

    async def initialize(self) -> None:
        """PTB opens the HTTP clients, then calls getMe; when getMe fails (Telegram slow to
        answer) the bot is not initialized, so ``shutdown`` would leave the clients open."""
        try:
            await super().initialize()
        except BaseException:
            await asyncio.gather(*(r.shutdown() for r in self._request), return_exceptions=True)
            raise

    async def answer_callback_query(self, *args: Any, **kwargs: Any) -> bool:
        try:
            return await super().answer_callback_query(*args, **kwargs)
        except BadRequest as exc:
            text = exc.message.lower()
            if "query is too old" not in text and "query id is invalid" not in text:
                raise
            log.info("callback query could not be answered: %s", exc.message)
            return False


def make_bot(settings: Settings, redis: Redis) -> ExtBot[RateLimitArgs]:
    """A Bot on ``settings``' server whose every call goes through the shared limiter.

    getUpdates gets its own request object (one connection), as PTB's builder does, so a
    long poll never holds up a send."""
    token = settings.token()
    # The shared limiter; it also makes each call of an inbox update once (core.inbox).
    limiter = OnceRateLimiter(
        redis, token.split(":", 1)[0], prefix=settings.redis_prefix, limits=send_limits(settings)
    )
    return Bot(
        token,
        base_url=settings.bot_api_base_url or TELEGRAM_API,
        base_file_url=settings.bot_file_base_url or TELEGRAM_FILES,
        request=_request(settings, pool=256),
        get_updates_request=_request(settings, pool=1),
        rate_limiter=limiter,
        defaults=Defaults(
            parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
    )
