"""Crashes during traffic: ``python -m bench.faults --kills 20``.

Runs the emulator (with its flood limits) in this process, a Redis server of its own on a
spare port with AOF (``appendfsync always``), ``tg-support run`` and two ``tg-support worker``
processes. Learners ask questions (each routed to a forum topic and offered to matched
helpers, offer rounds every ``--offer-timeout`` seconds) while one worker is killed with
SIGKILL (its whole process group, scheduler included) at random moments (of a job, when one
starts within 5 s), ``--kills`` times, and restarted; halfway through, the Redis server is killed and restarted on its AOF.

Reported: questions lost (asked, never posted in a topic), questions posted twice, offers
duplicated (a helper with two offer messages for one question), messages duplicated (the
same bot text twice in one chat or topic), kills that interrupted a job, and the seconds
from each such kill until its job ran again (the maximum is the goal: ≤ 120 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "7100001:FAULTS-bench-token-abcdefgh"
PREFIX = "faults:"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RedisServer:
    """A redis-server child with AOF in ``data``; ``kill`` is SIGKILL, ``start`` reuses the AOF."""

    data: Path
    port: int = field(default_factory=free_port)
    proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        self.proc = await asyncio.create_subprocess_exec(
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        import redis.asyncio as aioredis

        for _ in range(100):
            with contextlib.suppress(Exception):
                conn = aioredis.Redis.from_url(self.url)
                try:
                    if await conn.ping():
                        return
                finally:
                    await conn.aclose()
            await asyncio.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def spawn(args: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    out = log.open("ab")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tg_support.cli", *args, env={**os.environ, **env},
        stdout=out, stderr=out, cwd=ROOT, start_new_session=True,
    )  # fmt: skip


def killpg(proc: asyncio.subprocess.Process, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


async def seed(
    url: str, client: Any, helpers: int, learners: int
) -> tuple[list[int], list[int], int]:
    from tg_support.core.redis_conn import async_client
    from tg_support.core.store import Group, Profile, Store
    from tg_support.helpers.index import HelperIndex
    from tg_support.helpers.registry import default_card

    await client.create_bot(TOKEN, username="faults_bot", first_name="Faults")
    admin = int((await client.create_user(first_name="Admin", language_code="en"))["id"])
    hs = [
        int((await client.create_user(first_name=f"H{i}", language_code="en"))["id"])
        for i in range(helpers)
    ]
    ls = [
        int((await client.create_user(first_name=f"L{i}", language_code="en"))["id"])
        for i in range(learners)
    ]
    group = await client.create_group(
        title="Help (English)", is_forum=True,
        members=[{"user_id": admin, "status": "creator"}] + [{"user_id": h, "status": "member"} for h in hs],
        bots=[{"token": TOKEN, "status": "administrator", "can_manage_topics": True}],
    )  # fmt: skip
    redis = async_client(url)
    store = Store(redis, PREFIX)
    gid = int(group["id"])
    await store.save_group(
        Group(chat_id=gid, title="Help (English)", languages=["en", "*"], registered_by=admin)
    )
    index = HelperIndex(redis, prefix=PREFIX)
    for h in hs:
        p = Profile(
            user_id=h, lang="en", role="helper", courses=["python"], tz="UTC", onboarded=True
        )
        await store.save_profile(p)
        await index.upsert(default_card(p))
    for learner in ls:
        await store.save_profile(
            Profile(user_id=learner, lang="en", role="learner", tz="UTC", onboarded=True)
        )
    await redis.aclose()
    return hs, ls, gid


QUESTION = (
    "How do I fix error {n} in week {w} of my python notebook assignment? It fails on cell {c}."
)


@dataclass
class Kill:
    at: float
    jobs: list[str]


def current_jobs(url: str, pid: int) -> list[str]:
    """Ids of the jobs the worker process ``pid`` is running (RQ's worker registry)."""
    import redis as redis_lib
    from rq import Worker

    conn = redis_lib.Redis.from_url(url)
    try:
        return [
            str(j)
            for w in Worker.all(connection=conn)
            if w.pid == pid
            for j in [w.get_current_job_id()]
            if j
        ]
    finally:
        conn.close()


def rerun_at(url: str, job_id: str, after: float) -> float | None:
    """When job ``job_id`` started again after ``after`` (epoch s), if it did; -1 when it had
    ended before."""
    import redis as redis_lib
    from rq.job import Job

    conn = redis_lib.Redis.from_url(url)
    try:
        job = Job.fetch(job_id, connection=conn)
        started = job.started_at.timestamp() if job.started_at else None
        if started is not None and started > after:
            return started
        ended = job.ended_at.timestamp() if job.ended_at else None
        if job.get_status() in ("finished", "failed") and ended is not None:
            # Ended before the kill: not interrupted after all (it ended between the look at
            # the worker and the kill).
            return ended if ended > after else -1.0
        return None
    except Exception:
        return None  # gone (finished long ago and expired) or Redis away
    finally:
        conn.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from tg_support.sandbox import Limits, Sandbox, SandboxClient

    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="faults-"))
    redis = RedisServer(work / "redis")
    await redis.start()
    sandbox = Sandbox(limits=Limits())
    await sandbox.start(host="127.0.0.1", port=0)
    procs: list[asyncio.subprocess.Process] = []
    kills: list[Kill] = []
    redis_restarts = 0
    try:
        async with SandboxClient(sandbox.url) as client:
            helpers, learners, gid = await seed(redis.url, client, args.helpers, args.questions)
            env = {
                "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": sandbox.url, "REDIS_URL": redis.url,
                "REDIS_PREFIX": PREFIX, "OFFER_TIMEOUT_SECONDS": str(args.offer_timeout),
                "DATA_DIR": args.data_dir, "LOG_LEVEL": "INFO",
            }  # fmt: skip
            procs.append(await spawn(["run", "--no-worker"], env, work / "bot.log"))
            procs.append(await spawn(["worker"], env, work / "stable.log"))
            victim = await spawn(["worker"], env, work / "victim.log")
            began = time.monotonic()
            asked: dict[int, str] = {}

            async def traffic() -> None:
                for i, uid in enumerate(learners):
                    text = QUESTION.format(n=1000 + i, w=i % 12 + 1, c=rng.randint(2, 40))
                    asked[uid] = text
                    await client.send_text(uid, text)
                    await asyncio.sleep(rng.uniform(0.5, 2.5))

            flow = asyncio.create_task(traffic())
            await asyncio.sleep(3)
            for k in range(args.kills):
                await asyncio.sleep(rng.uniform(0.5, 3.0))
                if k == args.kills // 2:
                    await redis.kill()
                    await asyncio.sleep(rng.uniform(0.5, 2.0))
                    await redis.start()
                    redis_restarts += 1
                # A random point of a job when there is one within 5 s (else of idling).
                jobs: list[str] = []
                busy_by = time.monotonic() + 5
                while not jobs and time.monotonic() < busy_by:
                    with contextlib.suppress(Exception):
                        jobs = await asyncio.to_thread(current_jobs, redis.url, victim.pid)
                    if not jobs:
                        await asyncio.sleep(0.05)
                if jobs:
                    await asyncio.sleep(rng.uniform(0, 0.3))
                killpg(victim, signal.SIGKILL)
                await victim.wait()
                kills.append(Kill(time.time(), jobs))
                await asyncio.sleep(rng.uniform(0.2, 1.5))
                victim = await spawn(["worker"], env, work / "victim.log")
            await flow
            procs.append(victim)

            # Until every question is in a topic and every interrupted job ran again.
            deadline = time.monotonic() + args.wait
            interrupted = [(k.at, j) for k in kills for j in k.jobs]
            reran: dict[tuple[float, str], float] = {}
            while time.monotonic() < deadline:
                for at, job in list(interrupted):
                    if (at, job) not in reran:
                        when = await asyncio.to_thread(rerun_at, redis.url, job, at)
                        if when == -1.0:
                            interrupted.remove((at, job))
                        elif when is not None:
                            reran[(at, job)] = when - at
                posted = await topic_texts(client, gid)
                if len(reran) == len(interrupted) and all(
                    any(t in p for p in posted) for t in asked.values()
                ):
                    break
                await asyncio.sleep(1)
            await asyncio.sleep(args.offer_timeout)  # let the last round's offers go out
            posted = await topic_texts(client, gid)
            lost = [t for t in asked.values() if not any(t in p for p in posted)]
            twice = [t for t in asked.values() if sum(t in p for p in posted) > 1]
            offers: Counter[tuple[int, str]] = Counter()
            for h in helpers:
                for msg in await client.messages(h, from_bot=True):
                    for qid in re.findall(r"#(\d+) ", msg.get("text", "")):
                        offers[(h, qid)] += 1
            dup_offers = sum(n - 1 for n in offers.values() if n > 1)
            dup_messages = await duplicated_messages(client, [*helpers, *learners], gid)
            flood = sum(1 for e in await client.log() if e["status"] == 429)
            missing = [job for at, job in interrupted if (at, job) not in reran]
            statuses = {job: await asyncio.to_thread(_status, redis.url, job) for job in missing}
    finally:
        for p in procs:
            killpg(p, signal.SIGTERM)
        for p in procs:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(p.wait(), 30)
            killpg(p, signal.SIGKILL)
        await redis.kill()
        await sandbox.stop()
    latencies = sorted(reran.values())
    return {
        "kills": len(kills), "kills_mid_job": sum(1 for k in kills if k.jobs),
        "interrupted_jobs": len(interrupted), "reran": len(reran),
        "rerun_max_s": round(max(latencies), 1) if latencies else None,
        "rerun_median_s": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "redis_restarts": redis_restarts, "questions": len(asked), "questions_lost": len(lost),
        "questions_posted_twice": len(twice), "offers": sum(offers.values()),
        "offers_duplicated": dup_offers, "messages_duplicated": dup_messages, "flood_429": flood,
        "seconds": round(time.monotonic() - began, 1), "logs": str(work), "not_rerun": statuses,
    }  # fmt: skip


def _status(url: str, job_id: str) -> str:
    import redis as redis_lib
    from rq.job import Job

    conn = redis_lib.Redis.from_url(url)
    try:
        return str(Job.fetch(job_id, connection=conn).get_status())
    except Exception as exc:
        return exc.__class__.__name__
    finally:
        conn.close()


async def topic_texts(client: Any, gid: int) -> list[str]:
    """The text of every bot message in the group's topics, one string per topic."""
    by_topic: dict[int, list[str]] = {}
    for msg in await client.messages(gid, from_bot=True):
        by_topic.setdefault(int(msg.get("message_thread_id") or 0), []).append(msg.get("text", ""))
    return ["\n".join(v) for k, v in by_topic.items() if k]


async def duplicated_messages(client: Any, chats: list[int], gid: int) -> int:
    seen: Counter[tuple[int, int, str]] = Counter()
    for chat in [*chats, gid]:
        for msg in await client.messages(chat, from_bot=True):
            seen[(chat, int(msg.get("message_thread_id") or 0), msg.get("text", ""))] += 1
    return sum(n - 1 for n in seen.values() if n > 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--helpers", type=int, default=8)
    parser.add_argument("--offer-timeout", type=int, default=10)
    parser.add_argument("--wait", type=float, default=240, help="max seconds to wait for recovery")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--data-dir", default=str(ROOT / "var" / "faults"))
    args = parser.parse_args(argv)
    r = asyncio.run(run(args))
    rows = [
        ("worker SIGKILLs (mid-job)", f"{r['kills']} ({r['kills_mid_job']})", "≥ 20"),
        ("Redis restarts (AOF)", r["redis_restarts"], "≥ 1"),
        ("questions lost", f"{r['questions_lost']} of {r['questions']}", "0"),
        ("questions posted twice", r["questions_posted_twice"], "0"),
        ("offers duplicated", f"{r['offers_duplicated']} of {r['offers']}", "0"),
        ("messages duplicated", r["messages_duplicated"], "0"),
        ("interrupted jobs re-run", f"{r['reran']} of {r['interrupted_jobs']}", "all"),
        ("time to re-run (max, median)", f"{r['rerun_max_s']} s, {r['rerun_median_s']} s", "≤ 120 s"),
        ("429s", r["flood_429"], "0"),
    ]  # fmt: skip
    width = max(len(a) for a, _, _ in rows)
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value!s:<24} {goal}")
    print(f"run {r['seconds']} s; logs in {r['logs']}")
    if r["not_rerun"]:
        print("interrupted jobs not run again:", r["not_rerun"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
