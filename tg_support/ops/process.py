"""What a worker process starts besides RQ: its /metrics, and the digest planner."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from redis import Redis as SyncRedis

from tg_support.config import Settings
from tg_support.core import jobs
from tg_support.ops import metrics

log = logging.getLogger(__name__)


def worker_started(
    settings: Settings, conn: SyncRedis, *, burst: bool
) -> metrics.MetricsServer | None:
    """Serve /metrics (when ``METRICS_PORT``) and, unless a burst worker, enqueue today's
    digest planner (one job id per UTC day: many workers starting plan once)."""
    server = metrics.serve(settings, conn)
    if not burst:
        day = datetime.fromtimestamp(time.time(), UTC).strftime("%Y%m%d")
        try:
            jobs.enqueue_now(settings, jobs.plan_digests(day))
        except Exception:  # the digest must never keep a worker from serving
            log.warning("could not enqueue the digest planner", exc_info=True)
    return server
