"""RQ job functions. Each takes ids (and a locale where it speaks) as arguments, is
idempotent, and runs on the shared ``runtime`` (settings, Redis, the rate-limited Bot)."""

from __future__ import annotations

import logging
import time
from typing import Any

from tg_support.core.i18n import _, use_locale
from tg_support.core.jobs import enqueue_in
from tg_support.core.messages import send_parts
from tg_support.helpers import offer_edits, offers
from tg_support.questions import topics
from tg_support.questions.reopen import reopen_markup
from tg_support.questions.store import Question, questions

from .runtime import Runtime, run

log = logging.getLogger(__name__)


def match_helpers(qid: str, round_no: int = 0) -> dict[str, Any]:
    """Offer question ``qid`` to the best helpers not offered yet (one round).

    The first round also schedules the question's idle check: the bot enqueues one job per
    question instead of two (an RQ enqueue costs the bot ~0.5 ms of CPU), and a re-run
    schedules the same job id again, which replaces it."""

    async def job(rt: Runtime) -> dict[str, Any]:
        if round_no == 0:
            schedule_check(rt, qid, rt.settings.question_reminder_hours * 3600, first=True)
        return await offers.offer_round(rt.bot, rt.store, rt.settings, qid, round_no)

    return run(job)


def refresh_offers(qid: str) -> int:
    """The learner edited question ``qid``: helpers' offers show the new text."""
    return run(lambda rt: offer_edits.refresh_offers(rt.bot, rt.store, rt.settings, qid))


def check_question(qid: str) -> str:
    """Remind the learner of an idle question once, then close it after a grace period."""
    return run(lambda rt: _check_question(rt, qid))


async def _check_question(rt: Runtime, qid: str) -> str:
    store, settings = rt.store, rt.settings
    q = await questions(store).get_question(qid)
    if q is None or q.status not in ("open", "answered"):
        return "done"
    now = time.time()
    idle = now - q.updated_at
    remind_after = settings.question_reminder_hours * 3600
    close_after = settings.question_autoclose_hours * 3600
    profile = await store.get_profile(q.asker_id)
    locale = profile.lang if profile and profile.lang else q.lang
    if not q.reminded:
        if idle < remind_after:
            schedule_check(rt, qid, remind_after - idle)
            return "waiting"
        with use_locale(locale):
            await send_parts(
                rt.bot,
                q.asker_id,
                _("Is your question #{number} solved?").format(number=q.qid) + "\n",
                _(
                    "If an answer helped, tap Solved. If you still need help, just write here. "
                    "I will close the question if nothing happens."
                ),
                markup=topics.answer_markup(q.qid),
            )
        await store.redis.hset(questions(store).keys.question(qid), "reminded", "1")
        schedule_check(rt, qid, close_after)
        return "reminded"
    if idle < close_after:
        schedule_check(rt, qid, close_after - idle)
        return "waiting"
    await close_idle(rt, q, locale)
    return "closed"


async def close_idle(rt: Runtime, q: Question, locale: str) -> None:
    await questions(rt.store).update_question(q.qid, status="closed")
    await offers.release_claim(rt.store, q.qid)
    await topics.close_topic(rt.bot, q, solved=False)
    with use_locale(locale):
        await rt.bot.send_message(
            q.asker_id,
            _(
                "I closed question #{number} because it was quiet for a while. Ask again any time."
            ).format(number=q.qid),
            reply_markup=reopen_markup(q.qid),
        )


def schedule_check(rt: Runtime, qid: str, delay: float, *, first: bool = False) -> None:
    # The id names the due time: a re-run of this job schedules the same job again (no
    # second check), and it never reuses the id of the job running now. The first check
    # has a fixed id, so a re-run of the first matching round replaces it.
    due = int(time.time() + delay)
    job_id = f"check-{qid}" if first else f"check-{qid}-{due}"
    enqueue_in(rt.settings, "interactive", check_question, delay, job_id, qid)
