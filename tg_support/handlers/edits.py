"""Messages edited in private chat (``questions.edits``): a learner's question or follow-up,
or a helper's answer written here, is edited wherever the bot copied it."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from tg_support.core.i18n import _
from tg_support.core.services import Ctx
from tg_support.questions.edits import apply_private_edit
from tg_support.questions.reopen import can_reopen, reopen_markup

from .common import reply

log = logging.getLogger(__name__)


async def on_private_edit(update: Update, ctx: Ctx) -> None:
    """Applied to the copies; an ended question's asker is told it was not passed on."""
    msg = update.edited_message
    if msg is None:
        return
    outcome = await apply_private_edit(ctx.bot, ctx.svc.store, ctx.svc.submit, msg)
    if outcome.kind == "none":
        # Onboarding answers, commands, texts of other flows: nothing was copied.
        log.info("ignored an edit of a private message that belongs to no question")
        return
    q = outcome.question
    if outcome.kind == "ended" and q is not None:
        text = _("Question #{number} is closed, so I did not pass your edit on.").format(
            number=q.qid
        )
        await reply(update, ctx, text, reopen_markup(q.qid) if can_reopen(q) else None)


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    private = filters.ChatType.PRIVATE
    return [MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, on_private_edit)]
