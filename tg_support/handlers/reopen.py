"""``qr:<qid>``: the asker reopens a closed or solved question (``questions.reopen``);
their next messages go to it, as after asking."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from tg_support.core import jobs
from tg_support.core.i18n import _
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation
from tg_support.helpers.reclaim import restore_claim
from tg_support.helpers.stats import HelperStatsStore
from tg_support.questions.reopen import ENDED, REOPEN_DAYS, QuestionReopen, can_reopen, reopen
from tg_support.questions.store import questions

from .common import reply

log = logging.getLogger(__name__)


async def on_reopen_button(update: Update, ctx: Ctx) -> None:
    """Only the asker's press counts; a forged or foreign one is refused with an alert."""
    query = update.callback_query
    assert query is not None
    data = QuestionReopen.parse(query.data)
    store = ctx.svc.store
    q = await questions(store).get_question(str(data.qid)) if data is not None else None
    if q is None or q.asker_id != query.from_user.id or q.status == "draft":
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if q.status not in ENDED:
        await query.answer(_("This question is already open."))
        return
    if not can_reopen(q):
        await query.answer(
            _(
                "This question was closed more than {days} days ago. Please ask it again as a "
                "new question."
            ).format(days=REOPEN_DAYS),
            show_alert=True,
        )
        return
    await query.answer()
    if q.status == "solved":
        stats = store.repo(HelperStatsStore)
        for helper_id in await stats.answered(q.qid):
            await stats.take_back_solved(helper_id)
    await reopen(ctx.bot, store, q)
    await restore_claim(ctx.bot, store, q)
    await store.set_conv(q.asker_id, Conversation(step="ask:thread", data={"qid": q.qid}))
    try:
        # Round 0 again: it re-arms the idle reminder, and offers the question to helpers
        # not asked before unless a helper had taken it.
        await ctx.svc.submit(jobs.match_helpers(ctx.svc.settings, q.qid, 0))
    except Exception:
        log.exception("could not enqueue matching for reopened question %s", q.qid)
    await reply(
        update,
        ctx,
        _(
            "Question #{number} is open again. Anything you write next goes to it; send /ask "
            "to start a new one."
        ).format(number=q.qid),
    )


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [CallbackQueryHandler(on_reopen_button, pattern=QuestionReopen.pattern())]
