"""``tg-support status``: queues, workers, failed jobs (``--requeue``), the rate limiter and
the installed translation pairs, read from Redis. rq-dashboard is the web view of the same
queues (see the README and docker-compose.yml)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from redis import Redis as SyncRedis
from rq import Queue
from rq.job import Job

from tg_support.config import ConfigError, Settings
from tg_support.core.sending import limiter_states
from tg_support.core.services import QUEUES
from tg_support.ops.metrics import our_workers
from tg_support.questions.store import QuestionKeys
from tg_support.translation.argos import published_pairs


@dataclass
class FailedJob:
    queue: str
    job_id: str
    func: str
    ended_at: float | None
    error: str


@dataclass
class Status:
    queues: dict[str, dict[str, int]] = field(default_factory=dict)
    workers: list[dict[str, Any]] = field(default_factory=list)
    failed: list[FailedJob] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    limiter: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    open_questions: int = 0


def _last_line(text: str | None) -> str:
    lines = [x for x in (text or "").strip().splitlines() if x.strip()]
    return lines[-1].strip()[:160] if lines else ""


def _error(job: Job) -> str:
    try:
        result = job.latest_result()
    except Exception:  # an old or damaged result: the job's id still says enough
        result = None
    return _last_line(getattr(result, "exc_string", None) if result is not None else None)


def collect(
    conn: SyncRedis, text: SyncRedis, prefix: str, bot_ids: list[str], *, requeue: bool = False,
    max_failed: int = 20,
) -> Status:  # fmt: skip
    """``conn``: RQ's client (raw replies); ``text``: the same server with decoded replies."""
    st = Status()
    for name in QUEUES:
        q = Queue(prefix + name, connection=conn)
        reg = q.failed_job_registry
        ids = reg.get_job_ids()
        st.queues[name] = {
            "queued": q.count, "started": q.started_job_registry.count,
            "scheduled": q.scheduled_job_registry.count, "failed": len(ids),
        }  # fmt: skip
        for job_id in ids:
            if requeue:
                reg.requeue(job_id)
                st.requeued.append(job_id)
                continue
            if len(st.failed) >= max_failed:
                continue
            job = Job.fetch(job_id, connection=conn) if Job.exists(job_id, conn) else None
            ended = job.ended_at.timestamp() if job is not None and job.ended_at else None
            st.failed.append(FailedJob(
                name, job_id, str(job.func_name) if job is not None else "?", ended,
                _error(job) if job is not None else "",
            ))  # fmt: skip
    for w in our_workers(conn, prefix):
        current = w.get_current_job_id()
        st.workers.append({
            "name": w.name, "state": str(w.get_state()),
            "queues": [q[len(prefix):] for q in w.queue_names()],
            "job": current or "", "heartbeat": w.last_heartbeat.timestamp() if w.last_heartbeat else None,
        })  # fmt: skip
    for s in limiter_states(text, prefix, bot_ids):
        st.limiter.append({
            "bot": s.bot_id, "global_tokens": s.global_tokens, "global_hold": s.global_hold,
            "chat_holds": s.chat_holds,
        })  # fmt: skip
    st.pairs = sorted(published_pairs(text, prefix))
    st.open_questions = int(text.zcard(QuestionKeys(prefix).active_questions))
    return st


def _ago(ts: float | None, now: float) -> str:
    return "-" if ts is None else f"{max(0, int(now - ts))}s ago"


def render(st: Status, now: float | None = None) -> str:
    """The operator's view, plain text (for a terminal; not translated)."""
    now = time.time() if now is None else now
    out = ["queues:", f"  {'queue':<12}{'queued':>8}{'started':>9}{'scheduled':>11}{'failed':>8}"]
    for name, c in st.queues.items():
        out.append(
            f"  {name:<12}{c['queued']:>8}{c['started']:>9}{c['scheduled']:>11}{c['failed']:>8}"
        )
    out.append(f"workers: {len(st.workers)}")
    for w in st.workers:
        job = f", running {w['job']}" if w["job"] else ""
        out.append(
            f"  {w['name']}  {w['state']}{job}  queues {','.join(w['queues'])}  "
            f"heartbeat {_ago(w['heartbeat'], now)}"
        )
    if st.requeued:
        out.append(f"requeued {len(st.requeued)} failed jobs: {', '.join(st.requeued[:20])}")
    elif st.failed:
        out.append("failed jobs (tg-support status --requeue puts them back in their queues):")
        for f in st.failed:
            out.append(f"  [{f.queue}] {f.job_id}  {f.func}  ended {_ago(f.ended_at, now)}")
            if f.error:
                out.append(f"      {f.error}")
    else:
        out.append("failed jobs: none")
    out.append("rate limiter:" if st.limiter else "rate limiter: idle (no live bucket)")
    for lim in st.limiter:
        tokens = "full (idle)" if lim["global_tokens"] is None else f"{lim['global_tokens']:.1f}"
        hold = f"{lim['global_hold']:.1f}s" if lim["global_hold"] else "none"
        out.append(f"  bot {lim['bot']}: global tokens {tokens}; bot-wide hold {hold}")
        for chat, secs in sorted(lim["chat_holds"].items()):
            out.append(f"    chat {chat} on hold for {secs:.1f}s (Telegram's retry_after)")
    out.append("translation pairs: " + (", ".join(st.pairs) if st.pairs else "none published"))
    out.append(f"open questions: {st.open_questions}")
    return "\n".join(out)


def main(settings: Settings, *, requeue: bool = False, as_json: bool = False) -> int:
    """``tg-support status``: print the status (REDIS_URL is required: there is nothing to
    show of an embedded Redis that is not running)."""
    from tg_support.core.redis_conn import sync_client

    if not settings.redis_url:
        raise ConfigError("REDIS_URL: status reads the Redis the bot and workers share")
    conn = sync_client(settings.redis_url, decode_responses=False)
    text = sync_client(settings.redis_url, decode_responses=True)
    token = settings.telegram_bot_token
    bot_ids = [token.get_secret_value().split(":", 1)[0]] if token else []
    try:
        st = collect(conn, text, settings.redis_prefix, bot_ids, requeue=requeue)
    finally:
        conn.close()
        text.close()
    print(json.dumps(asdict(st), indent=2) if as_json else render(st))
    return 0
