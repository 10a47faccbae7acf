"""An admin's verdict on a question the gate held: approve posts it as usual, reject tells
the learner in their language. Both are recorded in the audit log.

Posting follows ``handlers.ask._route`` (the topic in the chosen group, the post as a
translation envelope, the title renamed by a worker, helper matching); a handler module
cannot be imported here, so the steps are repeated over the same feature functions.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import BadRequest, Forbidden

from tg_support.core import jobs
from tg_support.core.i18n import LANGUAGE_NAMES, _, use_locale
from tg_support.core.services import Services
from tg_support.core.store import Conversation
from tg_support.moderation.audit import AuditLog, Entry
from tg_support.moderation.reports import Held
from tg_support.moderation.sanctions import Sanctions
from tg_support.moderation.texts import esc
from tg_support.questions import topics
from tg_support.questions.store import Question, questions

log = logging.getLogger(__name__)


async def decide(
    bot: Bot, svc: Services, held: Held, approve: bool, actor: int, actor_name: str
) -> None:
    """Apply the decision the admin won (``Reports.decide_held`` said so)."""
    store = svc.store
    q = await questions(store).get_question(str(held.qid))
    sanctions = store.repo(Sanctions)
    h = await sanctions.user_hash(held.asker)
    await store.repo(AuditLog).add(
        Entry(
            action="approve" if approve else "reject", actor=actor, target=sanctions.code_of(h),
            group=held.group, question=held.qid, note=held.reason,
            extra={"by": actor_name} if actor_name else {},
        ),
        target_hash=h,
    )  # fmt: skip
    if q is None or q.status != "draft":
        return  # erased meanwhile
    profile = await store.get_profile(q.asker_id)
    locale = profile.lang if profile and profile.lang else q.lang
    if not approve:
        await questions(store).discard_draft(q.qid, q.asker_id)
        with use_locale(locale):
            text = _(
                "The moderators did not post your question #{number}. You can ask again in "
                "your own words, without links to promote anything."
            ).format(number=q.qid)
        await _send(bot, q.asker_id, text)
        return
    await post(bot, svc, q, locale)


async def post(bot: Bot, svc: Services, q: Question, locale: str) -> None:
    """Post an approved question to its group and start helper matching."""
    store = svc.store
    conv = await store.get_conv(q.asker_id)
    if conv.step is None:  # not in another flow: what they write next follows this question
        await store.set_conv(q.asker_id, Conversation(step="ask:thread", data={"qid": q.qid}))
    group = await topics.post_question(bot, svc, q)
    if group is None:
        await questions(store).update_question(q.qid, status="open")
        with use_locale(locale):
            text = _(
                "A moderator approved your question #{number}. No group takes questions in "
                "{language} yet; volunteers may still pick it up."
            ).format(number=q.qid, language=LANGUAGE_NAMES.get(q.lang, q.lang))
    else:
        with use_locale(locale):
            text = _(
                "A moderator approved your question #{number}; it is posted in “{group}”. "
                "I will send you the answers here."
            ).format(number=q.qid, group=esc(group.title))
    await _send(bot, q.asker_id, text)
    try:
        await svc.submit(jobs.match_helpers(svc.settings, q.qid, 0))
    except Exception:
        log.exception("could not enqueue matching for question %s", q.qid)


async def _send(bot: Bot, uid: int, text: str) -> None:
    try:
        await bot.send_message(uid, text)
    except (Forbidden, BadRequest) as exc:
        log.info("could not tell a learner about their held question: %s", exc)
