"""Reopening a closed or solved question: the asker's "Reopen" button, the time limit, and
what reopening changes (the question's status, the search index, the forum topic).

Only the asker may reopen, within :data:`REOPEN_DAYS` of the question's last change (its
closing, as nothing changes a closed question): past that, a new question serves the
learner and the group better than a topic from weeks ago.
"""

from __future__ import annotations

import logging
import time

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import _, use_locale
from tg_support.core.messages import send_parts
from tg_support.core.store import Store
from tg_support.questions import topics
from tg_support.questions.search import SearchIndex
from tg_support.questions.store import Question, questions

log = logging.getLogger(__name__)

REOPEN_DAYS = 30
ENDED = ("solved", "closed")


class QuestionReopen(CallbackData, prefix="qr"):
    """``qr:<qid>``: the asker reopens their closed or solved question."""

    qid: int


def can_reopen(q: Question, now: float | None = None) -> bool:
    """Ended, and not longer ago than the time limit."""
    now = time.time() if now is None else now
    return q.status in ENDED and now - q.updated_at <= REOPEN_DAYS * 24 * 3600


def reopen_button(qid: str, label: str | None = None) -> InlineKeyboardButton:
    """``label``: the default "Reopen" in the current locale when not given."""
    data = QuestionReopen(qid=int(qid)).pack()
    # Translators: button on a closed or solved question that opens it again.
    return InlineKeyboardButton(label or "🔄 " + _("Reopen"), callback_data=data)


def reopen_markup(qid: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[reopen_button(qid)]])


async def reopen(bot: Bot, store: Store, q: Question) -> None:
    """Open ``q`` again: status, search index (an unsolved question must not be offered as
    an answer), and its forum topic, reopened under its title without the ✅, with a word
    to the group in the group's language. The caller re-arms matching and the idle check."""
    qs = questions(store)
    await qs.update_question(q.qid, status="open", reminded=False)
    await store.redis.zrem(qs.keys.solved, q.qid)
    await SearchIndex(store.redis, prefix=store.keys.p).remove(q.qid)
    if q.group_id is None or q.thread_id is None:
        return
    try:
        await bot.reopen_forum_topic(q.group_id, q.thread_id)
    except BadRequest as exc:
        # Reopened by a moderator already, or deleted: the next follow-up recreates it.
        log.info("could not reopen the topic of question %s: %s", q.qid, exc.message)
    name = q.title or topics.short_title(q.qid, q.text)
    try:
        await bot.edit_forum_topic(q.group_id, q.thread_id, name=name)
    except BadRequest as exc:
        log.info("could not rename the topic of question %s: %s", q.qid, exc.message)
    group = await store.get_group(q.group_id)
    code = await topics.pseudonym_code(store, "L", q.qid, q.asker_id)
    with use_locale(topics.group_locale(group)):
        who = _("Learner {code}").format(code=code)
        head = _("Question #{number} is open again.").format(number=q.qid) + "\n"
        body = _("{pseudonym} reopened it: it still needs help.").format(pseudonym=who)
    try:
        await send_parts(bot, q.group_id, head, body, thread_id=q.thread_id)
    except (BadRequest, Forbidden) as exc:
        log.info("could not tell the group that question %s reopened: %s", q.qid, exc.message)
