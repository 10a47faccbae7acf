"""Ratings of answers: the prompt after "solved", and what a vote changes (stats, boards,
the helper's reputation in the index)."""

from __future__ import annotations

import html
from typing import Literal

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import _
from tg_support.core.store import Store
from tg_support.helpers import reputation
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.stats import HelperStatsStore
from tg_support.questions import topics
from tg_support.questions.store import Question

RATED_HELPERS = 3  # a learner is asked about the first three helpers who answered


class RatingVote(CallbackData, prefix="rt"):
    """``rt:<qid>:<i>:up|down``: the learner's vote on the ``i``-th helper who answered."""

    qid: int
    index: int
    vote: Literal["up", "down"]


class ThankYou(CallbackData, prefix="ty"):
    """``ty:<qid>:<i>``: after rating, write a thank-you note to the ``i``-th helper (the
    note goes to them translated; ``handlers.community.recognition``)."""

    qid: int
    index: int


def thank_you_markup(qid: str, index: int) -> InlineKeyboardMarkup:
    """The button under the learner's "thank you for your feedback"."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("💌 Send a thank-you note"), callback_data=ThankYou(qid=int(qid), index=index).pack())]]
    )


async def helper_name(store: Store, qid: str, helper: int) -> str:
    """How a helper is shown to the learner of ``qid``: the same name as on their answers
    and on the boards (:func:`topics.helper_label`)."""
    return await topics.helper_label(store, helper)


async def ask_for_ratings(bot: Bot, store: Store, q: Question) -> None:
    """After "solved": one rating message per helper who answered (at most three), in the
    learner's locale (set by the caller)."""
    helpers = await store.repo(HelperStatsStore).answered(q.qid, RATED_HELPERS)
    for i, helper in enumerate(helpers):
        who = await helper_name(store, q.qid, helper)
        await bot.send_message(
            q.asker_id,
            _(
                "Was the answer from {helper} helpful? Your rating helps good helpers get recognised."
            ).format(helper=html.escape(who, quote=False)),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            _("👍 Helpful"),
                            callback_data=RatingVote(qid=int(q.qid), index=i, vote="up").pack(),
                        ),
                        InlineKeyboardButton(
                            _("👎 Not really"),
                            callback_data=RatingVote(qid=int(q.qid), index=i, vote="down").pack(),
                        ),
                    ]
                ]
            ),
        )


async def apply_rating(store: Store, q: Question, helper: int, helpful: bool) -> float:
    """Count the vote; returns the helper's new reputation (also written to the index)."""
    stats = store.repo(HelperStatsStore)
    langs = [q.lang, *(await stats.answer_langs(q.qid, helper))]
    s = await stats.add_rating(helper, helpful, langs, q.group_id)
    rep = reputation.reputation(s.helpful, s.rated)
    index = store.repo(HelperIndex)
    if await index.get(helper) is not None:
        await index.set_reputation(helper, rep)
    return rep

