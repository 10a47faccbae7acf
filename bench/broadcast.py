"""Broadcast delivery rate against the emulator's enforced flood limits, side by side.

One run, one emulator process (``python -m tg_support.sandbox --port 0 --scale S``), 3,000
recipients, and two senders:

* **tg-support**: a broadcast delivered by two real worker processes
  (``python -m tg_support.cli worker --queues broadcast --burst``) through the shared Redis
  rate limiter at low priority, with per-recipient exactly-once records;
* **fixed sleep**: the common loop ``send; sleep(0.05)``, in two processes (each half of
  the recipients) and in one; the sleep is scaled by 1/S like every limit (the HTTP round
  trip is not, so the loop is a little slower here than at S=1 with the same round trip).
  A plain PTB ``Bot`` that waits out ``retry_after`` and retries.

Every rate is scaled by S on both sides (the emulator's ``--scale``, its global burst via the
control API, our ``SEND_*`` settings), so the ratios are those of a run at Telegram's real
30 messages/s, in 1/S of the time. Printed per sender: delivered, duplicates, lost, 429
responses, duration, and the achieved rate as a fraction of the limit, two ways: over the
send window (``N / (T × rate)``) and strictly against the most the emulator's bucket admits
in that window (``N / (burst + T × rate)``).

    python -m bench.broadcast [--recipients 3000] [--scale 5] [--redis-url redis://127.0.0.1:6379/12]

``BENCH_HIST=1`` also prints the messages delivered in each second of each run.

The Redis database given is flushed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "555001:BENCH-broadcast-abcdefghijklmnop"
PREFIX = "bench:bc:"
TELEGRAM_GLOBAL = 30.0


async def start_emulator(scale: float) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tg_support.sandbox", "--port", "0", "--scale", str(scale),
        stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    while True:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        if not line:
            raise RuntimeError("the emulator exited")
        if "listening on" in line:
            return proc, line.rsplit(" ", 1)[-1].strip()


async def seed(client: Any, redis_url: str, n: int) -> tuple[list[int], int]:
    from redis.asyncio import Redis

    from tg_support.core.store import Profile, Store

    sem = asyncio.Semaphore(64)

    async def user(i: int) -> int:
        async with sem:
            u = await client.create_user(first_name=f"R{i}", language_code="en")
            return int(u["id"])

    ids = await asyncio.gather(*(user(i) for i in range(n)))
    admin = int((await client.create_user(first_name="Admin", language_code="en"))["id"])
    r = Redis.from_url(redis_url, decode_responses=True)
    keys = Store(r, PREFIX).keys
    async with r.pipeline(transaction=False) as pipe:
        for u in ids:
            p = Profile(user_id=u, lang="en", role="learner", onboarded=True, created_at=1.0)
            pipe.hset(keys.user(u), mapping=p.to_redis())  # type: ignore[arg-type]
            pipe.sadd(keys.users, u)
            pipe.sadd(keys.users_by_lang("en"), u)
        await pipe.execute()
    await r.aclose()
    return ids, admin


def env_for(url: str, redis_url: str, scale: float) -> dict[str, str]:
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": PREFIX,
        "LOG_LEVEL": "WARNING",
        "SEND_GLOBAL_PER_SECOND": str(TELEGRAM_GLOBAL * scale),
        "SEND_PRIVATE_PER_SECOND": str(1.0 * scale),
        "SEND_GROUP_PER_MINUTE": str(20.0 * scale),
        "BROADCAST_CHUNK_SIZE": "100",
    }


async def run_ours(env: dict[str, str], redis_url: str, admin: int) -> None:
    from redis.asyncio import Redis

    from tg_support.broadcast.broadcasts import Audience, Broadcasts

    r = Redis.from_url(redis_url, decode_responses=True)
    store = Broadcasts(r, PREFIX)
    text = "New cohort starts Monday: register at https://example.org/join"
    b = await store.create(admin, "en", "en", text, [], Audience(kind="learners"))
    await store.set_text(b.bid, "en", text, [], "original")
    await store.transition(b.bid, ["translating"], "queued")
    await r.aclose()
    # The start job (snapshot + one job per chunk) runs first, so both workers find work.
    start = await asyncio.create_subprocess_exec(
        sys.executable, "-c", f"from workers.broadcast import start; print(start({b.bid!r}))",
        env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await start.wait()
    cmd = ["-m", "tg_support.cli", "worker", "--queues", "broadcast", "--burst", "--no-scheduler"]
    workers = []
    for _ in range(2):
        workers.append(
            await asyncio.create_subprocess_exec(sys.executable, *cmd, env=env, cwd=ROOT)
        )
    for w in workers:
        await w.wait()


FIXED = """
import asyncio, json, sys
from telegram import Bot
from telegram.error import RetryAfter
async def main():
    url, token, pause, ids = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4])
    async with Bot(token, base_url=url + "/bot") as bot:
        for chat in ids:
            while True:
                try:
                    await bot.send_message(chat, "New cohort starts Monday: register at https://example.org/join")
                    break
                except RetryAfter as exc:
                    ra = exc.retry_after
                    await asyncio.sleep(ra.total_seconds() if hasattr(ra, "total_seconds") else float(ra))
            await asyncio.sleep(pause)
asyncio.run(main())
"""


async def run_fixed(url: str, ids: list[int], scale: float, processes: int) -> None:
    halves = [ids[i::processes] for i in range(processes)]
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", FIXED, url, TOKEN, str(0.05 / scale), json.dumps(half), cwd=ROOT
        )
        for half in halves
    ]
    for p in procs:
        await p.wait()


def measure(
    log: list[dict[str, Any]], ids: list[int], rate: float, burst: float, since: int
) -> dict[str, float]:
    wanted = set(ids)
    entries = [
        e for e in log
        if e["seq"] > since and e["method"].lower() == "sendmessage"
        and int(e["params"].get("chat_id", 0)) in wanted
    ]  # fmt: skip
    ok = [e for e in entries if e["ok"]]
    per_chat = Counter(int(e["params"]["chat_id"]) for e in ok)
    times = sorted(float(e["time"]) for e in ok)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    if os.environ.get("BENCH_HIST") and times:
        bins = Counter(int((t - times[0]) / 1.0) for t in times)
        print("per second:", [bins[i] for i in range(int(span) + 1)])
    n = len(ok)
    return {
        "delivered": float(len(per_chat)),
        "duplicates": float(sum(c - 1 for c in per_chat.values() if c > 1)),
        "lost": float(len(wanted - set(per_chat))),
        "429s": float(sum(1 for e in entries if e["status"] == 429)),
        "seconds": span,
        "fraction": (n - 1) / (span * rate) if span else 0.0,
        "strict": n / (burst + span * rate) if span else 0.0,
    }


async def main(args: argparse.Namespace) -> int:
    from tg_support.sandbox import SandboxClient

    scale = args.scale
    rate, burst = TELEGRAM_GLOBAL * scale, TELEGRAM_GLOBAL * scale
    redis.Redis.from_url(args.redis_url).flushdb()
    emu, url = await start_emulator(scale)
    try:
        async with SandboxClient(url) as client:
            await client.create_bot(TOKEN, username="bench_broadcast_bot")
            # Time runs S times faster: a burst of one second of traffic, as at scale 1.
            await client.set_limits(global_burst=burst)
            t0 = time.monotonic()
            ids, admin = await seed(client, args.redis_url, args.recipients)
            print(f"seeded {len(ids)} recipients in {time.monotonic() - t0:.1f}s; "
                  f"limit {rate:.0f} msg/s (Telegram's 30/s × {scale:g})", flush=True)  # fmt: skip
            env = env_for(url, args.redis_url, scale)
            results = {}
            since = (await client.log(method="sendMessage"))[-1:] or [{"seq": 0}]
            t0 = time.monotonic()
            await run_ours(env, args.redis_url, admin)
            print(f"tg-support: done in {time.monotonic() - t0:.1f}s wall", flush=True)
            log = await client.log(method="sendMessage")
            results["tg-support (2 workers)"] = measure(log, ids, rate, burst, since[0]["seq"])
            for procs in (2, 1):
                await asyncio.sleep(2.0)  # let the emulator's bucket refill
                since_seq = log[-1]["seq"] if log else 0
                t0 = time.monotonic()
                await run_fixed(url, ids, scale, procs)
                print(
                    f"fixed sleep ×{procs}: done in {time.monotonic() - t0:.1f}s wall", flush=True
                )
                log = await client.log(method="sendMessage")
                results[f"fixed sleep(0.05) ×{procs}"] = measure(log, ids, rate, burst, since_seq)
    finally:
        emu.terminate()
        await emu.wait()
    print()
    head = f"{'sender':24} {'delivered':>9} {'dup':>5} {'lost':>5} {'429s':>6} {'seconds':>8} {'rate/limit':>10} {'strict':>7}"
    print(head)
    print("-" * len(head))
    for name, m in results.items():
        print(
            f"{name:24} {m['delivered']:9.0f} {m['duplicates']:5.0f} {m['lost']:5.0f} "
            f"{m['429s']:6.0f} {m['seconds']:8.2f} {m['fraction']:10.3f} {m['strict']:7.3f}"
        )
    print(f"\n(scale {scale:g}: seconds × {scale:g} = the same run at Telegram's real limits)")
    return 0


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--scale", type=float, default=5.0)
    parser.add_argument(
        "--redis-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
    )
    return asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(cli())
