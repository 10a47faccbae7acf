"""How often the first suggestion solves the question, on the search dev set.

Before asking, the bot offers the best solved question alone and first (translated, with
"this solves it" / "ask anyway") when its score is at least ``questions.faq.FIRST_SCORE``,
and a list of up to three otherwise. On ``tests/data/search_dev.jsonl`` (63 solved questions
in 8 languages; paraphrases in the same language, and queries in another language with their
English pivot, as the translation worker gives it), this prints:

* top-1: the share of questions whose first suggestion is a right answer (any score over
  the search's ``MIN_SCORE``), by kind (same language / across languages);
* for cut-offs around ``FIRST_SCORE``: the share of questions offered one answer first
  (coverage), how often that answer is right (precision), and how many off-topic queries
  get an answer offered first (false offers).

    python -m bench.faq_first [--redis-url redis://127.0.0.1:6379/13]

Only keys under its own prefix (``benchfaq:``) are written and deleted.
"""

from __future__ import annotations

import argparse
import asyncio

import redis.asyncio as aioredis

from bench.search_recall import clear_prefix, load, load_docs
from tg_support.questions.faq import FIRST_SCORE
from tg_support.questions.search import MIN_SCORE, SearchIndex

PREFIX = "benchfaq:"
CUTS = (0.4, 0.5, FIRST_SCORE, 0.7, 0.8)


async def run(redis_url: str) -> None:
    docs, queries = load()
    r = aioredis.Redis.from_url(redis_url, decode_responses=True, max_connections=32)
    index = SearchIndex(r, prefix=PREFIX)
    await clear_prefix(r, PREFIX)
    try:
        await load_docs(index, docs)
        results = []
        for q in queries:
            hits = await index.query(q.text, q.lang, k=3, pivot_text=q.pivot, min_score=MIN_SCORE)
            results.append((q, hits))
    finally:
        await clear_prefix(r, PREFIX)
        await r.aclose()
    for kind in ("same", "cross", "all"):
        rows = [(q, h) for q, h in results if q.expected and (kind == "all" or q.kind == kind)]
        right = sum(bool(h) and h[0].qid in q.expected for q, h in rows)
        print(f"top-1 {kind:<6} {right}/{len(rows)} = {right / max(1, len(rows)):.1%} "
              "of questions: the first suggestion is a right answer")  # fmt: skip
    answerable = [(q, h) for q, h in results if q.expected]
    off = [(q, h) for q, h in results if not q.expected]
    print(f"\ncut-off  offered first  right when offered  off-topic offered ({len(off)} queries)")
    for cut in sorted(set(CUTS)):
        first = [(q, h) for q, h in answerable if h and h[0].score >= cut]
        right = sum(h[0].qid in q.expected for q, h in first)
        false = sum(bool(h) and h[0].score >= cut for _q, h in off)
        mark = "  <- FIRST_SCORE" if cut == FIRST_SCORE else ""
        print(f"{cut:6.2f}   {len(first) / len(answerable):12.1%}   "
              f"{right / max(1, len(first)):17.1%}   {false:3}{mark}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    asyncio.run(run(args.redis_url))


if __name__ == "__main__":
    main()
