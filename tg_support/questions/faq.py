"""Answers reused across languages: suggestions before asking, and each group's FAQ.

Before a question goes to volunteers the bot searches the solved ones (``search``). When the
best hit scores at least :data:`FIRST_SCORE` it is offered first and alone, its question and
answer translated into the learner's language (with the group's glossary), with "this
solves it" / "ask anyway"; otherwise up to three hits, translated the same way. Every
learner an answer solved is counted (the asker included); at :data:`MIN_HELPED` learners the
question joins its group's FAQ, which ``/faq`` shows in the reader's language.

Key patterns (``{p}`` is the prefix):

============================  ======  ===================================================
``{p}faq:helped:{qid}``       set     learners (user ids) solved question ``qid`` helped
``{p}faq:user:{uid}``         set     solved questions that helped learner ``uid``
``{p}faq:{chat_id}``          zset    the group's FAQ: question ids by learners helped
============================  ======  ===================================================
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tg_support.core import jobs
from tg_support.core.i18n import LANGUAGE_NAMES, _, ngettext
from tg_support.core.services import Services
from tg_support.core.store import Repository
from tg_support.helpers.stats import HelperStatsStore
from tg_support.questions.search import Hit
from tg_support.questions.store import Question, QuestionStore, questions
from tg_support.questions.suggestions import Builder, Suggestion
from tg_support.translation.argos import can_translate

log = logging.getLogger(__name__)

#: A hit this good is offered first and alone (tuned on tests/data/search_dev.jsonl with
#: bench/faq_first.py: 64% of its questions get one answer first, right for 97.7% of them).
FIRST_SCORE = 0.5
#: Learners an answer must have solved to become a FAQ entry of its group.
MIN_HELPED = 3
#: How long the bot waits for a worker's translation of suggestions (then: originals).
TRANSLATE_WAIT = 5.0
FAQ_SHOWN = 5  # entries a /faq message shows (one message per group: under 4096 chars)


class FaqStore(Repository):
    def k_helped(self, qid: str) -> str:
        return f"{self.p}faq:helped:{qid}"

    def k_user(self, uid: int) -> str:
        return f"{self.p}faq:user:{uid}"

    def k_group(self, chat_id: int) -> str:
        return f"{self.p}faq:{chat_id}"

    async def record_helped(self, q: Question, uid: int) -> int:
        """Solved question ``q`` helped learner ``uid`` (and its asker): the number of
        learners it helped; at :data:`MIN_HELPED` it is (or stays) in its group's FAQ."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for who in {q.asker_id, uid}:
                pipe.sadd(self.k_helped(q.qid), str(who))
                pipe.sadd(self.k_user(who), q.qid)
            pipe.scard(self.k_helped(q.qid))
            res = await pipe.execute()
        count = int(res[-1])
        if count >= MIN_HELPED and q.group_id is not None:
            await self.redis.zadd(self.k_group(q.group_id), {q.qid: count})
        return count

    async def helped(self, qid: str) -> int:
        return int(await self.redis.scard(self.k_helped(qid)))

    async def entries(self, chat_id: int, limit: int = FAQ_SHOWN) -> list[tuple[str, int]]:
        """The group's FAQ: (question id, learners helped), most helpful first."""
        raw: list[Any] = await self.redis.zrevrange(
            self.k_group(chat_id), 0, limit - 1, withscores=True
        )
        return [(str(qid), int(score)) for qid, score in raw]

    async def erase_user(self, uid: int) -> None:
        """The learner no longer counts for any answer; an entry below the minimum leaves
        its group's FAQ."""
        qids = [str(x) for x in await self.redis.smembers(self.k_user(uid))]
        for qid in qids:
            await self.redis.srem(self.k_helped(qid), str(uid))
            q = await QuestionStore(self.redis, self.p).get_question(qid)
            count = await self.helped(qid)
            if q is not None and q.group_id is not None:
                if count >= MIN_HELPED:
                    await self.redis.zadd(self.k_group(q.group_id), {qid: count})
                else:
                    await self.redis.zrem(self.k_group(q.group_id), qid)
        await self.redis.delete(self.k_user(uid))

    async def export_user(self, uid: int) -> dict[str, Any]:
        qids: set[Any] = await self.redis.smembers(self.k_user(uid))
        return {"helped_by_answers_to": sorted(int(q) for q in qids)}


@dataclass
class Shown:
    """A solved question as the reader sees it."""

    q: Question
    question: str
    answer: str
    answer_lang: str
    translated: bool = False
    unsure: bool = False  # the translation is below its threshold: the original is shown too
    answer_translated: bool = False  # (surely or not): else it is shown as its helper wrote it

    def answer_as_shown(self, reader: str) -> str:
        """The answer for ``reader``: one left in another language says which, so it is
        never taken for the question's language."""
        if self.answer and not self.answer_translated and self.answer_lang != reader:
            language = LANGUAGE_NAMES.get(self.answer_lang, self.answer_lang)
            return _("Original ({language}):").format(language=language) + " " + self.answer
        return self.answer


async def answer_lang(svc: Services, q: Question) -> str:
    """The answer's own language: as detected when it was stored (helpers' stats), else the
    question's field."""
    if q.helper_id is not None:
        langs = await svc.store.repo(HelperStatsStore).answer_langs(q.qid, q.helper_id)
        if langs:
            return langs[0]
    return q.answer_lang or q.lang


async def translate_shown(
    svc: Services, solved: Sequence[Question], lang: str, group: int | None
) -> list[Shown]:
    """``solved`` questions with their answers in ``lang`` when a worker translates them in
    time (with ``group``'s glossary); as written otherwise."""
    shown = [Shown(q, q.text, q.answer or "", await answer_lang(svc, q)) for q in solved]
    items: list[list[str]] = []
    for s in shown:
        items += [[s.question, s.q.lang], [s.answer, s.answer_lang]]
    prefix = svc.settings.redis_prefix
    wanted = [
        src != lang and bool(text) and await can_translate(svc.redis, prefix, src, lang)
        for text, src in items
    ]
    if not any(wanted):
        return shown
    try:
        result = await svc.call(jobs.translate_many(items, lang, group), wait=TRANSLATE_WAIT)
    except Exception:
        log.warning("could not translate suggestions", exc_info=True)
        result = None
    if not result:
        return shown
    for i, s in enumerate(shown):
        (q_text, q_ok), (a_text, a_ok) = result[2 * i], result[2 * i + 1]
        if wanted[2 * i] and q_ok:
            s.question, s.translated = str(q_text), True
        if wanted[2 * i + 1]:
            s.translated = s.answer_translated = True
            if a_ok:
                s.answer = str(a_text)
            else:
                s.unsure = True
                s.answer = f"{s.answer}\n— {_('Machine translation (may be wrong):')} {a_text}"
    return shown


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def render_first(s: Shown, reader: str, *, original: bool = False) -> Builder:
    """The one answer offered first (the current locale is the learner's); ``original``:
    as written, for the Show original toggle."""
    b = Builder(_("An answer to a very similar question may solve yours:") + "\n\n")
    b.add("❓ " + (s.q.text if original else s.question)[:300])
    answer = (s.q.answer or "") if original else s.answer_as_shown(reader)
    if answer:
        b.add("\n💡 " + answer[:800])
    return b


def render_list(shown: Sequence[Shown], reader: str, *, original: bool = False) -> Builder:
    b = Builder(_("Before I pass this on: these answered questions look similar to yours.") + "\n\n")
    for i, s in enumerate(shown, 1):
        b.bold(f"{i}.")
        b.add(" " + (s.q.text if original else s.question)[:300] + "\n")
        answer = (s.q.answer or "") if original else s.answer_as_shown(reader)
        if answer:
            b.add("   → " + answer[:500] + "\n")
        b.add("\n")
    return b


def rendered(shown: Sequence[Shown], first: bool, reader: str) -> Suggestion:
    """The message, and with anything translated its original for the toggle."""

    def render(original: bool) -> Builder:
        if first:
            return render_first(shown[0], reader, original=original)
        return render_list(shown, reader, original=original)

    text = render(False)
    src = next((s.answer_lang if s.answer_lang != s.q.lang else s.q.lang for s in shown
                if s.translated), "")  # fmt: skip
    if not src:
        return Suggestion(text.text.strip(), text.entities)
    orig = render(True)
    return Suggestion(text.text.strip(), text.entities, orig.text.strip(), orig.entities, src)


async def suggestions(
    svc: Services, hits: Sequence[Hit], lang: str
) -> tuple[Suggestion, list[Shown], bool]:
    """(message, the questions shown, offered first alone?) for the search-before-asking
    step."""
    store = questions(svc.store)
    solved = [q for hit in hits if (q := await store.get_question(hit.qid)) is not None]
    first = (
        bool(hits)
        and hits[0].score >= FIRST_SCORE
        and bool(solved)
        and solved[0].qid == hits[0].qid
    )
    if first:
        solved = solved[:1]
    group = solved[0].group_id if solved else None
    shown = await translate_shown(svc, solved, lang, group)
    return rendered(shown, first and bool(shown), lang), shown, first


async def faq_text(svc: Services, chat_id: int, title: str, lang: str) -> str | None:
    """The group's FAQ in ``lang`` (the current locale), None when it has no entry."""
    store = questions(svc.store)
    entries = await svc.store.repo(FaqStore).entries(chat_id)
    pairs = [(q, n) for qid, n in entries if (q := await store.get_question(qid)) is not None]
    if not pairs:
        return None
    shown = await translate_shown(svc, [q for q, _n in pairs], lang, chat_id)
    lines = ["<b>" + _esc(_("Frequently asked in {group}").format(group=title)) + "</b>"]
    for s, (_q, n) in zip(shown, pairs, strict=True):
        helped = ngettext("helped {count} learner", "helped {count} learners", n).format(count=n)
        lines += [
            "", f"❓ <b>{_esc(s.question[:200])}</b>", f"💡 {_esc(s.answer[:450])}", f"<i>{helped}</i>"
        ]  # fmt: skip
    return "\n".join(lines)
