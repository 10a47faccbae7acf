"""Who wrote the message someone reports (or an admin bans by replying to it).

A message written by a person in a group is theirs. A message the bot relayed is traced
through the relay records (``core.store`` ``relay:*``) to its source: a private chat is its
author; a topic post reached a learner as an answer, so its author is one of the helpers who
answered that question (the one whose pseudonym the copy shows). The bot's own post of a
question in its topic is the asker's.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message

from tg_support.core.store import Store
from tg_support.helpers.stats import HelperStatsStore
from tg_support.questions import topics
from tg_support.questions.store import Question, questions

CONTEXT_CHARS = 400


@dataclass(frozen=True, slots=True)
class Target:
    uid: int
    text: str
    question: Question | None = None

    @property
    def context(self) -> str:
        q = self.question
        if q is None or q.text.strip() in self.text:
            return ""
        return q.text[:CONTEXT_CHARS]


async def author_of(store: Store, bot_id: int, replied: Message) -> Target | None:
    """The author of ``replied`` and the question it belongs to, if we can tell."""
    text = replied.text or replied.caption or ""
    chat_id = replied.chat_id
    qs = questions(store)
    topic_q: Question | None = None
    if replied.message_thread_id is not None and chat_id < 0:
        qid = await qs.question_for_topic(chat_id, replied.message_thread_id)
        topic_q = await qs.get_question(qid) if qid else None
    sender = replied.from_user
    if sender is not None and sender.id != bot_id and not sender.is_bot:
        return Target(sender.id, text, topic_q)
    for src_chat, _src_msg, qid in await store.relay_copies(chat_id, replied.message_id):
        q = await qs.get_question(qid)
        if src_chat > 0 and src_chat != chat_id:
            return Target(src_chat, text, q)
        if src_chat < 0 and q is not None:
            helper = await _answering_helper(store, q, text)
            if helper:
                return Target(helper, text, q)
    if topic_q is not None and chat_id < 0:
        return Target(topic_q.asker_id, text, topic_q)  # the bot's post of the question
    return None


async def _answering_helper(store: Store, q: Question, text: str) -> int:
    candidates = list(dict.fromkeys(await store.repo(HelperStatsStore).answered(q.qid)))
    if q.helper_id and q.helper_id not in candidates:
        candidates.append(q.helper_id)
    for uid in candidates:
        profile = await store.get_profile(uid)
        name = profile.display_name if profile and profile.show_name else None
        code = await topics.pseudonym_code(store, "P", "public", uid)
        if code in text or (name and name in text):
            return uid
    return candidates[0] if len(candidates) == 1 else 0
