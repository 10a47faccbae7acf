"""The router for what people send in private chat that is not a known command.

It decides by the user's conversation step (in Redis) through the features' table
(``steps.Routes``, assembled in ``app.py``): a step's handler, or for free messages the
features' free handlers in order (onboarding first, a helper's answer, a question).
Too-long texts get a clear word before any of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import BaseHandler, ChatMemberHandler, MessageHandler, filters

from tg_support.core.i18n import _
from tg_support.core.services import Ctx

from .common import reply
from .steps import Routes

log = logging.getLogger(__name__)


def router(routes: Routes) -> Callable[[Update, Ctx], Coroutine[Any, Any, None]]:
    """The handler of every non-command private message, routed by ``routes``."""

    async def on_private_message(update: Update, ctx: Ctx) -> None:
        msg = update.message
        if msg is None or update.effective_user is None:
            return
        uid = update.effective_user.id
        conv = ctx.conv if ctx.conv is not None else await ctx.svc.store.get_conv(uid)
        text = msg.text
        limit = ctx.svc.settings.max_text_length
        if text is not None and len(text) > limit and not routes.takes_long_text(conv.step):
            await reply(
                update,
                ctx,
                _(
                    "Your message is too long ({length} characters). Please keep it under "
                    "{limit} characters, or split it into several messages."
                ).format(length=len(text), limit=limit),
            )
            return
        step = routes.find(conv.step)
        if step is not None:
            await step(update, ctx, conv, text)
            return
        for free in routes.free:
            if await free(update, ctx, conv, text):
                return

    return on_private_message


async def unknown_command(update: Update, ctx: Ctx) -> None:
    """A /command we do not have."""
    text = update.message.text if update.message and update.message.text else ""
    command = text.split()[0][:64] if text else "/"
    await reply(
        update,
        ctx,
        _("I don't know the command {command}. Send /help to see what I can do.").format(
            command=command
        ),
    )


async def on_my_chat_member(update: Update, ctx: Ctx) -> None:
    """A user blocked or unblocked the bot: remember it so nobody sends to them in vain."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    blocked = change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    await ctx.svc.store.set_blocked(change.chat.id, blocked)
    log.info("a user %s the bot", "blocked" if blocked else "unblocked")


def handlers(routes: Routes) -> list[BaseHandler[Update, Ctx, None]]:
    private = filters.ChatType.PRIVATE
    return [
        MessageHandler(private & filters.COMMAND, unknown_command),
        MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.COMMAND, router(routes)),
        ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
