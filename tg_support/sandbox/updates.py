"""How bots receive their updates: getUpdates long polling and the webhook settings."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from typing import Any

from .core import WorldCore
from .errors import ApiError, bad
from .models import ALL_UPDATE_TYPES, DEFAULT_UPDATE_TYPES, JSON, BotState, Poll
from .params import p_bool, p_float, p_int, p_json, p_str


class UpdatesMixin(WorldCore):
    """How a bot receives its update queue: one long poll at a time, or a webhook."""

    async def get_updates(self, bot: BotState, params: JSON) -> list[JSON]:
        if bot.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")  # fmt: skip
        offset = p_int(params, "offset", required=False) or 0
        limit = p_int(params, "limit", required=False) or 100
        limit = min(max(limit, 1), 100)
        timeout = max(0.0, p_float(params, "timeout", 0.0))
        allowed = p_json(params, "allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad("can't parse allowed_updates JSON object")
            bot.allowed_updates = (
                frozenset(allowed) & ALL_UPDATE_TYPES if allowed else DEFAULT_UPDATE_TYPES
            )
        if offset < 0:
            keep = list(bot.updates)[offset:]
            bot.updates.clear()
            bot.updates.extend(keep)
        elif offset > 0:
            while bot.updates and bot.updates[0]["update_id"] < offset:
                bot.updates.popleft()
        if bot.poll is not None:
            bot.poll.terminated = True
            bot.poll.wake.set()
        poll = Poll()
        bot.poll = poll
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                if poll.terminated:
                    raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")  # fmt: skip
                if bot.updates or self.closing:
                    return list(itertools.islice(bot.updates, limit))
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                poll.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poll.wake.wait(), remaining)
        finally:
            if bot.poll is poll:
                bot.poll = None

    def m_setwebhook(self, bot: BotState, params: JSON) -> Any:
        url = p_str(params, "url") or ""
        if url and not re.match(r"^https?://", url):
            raise bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        if p_bool(params, "drop_pending_updates"):
            bot.updates.clear()
        allowed = p_json(params, "allowed_updates")
        if isinstance(allowed, list):
            bot.allowed_updates = (
                frozenset(allowed) & ALL_UPDATE_TYPES if allowed else DEFAULT_UPDATE_TYPES
            )
        if not url:
            return self.m_deletewebhook(bot, {})
        secret = p_str(params, "secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad("secret token contains unallowed characters")
        bot.webhook = {
            "url": url, "secret_token": secret,
            "max_connections": p_int(params, "max_connections", required=False) or 40,
            "last_error_date": None, "last_error_message": None,
        }  # fmt: skip
        if bot.poll is not None:
            bot.poll.terminated = True
            bot.poll.wake.set()
        if (bot.webhook_task is None or bot.webhook_task.done()) and self.webhook_sender:
            bot.webhook_task = self.webhook_sender(bot)
        bot.webhook_wake.set()
        return True

    def m_deletewebhook(self, bot: BotState, params: JSON) -> Any:
        if p_bool(params, "drop_pending_updates"):
            bot.updates.clear()
        bot.webhook = None
        if bot.webhook_task is not None:
            bot.webhook_task.cancel()
            bot.webhook_task = None
        return True

    def m_getwebhookinfo(self, bot: BotState, params: JSON) -> Any:
        info: JSON = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        if bot.webhook is not None:
            info["url"] = bot.webhook["url"]
            info["max_connections"] = bot.webhook["max_connections"]
            if bot.allowed_updates != DEFAULT_UPDATE_TYPES:
                info["allowed_updates"] = sorted(bot.allowed_updates)
            if bot.webhook["last_error_date"]:
                info["last_error_date"] = bot.webhook["last_error_date"]
                info["last_error_message"] = bot.webhook["last_error_message"]
        return info
