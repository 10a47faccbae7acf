"""The cost of /health at 1,000 and at 100,000 questions, side by side in one run.

Each size gets a throw-away prefix; its questions are seeded through the real counters
(``HealthStats.asked``/``answered``/``ended``, pipelined), spread over the last four weeks
in four languages, with 200 helpers in the helper index. Then it times what /health does
besides sending: the Redis reads (``report.gather``) and the chart (``report.render``),
prints the medians and the ratio cost@largest / cost@smallest, and deletes its keys. The
reads grow with the duration samples until every day's sample is full (256 per day and
kind, reached near 7,000 questions in four weeks), then stay flat.

    python -m bench.health [--redis-url redis://127.0.0.1:6379/13] [--sizes 1000 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

import redis.asyncio as aioredis

from tg_support.core.i18n import use_locale
from tg_support.core.store import Group, Store
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.matching import HelperCard
from tg_support.ops import report
from tg_support.ops.stats import DAY, DAY_TTL, META_TTL, SAMPLE, HealthStats, day_number

GROUP = -1001234567890
LANGS = ("es", "en", "pt", "hi")
BATCH = 2000


async def seed(r: aioredis.Redis, prefix: str, n: int, now: float, rng: random.Random) -> float:
    """``n`` questions through the counters' scripts; returns the seconds it took."""
    stats = HealthStats(r, prefix)
    k = stats.keys
    start = time.perf_counter()
    for base in range(0, n, BATCH):
        async with r.pipeline(transaction=False) as pipe:
            for i in range(base, min(n, base + BATCH)):
                qid, lang = str(i + 1), rng.choice(LANGS)
                asked = now - rng.uniform(0, 27.9 * DAY)
                keys = [k.meta(qid), k.day(GROUP, day_number(asked)), k.open(GROUP)]
                await stats._asked(keys=keys, args=[qid, GROUP, lang, asked, DAY_TTL, META_TTL],
                                   client=pipe)  # fmt: skip
                roll = rng.random()
                answered = min(now, asked + rng.expovariate(1 / 3600))
                if roll < 0.85:
                    await stats._event(keys=[k.meta(qid)], client=pipe, args=[
                        prefix, qid, answered, day_number(answered), DAY_TTL, SAMPLE, "ans"])  # fmt: skip
                if roll < 0.85 or roll > 0.95:
                    ended = min(now, answered + rng.expovariate(1 / (8 * 3600)))
                    kind = "sol" if roll < 0.7 else "cls"
                    await stats._event(keys=[k.meta(qid)], client=pipe, args=[
                        prefix, qid, ended, day_number(ended), DAY_TTL, SAMPLE, kind])  # fmt: skip
            await pipe.execute()
    helpers = [
        HelperCard(
            uid, {rng.choice(LANGS): "native"}, frozenset(), "UTC", {}, 5, rng.randint(0, 5), 0.5, 0.0
        )
        for uid in range(1, 201)
    ]
    await HelperIndex(r, prefix).upsert_many(helpers)
    return time.perf_counter() - start


async def measure(
    r: aioredis.Redis, prefixes: list[str], now: float, reps: int
) -> list[dict[str, float]]:
    """Interleaved (size A, size B, A, B, ...) so that drift on a busy machine hits both."""
    group = Group(chat_id=GROUP, title="Bench group", languages=list(LANGS))
    stores = [Store(r, p) for p in prefixes]
    reads: list[list[float]] = [[] for _ in prefixes]
    renders: list[list[float]] = [[] for _ in prefixes]
    healths = [await report.gather(s, group, now) for s in stores]  # warm: scripts, caches
    with use_locale("es"):
        await report.render(healths[0])  # warm: matplotlib's import and fonts
        for rep in range(reps):
            for i, store in enumerate(stores):
                t = time.perf_counter()
                healths[i] = await report.gather(store, group, now)
                reads[i].append(time.perf_counter() - t)
                if rep % 5 == 0:
                    t = time.perf_counter()
                    await report.render(healths[i])
                    renders[i].append(time.perf_counter() - t)
    return [
        {
            "asked": float(h.window.total_asked),
            "reads_ms": statistics.median(rd) * 1000,
            "render_ms": statistics.median(rn) * 1000,
            "samples": float(len(h.window.first_answer_seconds) + len(h.window.solve_seconds)),
        }
        for h, rd, rn in zip(healths, reads, renders, strict=True)
    ]


async def cleanup(r: aioredis.Redis, prefix: str) -> int:
    n = 0
    async for key in r.scan_iter(match=prefix + "*", count=5000):
        await r.unlink(key)
        n += 1
    return n


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--reps", type=int, default=60, help="reads per size (a render every 5th)")
    args = ap.parse_args()
    r = aioredis.Redis.from_url(args.redis_url, decode_responses=True)
    rng = random.Random(17)
    now = time.time()
    prefixes = [f"bench:health:{n}:" for n in args.sizes]
    rows = []
    try:
        seeded, keys = [], []
        for n, prefix in zip(args.sizes, prefixes, strict=True):
            await cleanup(r, prefix)
            seeded.append(await seed(r, prefix, n, now, rng))
            keys.append(sum([1 async for _ in r.scan_iter(match=prefix + "hl:*", count=5000)]))
        results = await measure(r, prefixes, now, args.reps)
        rows = list(zip(args.sizes, seeded, keys, results, strict=True))
    finally:
        for prefix in prefixes:
            await cleanup(r, prefix)
        await r.aclose()
    print(f"{'questions':>10} {'seed s':>8} {'hl keys':>8} {'in window':>10} {'samples':>8} "
          f"{'reads ms':>9} {'render ms':>10} {'/health ms':>11}")  # fmt: skip
    for n, seed_s, n_keys, m in rows:
        total = m["reads_ms"] + m["render_ms"]
        print(f"{n:>10} {seed_s:>8.1f} {n_keys:>8} {int(m['asked']):>10} {int(m['samples']):>8} "
              f"{m['reads_ms']:>9.2f} {m['render_ms']:>10.1f} {total:>11.1f}")  # fmt: skip
    (small, *_, m_small), (large, *_, m_large) = rows[0], rows[-1]
    print(
        f"ratio {large:,} / {small:,} questions: reads x{m_large['reads_ms'] / m_small['reads_ms']:.2f}, "
        f"reads + render x{(m_large['reads_ms'] + m_large['render_ms']) / (m_small['reads_ms'] + m_small['render_ms']):.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
