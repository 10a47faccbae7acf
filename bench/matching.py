"""Benchmark candidates() + rank() latency against a real Redis.

Registers N helpers (default 1,000, 10,000 and 100,000) under a throw-away prefix with pipelined
upserts, asks >= 500 random questions at each size, prints p50/p99 of the pure rank() time and
of candidates()+rank(), the ratio time@largest / time@smallest, then deletes its keys.

    python -m bench.matching [--redis-url redis://127.0.0.1:6379/5] [--sizes 1000 10000 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis.asyncio as aioredis

from tg_support.helpers.index import HelperIndex
from tg_support.helpers.matching import HelperCard, QuestionCard, rank

LANGS: dict[str, tuple[float, tuple[str, ...]]] = {
    # language: (share of helpers, time zones)
    "en": (30, ("America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Kolkata", "Australia/Sydney")),
    "es": (14, ("Europe/Madrid", "America/Mexico_City", "America/Bogota", "America/Argentina/Buenos_Aires")),
    "hi": (9, ("Asia/Kolkata",)),
    "ru": (7, ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk")),
    "pt": (7, ("America/Sao_Paulo", "Europe/Lisbon")),
    "ar": (6, ("Africa/Cairo", "Asia/Riyadh", "Asia/Dubai")),
    "fr": (6, ("Europe/Paris", "Africa/Dakar", "America/Montreal")),
    "zh": (5, ("Asia/Shanghai", "Asia/Taipei")),
    "de": (4, ("Europe/Berlin", "Europe/Vienna")),
    "id": (4, ("Asia/Jakarta", "UTC+08:00")),
    "tr": (4, ("Europe/Istanbul",)),
    "uk": (4, ("Europe/Kyiv",)),
}  # fmt: skip
TAGS = [
    "coursera",
    "edx",
    "udemy",
    "khan",
    "futurelearn",
    "udacity",
    "stepik",
    "mit-ocw",
    "python",
    "ml",
    "statistics",
    "calculus",
    "linear-algebra",
    "algorithms",
    "data-structures",
    "sql",
    "javascript",
    "web",
    "r",
    "excel",
    "deep-learning",
    "nlp",
    "computer-vision",
    "probability",
    "economics",
    "finance",
    "marketing",
    "physics",
    "chemistry",
    "biology",
    "english-writing",
    "academic-writing",
    "career",
    "java",
    "c",
    "cpp",
    "git",
    "linux",
    "cloud",
    "security",
    "design",
]
TAG_WEIGHTS = [1 / (i + 1) ** 0.8 for i in range(len(TAGS))]  # Zipf-like popularity


@dataclass
class Stats:
    size: int
    rank_ms: list[float]
    total_ms: list[float]
    rank_cpu_ms: list[float]
    total_cpu_ms: list[float]
    n_candidates: list[int]
    register_s: float
    memory_mb: float


def make_helper(rng: random.Random, uid: int, now_ts: float) -> HelperCard:
    langs_list = list(LANGS)
    shares = [LANGS[lang][0] for lang in langs_list]
    primary = rng.choices(langs_list, shares)[0]
    languages = {primary: "native" if rng.random() < 0.8 else "fluent"}
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        other = "en" if rng.random() < 0.5 else rng.choices(langs_list, shares)[0]
        languages.setdefault(other, rng.choice(("fluent", "basic", "basic")))
    tags = frozenset(rng.choices(TAGS, TAG_WEIGHTS, k=rng.randint(2, 6)))
    hours: dict[int, tuple[tuple[int, int], ...]] = {}
    if rng.random() < 0.7:
        start = rng.choice((7, 9, 12, 17, 18, 19, 20)) * 60
        span = rng.choice((60, 120, 180, 240))
        days = range(7) if rng.random() < 0.3 else range(5)
        hours = {d: ((start, min(start + span, 1440)),) for d in days}
    capacity = rng.randint(1, 5)
    return HelperCard(
        user_id=uid,
        languages=languages,
        tags=tags,
        tz=rng.choice(LANGS[primary][1]),
        hours=hours,
        capacity=capacity,
        open_load=min(capacity, int(rng.expovariate(1.0))),
        reputation=round(rng.betavariate(4, 2), 4),
        last_offered_at=0.0 if rng.random() < 0.3 else now_ts - rng.uniform(0, 3 * 86400),
        away=rng.random() < 0.05,
    )


def make_question(rng: random.Random, i: int, size: int) -> QuestionCard:
    langs_list = list(LANGS)
    lang = rng.choices(langs_list, [LANGS[x][0] for x in langs_list])[0]
    tags = frozenset(rng.choices(TAGS, TAG_WEIGHTS, k=rng.randint(1, 3)))
    return QuestionCard(qid=f"q{i}", lang=lang, tags=tags, asker_id=rng.randint(1, size))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def cleanup(r: aioredis.Redis, prefix: str) -> None:
    batch: list[str] = []
    async for key in r.scan_iter(match=f"{prefix}*", count=2000):
        batch.append(key)
        if len(batch) >= 2000:
            await r.unlink(*batch)
            batch = []
    if batch:
        await r.unlink(*batch)


async def run_size(r: aioredis.Redis, size: int, questions: int, seed: int, keep: bool) -> Stats:
    prefix = f"tgs:bench:{size}:"
    await cleanup(r, prefix)
    index = HelperIndex(r, prefix=prefix)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    now_ts = now.timestamp()
    mem0 = int((await r.info("memory"))["used_memory"])
    t0 = time.perf_counter()
    await index.upsert_many(
        (make_helper(rng, uid, now_ts) for uid in range(1, size + 1)), batch=2000
    )
    register_s = time.perf_counter() - t0
    mem1 = int((await r.info("memory"))["used_memory"])
    qs = [make_question(rng, i, size) for i in range(questions + 50)]
    rank_ms: list[float] = []
    total_ms: list[float] = []
    rank_cpu: list[float] = []
    total_cpu: list[float] = []
    n_cands: list[int] = []
    for i, question in enumerate(qs):
        widen = i % 10 == 9  # every tenth question is a widened (later-round) one
        c_start, t_start = time.process_time(), time.perf_counter()
        cands = await index.candidates(question, widen=widen)
        c_mid, t_mid = time.process_time(), time.perf_counter()
        ranked = rank(question, cands, now=now, k=3, widen=widen)
        c_end, t_end = time.process_time(), time.perf_counter()
        for offer in ranked:  # as the worker would: changes those helpers' rows (untimed)
            await index.mark_offered(offer.helper.user_id, now_ts)
        if i >= 50:  # the first 50 warm up connections, scripts and the profile cache
            rank_ms.append((t_end - t_mid) * 1000)
            total_ms.append((t_end - t_start) * 1000)
            rank_cpu.append((c_end - c_mid) * 1000)
            total_cpu.append((c_end - c_start) * 1000)
            n_cands.append(len(cands))
    if not keep:
        await cleanup(r, prefix)
    return Stats(
        size, rank_ms, total_ms, rank_cpu, total_cpu, n_cands, register_s, (mem1 - mem0) / 2**20
    )


async def main_async(args: argparse.Namespace) -> None:
    r = aioredis.Redis.from_url(args.redis_url, decode_responses=True)
    try:
        results = []
        for size in args.sizes:
            s = await run_size(r, size, args.questions, args.seed, args.keep)
            results.append(s)
            print(
                f"N={size:>7}: registered in {s.register_s:5.1f}s (~{s.memory_mb:.0f} MB in Redis); "
                f"{len(s.total_ms)} questions, {statistics.mean(s.n_candidates):.0f} candidates avg",
                flush=True,
            )
            for name, wall, cpu in (
                ("rank()", s.rank_ms, s.rank_cpu_ms),
                ("candidates()+rank()", s.total_ms, s.total_cpu_ms),
            ):
                print(
                    f"    {name:<20} wall p50 {pct(wall, 50):6.2f} ms  p99 {pct(wall, 99):6.2f} ms"
                    f" | client CPU p50 {pct(cpu, 50):6.2f} ms  p99 {pct(cpu, 99):6.2f} ms",
                    flush=True,
                )
        for lo in results[:-1]:
            hi = results[-1]
            for name, a, b in (
                ("rank()", lo.rank_ms, hi.rank_ms),
                ("candidates()+rank()", lo.total_ms, hi.total_ms),
            ):
                print(
                    f"ratio time@{hi.size} / time@{lo.size} {name}: "
                    f"p50 {pct(b, 50) / pct(a, 50):.2f}x, p99 {pct(b, 99) / pct(a, 99):.2f}x"
                )
    finally:
        await r.aclose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="leave the helpers in Redis")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
