"""The router for what people send in private chat that is not a known command.

It decides by the user's conversation state (in Redis): a typed answer for onboarding, a
nudge towards buttons, a question, or a clear word about input we cannot use.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import BaseHandler, ChatMemberHandler, MessageHandler, filters

from tg_support.core.i18n import _
from tg_support.core.services import Ctx

from . import admin, ask, helper, relay, start
from .common import reply

log = logging.getLogger(__name__)


async def on_private_message(update: Update, ctx: Ctx) -> None:
    """Any non-command message in private chat."""
    msg = update.message
    if msg is None or update.effective_user is None:
        return
    uid = update.effective_user.id
    conv = ctx.conv if ctx.conv is not None else await ctx.svc.store.get_conv(uid)
    if (conv.step or "").startswith("bc:"):
        await admin.on_text(update, ctx, conv)  # composing a broadcast
        return
    text = msg.text
    if text is None:
        if conv.step in start.TEXT_STEPS:
            await reply(update, ctx, _("I can only read text here. Please type your answer."))
        elif conv.step is not None and not conv.step.startswith("ask"):
            await start.prompt_buttons(update, ctx)
        else:
            await ask.on_media(update, ctx, conv)
        return
    limit = ctx.svc.settings.max_text_length
    if len(text) > limit:
        await reply(
            update,
            ctx,
            _(
                "Your message is too long ({length} characters). Please keep it under "
                "{limit} characters, or split it into several messages."
            ).format(length=len(text), limit=limit),
        )
        return
    if conv.step in start.TEXT_STEPS:
        await start.on_onboarding_text(update, ctx, conv, text)
    elif conv.step is not None and not conv.step.startswith("ask"):
        await start.prompt_buttons(update, ctx)
    elif ctx.profile is None or not ctx.profile.onboarded:
        await reply(update, ctx, _("Hello! Let's set up your profile first; it takes a minute."))
        await start.start(update, ctx)
    elif not (conv.step or "").startswith("ask") and await helper_answer(update, ctx, text):
        return
    else:
        await ask.on_question_text(update, ctx, conv, text)


async def helper_answer(update: Update, ctx: Ctx, text: str) -> bool:
    """A helper's private message answers the question they took, if they have one."""
    profile = ctx.profile
    msg = update.message
    if profile is None or not profile.is_helper or msg is None:
        return False
    q = await helper.helping_question(ctx, profile.user_id)
    if q is None:
        return False
    await relay.answer_from_private(update, ctx, q, msg)
    return True


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


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    private = filters.ChatType.PRIVATE
    return [
        MessageHandler(private & filters.COMMAND, unknown_command),
        MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.COMMAND, on_private_message),
        ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
