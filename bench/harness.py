"""Shared pieces of the end-to-end benchmarks (``bench.updates``, ``bench.questions``).

Three kinds of processes, so that on a small machine the emulator, each bot and the load
driver do not share one event loop (a bot measured in the driver's loop would be charged for
the driver's work, and the emulator's work would be charged to whichever bot runs in-process):

* the emulator: ``python -m tg_support.sandbox --port 0 --no-limits``;
* a bot: ``python -m bench.harness bot --kind echo|echo-256|tgs|tgs-32|floor ...`` (see
  :data:`KINDS`), long polling the emulator until its stdin closes; with
  ``BENCH_PROFILE_DIR=DIR`` set, each bot runs under cProfile and writes ``DIR/KIND.prof``;
* the driver (the benchmark itself): sends as users through the control API and watches the
  emulator's ``/control/events`` stream (SSE), which carries the emulator's own timestamp
  for every message created.

Nothing here is timed by the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

JSON = dict[str, Any]

ECHO_TOKEN = "777001:BENCH-echo-abcdefghijklmnop"
ECHO_SEQ_TOKEN = "777002:BENCH-echoseq-abcdefghijklmnop"
TGS_TOKEN = "777003:BENCH-tgsupport-abcdefghijklmnop"
TGS32_TOKEN = "777006:BENCH-tgsupport32-abcdefghijklmnop"
FLOOR_TOKEN = "777007:BENCH-floor-abcdefghijklmnop"
# Bot kinds: (token, concurrent updates; 0 = the bot's own default).
KINDS: dict[str, tuple[str, int]] = {
    "echo": (ECHO_SEQ_TOKEN, 0),  # PTB's default: one update at a time
    "echo-256": (ECHO_TOKEN, 256),  # as many at once as tg-support's PerUserUpdateProcessor
    "tgs": (TGS_TOKEN, 0),  # as shipped: PerUserUpdateProcessor(app.UPDATES_IN_FLIGHT = 32)
    "tgs-32": (TGS32_TOKEN, 32),  # what-if: the same with at most 32 updates at once
    # The Bot API calls a question needs and nothing else, on tg-support's HTTP client with
    # 32 updates at once: the ceiling of any PTB bot that answers a question (see build_floor).
    "floor": (FLOOR_TOKEN, 32),
}
RAW_TOKEN = "777004:BENCH-raw-abcdefghijklmnop"
SINK_TOKEN = "777005:BENCH-sink-abcdefghijklmnop"
BENCH_PREFIX = "bench:"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
# tg-support's own send limits and per-user flood control, raised so that both bots are
# measured on processing, not on Telegram's limits (the emulator enforces none either).
TGS_OVERRIDES: JSON = {
    "send_global_per_second": 1_000_000.0,
    "send_private_per_second": 1_000_000.0,
    "send_private_burst": 1_000_000,
    "send_group_per_minute": 60_000_000.0,
    "send_group_burst": 1_000_000,
    "flood_updates": 1_000_000,
}


def bot_id(token: str) -> int:
    return int(token.split(":", 1)[0])


# ---------------------------------------------------------------------------- processes


async def _read_line(proc: asyncio.subprocess.Process, marker: str, seconds: float) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + seconds
    seen = ""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RuntimeError(f"no {marker!r} from pid {proc.pid} within {seconds}s")
        line = (await asyncio.wait_for(proc.stdout.readline(), remaining)).decode()
        if not line:
            raise RuntimeError(f"pid {proc.pid} exited before printing {marker!r}")
        if marker in line:
            return (seen + line).strip()
        seen += line


@dataclass
class Child:
    proc: asyncio.subprocess.Process
    name: str
    stderr: Path | None = None
    notes: str = ""

    def errors(self) -> dict[str, int]:
        """Exception lines in the child's stderr so far, counted (last line of each traceback)."""
        if self.stderr is None or not self.stderr.exists():
            return {}
        counts: dict[str, int] = {}
        for line in self.stderr.read_text(errors="replace").splitlines():
            if re.match(r"^[\w.]+(Error|Exception|Timeout|Full)\b.*", line):
                key = line[:120]
                counts[key] = counts.get(key, 0) + 1
        return counts

    async def stop(self) -> None:
        """Close stdin (a bot shuts down cleanly on EOF); terminate what does not exit."""
        if self.proc.returncode is not None:
            if self.stderr is not None:
                self.stderr.unlink(missing_ok=True)
            return
        if self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self.stderr is not None:
            self.stderr.unlink(missing_ok=True)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the child so far (Linux /proc), for utilisation."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")


def _last_line(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


async def start_emulator() -> tuple[Child, str]:
    """The emulator in its own process with flood limits off; returns it and its URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tg_support.sandbox", "--port", "0", "--no-limits",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    line = await _read_line(proc, "sandbox listening on", 30)
    return Child(proc, "emulator"), line.rsplit(" ", 1)[1]


async def start_bot(
    kind: str, url: str, redis_url: str = DEFAULT_REDIS_URL, group: int = 0
) -> Child:
    """A bot process (one of :data:`KINDS`), returned once it is polling.
    Its stderr (errors while handling updates) goes to a temporary file, see :meth:`Child.errors`."""
    log = tempfile.NamedTemporaryFile(prefix=f"bench-{kind}-", suffix=".log", delete=False)  # noqa: SIM115
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.harness", "bot", "--kind", kind, "--url", url,
        "--redis-url", redis_url, "--group", str(group),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log,
    )  # fmt: skip
    log.close()
    child = Child(proc, kind, Path(log.name))
    try:
        line = await _read_line(proc, "bot ready", 60)
    except (RuntimeError, TimeoutError) as exc:
        tail = _last_line(Path(log.name))
        await child.stop()
        raise RuntimeError(f"bot {kind!r} did not start: {tail or exc}") from None
    child.notes = line.split("bot ready", 1)[0].strip()
    return child


# ---------------------------------------------------------------------------- bots (child side)


async def _echo(update: Any, context: Any) -> None:
    msg = update.effective_message
    if msg is not None and msg.text:
        await context.bot.send_message(msg.chat_id, msg.text)


def build_echo(token: str, url: str, concurrent: int) -> Any:
    """The reference: a minimal PTB application with one MessageHandler echoing text."""
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    builder = (
        ApplicationBuilder().token(token).base_url(f"{url}/bot").base_file_url(f"{url}/file/bot")
    )
    if concurrent:
        builder = builder.concurrent_updates(concurrent)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    return app


def build_floor(token: str, url: str, concurrent: int, group_id: int) -> Any:
    """A bare PTB bot making exactly the Bot API calls tg-support makes for a question:
    createForumTopic in the group, the question posted in the new topic, the learner's
    confirmation. No language detection, storage, search, limits or jobs: what is left of a
    question's cost once all of tg-support's own work is free."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    from tg_support.core.http import AiohttpRequest

    async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        if msg is None or not msg.text:
            return
        topic = await context.bot.create_forum_topic(group_id, msg.text[:120])
        await context.bot.send_message(group_id, msg.text, message_thread_id=topic.message_thread_id)
        await context.bot.send_message(msg.chat_id, "ok")

    app = (
        ApplicationBuilder().token(token).base_url(f"{url}/bot").base_file_url(f"{url}/file/bot")
        .request(AiohttpRequest()).get_updates_request(AiohttpRequest(connection_pool_size=1))
        .concurrent_updates(concurrent).build()
    )  # fmt: skip
    app.add_handler(MessageHandler(filters.TEXT, question))
    return app


def build_tgs(token: str, url: str, redis_url: str, concurrent: int) -> Any:
    from tg_support.app import build_application
    from tg_support.config import load_settings

    settings = load_settings(
        telegram_bot_token=token, telegram_api_url=url, redis_url=redis_url,
        redis_prefix=BENCH_PREFIX, log_level="WARNING", **TGS_OVERRIDES,
    )  # fmt: skip
    app = build_application(settings, redis_url)
    if concurrent:
        from tg_support.core.lifecycle import PerUserUpdateProcessor

        inbox = app.update_processor.inbox  # type: ignore[attr-defined]
        app._update_processor = PerUserUpdateProcessor(concurrent, inbox)  # a what-if, bench only
    return app


async def run_bot(kind: str, url: str, redis_url: str, group: int = 0) -> None:
    token, concurrent = KINDS[kind]
    if kind.startswith("tgs"):
        app = build_tgs(token, url, redis_url, concurrent)
    elif kind == "floor":
        app = build_floor(token, url, concurrent, group)
    else:
        app = build_echo(token, url, concurrent)
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=10, allowed_updates=["message"])
    services = app.bot_data.get("services")
    client = services.settings.tg_http if services else "httpx (PTB's default)"
    print(f"Bot API client: {client}\tbot ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the driver closes our stdin
    await app.updater.stop()
    await app.stop()
    if app.post_shutdown:
        await app.post_shutdown(app)
    await app.shutdown()


# ---------------------------------------------------------------------------- driver side


@dataclass
class Waiter:
    predicate: Callable[[JSON], bool]
    needed: int
    seen: int = 0
    last: float = 0.0
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Events:
    """Subscribes to ``/control/events``; calls every registered hook with each
    ``message_created`` event (``data`` plus ``time``, the emulator's wall clock)."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.hooks: list[Callable[[JSON], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def __aenter__(self) -> Events:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._ready.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with self.session.get(f"{self.url}/control/events", timeout=timeout) as resp:
            kind = ""
            async for raw in resp.content:
                line = raw.decode().rstrip("\n")
                if line.startswith(": connected"):
                    self._ready.set()
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "message_created":
                    event = json.loads(line[6:])
                    payload: JSON = {**event["data"], "time": event["time"]}
                    for hook in list(self.hooks):
                        hook(payload)

    @contextlib.asynccontextmanager
    async def count(self, predicate: Callable[[JSON], bool], needed: int) -> AsyncIterator[Waiter]:
        """A waiter whose ``done`` is set when ``needed`` matching messages were created."""
        waiter = Waiter(predicate, needed)

        def hook(payload: JSON) -> None:
            if waiter.predicate(payload):
                waiter.seen += 1
                waiter.last = float(payload["time"])
                if waiter.seen >= waiter.needed:
                    waiter.done.set()

        self.hooks.append(hook)
        try:
            yield waiter
        finally:
            self.hooks.remove(hook)


def private_reply_from(bot: int) -> Callable[[JSON], bool]:
    def pred(p: JSON) -> bool:
        return p.get("bot_id") == bot and bool(p["message"].get("from_bot"))

    return pred


class Control:
    """A thin pooled aiohttp client for the control API (cheaper than one httpx call each)."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def call(self, method: str, path: str, body: JSON | None = None) -> Any:
        async with self.session.request(method, f"{self.url}/control/{path}", json=body) as resp:
            data = await resp.json()
            if resp.status >= 400:
                raise RuntimeError(f"{path}: {resp.status} {data}")
            return data

    async def send_text(self, user_id: int, text: str, bot: int | None = None,
                        chat_id: int | None = None) -> JSON:  # fmt: skip
        body: JSON = {"user_id": user_id, "text": text}
        if bot is not None:
            body["bot_id"] = bot
        if chat_id is not None:
            body["chat_id"] = chat_id
        result: JSON = await self.call("POST", "send", body)
        return result

    async def log_seq(self) -> int:
        """The sequence number of the emulator's last Bot API call (calls so far)."""
        entries = await self.call("GET", "log?limit=1")
        return int(entries[-1]["seq"]) if entries else 0


def session(connections: int = 64) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections), timeout=aiohttp.ClientTimeout(total=120)
    )


async def gather_limited(coros: list[Any], concurrency: int) -> list[Any]:
    sem = asyncio.Semaphore(concurrency)

    async def one(c: Any) -> Any:
        async with sem:
            return await c

    return list(await asyncio.gather(*(one(c) for c in coros)))


async def emulator_ceiling(
    url: str, total: int = 4000, connections: int = 32
) -> tuple[float, float]:
    """Raw requests/s the emulator serves with a pooled aiohttp client: Bot API
    ``sendMessage`` (bot → user) and control-API ``send`` (user → a bot nobody polls)."""
    async with session(connections) as s:
        ctl = Control(s, url)
        await ctl.call("POST", "bots", {"token": RAW_TOKEN, "username": "bench_raw_bot"})
        await ctl.call("POST", "bots", {"token": SINK_TOKEN, "username": "bench_sink_bot"})
        users = [await ctl.call("POST", "users", {"first_name": f"Raw{i}"}) for i in range(32)]
        ids = [int(u["id"]) for u in users]
        for uid in ids:  # open the private chats (a bot may only write after the user did)
            await ctl.send_text(uid, "hi", bot=bot_id(RAW_TOKEN))

        async def api_send(i: int) -> None:
            body = {"chat_id": ids[i % len(ids)], "text": f"raw {i}"}
            async with s.post(f"{url}/bot{RAW_TOKEN}/sendMessage", json=body) as resp:
                data = await resp.json()
                assert data["ok"], data

        t0 = time.perf_counter()
        await gather_limited([api_send(i) for i in range(total)], connections)
        api_rate = total / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        sink = bot_id(SINK_TOKEN)
        await gather_limited(
            [ctl.send_text(ids[i % len(ids)], f"in {i}", bot=sink) for i in range(total)],
            connections,
        )
        control_rate = total / (time.perf_counter() - t0)
    return api_rate, control_rate


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]


def flush_db(redis_url: str) -> None:
    """Database 13 belongs to the benchmarks: emptied before and after a run (tg-support's
    ``bench:`` keys and the RQ jobs it enqueued, which RQ keeps under ``rq:``)."""
    import redis

    conn = redis.Redis.from_url(redis_url)
    try:
        conn.flushdb()
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.harness")
    sub = parser.add_subparsers(dest="cmd", required=True)
    bot = sub.add_parser("bot", help="run one bot against an emulator until stdin closes")
    bot.add_argument("--kind", choices=sorted(KINDS), required=True)
    bot.add_argument("--url", required=True)
    bot.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    bot.add_argument("--group", type=int, default=0, help="the forum group (kind floor)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    profile_dir = os.environ.get("BENCH_PROFILE_DIR")  # cProfile each bot into DIR/KIND.prof
    if profile_dir:
        import cProfile

        with cProfile.Profile() as prof:
            asyncio.run(run_bot(args.kind, args.url, args.redis_url, args.group))
        prof.dump_stats(str(Path(profile_dir) / f"{args.kind}.prof"))
        return 0
    asyncio.run(run_bot(args.kind, args.url, args.redis_url, args.group))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def print_errors(errors: dict[str, dict[str, int]]) -> None:
    """The most frequent errors each bot logged while handling updates."""
    for kind, errs in errors.items():
        for line, n in sorted(errs.items(), key=lambda kv: -kv[1])[:5]:
            print(f"errors in {kind}: {n} x {line}")
