"""Prometheus /metrics scraped over HTTP: the bot's (updates, handler latency, Bot API calls,
queues, open questions, read from the real Redis) and a real worker process's."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .world import person

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PORT = free_port()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"metrics_port": PORT, "metrics_listen": "127.0.0.1"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def scrape(port: int, timeout: float = 30) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient() as http:
        while True:
            try:
                r = await http.get(f"http://127.0.0.1:{port}/metrics")
                if r.status_code == 200:
                    return samples(r.text)
            except httpx.TransportError:
                pass
            assert asyncio.get_running_loop().time() < deadline, "no /metrics"
            await asyncio.sleep(0.1)


async def test_bot_metrics_scrape(bot: Any, client: Any, redis_sync: Any) -> None:
    before = await scrape(PORT)
    ana = await person(client, "Ana", "es")
    await ana.send("/help")
    await ana.send("/help")
    after = await scrape(PORT)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("tgs_updates_total", type="command") == 2
    assert delta("tgs_handler_seconds_count", type="command") == 2
    assert delta("tgs_bot_api_calls_total", method="sendMessage") >= 2
    assert after[("tgs_redis_up", ())] == 1
    assert after[("tgs_open_questions", ())] == 0
    assert ("tgs_rq_queued_jobs", (("queue", "interactive"),)) in after
    assert ("tgs_rq_failed_jobs", (("queue", "broadcast"),)) in after


async def test_worker_metrics_scrape(
    worker_env: dict[str, str], redis_sync: Any, tmp_path: Path
) -> None:
    port = free_port()
    env = {**os.environ, **worker_env, "METRICS_PORT": str(port), "METRICS_LISTEN": "127.0.0.1",
           "DATA_DIR": str(tmp_path)}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "tg_support.cli", "worker", "--no-scheduler"], env=env)
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            got = await scrape(port, timeout=60)
            # Up, and it ran the digest planner it enqueued at start, which scheduled
            # tomorrow's run.
            if got.get(("tgs_rq_workers", ()), 0) >= 1 and got.get(
                ("tgs_rq_scheduled_jobs", (("queue", "match"),)), 0
            ) >= 1:
                break
            assert asyncio.get_running_loop().time() < deadline, got
            await asyncio.sleep(0.2)
        assert got[("tgs_redis_up", ())] == 1
        assert got[("tgs_rq_failed_jobs", (("queue", "match"),))] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(proc.wait, 30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_a_taken_port_moves_to_the_next_of_the_range(redis_url: str) -> None:
    import redis as redis_lib

    from tests.conftest import make_settings
    from tg_support.ops.metrics import serve

    first = free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", first))
        busy.listen()
        conn = redis_lib.Redis.from_url(redis_url)
        settings = make_settings("http://127.0.0.1:1", redis_url, metrics_port=first,
                                 metrics_ports=3, metrics_listen="127.0.0.1")  # fmt: skip
        server = serve(settings, conn)
        try:
            assert server is not None and server.port in (first + 1, first + 2)
            body = httpx.get(f"http://127.0.0.1:{server.port}/metrics").text
            assert "tgs_redis_up 1.0" in body
        finally:
            if server is not None:
                server.stop()
            conn.close()
        alone = make_settings("http://127.0.0.1:1", redis_url, metrics_port=first,
                              metrics_ports=1, metrics_listen="127.0.0.1")  # fmt: skip
        assert serve(alone, redis_lib.Redis.from_url(redis_url)) is None  # logged, not fatal
    assert serve(make_settings("http://127.0.0.1:1", redis_url), None) is None  # off by default
