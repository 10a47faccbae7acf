"""Updates/s of tg-support against a bare python-telegram-bot echo bot, same emulator, one run.

    python -m bench.updates [--users 200] [--messages 10] [--rounds 2] [--redis-url redis://127.0.0.1:6379/13]

Processes: the emulator (``python -m tg_support.sandbox --no-limits``), one process per bot
(see ``bench/harness.py``) and this driver. Separate processes because the machine has two
cores: a bot in the driver's event loop would pay for the driver's sends and SSE parsing, and
a bot in the emulator's loop for the emulator's work.

Workload, identical for every bot: ``--users`` users each send ``--messages`` texts
``/help``, as fast as the driver can (64 control-API calls in flight); each triggers exactly
one reply. Time runs from the first send to the emulator's timestamp of the last reply
(watched on ``/control/events``). tg-support's users are onboarded by seeding their
profiles in Redis (``Store.save_profile``), so ``/help`` goes through the whole handler stack:
profile + locale load, per-user flood control, the command, and the Redis-backed rate
limiter of ``sending``.

Fairness: the emulator's flood limits are off and tg-support's SEND_* limits and per-user
flood control are raised, so both bots are measured on processing, not on Telegram's limits.
The reference is PTB's default application (updates handled one at a time), the fastest bare
configuration here; a bare echo bot with ``concurrent_updates(256)`` (tg-support's own
concurrency) and a what-if tg-support with ``PerUserUpdateProcessor(32)`` are shown too.
Rounds alternate between bots (best of ``--rounds`` each) so background load hits all.
The emulator's own ceiling (raw sendMessage / control sends with a pooled aiohttp client)
and its CPU use during each round show it is not the bottleneck.

Redis: database 13 is flushed before and after (tg-support's ``bench:`` keys and RQ's).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from dataclasses import dataclass

from bench.harness import (
    BENCH_PREFIX,
    DEFAULT_REDIS_URL,
    KINDS,
    Child,
    Control,
    Events,
    bot_id,
    emulator_ceiling,
    flush_db,
    gather_limited,
    print_errors,
    private_reply_from,
    session,
    start_bot,
    start_emulator,
)

SEND_CONCURRENCY = 64
REPLY_TIMEOUT = 30.0  # after the last send; replies still missing then are reported as lost


@dataclass
class Round:
    name: str
    updates: int
    seconds: float
    inject_seconds: float
    api_calls: int
    bot_cpu: float
    emu_cpu: float
    replies: int

    @property
    def rate(self) -> float:
        """Replies per second (0 when any reply was lost: the number would mean nothing)."""
        return self.updates / self.seconds if self.replies >= self.updates else 0.0

    @property
    def emu_busy(self) -> float:
        return self.emu_cpu / self.seconds

    @property
    def bot_busy(self) -> float:
        return self.bot_cpu / self.seconds


async def seed_profiles(redis_url: str, user_ids: list[int]) -> None:
    from tg_support.core.redis_conn import async_client
    from tg_support.core.store import Profile, Store

    redis = async_client(redis_url)
    try:
        store = Store(redis, BENCH_PREFIX)
        for uid in user_ids:
            await store.save_profile(
                Profile(user_id=uid, lang="en", tg_lang="en", role="learner", platforms=["coursera"],
                        courses=["Python"], tz="UTC+1", goal="Learn a lot", onboarded=True)
            )  # fmt: skip
    finally:
        await redis.aclose()


async def one_round(
    ctl: Control, events: Events, name: str, bot: Child, emu: Child, token: str,
    users: list[int], messages: int, text: str,
) -> Round:  # fmt: skip
    total = len(users) * messages
    bid = bot_id(token)
    seq0 = await ctl.log_seq()
    cpu_bot0, cpu_emu0 = bot.cpu_seconds(), emu.cpu_seconds()
    async with events.count(private_reply_from(bid), total) as waiter:
        t0 = time.time()
        await gather_limited(
            [ctl.send_text(u, text, bot=bid) for _ in range(messages) for u in users],
            SEND_CONCURRENCY,
        )
        injected = time.time() - t0
        with contextlib.suppress(TimeoutError):  # missing replies are reported, not fatal
            await asyncio.wait_for(waiter.done.wait(), REPLY_TIMEOUT)
        seconds = max(waiter.last - t0, 1e-9)
    cpu_bot, cpu_emu = bot.cpu_seconds() - cpu_bot0, emu.cpu_seconds() - cpu_emu0
    calls = await ctl.log_seq() - seq0
    return Round(name, total, seconds, injected, calls, cpu_bot, cpu_emu, waiter.seen)


# (label, bot kind); the first is the reference of the ratios.
PLAN: list[tuple[str, str]] = [
    ("bare PTB echo (default)", "echo"),
    ("tg-support /help", "tgs"),
    ("bare PTB echo, 256 at once", "echo-256"),
    ("tg-support, 32 at once *", "tgs-32"),
]


async def run(args: argparse.Namespace) -> None:
    started = time.monotonic()
    skipped = 0
    flush_db(args.redis_url)
    emu, url = await start_emulator()
    bots: dict[str, Child] = {}
    plan = PLAN if not args.quick else PLAN[:2]
    try:
        api_rate, control_rate = await emulator_ceiling(url)
        for _, kind in plan:
            bots[kind] = await start_bot(kind, url, args.redis_url)
        async with session(SEND_CONCURRENCY) as s:
            ctl = Control(s, url)
            users = [
                int(
                    (
                        await ctl.call(
                            "POST", "users", {"first_name": f"U{i}", "language_code": "en"}
                        )
                    )["id"]
                )
                for i in range(args.users)
            ]
            await seed_profiles(args.redis_url, users)
            async with Events(s, url) as events:
                # Warm-up: one message per user and bot (opens the chats, fills caches).
                for name, kind in plan:
                    token = KINDS[kind][0]
                    await one_round(ctl, events, name, bots[kind], emu, token, users, 1, "/help")
                results: dict[str, list[Round]] = {name: [] for name, _ in plan}
                for round_no in range(args.rounds):
                    for name, kind in plan:
                        last = results[name][-1].seconds if results[name] else 0.0
                        if round_no and time.monotonic() - started + last + 5 > args.budget:
                            skipped += 1  # keep the whole run under --budget seconds
                            continue
                        results[name].append(await one_round(
                            ctl, events, name, bots[kind], emu, KINDS[kind][0], users,
                            args.messages, "/help",
                        ))  # fmt: skip
        errors = {kind: child.errors() for kind, child in bots.items() if child.errors()}
        notes = bots["tgs"].notes
    finally:
        for child in bots.values():
            await child.stop()
        await emu.stop()
        flush_db(args.redis_url)

    best = {name: max(rs, key=lambda r: r.rate) for name, rs in results.items()}
    ref = best[plan[0][0]]
    print(
        f"updates.py: {args.users} users x {args.messages} msgs (/help), emulator limits off, "
        f"tg-support SEND_* limits and flood control raised (measuring processing, not "
        f"Telegram's limits); in one run, best of {args.rounds} alternating rounds"
    )
    print(f"emulator ceiling (raw Bot API sendMessage, 32 conns): {api_rate:,.0f} req/s")
    print(f"emulator ceiling (raw control-API user sends, 32 conns): {control_rate:,.0f} req/s")
    if notes:
        print(f"tg-support bot process: {notes}")
    print()
    header = (
        f"{'bot':<30}{'updates/s':>10}{'vs bare':>9}{'inject/s':>10}{'API calls/s':>13}"
        f"{'emu CPU':>9}{'bot CPU':>9}  rounds (updates/s)"
    )
    print(header)
    print("-" * len(header))
    for name, rs in results.items():
        b = max(rs, key=lambda r: r.rate)
        rounds = ", ".join(
            f"{r.rate:,.0f}" if r.rate else f"LOST {r.updates - r.replies}/{r.updates}" for r in rs
        )
        ratio = f"{b.rate / ref.rate:.2f}" if ref.rate else "-"
        print(
            f"{name:<30}{b.rate:>10,.0f}{ratio:>9}{b.updates / b.inject_seconds:>10,.0f}"
            f"{b.api_calls / b.seconds:>13,.0f}{b.emu_busy:>9.0%}{b.bot_busy:>9.0%}  {rounds}"
        )
    tgs = best["tg-support /help"]
    print()
    if tgs.rate and ref.rate:
        print(f"bare PTB echo: {ref.rate:,.0f} updates/s")
        print(
            f"tg-support /help: {tgs.rate:,.0f} updates/s  ({tgs.rate / ref.rate:.2f} of bare PTB)"
        )
    else:
        print("tg-support /help: replies were lost in every round (see errors below)")
    peak = max(r.api_calls / r.seconds for rs in results.values() for r in rs)
    print(
        f"emulator headroom: busiest round used {peak:,.0f} Bot API calls/s = "
        f"{peak / api_rate:.0%} of its raw sendMessage ceiling"
    )
    if skipped:
        print(f"({skipped} later rounds skipped to stay within --budget {args.budget:.0f} s)")
    print("(emu/bot CPU: CPU seconds of that process / wall seconds of the round; 100% = one core)")
    if not args.quick:
        print(
            "* tg-support with PerUserUpdateProcessor(32) set by the benchmark: the shipped "
            "default is 32 too, so the two tg-support rows show run-to-run noise"
        )
    print_errors(errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.updates", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--budget", type=float, default=150.0,
                        help="skip later rounds that would end after this many seconds")  # fmt: skip
    parser.add_argument(
        "--quick", action="store_true", help="only bare PTB and tg-support as shipped"
    )
    asyncio.run(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
