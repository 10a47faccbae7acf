"""``/export``: everything the project stores about the caller, as a JSON document."""

from __future__ import annotations

import logging

from telegram import InputFile, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import BaseHandler, CommandHandler, filters

from tg_support.core.i18n import _
from tg_support.core.services import Ctx
from tg_support.moderation.erase import export_user
from tg_support.moderation.exporting import ExportLimit, document_bytes, file_name

from .common import reply

log = logging.getLogger(__name__)


async def export_cmd(update: Update, ctx: Ctx) -> None:
    """/export: the caller's data as a JSON file (once a minute)."""
    user = update.effective_user
    if user is None:
        return
    svc = ctx.svc
    limit = svc.store.repo(ExportLimit)
    if not await limit.take(user.id):
        await reply(update, ctx, _("You can ask for your data once a minute. Please try again in a moment."))
        return
    try:
        doc = await export_user(svc.store, svc.settings, ctx.bot.id, user.id)
        await ctx.bot.send_document(
            user.id,
            InputFile(document_bytes(doc), filename=file_name(user.id)),
            caption=_("Everything I store about you, as a JSON file. Send /forget to erase it all."),
        )
    except Forbidden:
        log.info("a user who blocked the bot asked for an export")
        await limit.give_back(user.id)
        await svc.store.set_blocked(user.id, True)
    except TelegramError:
        await limit.give_back(user.id)
        raise


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [CommandHandler("export", export_cmd, filters=filters.ChatType.PRIVATE)]
