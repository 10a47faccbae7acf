"""Handlers that run before any feature handler (see the groups in ``app.py``).

Group -2 loads the sender's profile, conversation state and flood count (one round trip)
and sets the locale for this update; group -1 applies per-user flood control. Both stop an
update with ``ApplicationHandlerStop`` when it must go no further.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from tg_support.core.i18n import _, negotiate, set_locale
from tg_support.core.services import Ctx

log = logging.getLogger(__name__)


async def load_context(update: Update, ctx: Ctx) -> None:
    """Profile and locale for this update; updates with no human sender stop here."""
    user = update.effective_user
    if user is None or user.is_bot:
        raise ApplicationHandlerStop
    window = None if update.my_chat_member is not None else ctx.svc.settings.flood_window_seconds
    context = await ctx.svc.store.update_context(user.id, window)
    ctx.profile, ctx.conv, ctx.flood_count = context.profile, context.conv, context.flood_count
    ctx.groups_version = context.groups_version
    if ctx.profile and ctx.profile.lang:
        locale = ctx.profile.lang
    else:
        locale = negotiate(user.language_code, ctx.svc.settings.default_locale)
    set_locale(locale)
    ctx.locale = locale


async def flood_control(update: Update, ctx: Ctx) -> None:
    """Drop a user's updates past the per-window budget, telling them once per window."""
    if update.my_chat_member is not None:
        return  # (un)blocking must always be recorded
    assert update.effective_user is not None
    settings = ctx.svc.settings
    uid = update.effective_user.id
    count = ctx.flood_count
    if count is None:
        count = await ctx.svc.store.flood_hit(uid, settings.flood_window_seconds)
    if count <= settings.flood_updates:
        return
    log.info(
        "flood control: dropping update %s from a user (%s in window)", update.update_id, count
    )
    if update.callback_query is not None:
        await update.callback_query.answer(
            _("You are sending messages too fast. Please wait a moment."), show_alert=False
        )
    elif await ctx.svc.store.flood_warn_once(uid, settings.flood_window_seconds):
        chat = update.effective_chat
        if chat is not None and chat.type == "private":
            await ctx.bot.send_message(
                chat.id, _("You are sending messages too fast. Please wait a moment.")
            )
    raise ApplicationHandlerStop
