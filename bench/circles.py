"""Benchmark the study-circle matcher: time, growth, share placed against an upper bound.

Makes a seeded waiting pool of N learners (default 1,000, 2,000, 5,000 and 10,000) over 500
courses with Zipf-like popularity, cohort sessions (or self-paced courses), languages with a
few translation bridges, offsets of real time zones (on 2025-03-03) and some open circles
with room; times :func:`plan_circles` (median of ``--repeat`` runs) and prints, per size, the
time, the share of learners placed, that share against an upper bound, and the largest
time-zone and session spread inside any circle; then the growth ratio time@largest /
time@smallest (about the size ratio when the cost is linear).

Upper bound on the learners any plan could place: a learner can only be placed if it fits an
open circle with room (same course, session within the window of its anchor, the union of
offsets within the time-zone window, a shared or bridged language), or if at least
``min_size - 1`` other learners are each compatible with it (same course, sessions within the
window when both known, offsets within the window, a shared language or a bridged pair):
every member of a new circle has ``min_size - 1`` such neighbours. The bound counts learners
passing either test. It ignores that neighbours must also suit each other and that a
neighbour can sit in one circle only, so the true optimum may be lower; placed / bound is a
floor on how close the matcher gets.

    python -m bench.circles [--sizes 1000 2000 5000 10000] [--courses 500] [--seed 7]
"""

from __future__ import annotations

import argparse
import bisect
import random
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tg_support.community.circles import (
    DEFAULT_RULES,
    OpenCircle,
    Plan,
    Rules,
    Seeker,
    plan_circles,
)

LANGS: dict[str, tuple[float, tuple[str, ...]]] = {
    # language: (share of learners, time zones)
    "en": (30, ("America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Kolkata", "Africa/Lagos", "Asia/Manila")),
    "es": (14, ("Europe/Madrid", "America/Mexico_City", "America/Bogota", "America/Argentina/Buenos_Aires")),
    "hi": (9, ("Asia/Kolkata",)),
    "ru": (7, ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk")),
    "pt": (7, ("America/Sao_Paulo", "Europe/Lisbon")),
    "ar": (6, ("Africa/Cairo", "Asia/Riyadh", "Asia/Dubai")),
    "fr": (6, ("Europe/Paris", "Africa/Dakar", "America/Montreal")),
    "zh": (5, ("Asia/Shanghai", "Asia/Taipei")),
    "de": (4, ("Europe/Berlin", "Europe/Vienna")),
    "id": (4, ("Asia/Jakarta",)),
    "tr": (4, ("Europe/Istanbul",)),
    "uk": (4, ("Europe/Kyiv",)),
}  # fmt: skip
# Pairs the translator bridges (English pivots the well-supported ones, plus two direct pairs).
BRIDGES = frozenset(
    tuple(sorted(p))
    for p in [("en", x) for x in ("es", "pt", "fr", "ru", "hi", "zh")]
    + [("es", "pt"), ("ru", "uk")]
)
DAY0 = date(2025, 3, 3)


def bridge(a: str, b: str) -> bool:
    return (a, b) in BRIDGES


def utc_offset(zone: str) -> int:
    offset = datetime(2025, 3, 3, 12, tzinfo=ZoneInfo(zone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


@dataclass
class Pool:
    seekers: list[Seeker]
    circles: list[OpenCircle]


def make_pool(rng: random.Random, n: int, n_courses: int) -> Pool:
    """``n`` waiting learners and ``n // 20`` open circles, Zipf-distributed over courses."""
    courses = [f"course:{i}" for i in range(n_courses)]
    popularity = [1 / (i + 1) ** 1.05 for i in range(n_courses)]
    # A course is self-paced (no sessions) or runs cohorts every 2 or 4 weeks.
    cohorts: dict[str, list[date]] = {}
    for c in courses:
        if rng.random() < 0.35:
            cohorts[c] = []
        else:
            every = rng.choice((14, 28))
            first = DAY0 - timedelta(days=rng.randrange(every))
            cohorts[c] = [first + timedelta(days=every * k) for k in range(4)]
    langs = list(LANGS)
    shares = [LANGS[x][0] for x in langs]
    offsets = {z: utc_offset(z) for _, zones in LANGS.values() for z in zones}

    def speaker(primary: str) -> tuple[tuple[str, ...], int]:
        spoken = [primary]
        if primary != "en" and rng.random() < 0.4:
            spoken.append("en")
        elif rng.random() < 0.1:
            spoken.append(rng.choices(langs, shares)[0])
        return tuple(dict.fromkeys(spoken)), offsets[rng.choice(LANGS[primary][1])]

    seekers: list[Seeker] = []
    for uid in range(1, n + 1):
        course = rng.choices(courses, popularity)[0]
        sessions = cohorts[course]
        session = rng.choice(sessions) if sessions and rng.random() < 0.85 else None
        spoken, offset = speaker(rng.choices(langs, shares)[0])
        since = 1_741_000_000.0 - rng.uniform(0, 7 * 86400)
        seekers.append(Seeker(uid, course, session, spoken, offset, since))
    circles: list[OpenCircle] = []
    for i in range(n // 20):
        course = rng.choices(courses, popularity)[0]
        primary = rng.choices(langs, shares)[0]
        size = rng.randint(1, 7)
        offs = tuple(speaker(primary)[1] for _ in range(min(size, 3)))
        if max(offs) - min(offs) > DEFAULT_RULES.tz_window_min:
            offs = offs[:1]
        session = rng.choice(cohorts[course]) if cohorts[course] else None
        circles.append(OpenCircle(f"oc{i}", course, session, frozenset({primary}), offs, size))
    return Pool(seekers, circles)


def _lang_ok(a: tuple[str, ...], b: tuple[str, ...] | frozenset[str]) -> bool:
    return any(x == y or bridge(*sorted((x, y))) for x in a for y in b)


def upper_bound(pool: Pool, rules: Rules) -> int:
    """Learners that fit an open circle or have ``min_size - 1`` compatible others (docstring)."""
    w, days = rules.tz_window_min, rules.session_window_days
    by_course: dict[str, list[Seeker]] = defaultdict(list)
    for s in pool.seekers:
        by_course[s.course].append(s)
    circles_by_course: dict[str, list[OpenCircle]] = defaultdict(list)
    for c in pool.circles:
        if c.size < rules.max_size:
            circles_by_course[c.course].append(c)
    count = 0
    for course, group in by_course.items():
        group.sort(key=lambda s: s.utc_offset_min)
        offs = [s.utc_offset_min for s in group]
        for s in group:
            fits_open = any(
                (not c.offsets or max(*c.offsets, s.utc_offset_min) - min(*c.offsets, s.utc_offset_min) <= w)
                and (not c.session or not s.session or abs((c.session - s.session).days) <= days)
                and _lang_ok(s.langs, c.langs)
                for c in circles_by_course[course]
            )  # fmt: skip
            if fits_open:
                count += 1
                continue
            neighbours = 0
            lo = bisect.bisect_left(offs, s.utc_offset_min - w)
            hi = bisect.bisect_right(offs, s.utc_offset_min + w)
            for t in group[lo:hi]:
                if t.uid == s.uid:
                    continue
                if s.session and t.session and abs((s.session - t.session).days) > days:
                    continue
                if _lang_ok(s.langs, t.langs):
                    neighbours += 1
                    if neighbours >= rules.min_size - 1:
                        count += 1
                        break
    return count


@dataclass
class Spread:
    tz_min: int
    session_days: int


def spreads(pool: Pool, plan: Plan) -> Spread:
    """The largest time-zone and session spread inside any circle the plan touches."""
    by_uid = {s.uid: s for s in pool.seekers}
    circles = {c.circle_id: c for c in pool.circles}
    tz, sess = 0, 0
    for nc in plan.new_circles:
        tz = max(tz, max(nc.offsets) - min(nc.offsets))
        dates = [d for u in nc.members if (d := by_uid[u].session)]
        if dates:
            sess = max(sess, (max(dates) - min(dates)).days)
    for cid, uids in plan.joins.items():
        offsets = [*circles[cid].offsets, *(by_uid[u].utc_offset_min for u in uids)]
        tz = max(tz, max(offsets) - min(offsets))
    return Spread(tz, sess)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000, 10_000])
    ap.add_argument("--courses", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rules = DEFAULT_RULES
    times: list[float] = []
    best: list[float] = []
    for n in args.sizes:
        pool = make_pool(random.Random(args.seed), n, args.courses)
        runs: list[float] = []
        cpu: list[float] = []
        plan = Plan()
        for _ in range(args.repeat):
            start, cpu_start = time.perf_counter(), time.process_time()
            plan = plan_circles(pool.seekers, pool.circles, bridge, rules)
            runs.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu_start)
        times.append(statistics.median(runs))
        best.append(min(cpu))
        placed = len(plan.placed())
        bound = upper_bound(pool, rules)
        spread = spreads(pool, plan)
        sizes = [len(c.members) for c in plan.new_circles]
        bridged = sum(c.bridged for c in plan.new_circles) + len(plan.langs)
        courses = len({s.course for s in pool.seekers})
        print(
            f"N={n:>6} ({courses} courses, {len(pool.circles)} open circles): "
            f"{times[-1] * 1000:7.1f} ms wall (median of {args.repeat}),"
            f" {best[-1] * 1000:.1f} ms CPU (min)\n"
            f"    placed {placed} = {placed / n:.1%} of the pool; bound {bound} = {bound / n:.1%};"
            f" placed/bound {placed / bound if bound else 1:.1%}\n"
            f"    {sum(len(u) for u in plan.joins.values())} joined {len(plan.joins)} open circles;"
            f" {len(sizes)} new circles, sizes {min(sizes, default=0)}-{max(sizes, default=0)}"
            f" (mean {statistics.mean(sizes) if sizes else 0:.1f}); {bridged} circles use a bridge\n"
            f"    largest spread in a circle: time zones {spread.tz_min // 60}h{spread.tz_min % 60:02d}"
            f" (limit {rules.tz_window_h:g}h), sessions {spread.session_days} days"
            f" (limit {rules.session_window_days})",
            flush=True,
        )
        assert spread.tz_min <= rules.tz_window_min
    if len(times) > 1:
        print(
            f"growth time@{args.sizes[-1]} / time@{args.sizes[0]}: wall {times[-1] / times[0]:.1f}x,"
            f" CPU {best[-1] / best[0]:.1f}x, for {args.sizes[-1] / args.sizes[0]:.0f}x the learners"
        )


if __name__ == "__main__":
    main()
