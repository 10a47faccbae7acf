"""``/metrics`` for Prometheus, served by the bot and by every worker.

``METRICS_PORT`` (0 or unset: off) is where a process listens; with ``METRICS_PORTS`` > 1
a process that finds the port taken tries the next ones, so several workers on one host
each get their own (in Docker every container has its own network, so one port serves all
replicas and Prometheus finds them by DNS; see ``deploy/prometheus.yml``).

Besides this process's own counters (``core.metrics``), a scrape reads what lives in Redis:
RQ queue depths, failed, started and scheduled jobs per queue, workers, and the questions
open now. Every process exports these; they are the same numbers, so dashboards take
``max`` over instances.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis import Redis as SyncRedis
from rq import Queue, Worker
from rq.worker import BaseWorker

from tg_support.config import Settings
from tg_support.core.metrics import REGISTRY
from tg_support.core.services import QUEUES
from tg_support.questions.store import QuestionKeys

log = logging.getLogger(__name__)


class RedisCollector(Collector):
    """Gauges read from Redis at scrape time (a few commands per queue)."""

    def __init__(self, conn: SyncRedis, prefix: str) -> None:
        self.conn = conn
        self.prefix = prefix

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("tgs_redis_up", "1 when the last scrape could read Redis.")
        try:
            families = list(self._read())
        except Exception:  # Redis away: say so rather than fail the whole scrape
            log.warning("metrics: could not read Redis", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("tgs_rq_queued_jobs", "Jobs waiting in a queue.", labels=["queue"])
        failed = GaugeMetricFamily(
            "tgs_rq_failed_jobs", "Jobs in a queue's failed registry.", labels=["queue"]
        )
        started = GaugeMetricFamily(
            "tgs_rq_started_jobs", "Jobs running now, per queue.", labels=["queue"]
        )
        scheduled = GaugeMetricFamily(
            "tgs_rq_scheduled_jobs", "Jobs scheduled for later, per queue.", labels=["queue"]
        )
        for name in QUEUES:
            q = Queue(self.prefix + name, connection=self.conn)
            depth.add_metric([name], q.count)
            failed.add_metric([name], q.failed_job_registry.count)
            started.add_metric([name], q.started_job_registry.count)
            scheduled.add_metric([name], q.scheduled_job_registry.count)
        workers = GaugeMetricFamily("tgs_rq_workers", "RQ workers alive (on any queue).")
        workers.add_metric([], len(our_workers(self.conn, self.prefix)))
        open_q = GaugeMetricFamily(
            "tgs_open_questions", "Questions posted and not yet solved or closed."
        )
        open_q.add_metric([], int(self.conn.zcard(QuestionKeys(self.prefix).active_questions)))
        yield from (depth, failed, started, scheduled, workers, open_q)


def our_workers(conn: SyncRedis, prefix: str) -> list[BaseWorker]:
    names = {prefix + q for q in QUEUES}
    return [w for w in Worker.all(connection=conn) if names & set(w.queue_names())]


@dataclass
class MetricsServer:
    port: int
    server: WSGIServer
    thread: threading.Thread
    collector: RedisCollector

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        REGISTRY.unregister(self.collector)


def serve(settings: Settings, conn: SyncRedis) -> MetricsServer | None:
    """Listen on the first free port of ``METRICS_PORT`` … ``+ METRICS_PORTS - 1``; None when
    metrics are off. ``conn``: a synchronous client (the scrape runs in the server's thread)."""
    if not settings.metrics_port:
        return None
    collector = RedisCollector(conn, settings.redis_prefix)
    REGISTRY.register(collector)
    last: OSError | None = None
    for port in range(settings.metrics_port, settings.metrics_port + settings.metrics_ports):
        try:
            server, thread = start_http_server(port, settings.metrics_listen, registry=REGISTRY)
        except OSError as exc:
            last = exc
            continue
        log.info("metrics on http://%s:%d/metrics", settings.metrics_listen, port)
        return MetricsServer(port, server, thread, collector)
    REGISTRY.unregister(collector)
    log.error("metrics: no free port from %d (%s); serving none", settings.metrics_port, last)
    return None
