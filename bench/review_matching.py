"""Peer-review swap matching: speed and quality of ``tg_support.community.reviews.match``.

    python -m bench.review_matching [--sizes 1000 2000 5000 10000] [--courses 300]
                                    [--seed 1] [--repeats 5]

Workload (seeded, pure Python, no Redis): ``--courses`` courses with Zipf popularity (weight
1/rank), each taught in one language (en 55%, then es pt ru fr hi ar zh), numbering its work
by week or by assignment (4-10 of them, half the courses with a final project). Learners
cluster around the course's current assignment (weight halves per step away). Each
assignment has a base deadline 1-21 days ahead; a learner's deadline is that +- 1.5 days
(sessions, time zones), clipped to 1-21 days, so nothing is expired. Learners have a native
language (shares as in bench/matching.py), usually the course's language too (80%), often
English (35%), sometimes es+pt; they type the assignment in their language's usual form
("Semana 3", "第3周", "الأسبوع ٣", "HW2", "Capstone"...), normalised by ``assignment_key``.
About 15% of uids have two requests; 4% of requests carry an ``exclude`` (a past no-show of
the same course). Bridged language pairs: en-es, en-pt, en-fr, en-ru, en-zh, es-pt, es-fr,
pt-fr, fr-ar (hi and ar have no bridge to en: they rely on shared languages).

Printed: ``match()`` time per size (median of ``--repeats``) and the growth ratio; at the
largest size, the share of requests placed versus ``max_pairable`` (an upper bound: see its
docstring), the share of 3-cycles, of same-assignment swaps and of swaps with a bridged
review, the median slack (earliest deadline in a swap minus now) and the median deadline gap
within a swap (latest minus earliest member deadline).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass

from tg_support.community.reviews import (
    Matching,
    ReviewRequest,
    assignment_key,
    match,
    max_pairable,
)

NOW = 1_750_000_000.0
HOUR = 3600.0
DAY = 24 * HOUR

LANG_SHARE = {"en": 30, "es": 14, "hi": 9, "ru": 7, "pt": 7, "ar": 6, "fr": 6, "zh": 5}
COURSE_LANG = {"en": 55, "es": 12, "pt": 8, "ru": 8, "fr": 5, "hi": 4, "ar": 4, "zh": 4}
BRIDGED = frozenset(
    frozenset(p)
    for p in [
        ("en", "es"), ("en", "pt"), ("en", "fr"), ("en", "ru"), ("en", "zh"),
        ("es", "pt"), ("es", "fr"), ("pt", "fr"), ("fr", "ar"),
    ]
)  # fmt: skip

WEEK_FORMS = {
    "en": ("Week {n}", "week{n}", "W{n}"), "es": ("Semana {n}",), "pt": ("Semana {n}",),
    "fr": ("semaine {n}",), "ru": ("Неделя {n}",), "hi": ("सप्ताह {n}",),
    "ar": ("الأسبوع {n}",), "zh": ("第{n}周",),
}  # fmt: skip
ASSIGNMENT_FORMS = {
    "en": ("Assignment {n}", "HW{n}", "Homework {n}"), "es": ("Tarea {n}",),
    "pt": ("Tarefa {n}",), "fr": ("Devoir {n}",), "ru": ("Задание {n}",),
    "hi": ("गृहकार्य {n}",), "ar": ("الواجب {n}",), "zh": ("第{n}次作业",),
}  # fmt: skip
FINAL_FORMS = {
    "en": ("Final project", "Capstone"), "es": ("Proyecto final",), "pt": ("Projeto final",),
    "fr": ("Projet final",), "ru": ("Итоговый проект",), "hi": ("अंतिम प्रोजेक्ट",),
    "ar": ("المشروع النهائي",), "zh": ("期末项目",),
}  # fmt: skip
NATIVE_DIGITS = {"hi": "०१२३४५६७८९", "ar": "٠١٢٣٤٥٦٧٨٩"}


def bridge(src: str, dst: str) -> bool:
    """Symmetric: translation models are installed in both directions."""
    return frozenset((src, dst)) in BRIDGED


@dataclass(frozen=True, slots=True)
class Course:
    name: str
    lang: str
    kind: str  # "week" | "assignment"
    deadlines: tuple[float, ...]  # base deadline per assignment; the last is the final project
    has_final: bool
    current: int


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_courses(rng: random.Random, n: int) -> list[Course]:
    courses = []
    for i in range(n):
        count = rng.randint(4, 10)
        has_final = rng.random() < 0.5
        courses.append(
            Course(
                name=f"course{i:03d}",
                lang=pick(rng, COURSE_LANG),
                kind=rng.choice(("week", "assignment")),
                deadlines=tuple(NOW + rng.uniform(1, 21) * DAY for _ in range(count + has_final)),
                has_final=has_final,
                current=rng.randrange(count),
            )
        )
    return courses


def learner_langs(rng: random.Random, course: Course) -> tuple[str, ...]:
    native = pick(rng, LANG_SHARE)
    langs = [native]
    if course.lang != native and rng.random() < 0.8:
        langs.append(course.lang)
    if "en" not in langs and rng.random() < 0.35:
        langs.append("en")
    if native in ("es", "pt") and rng.random() < 0.2:
        langs.append("pt" if native == "es" else "es")
    return tuple(langs)


def typed(rng: random.Random, course: Course, index: int, lang: str) -> tuple[str, str]:
    """(what the learner types, the key it must normalise to)."""
    if course.has_final and index == len(course.deadlines) - 1:
        return rng.choice(FINAL_FORMS[lang]), "project:final"
    n = index + 1
    forms = WEEK_FORMS if course.kind == "week" else ASSIGNMENT_FORMS
    digits = str(n)
    if lang in NATIVE_DIGITS and rng.random() < 0.5:
        digits = "".join(NATIVE_DIGITS[lang][int(d)] for d in digits)
    return rng.choice(forms[lang]).format(n=digits), f"{course.kind}:{n}"


def make_requests(
    rng: random.Random, courses: list[Course], n: int
) -> tuple[list[ReviewRequest], int]:
    """``n`` open requests and the number of texts whose key came out wrong."""
    popularity = [1 / (rank + 1) for rank in range(len(courses))]
    uid_pool = int(n * 0.85)
    uids_by_course: dict[str, list[int]] = {}
    wrong = 0
    out = []
    for i in range(n):
        course = rng.choices(courses, weights=popularity)[0]
        weights = [0.5 ** abs(k - course.current) for k in range(len(course.deadlines))]
        index = rng.choices(range(len(course.deadlines)), weights=weights)[0]
        langs = learner_langs(rng, course)
        text, expected = typed(rng, course, index, langs[0])
        key = assignment_key(text)
        wrong += key != expected
        deadline = course.deadlines[index] + rng.gauss(0, 1.5) * DAY
        uid = rng.randrange(uid_pool)
        seen = uids_by_course.setdefault(course.name, [])
        exclude = frozenset(rng.sample(seen, min(len(seen), rng.randint(1, 2))))
        seen.append(uid)
        out.append(
            ReviewRequest(
                rid=f"r{i}",
                uid=uid,
                course=course.name,
                assignment=key,
                deadline=min(max(deadline, NOW + DAY), NOW + 21 * DAY),
                langs=langs,
                created=NOW - rng.uniform(0, 5) * DAY,
                exclude=exclude - {uid} if rng.random() < 0.04 else frozenset(),
            )
        )
    return out, wrong


def timed(requests: list[ReviewRequest], repeats: int) -> tuple[Matching, float]:
    times = []
    result = match(requests, bridge, NOW)
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = match(requests, bridge, NOW)
        times.append(time.perf_counter() - t0)
    return result, statistics.median(times)


def bridged(reviewer: ReviewRequest, author: ReviewRequest) -> bool:
    return not set(reviewer.langs) & set(author.langs)


def report(requests: list[ReviewRequest], result: Matching) -> None:
    by_rid = {r.rid: r for r in requests}
    swaps = [[by_rid[rid] for rid in s] for s in result.swaps]
    placed = sum(len(s) for s in swaps)
    eligible = len(requests) - len(result.expired)
    bound = max_pairable(requests, bridge, NOW)
    triples = sum(len(s) == 3 for s in swaps)
    same = sum(len({m.assignment for m in s}) == 1 for s in swaps)
    over_bridge = sum(any(bridged(m, s[(i + 1) % len(s)]) for i, m in enumerate(s)) for s in swaps)
    slack = [min(m.deadline for m in s) - NOW for s in swaps]
    gap = [max(m.deadline for m in s) - min(m.deadline for m in s) for s in swaps]
    n_swaps = max(1, len(swaps))
    print(f"eligible {eligible}, expired {len(result.expired)}, upper bound {bound}")
    print(
        f"placed {placed} = {placed / max(1, bound):.1%} of the bound "
        f"({placed / max(1, eligible):.1%} of eligible), unmatched {len(result.unmatched)}"
    )
    print(
        f"swaps {len(swaps)}: 3-cycles {triples / n_swaps:.1%}, same assignment "
        f"{same / n_swaps:.1%}, with a bridged review {over_bridge / n_swaps:.1%}"
    )
    print(
        f"median slack {statistics.median(slack) / DAY:.1f} d; deadline gap within a swap: "
        f"median {statistics.median(gap) / HOUR:.1f} h, "
        f"p90 {statistics.quantiles(gap, n=10)[-1] / HOUR:.1f} h"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000, 10000])
    parser.add_argument("--courses", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    courses = make_courses(random.Random(args.seed), args.courses)
    timings: list[float] = []
    requests: list[ReviewRequest] = []
    result = Matching([], [])
    for n in args.sizes:
        requests, wrong = make_requests(random.Random(args.seed * 1_000_003 + n), courses, n)
        result, seconds = timed(requests, args.repeats)
        timings.append(seconds)
        bound_t0 = time.perf_counter()
        max_pairable(requests, bridge, NOW)
        bound_s = time.perf_counter() - bound_t0
        print(
            f"{n:>6} requests / {args.courses} courses: match {seconds * 1000:7.1f} ms "
            f"(max_pairable {bound_s * 1000:.1f} ms; assignment keys wrong: {wrong})"
        )
    if len(timings) > 1:
        growth = timings[-1] / timings[0]
        print(f"time x{growth:.1f} for x{args.sizes[-1] / args.sizes[0]:.0f} requests")
    print(f"-- at {len(requests)} requests")
    report(requests, result)


if __name__ == "__main__":
    main()
