"""Recall and latency of :mod:`tg_support.questions.search` on the paraphrase dev set.

Usage: ``python bench/search_recall.py [--redis-url redis://127.0.0.1:6379/4] [--synthetic 20000]
[--errors]``

Loads ``tests/data/search_dev.jsonl`` under its own key prefix (``bench:``; only keys under that
prefix are deleted, before and after), then reports:

* recall@1 / recall@3 of same-language paraphrases (no pivot);
* cross-lingual queries with their English pivot translation;
* cross-lingual queries without pivot, for the non-English ones (an English query needs none:
  it is already in the pivot language), and with no pivot anywhere (questions indexed without
  their translation either): the baseline that shows why the translation workers matter;
* false hits of off-topic queries (at the default ``min_score``);
* p50/p99 query latency with the dev set alone and with ``--synthetic`` random questions added
  (their ratio: query cost should follow the postings read, not the index size).

Dev-set format (JSON Lines, UTF-8, one object per line, told apart by ``type``):

* ``{"type": "doc", "qid", "lang", "text", "pivot"}``: a solved question; ``pivot`` is its
  English translation (``null`` for English questions), as the translation workers will add it.
* ``{"type": "query", "kind", "lang", "query", "pivot", "expected", "hard"?}``: ``kind`` is
  ``same`` (a paraphrase in the question's language; ``pivot`` null), ``cross`` (another
  language; ``pivot`` is the query's English translation, standing in for the MT model) or
  ``none`` (off-topic: ``expected`` is empty and any hit is a false one); ``expected`` lists the
  qids that count as a correct hit; ``hard: true`` marks paraphrases with little word overlap.

63 questions in en/es/pt/fr/ru/hi/ar/zh with distractors that share words (certificate
delay / name / cost / value, quiz retake / timer / waiting period, video loading / sound /
subtitles / download, gradient descent divergence / learning rate / SGD / normalization...),
two paraphrases each plus 20 hard ones, one cross-lingual query each (some in de/uk/id/tr),
8 off-topic queries.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tg_support.questions.search import MIN_SCORE, SearchIndex  # noqa: E402

DEV = ROOT / "tests" / "data" / "search_dev.jsonl"
PREFIX = "bench:"


@dataclass(frozen=True)
class Doc:
    qid: str
    lang: str
    text: str
    pivot: str | None


@dataclass(frozen=True)
class Query:
    kind: str  # same | cross | none
    lang: str
    text: str
    pivot: str | None
    expected: tuple[str, ...]
    hard: bool = False  # a paraphrase with little word overlap


def load(path: Path = DEV) -> tuple[list[Doc], list[Query]]:
    docs: list[Doc] = []
    queries: list[Query] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row: dict[str, Any] = json.loads(line)
        if row["type"] == "doc":
            docs.append(Doc(row["qid"], row["lang"], row["text"], row.get("pivot")))
        else:
            queries.append(
                Query(
                    row["kind"],
                    row["lang"],
                    row["query"],
                    row.get("pivot"),
                    tuple(row["expected"]),
                    bool(row.get("hard")),
                )
            )
    return docs, queries


async def load_docs(
    index: SearchIndex, docs: Sequence[Doc], *, with_pivot: bool = True, concurrency: int = 16
) -> None:
    sem = asyncio.Semaphore(concurrency)  # stay under the connection pool's size

    async def add(d: Doc) -> None:
        async with sem:
            await index.add(d.qid, d.text, d.lang, pivot_text=d.pivot if with_pivot else None)

    await asyncio.gather(*(add(d) for d in docs))


@dataclass
class Recall:
    n: int = 0
    at1: int = 0
    at3: int = 0

    def line(self, name: str) -> str:
        if not self.n:
            return f"{name:<34} n=0"
        return f"{name:<34} n={self.n:<4} recall@1={self.at1 / self.n:.3f}  recall@3={self.at3 / self.n:.3f}"


async def evaluate(
    index: SearchIndex,
    queries: Sequence[Query],
    *,
    use_pivot: bool,
    errors: bool = False,
    min_score: float = 0.0,
) -> Recall:
    """Recall of ``queries`` (those with an expected answer); by default ranks everything."""
    rec = Recall()
    for q in queries:
        if not q.expected:
            continue
        hits = await index.query(
            q.text, q.lang, k=3, pivot_text=q.pivot if use_pivot else None, min_score=min_score
        )
        ids = [h.qid for h in hits]
        rec.n += 1
        rec.at1 += bool(ids[:1] and ids[0] in q.expected)
        rec.at3 += any(i in q.expected for i in ids)
        if errors and not any(i in q.expected for i in ids):
            print(
                f"  MISS [{q.kind} {q.lang}] {q.text!r} expected {q.expected} got "
                f"{[(h.qid, h.score, h.lang) for h in hits]}"
            )
    return rec


async def false_hits(index: SearchIndex, queries: Sequence[Query]) -> tuple[int, int]:
    """Off-topic queries that still get a hit at the default ``min_score``."""
    negatives = [q for q in queries if not q.expected]
    bad = 0
    for q in negatives:
        bad += bool(await index.query(q.text, q.lang, pivot_text=q.pivot))
    return bad, len(negatives)


async def latencies(index: SearchIndex, queries: Sequence[Query], rounds: int = 3) -> list[float]:
    out: list[float] = []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            await index.query(q.text, q.lang, pivot_text=q.pivot)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def pct(values: Sequence[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def synthetic_docs(docs: Sequence[Doc], n: int, seed: int = 7) -> list[Doc]:
    """Random questions: words of the dev set's own language (Zipf-weighted, so common query
    words get long postings) mixed with random pseudo-words, plus a random English pivot."""
    rng = random.Random(seed)
    vocab: dict[str, list[str]] = {}
    for d in docs:
        vocab.setdefault(d.lang, []).extend(d.text.split())
        if d.pivot:
            vocab.setdefault("en", []).extend(d.pivot.split())
    langs = sorted(vocab)
    pseudo = [
        "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))
        for _ in range(5000)
    ]

    def sentence(words: list[str]) -> str:
        real = rng.choices(
            words, weights=[1 / (i + 1) ** 0.5 for i in range(len(words))], k=rng.randint(3, 6)
        )
        return " ".join(real + rng.choices(pseudo, k=rng.randint(4, 10)))

    return [
        Doc(f"syn{i}", lang, sentence(vocab[lang]), sentence(vocab["en"]) if lang != "en" else None)
        for i, lang in enumerate(rng.choice(langs) for _ in range(n))
    ]


async def clear_prefix(r: aioredis.Redis, prefix: str) -> None:
    batch: list[Any] = []
    async for key in r.scan_iter(match=f"{prefix}*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            await r.unlink(*batch)
            batch = []
    if batch:
        await r.unlink(*batch)


async def run(args: argparse.Namespace) -> None:
    r = aioredis.Redis.from_url(args.redis_url, decode_responses=True, max_connections=32)
    index = SearchIndex(r, prefix=PREFIX)
    docs, queries = load(Path(args.data))
    same = [q for q in queries if q.kind == "same"]
    cross = [q for q in queries if q.kind == "cross"]
    cross_foreign = [q for q in cross if q.lang != "en"]
    print(
        f"dev set: {len(docs)} questions, {len(same)} same-language, {len(cross)} cross-lingual "
        f"({len(cross_foreign)} non-English), {len(queries) - len(same) - len(cross)} off-topic"
    )
    try:
        await clear_prefix(r, PREFIX)
        await load_docs(index, docs, with_pivot=False)
        no_pivots = await evaluate(index, cross_foreign, use_pivot=False)
        await clear_prefix(r, PREFIX)

        await load_docs(index, docs)
        print(f"\n{'-- recall (dev set) --':<34}")
        print(
            (await evaluate(index, same, use_pivot=False, errors=args.errors)).line("same-language")
        )
        print(
            (await evaluate(index, cross, use_pivot=True, errors=args.errors)).line(
                "cross-lingual, with pivot"
            )
        )
        print(
            (await evaluate(index, cross_foreign, use_pivot=False)).line(
                "cross-lingual non-en, no query pivot"
            )
        )
        print(no_pivots.line("cross-lingual non-en, no pivots at all"))
        hard = [q for q in same if q.hard]
        print((await evaluate(index, hard, use_pivot=False)).line("same-language, hard subset"))
        print(
            (await evaluate(index, same, use_pivot=False, min_score=MIN_SCORE)).line(
                f"same-language, min_score={MIN_SCORE}"
            )
        )
        print(
            (await evaluate(index, cross, use_pivot=True, min_score=MIN_SCORE)).line(
                f"cross + pivot, min_score={MIN_SCORE}"
            )
        )
        bad, n_neg = await false_hits(index, queries)
        print(f"{'off-topic queries with a hit':<34} {bad}/{n_neg}")

        lat_dev = await latencies(index, same + cross)
        print(f"\n-- latency (ms, {len(lat_dev)} queries) --")
        print(f"{'dev set':<34} p50={pct(lat_dev, 50):.2f}  p99={pct(lat_dev, 99):.2f}")
        if args.synthetic:
            t0 = time.perf_counter()
            syn = synthetic_docs(docs, args.synthetic)
            for i in range(0, len(syn), 200):
                await load_docs(index, syn[i : i + 200])
            print(
                f"{'indexed synthetic questions':<34} {len(syn)} in {time.perf_counter() - t0:.1f} s"
            )
            lat_big = await latencies(index, same + cross)
            print(
                f"{f'dev set + {len(syn)} synthetic':<34} p50={pct(lat_big, 50):.2f}  "
                f"p99={pct(lat_big, 99):.2f}"
            )
            print(
                f"{'ratio (big / dev)':<34} p50 x{pct(lat_big, 50) / pct(lat_dev, 50):.2f}  "
                f"p99 x{pct(lat_big, 99) / pct(lat_dev, 99):.2f}"
            )
            print(f"\n-- recall with {len(syn)} synthetic distractors --")
            print((await evaluate(index, same, use_pivot=False)).line("same-language"))
            print((await evaluate(index, cross, use_pivot=True)).line("cross-lingual, with pivot"))
            print(f"{'mean latency':<34} {statistics.fmean(lat_big):.2f} ms")
    finally:
        await clear_prefix(r, PREFIX)
        await r.aclose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    ap.add_argument("--data", default=str(DEV))
    ap.add_argument(
        "--synthetic", type=int, default=20000, help="0 to skip the latency-at-scale run"
    )
    ap.add_argument("--errors", action="store_true", help="print the misses")
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
