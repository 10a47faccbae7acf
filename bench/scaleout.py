"""Questions/s with 1 and with 2 bot processes behind haproxy, in one run; bot RSS with 1k
and with 100k registered users.

    python -m bench.scaleout [--learners 200] [--rounds 3] [--redis-url redis://127.0.0.1:6379/13]

Processes: the emulator (its own process, flood limits off, delivering by webhook), Debian's
haproxy with ``deploy/haproxy.cfg``, and 1 or 2 ``tg-support run --webhook`` processes
(the production path: each update is admitted to its user's inbox in Redis before the 200,
then drained by one process at a time; ``tg_support/webhook.py``). The world is
``bench/questions.py``'s: ``--learners`` onboarded Spanish learners and one registered
Spanish forum group; each round every learner asks one new question at once; a question
counts when its post appears in its new topic. Rate = questions / (last post - first send);
CPU per question = CPU seconds of all bot processes during the round / questions.

On a 2-core machine the second process competes with the emulator, haproxy, Redis and this
driver for the same two cores, so the gain is bounded; the CPU per question shows what each
question costs whatever the number of processes.

RSS: with 1 process, after rounds at ``--learners`` + fillers = 1,000 registered users,
then after 99,000 more profiles are seeded (and the same rounds run again): a stateless bot
process should not grow with the number of users (goal: < 10 %).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.harness import (
    BENCH_PREFIX,
    DEFAULT_REDIS_URL,
    JSON,
    TGS_OVERRIDES,
    Control,
    Events,
    flush_db,
    gather_limited,
    session,
    start_emulator,
)
from bench.questions import MARK, SEND_CONCURRENCY, clear_conversations, question, seed

TOKEN = "777001:BENCH-scaleout-token-abcdefgh"
TIMEOUT = 90.0


def _proc_stat(pid: int) -> tuple[float, int]:
    """CPU seconds and RSS bytes of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        return cpu, rss
    except (OSError, IndexError, ValueError):
        return float("nan"), 0


async def seed_fillers(redis_url: str, start: int, count: int) -> None:
    """``count`` more onboarded profiles (ids from ``start``), pipelined."""
    from tg_support.core.redis_conn import async_client
    from tg_support.core.store import Keys, Profile

    redis = async_client(redis_url)
    keys = Keys(BENCH_PREFIX)
    try:
        for first in range(start, start + count, 5000):
            async with redis.pipeline(transaction=False) as pipe:
                for uid in range(first, min(first + 5000, start + count)):
                    p = Profile(user_id=uid, lang="es", role="learner", courses=["Python"],
                                tz="UTC+1", onboarded=True, created_at=1.0, updated_at=1.0)  # fmt: skip
                    pipe.hset(keys.user(uid), mapping=p.to_redis())  # type: ignore[arg-type]
                    pipe.sadd(keys.users, uid)
                    pipe.sadd(keys.users_by_lang("es"), uid)
                await pipe.execute()
    finally:
        await redis.aclose()


async def one_round(
    ctl: Control, events: Events, learners: list[int], gid: int, bid: int, round_no: int,
    pids: list[int],
) -> tuple[float, float, int]:  # fmt: skip
    """Questions/s, CPU seconds per question (all bot processes), questions posted."""
    sent: dict[str, float] = {}
    posted: dict[str, float] = {}
    done = asyncio.Event()

    def hook(p: JSON) -> None:
        msg = p["message"]
        if not msg.get("from_bot") or msg["from"]["id"] != bid or p["chat_id"] != gid:
            return
        if msg.get("message_thread_id") and "forum_topic_created" not in msg:
            m = MARK.search(str(msg.get("text") or ""))
            if m and m.group(1) in sent:
                posted.setdefault(m.group(1), float(p["time"]))
                if len(posted) >= len(learners):
                    done.set()

    async def ask(i: int, uid: int) -> None:
        text, code = question(round_no, i)
        sent[code] = time.time()
        await ctl.send_text(uid, text, bot=bid)

    cpu0 = sum(_proc_stat(pid)[0] for pid in pids)
    events.hooks.append(hook)
    try:
        t0 = time.time()
        await gather_limited([ask(i, u) for i, u in enumerate(learners)], SEND_CONCURRENCY)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), TIMEOUT)
    finally:
        events.hooks.remove(hook)
    cpu = sum(_proc_stat(pid)[0] for pid in pids) - cpu0
    n = len(posted)
    rate = n / (max(posted.values()) - t0) if n == len(learners) else 0.0
    return rate, cpu / max(n, 1), n


async def run(args: argparse.Namespace) -> None:
    from tests.e2e.proxy import ProxiedBots, haproxy

    if haproxy() is None:
        raise SystemExit("haproxy is not installed (apt-get install haproxy; scripts/setup.sh does)")
    flush_db(args.redis_url)
    emu, url = await start_emulator()
    logs = Path(tempfile.mkdtemp(prefix="bench-scaleout-"))
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": url, "REDIS_URL": args.redis_url,
        "REDIS_PREFIX": BENCH_PREFIX, "LOG_LEVEL": "WARNING", "DATA_DIR": str(logs),
        **{k.upper(): str(v) for k, v in TGS_OVERRIDES.items()},
    }  # fmt: skip
    bid = int(TOKEN.split(":", 1)[0])
    results: dict[str, list[tuple[float, float, int]]] = {}
    rss: dict[str, int] = {}
    try:
        async with session(SEND_CONCURRENCY) as s:
            ctl = Control(s, url)
            await ctl.call("POST", "bots", {"token": TOKEN, "username": "bench_scaleout_bot"})
            admin = await ctl.call("POST", "users", {"first_name": "Ana", "language_code": "es"})
            learners = [
                int((await ctl.call("POST", "users", {"first_name": f"L{i}", "language_code": "es"}))["id"])
                for i in range(args.learners)
            ]  # fmt: skip
            group = await ctl.call("POST", "groups", {
                "title": "MOOC en español", "is_forum": True,
                "members": [{"user_id": admin["id"], "status": "creator"}],
                "bots": [{"token": TOKEN, "status": "administrator", "can_manage_topics": True}],
            })  # fmt: skip
            gid = int(group["id"])
            await seed(args.redis_url, learners, gid, int(admin["id"]))
            await seed_fillers(args.redis_url, 10**9, 1000 - args.learners - 1)
            round_no = 0

            async def measure(count: int, label: str, rounds: int) -> int:
                """Start ``count`` processes, one warm-up round, ``rounds`` measured; the
                first process's RSS at the end."""
                nonlocal round_no
                bots = ProxiedBots(env, logs, count=count)
                try:
                    await bots.start()
                except TimeoutError:
                    print(bots.tail())
                    await bots.stop()
                    raise
                pids = [b.pid for b in bots.bots]
                try:
                    for i in range(rounds + 1):  # the first: models, caches, connections
                        round_no += 1
                        got = await one_round(ctl, events, learners, gid, bid, round_no, pids)
                        if i:
                            results.setdefault(label, []).append(got)
                        await clear_conversations(args.redis_url)
                    return _proc_stat(pids[0])[1]
                finally:
                    await bots.stop()

            async with Events(s, url) as events:
                # Alternating, so the machine's other load falls on both alike.
                for _ in range(args.rounds):
                    for count in (1, 2):
                        await measure(count, f"{count} process{'es' if count > 1 else ''}", 1)
                rss["1k"] = await measure(1, "1 process, 1k users", 1)
                await seed_fillers(args.redis_url, 2 * 10**9, 99_000)
                rss["100k"] = await measure(1, "1 process, 100k users", 1)
    finally:
        await emu.stop()
        flush_db(args.redis_url)
        shutil.rmtree(logs, ignore_errors=True)
    _report(args, results, rss)


def _report(
    args: argparse.Namespace, results: dict[str, list[tuple[float, float, int]]], rss: dict[str, int]
) -> None:
    n = args.learners
    print(
        f"scaleout.py: {n} Spanish learners ask at once per round, through haproxy "
        f"(deploy/haproxy.cfg) to `tg-support run --webhook` processes; {os.cpu_count()} cores; "
        f"{args.rounds} rounds per configuration, alternating, each on fresh processes after a "
        f"warm-up round; 1,000 registered users (the learners and fillers)"
    )
    print()
    header = f"{'processes':<22}{'round':>6}{'questions/s':>13}{'CPU/question':>14}{'posted':>9}"
    print(header)
    print("-" * len(header))
    best: dict[str, float] = {}
    for label, rounds in results.items():
        for i, (rate, cpu, posted) in enumerate(rounds, 1):
            print(f"{label:<22}{i:>6}{rate:>13,.1f}{cpu * 1000:>12.2f}ms{posted:>6}/{n}")
        best[label] = max(r[0] for r in rounds)
        cpus = sorted(r[1] for r in rounds)
        print(f"{label:<22}{'median':>6}{'':>13}{cpus[len(cpus) // 2] * 1000:>12.2f}ms")
    print()
    one, two = best.get("1 process"), best.get("2 processes")
    if one and two:
        print(
            f"best round: 1 process {one:,.1f} questions/s, 2 processes {two:,.1f} "
            f"questions/s: x{two / one:.2f}"
        )
    if "1k" in rss and "100k" in rss:
        growth = (rss["100k"] - rss["1k"]) / rss["1k"]
        print(
            f"bot RSS (1 process, after the rounds): {rss['1k'] / 2**20:,.1f} MiB with 1,000 "
            f"registered users, {rss['100k'] / 2**20:,.1f} MiB with 100,000: "
            f"{growth:+.1%} (goal < 10%; {rss['1k'] // 1024:,} KiB -> {rss['100k'] // 1024:,} KiB)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    asyncio.run(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

