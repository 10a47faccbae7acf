"""The error handler: log first, then tell the user something useful if we can."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from tg_support.core.i18n import _
from tg_support.core.inbox import AlreadySent
from tg_support.core.services import Ctx

log = logging.getLogger(__name__)


async def on_error(update: object, ctx: Ctx) -> None:
    """Log every error with its update id; blocked users are recorded, not reported."""
    err = ctx.error
    upd = update if isinstance(update, Update) else None
    uid = upd.effective_user.id if upd and upd.effective_user else None
    if isinstance(err, Forbidden) and uid is not None:
        log.info("user blocked the bot or left: %s", err.message)
        await ctx.svc.store.set_blocked(uid, True)
        return
    if isinstance(err, AlreadySent):  # a re-run after a process died: the user has the reply
        log.info("update %s: %s", upd.update_id if upd else "-", err)
        return
    log.error("error while handling update %s", upd.update_id if upd else "-", exc_info=err)
    chat = upd.effective_chat if upd else None
    if chat is None or chat.type != "private":
        return
    try:
        if upd and upd.callback_query is not None:
            await upd.callback_query.answer(
                _("Something went wrong on our side. Please try again."), show_alert=True
            )
        else:
            await ctx.bot.send_message(
                chat.id, _("Something went wrong on our side. Please try again.")
            )
    except TelegramError:
        log.warning("could not report the error to the user", exc_info=True)
