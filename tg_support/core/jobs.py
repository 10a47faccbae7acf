"""Scheduling RQ jobs from jobs, and the worker class that runs them.

Jobs that schedule their own follow-up (the next offer round, the next idle check) use
:func:`enqueue_in`: a deterministic job id, so scheduling again replaces the pending job
instead of adding a second one. RQ's scheduler (``tg-support worker`` runs it unless
``--no-scheduler``) moves due jobs onto their queue.

Crash recovery
--------------
The worker class is :class:`tg_support.core.worker.Worker`: RQ's
``SimpleWorker`` (jobs run in the worker process, so what a job loads once stays loaded),
with a heartbeat while a job runs, abandoned jobs re-queued within about a minute of a
crash, and a bounded stop (see that module). Jobs are idempotent, so a re-run finishes
what the dead one began.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from rq import Queue, Retry

from tg_support.config import Settings

MATCH_RETRIES = 3


@dataclass(frozen=True)
class Job:
    """One RQ job: its queue (a name from ``services.QUEUES``), the entry point's dotted name
    and its arguments. Built only by the typed functions below: the bot never imports
    ``workers/`` (it pulls in the translation engine) and ``workers/`` imports the features,
    so dotted names, kept in this one place, keep imports going one way."""

    queue: str
    func: str
    args: tuple[Any, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


def match_helpers(settings: Settings, qid: str, round_no: int) -> Job:
    """Offer round ``round_no`` of a question (``workers.tasks``); one job id per round."""
    return Job(
        "match", "workers.tasks.match_helpers", (qid, round_no),
        {"job_id": round_job_id(qid, round_no), **match_options(settings)},
    )  # fmt: skip


def round_job_id(qid: str, round_no: int) -> str:
    """One job id per question and round: enqueueing a round twice keeps one job."""
    return f"offer-{qid}-{round_no}"


def translate_text(text: str, src: str, dst: str, owner: int = 0) -> Job:
    """A quick translation whose result the caller waits for (a search query's pivot);
    ``owner``: whose text it is (its cache entry is erased with them)."""
    args: tuple[Any, ...] = (text, src, dst, owner) if owner else (text, src, dst)
    return Job("interactive", "workers.translate.translate_text", args)


def translate_many(items: list[list[str]], dst: str, group: int | None = None) -> Job:
    """Texts (``[text, src]``) into ``dst`` with a group's glossary, for the bot to show at
    once (a suggested answer, the FAQ): ``[text, confident]`` each."""
    return Job("interactive", "workers.translate.translate_many", (items, dst, group))


def index_pivot(qid: str) -> Job:
    """Index a solved question with its English pivot, for learners of other languages."""
    return Job("translate", "workers.translate.index_pivot", (qid,))


def translate_topic_title(qid: str) -> Job:
    """Rename a question's topic into its group's language (the list of topics is read in it)."""
    return Job("translate", "workers.translate.translate_topic_title", (qid,))


def deliver_translated(envelope: dict[str, Any]) -> Job:
    """Translate an envelope (``translation.delivery``, as JSON) and send it."""
    return Job("translate", "workers.translate.deliver_translated", (envelope,))


def deliver_original(envelope: dict[str, Any]) -> Job:
    """The fallback at the translation deadline: the original with a note."""
    return Job("interactive", "workers.translate.deliver_original", (envelope,))


def retranslate(
    orig_id: str, chat_id: int, msg_id: int, text: str, entities: list[dict[str, Any]]
) -> Job:
    """An edited original: translate it again into the copy ``chat_id``/``msg_id``."""
    return Job(
        "translate", "workers.translate.retranslate", (orig_id, chat_id, msg_id, text, entities)
    )


def refresh_offers(qid: str) -> Job:
    """Redraw the offers of a question the learner edited (translated for some helpers)."""
    return Job("translate", "workers.tasks.refresh_offers", (qid,))


def prepare_broadcast(bid: str) -> Job:
    """Translate a broadcast into its audience's languages and send the previews."""
    return Job("translate", "workers.broadcast.prepare", (bid,))


def start_broadcast(bid: str) -> Job:
    """Snapshot a confirmed broadcast's audience and deliver it in chunks."""
    return Job("broadcast", "workers.broadcast.start", (bid,))


def match_reviews(due: float) -> Job:
    """One run of the review-swap matcher (``workers.reviews``), due at ``due`` (epoch s).

    The id names the due second: requests changed within the debounce window share the one
    run (``ReviewStore.want_match`` lets only the first change schedule it), and a run never
    reuses the id of the run going on now."""
    return Job("match", "workers.reviews.match_reviews", (), {"job_id": f"rv-match-{int(due)}"})


def start_swap(sid: str) -> Job:
    """Introduce the members of a new review swap and schedule its deadline checks."""
    return Job("interactive", "workers.reviews.start_swap", (sid,), {"job_id": f"rv-start-{sid}"})


def review_deadline(rid: str, stage: str, due: float) -> Job:
    """A deadline check of the review request ``rid`` receives (``remind``, ``rematch``), due
    at ``due``: scheduling it again replaces it, and a check that finds itself early never
    reuses its own id."""
    return Job(
        "interactive", "workers.reviews.review_deadline", (rid, stage),
        {"job_id": f"rv-dl-{rid}-{stage}-{int(due)}"},
    )  # fmt: skip


def deliver_review(rid: str) -> Job:
    """Send the review of request ``rid`` to its author, the answers translated if needed."""
    return Job(
        "translate", "workers.reviews.deliver_review", (rid,), {"job_id": f"rv-review-{rid}"}
    )


# --- community: study circles, deadlines, reflections ------------------------------------


def _short(text: str) -> str:
    """A course id as a job id part (RQ allows only letters, digits, ``_`` and ``-``)."""
    import hashlib

    return hashlib.blake2s(text.encode(), digest_size=6).hexdigest()


def plan_circles(settings: Settings, cid: str, now: float) -> tuple[Job, float]:
    """Plan course ``cid``'s circles at the end of the current debounce window; returns the
    job and its delay. Every pool change in one window names the same job id, so a burst of
    joins runs the planner once; a change after the window began to run gets the next one."""
    window = settings.circle_plan_delay_seconds
    bucket = int(now // window) + 1
    job = Job(
        "match", "workers.community.plan_course", (cid,),
        {"job_id": f"circ-plan-{_short(cid)}-{bucket}"},
    )  # fmt: skip
    return job, bucket * window - now


def retry_plan(cid: str, attempt: int) -> Job:
    """The planner found the course locked by another run: look again shortly."""
    return Job(
        "match", "workers.community.plan_course", (cid, attempt),
        {"job_id": f"circ-plan-{_short(cid)}-retry-{attempt}"},
    )  # fmt: skip


def announce_joined(circle_id: str, uids: list[int]) -> Job:
    """Learners joined a circle from the bot: introductions to them, a word to the others."""
    return Job("interactive", "workers.community.announce_joined", (circle_id, uids))


def tidy_circles(cid: str) -> Job:
    """Merge the course's circles that got too small."""
    return Job("match", "workers.community.tidy_course", (cid,))


def circle_checkin(circle_id: str, round_no: int) -> Job:
    """Weekly check-in ``round_no`` of a circle (RQ's scheduler runs it at the circle's slot)."""
    return Job(
        "match", "workers.community.checkin", (circle_id, round_no),
        {"job_id": f"circ-ci-{circle_id}-{round_no}"},
    )  # fmt: skip


def circle_summary(circle_id: str, round_no: int) -> Job:
    """Close check-in ``round_no``: the summary, nudges and releases."""
    return Job(
        "translate", "workers.community.summary", (circle_id, round_no),
        {"job_id": f"circ-sum-{circle_id}-{round_no}"},
    )  # fmt: skip


def deadline_reminder(did: str, hours: int) -> Job:
    """Remind the members of deadline ``did`` ``hours`` before it is due."""
    return Job(
        "interactive", "workers.community.deadline_reminder", (did, hours),
        {"job_id": f"dl-{did}-{hours}"},
    )  # fmt: skip


def reflection_prompt(uid: int, cid: str, session: str, job_id: str) -> Job:
    """At the end of a course's session: ask the learner to reflect."""
    return Job(
        "interactive", "workers.community.reflection_prompt", (uid, cid, session),
        {"job_id": job_id},
    )  # fmt: skip


def course_merged(keep: str, drop: str) -> Job:
    """A catalog merge: learners, circles, the pool and deadlines of ``drop`` move to ``keep``."""
    return Job("match", "workers.community.course_merged", (keep, drop))


def lift_mute(uid: int, until: float) -> Job:
    """End the mute of ``uid`` that runs until ``until`` (epoch seconds), and tell them."""
    return Job(
        "interactive", "workers.moderation.lift_mute", (uid, until),
        {"job_id": f"mute-{uid}-{int(until)}"},
    )  # fmt: skip


# --- ops: the weekly health digest ---------------------------------------------------------


def plan_digests(day: str) -> Job:
    """Schedule every group's next health digest, then the planner of the next day (``day``
    is the UTC date, YYYYMMDD: workers starting the same day plan once)."""
    return Job("match", "workers.health.plan_digests", (), {"job_id": f"hl-plan-{day}"})


def health_digest(chat_id: int, day: str, job_id: str) -> Job:
    """Send group ``chat_id``'s weekly health digest of ``day`` (its local date) to its admins."""
    return Job("broadcast", "workers.health.send_digest", (chat_id, day), {"job_id": job_id})


def event_reminder(eid: str, hours: int, start: float) -> Job:
    """Remind the attendees of event ``eid`` ``hours`` before ``start`` (a moved event gets
    new ids; the old jobs find the start changed and send nothing)."""
    return Job(
        "interactive", "workers.events.reminder", (eid, hours, start),
        {"job_id": f"ev-{eid}-{hours}-{int(start)}"},
    )  # fmt: skip


def event_feedback(eid: str, end: float) -> Job:
    """After event ``eid`` ended at ``end``: "how was it?" to its attendees."""
    return Job(
        "interactive", "workers.events.feedback", (eid, end), {"job_id": f"ev-fb-{eid}-{int(end)}"}
    )


def event_notify(eid: str, kind: str, changes: dict[str, Any], stamp: str) -> Job:
    """Tell event ``eid``'s attendees it changed (``kind`` ``edit``, with ``changes``) or was
    cancelled (``cancel``), each in their language."""
    return Job("interactive", "workers.events.notify", (eid, kind, changes, stamp))


def spotlight(month: str) -> Job:
    """The helper spotlight of ``month`` (``YYYY-MM``) in every registered group; one job
    id per month, so however many processes schedule it, it runs once."""
    return Job("interactive", "workers.events.spotlight", (month,), {"job_id": f"rc-spot-{month}"})


def match_options(settings: Settings) -> dict[str, Any]:
    """Options of every ``match_helpers`` job: a timeout, and retries after a failure or a
    crash (the job is idempotent)."""
    return {"job_timeout": settings.match_job_timeout_seconds, "retry": Retry(max=MATCH_RETRIES)}


def schedule(settings: Settings, job: Job, delay: float) -> None:
    """Run ``job`` after ``delay`` seconds from a worker (its options carry the job id)."""
    options = dict(job.options)
    job_id = options.pop("job_id")
    enqueue_in(settings, job.queue, job.func, delay, job_id, *job.args, **options)


def enqueue_now(settings: Settings, job: Job) -> str:
    """Run ``job`` as soon as a worker is free, from a worker (the bot uses ``Services``)."""
    from tg_support.core.redis_conn import sync_client

    assert settings.redis_url is not None
    conn = sync_client(settings.redis_url, decode_responses=False)
    try:
        queue = Queue(settings.redis_prefix + job.queue, connection=conn)
        return str(queue.enqueue(cast(Any, job.func), *job.args, **job.options).id)
    finally:
        conn.close()


def enqueue_in(
    settings: Settings,
    queue: str,
    func: Callable[..., Any] | str,
    delay: float,
    job_id: str,
    *args: Any,
    **options: Any,
) -> None:
    """Run ``func(*args)`` on ``queue`` (a name from ``services.QUEUES``) after ``delay``
    seconds (at least one), as job ``job_id``: scheduling the same id again replaces it."""
    from tg_support.core.redis_conn import sync_client

    assert settings.redis_url is not None
    conn = sync_client(settings.redis_url, decode_responses=False)
    try:
        Queue(settings.redis_prefix + queue, connection=conn).enqueue_in(
            timedelta(seconds=max(1.0, delay)), cast(Any, func), *args, job_id=job_id, **options
        )
    finally:
        conn.close()

