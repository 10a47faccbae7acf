"""Review-swap jobs: matching runs, introductions, deadline checks.

Each takes ids, is idempotent, and runs on the shared ``runtime``. Matching places the open
requests with the pure :func:`tg_support.community.reviews.match` and commits each swap with one
Lua script (:meth:`ReviewStore.create_swap`): a request already taken by an overlapping run,
or cancelled meanwhile, makes that swap fail as a whole and its other members wait for the
next run, which is scheduled then.
"""

from __future__ import annotations

import html
import logging
import time
import uuid
from typing import Any

from tg_support.community import review_swaps
from tg_support.community.review_store import Request, ReviewStore
from tg_support.community.reviews import match
from tg_support.core import jobs
from tg_support.core.i18n import _, use_locale
from tg_support.translation import argos
from tg_support.translation.argos import PIVOT
from tg_support.translation.delivery import Submit

from .runtime import Runtime, run

log = logging.getLogger(__name__)

LOCK_S = 120.0


def submitter(rt: Runtime) -> Submit:
    """``Services.submit`` for jobs: translation envelopes sent from a worker."""

    async def submit(job: jobs.Job, *, delay: float | None = None) -> str:
        if delay:
            job_id = f"rv-job-{uuid.uuid4().hex}"
            jobs.enqueue_in(
                rt.settings, job.queue, job.func, delay, job_id, *job.args, **job.options
            )
            return job_id
        return jobs.enqueue_now(rt.settings, job)

    return submit


def scheduler(rt: Runtime) -> review_swaps.Schedule:
    return lambda job, delay: jobs.schedule(rt.settings, job, delay)


def match_reviews() -> dict[str, int]:
    """Place the open review requests into swaps."""
    return run(_match_reviews)


async def _match_reviews(rt: Runtime) -> dict[str, int]:
    store = rt.store
    rs = store.repo(ReviewStore)
    # Changes from now on schedule another run: this one may have read before them.
    await store.redis.delete(rs.keys.match_due)
    token = await store.lock(rs.keys.match_lock, LOCK_S)
    if token is None:
        schedule_match(rt, 2.0)
        return {"busy": 1}
    try:
        return await _place(rt, rs)
    finally:
        await store.unlock(rs.keys.match_lock, token)


async def _bridge(rt: Runtime) -> Any:
    pairs = {str(p) for p in await rt.store.redis.smembers(f"{rt.settings.redis_prefix}tr:pairs")}

    def bridge(src: str, dst: str) -> bool:
        return f"{src}-{dst}" in pairs or (f"{src}-{PIVOT}" in pairs and f"{PIVOT}-{dst}" in pairs)

    return bridge


async def _place(rt: Runtime, rs: ReviewStore) -> dict[str, int]:
    settings = rt.settings
    reqs = await rs.open_requests()
    by_rid = {r.rid: r for r in reqs}
    bridge = await _bridge(rt)
    now = time.time()
    # Fresh requests need the full slack; a re-match (its reviewer did not show up) may go
    # closer to its deadline, with anyone still unmatched.
    fresh = [r.as_match_input() for r in reqs if not r.rematch]
    first = match(fresh, bridge, now, min_slack_s=settings.review_min_slack_hours * 3600)
    second_in = [r.as_match_input() for r in reqs if r.rematch]
    second_in += [by_rid[rid].as_match_input() for rid in first.unmatched]
    second = match(
        second_in, bridge, now, min_slack_s=settings.review_rematch_min_slack_hours * 3600
    )
    created = failed = 0
    for rids in [*first.swaps, *second.swaps]:
        swap = await rs.create_swap([by_rid[rid] for rid in rids])
        if swap is None:
            failed += 1
            continue
        created += 1
        jobs.enqueue_now(settings, jobs.start_swap(swap.sid))
    expired = 0
    for rid in [*first.expired, *second.expired]:
        if await rs.close_request(rid, "expired"):
            expired += 1
            await _tell_expired(rt, by_rid[rid])
    if failed:
        schedule_match(rt, 1.0)
    log.info("review matching: %s swaps, %s failed, %s expired, %s waiting",
             created, failed, expired, len(second.unmatched))  # fmt: skip
    return {
        "swaps": created,
        "failed": failed,
        "expired": expired,
        "waiting": len(second.unmatched),
    }


async def _tell_expired(rt: Runtime, req: Request) -> None:
    locale, _tz = await review_swaps.profile_of(rt.store, req.uid)
    with use_locale(locale):
        text = _(
            "I could not find a review partner for {assignment} before its deadline, so I "
            "closed the request. Send /review to try again with a later deadline."
        ).format(assignment=html.escape(req.asg_text or req.assignment, quote=False))
    await review_swaps.send_text(rt.bot, rt.store, f"rv:expired:{req.rid}", req.uid, text)


def schedule_match(rt: Runtime, delay: float) -> None:
    jobs.schedule(rt.settings, jobs.match_reviews(time.time() + delay), delay)


def start_swap(sid: str) -> str:
    """Introduce a new swap's members to each other and schedule its deadline checks."""
    return run(
        lambda rt: review_swaps.introduce(
            rt.bot, rt.store, rt.settings, submitter(rt), scheduler(rt), sid
        )
    )


def deliver_review(rid: str) -> str:
    """Send a delivered review to its author, translated when their languages differ."""
    return run(lambda rt: review_swaps.deliver_review(rt.bot, rt.store, rid, translator(rt)))


def translator(rt: Runtime) -> review_swaps.Translate:
    async def translate(parts: list[str], src: str, dst: str) -> list[str] | None:
        cache = argos.TranslationCache(rt.store.redis, rt.settings.redis_prefix)
        try:
            found = await argos.translate_messages(
                cache, argos.translator(), [(p, []) for p in parts], src, dst
            )
        except LookupError:
            return None
        return [r.text for r in found] if all(r.translated for r in found) else None

    return translate


def review_deadline(rid: str, stage: str) -> str:
    """Remind a reviewer who has not delivered, then offer the author a new partner."""
    return run(
        lambda rt: review_swaps.deadline_check(
            rt.bot, rt.store, rt.settings, scheduler(rt), rid, stage
        )
    )
