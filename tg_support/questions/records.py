"""A learner's questions as one data owner for ``/forget`` and ``/export``: the question
store's keys and the questions' search-index entries (their texts), with the answers they
received and the votes they gave as the learner saw them.

Helpers appear under the name the learner saw on their answers (``topics.helper_label``:
a chosen first name or a public pseudonym), never under their Telegram ids.
"""

from __future__ import annotations

from typing import Any

from tg_support.core.store import Store
from tg_support.helpers.stats import HelperStatsStore
from tg_support.questions import topics
from tg_support.questions.search import SearchIndex
from tg_support.questions.store import questions


class QuestionRecords:
    """Owner entry: must come after the owners that read ``q:user:{uid}`` to find the
    learner's questions (offers, helper stats), since it deletes that index."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def erase_user(self, uid: int) -> None:
        search = SearchIndex(self.store.redis, prefix=self.store.p)
        for qid in await questions(self.store).question_ids(uid):
            await search.remove(qid)
        await questions(self.store).erase_user(uid)

    async def export_user(self, uid: int) -> dict[str, Any]:
        """Every question with its text, status, group, the latest answer and who answered
        (with the learner's vote on each), in the current locale's helper labels."""
        store = self.store
        stats = store.repo(HelperStatsStore)
        out = []
        for qid in await questions(store).question_ids(uid):
            q = await questions(store).get_question(qid)
            if q is None:
                continue
            group = await store.get_group(q.group_id) if q.group_id is not None else None
            votes = await stats.votes(qid)
            answered_by = []
            for helper in await stats.answered(qid):
                answered_by.append({
                    "helper": await topics.helper_label(store, helper),
                    "your_rating": {"up": "helpful", "down": "not helpful"}.get(votes.get(helper, "")),
                })  # fmt: skip
            item: dict[str, Any] = {
                "number": int(q.qid), "text": q.text, "language": q.lang, "status": q.status,
                "tags": q.tags, "created_at": q.created_at, "updated_at": q.updated_at,
                "group": group.title if group else None, "answered_by": answered_by,
            }  # fmt: skip
            if q.answer:
                item["latest_answer"] = {"text": q.answer, "language": q.answer_lang}
            out.append(item)
        return {"asked": out} if out else {}
