"""A message edited in private chat, applied wherever the bot copied it.

The learner's edits: the question's own text (``Question.src_msg``) is stored anew (a draft
simply gets the new text; an open question also its topic post, its title and the helpers'
offers), a follow-up's copies in the topic are edited. A helper's edit of an answer they
wrote in private reaches the learner's copy and the topic's. Copies that a worker
translated are translated again by one (``retranslate``), in place; the others are edited
here with the head they were sent with.

Edits of an ended question's messages are not passed on: the caller tells the learner.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from tg_support.core import jobs, textsplit
from tg_support.core.i18n import _, use_locale
from tg_support.core.store import Store
from tg_support.questions import topics
from tg_support.questions.store import Question, questions
from tg_support.translation.delivery import Submit, edit_to, entities_json

log = logging.getLogger(__name__)

# How many of the asker's latest questions are searched for an edited question text.
LOOKBACK = 20
ENDED = ("solved", "closed")


@dataclass(frozen=True)
class EditOutcome:
    """``none``: the message belongs to no question; ``draft``: a draft's text changed;
    ``relayed``: applied to the copies; ``ended``: the question is closed or solved."""

    kind: Literal["none", "draft", "relayed", "ended"]
    question: Question | None = None


async def question_of_text(store: Store, uid: int, msg_id: int) -> Question | None:
    """The question of ``uid`` whose text is their private message ``msg_id``."""
    qs = questions(store)
    ids = await store.redis.zrevrange(qs.keys.user_questions(uid), 0, LOOKBACK - 1)
    for qid in ids:
        q = await qs.get_question(str(qid))
        if q is not None and q.src_msg == msg_id:
            return q
    return None


async def apply_private_edit(bot: Bot, store: Store, submit: Submit, msg: Message) -> EditOutcome:
    uid = msg.chat_id
    copies = await store.relay_copies(uid, msg.message_id)
    q = await questions(store).get_question(copies[0][2]) if copies else None
    if q is None:
        q = await question_of_text(store, uid, msg.message_id)
    if q is None:
        return EditOutcome("none")
    by_asker = q.asker_id == uid
    if by_asker and q.status in ENDED:
        return EditOutcome("ended", q)
    question_text = by_asker and q.src_msg == msg.message_id and msg.text is not None
    if question_text and msg.text is not None and msg.text != q.text:
        await questions(store).update_question(q.qid, text=msg.text)
        q.text = msg.text
    if q.status == "draft":
        return EditOutcome("draft", q)
    for chat_id, copy_id, _qid in copies:
        await _edit_copy(bot, store, submit, q, msg, chat_id, copy_id)
    if question_text:
        # Helpers read the question in their offers (translated by a worker for some).
        await submit(jobs.refresh_offers(q.qid))
        await _retitle(bot, store, submit, q)
    return EditOutcome("relayed", q)


async def _edit_copy(
    bot: Bot, store: Store, submit: Submit, q: Question, msg: Message, chat_id: int, copy_id: int
) -> None:
    orig_id = await store.redis.get(f"{store.keys.p}tr:msg:{chat_id}:{copy_id}")
    if orig_id is not None and msg.text is not None:
        # A translated copy: a worker translates the new text and edits it in place.
        await submit(
            jobs.retranslate(str(orig_id), chat_id, copy_id, msg.text, entities_json(msg.entities))
        )
        return
    body = msg.text if msg.text is not None else msg.caption
    if body is None:
        return
    head, markup = await _head(store, q, msg, chat_id)
    try:
        if msg.text is not None:
            await edit_to(bot, chat_id, copy_id, head, body, list(msg.entities), markup)
        else:
            full, ents = textsplit.prefix(head, [], body, msg.caption_entities)
            await bot.edit_message_caption(
                chat_id, copy_id, caption=full[:1024],
                caption_entities=[e for e in ents if e.offset + e.length <= 1024] or None,
                parse_mode=None, reply_markup=markup,
            )  # fmt: skip
    except BadRequest as exc:
        log.info("could not apply an edit to a copy of question %s: %s", q.qid, exc.message)


async def _head(
    store: Store, q: Question, msg: Message, chat_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The head a copy in ``chat_id`` was sent with, and its buttons."""
    editor = msg.chat_id
    if chat_id == q.asker_id:  # a helper's answer, in the learner's chat
        profile = await store.get_profile(q.asker_id)
        with use_locale(profile.lang if profile and profile.lang else q.lang):
            who = await topics.helper_label(store, editor)
            head = _("{helper} answered your question #{number}:").format(helper=who, number=q.qid)
            return head + "\n", topics.answer_markup(q.qid)
    group = await store.get_group(chat_id)
    with use_locale(topics.group_locale(group)):
        if editor != q.asker_id:  # a helper's private answer, mirrored in the topic
            who = await topics.helper_label(store, editor)
            return _("{helper} answered:").format(helper=who) + "\n", None
        code = await topics.pseudonym_code(store, "L", q.qid, q.asker_id)
        if msg.message_id == q.src_msg:
            return topics.question_header(q, code), None
        return topics.learner_head(code), None


async def _retitle(bot: Bot, store: Store, submit: Submit, q: Question) -> None:
    """The topic's title follows the question's first words (in the group's language)."""
    if q.group_id is None or q.thread_id is None:
        return
    group = await store.get_group(q.group_id)
    if topics.target_language(q.lang, group) != q.lang:
        await submit(jobs.translate_topic_title(q.qid))
        return
    name = topics.short_title(q.qid, q.text)
    if name == q.title:
        return
    try:
        await bot.edit_forum_topic(q.group_id, q.thread_id, name=name)
        await questions(store).update_question(q.qid, title=name)
    except BadRequest as exc:
        log.info("could not rename the topic of question %s: %s", q.qid, exc.message)
