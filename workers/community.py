"""Community jobs: planning study circles, their check-ins, merges, deadline reminders and
reflection prompts. Each takes ids, is idempotent, and runs on the shared ``runtime``.

Scheduling: the planner's job id names the course and a debounce window (``core.jobs``);
check-ins, summaries, reminders and prompts have ids naming what they are for, so
scheduling one again replaces it instead of adding a second.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from tg_support.community import circle_life, circle_talk, deadlines, reflections
from tg_support.community.circle_plan import plan_course as plan
from tg_support.community.circle_plan import published_bridge
from tg_support.community.circle_store import CircleStore
from tg_support.community.course_store import CourseStore, set_learner_courses
from tg_support.community.dates import next_weekly
from tg_support.core import jobs
from tg_support.translation import argos

from .runtime import Runtime, run

log = logging.getLogger(__name__)

PLAN_RETRIES = 20


def plan_course(cid: str, attempt: int = 0) -> dict[str, Any]:
    """Form and fill the circles of course ``cid`` from its waiting pool."""
    return run(lambda rt: _plan_course(rt, cid, attempt))


async def _plan_course(rt: Runtime, cid: str, attempt: int) -> dict[str, Any]:
    store = rt.store
    outcome = await plan(store, cid, await published_bridge(store.redis, store.p))
    if outcome is None:  # another run holds the course: look again shortly
        if attempt < PLAN_RETRIES:
            jobs.schedule(rt.settings, jobs.retry_plan(cid, attempt + 1), 2.0)
        return {"locked": True}
    for circle_id in outcome.formed:
        await circle_talk.announce_formed(rt.bot, store, circle_id)
        await schedule_checkin(rt, circle_id, 1, first=True)
    for circle_id, uids in outcome.joined.items():
        await circle_talk.reslot(store, circle_id)
        await circle_talk.announce_joined(rt.bot, store, circle_id, uids)
    return {
        "formed": {k: len(v) for k, v in outcome.formed.items()},
        "joined": {k: len(v) for k, v in outcome.joined.items()},
        "waiting": outcome.waiting,
    }


async def schedule_checkin(rt: Runtime, circle_id: str, round_no: int, *, first: bool = False) -> float:
    """Check-in ``round_no`` at the circle's weekly slot: the first one at least
    ``circle_first_checkin_days`` after forming, later ones a week apart."""
    circle = await rt.store.repo(CircleStore).get(circle_id)
    if circle is None:
        return 0.0
    now = time.time()
    after = now + (rt.settings.circle_first_checkin_days * 86400 if first else 86400)
    due = next_weekly(after, circle.checkin_dow, circle.checkin_min)
    jobs.schedule(rt.settings, jobs.circle_checkin(circle_id, round_no), due - now)
    return due


def announce_joined(circle_id: str, uids: list[int]) -> str:
    """Learners the bot seated in a circle: introductions to them, a word to the others."""

    async def job(rt: Runtime) -> str:
        await circle_talk.reslot(rt.store, circle_id)
        await circle_talk.announce_joined(rt.bot, rt.store, circle_id, uids)
        return "announced"

    return run(job)


def tidy_course(cid: str) -> int:
    """Merge the course's circles below three members; then let the pool fill the gaps."""

    async def job(rt: Runtime) -> int:
        bridge = await published_bridge(rt.store.redis, rt.store.p)
        merges = await circle_life.tidy_course(rt.bot, rt.store, cid, bridge)
        if await rt.store.repo(CircleStore).pool_size(cid):
            job_, delay = jobs.plan_circles(rt.settings, cid, time.time())
            jobs.schedule(rt.settings, job_, delay)
        return len(merges)

    return run(job)


def checkin(circle_id: str, round_no: int) -> str:
    """Start check-in ``round_no``; schedule its summary and the next round."""

    async def job(rt: Runtime) -> str:
        result = await circle_life.start_checkin(rt.bot, rt.store, circle_id, round_no)
        if result == "sent":
            window = rt.settings.circle_checkin_window_hours * 3600
            jobs.schedule(rt.settings, jobs.circle_summary(circle_id, round_no), window)
            await schedule_checkin(rt, circle_id, round_no + 1)
        return result

    return run(job)


def summary(circle_id: str, round_no: int) -> list[int]:
    """Summarize check-in ``round_no`` (answers translated per member); returns who was
    released for inactivity."""

    async def job(rt: Runtime) -> list[int]:
        cache = argos.TranslationCache(rt.store.redis, rt.settings.redis_prefix)
        # The answers are the members' texts: their cached translations join every member's
        # trail (erased with any of them; a cache entry costs only a new translation).
        members = await rt.store.repo(CircleStore).member_ids(circle_id)

        async def translate(text: str, src: str, dst: str) -> str | None:
            [res] = await argos.translate_messages(
                cache, argos.translator(), [(text, [])], src, dst, people=members
            )
            return res.text if res.translated else None

        done = await rt.store.repo(CircleStore).first_summary(circle_id, round_no)
        released = await circle_life.summarize(rt.bot, rt.store, circle_id, round_no, translate)
        circle = await rt.store.repo(CircleStore).get(circle_id)
        if done and circle is not None and (released or circle.size < circle_life.MERGE_BELOW):
            await circle_life.tidy_course(
                rt.bot, rt.store, circle.course, await published_bridge(rt.store.redis, rt.store.p)
            )
        return released

    return run(job)


def deadline_reminder(did: str, hours: int) -> int:
    """The ``hours``-before reminder of deadline ``did``; how many members it reached."""
    return run(lambda rt: deadlines.remind(rt.bot, rt.store, did, hours))


def reflection_prompt(uid: int, cid: str, session: str) -> str:
    """The end-of-session reflection prompt (nothing if the session changed meanwhile)."""
    return run(lambda rt: reflections.send_prompt(rt.bot, rt.store, uid, cid, session))


def course_merged(keep: str, drop: str) -> int:
    """Move everything of catalog entry ``drop`` to ``keep``: learners' courses, circles, the
    waiting pool and deadlines; returns how many learners moved."""

    async def job(rt: Runtime) -> int:
        store = rt.store
        moved = await store.repo(CourseStore).move_learners(keep, drop)
        for uid in moved:
            profile = await store.get_profile(uid)
            if profile is not None:
                items = [keep if c == drop else c for c in profile.courses]
                await set_learner_courses(store, profile, items)
        await store.repo(CircleStore).rename_course(keep, drop)
        await store.repo(deadlines.DeadlineStore).rename_course(keep, drop)
        job_, delay = jobs.plan_circles(rt.settings, keep, time.time())
        jobs.schedule(rt.settings, job_, delay)
        return len(moved)

    return run(job)
