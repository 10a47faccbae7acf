"""Study-circle matcher: the canonical scenario, each rule, sizes, open circles, merges."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

import pytest

from tg_support.community.circles import (
    DEFAULT_RULES,
    Merge,
    NewCircle,
    OpenCircle,
    Plan,
    Rules,
    Seeker,
    merge_candidates,
    plan_circles,
)

D0 = date(2025, 3, 3)
IST = 330  # UTC+5:30
CET = 60  # UTC+1
PIVOT = {"en", "es", "hi", "pt", "fr"}  # languages the translator connects through English


def via_english(a: str, b: str) -> bool:
    return a in PIVOT and b in PIVOT


def never(a: str, b: str) -> bool:
    return False


def S(
    uid: int,
    langs: str = "es",
    off: int = CET,
    session: date | None = None,
    since: float | None = None,
    course: str = "coursera:machine-learning",
) -> Seeker:
    return Seeker(
        uid, course, session, tuple(langs.split(",")), off, float(uid if since is None else since)
    )


def groups(plan: Plan) -> list[tuple[int, ...]]:
    return sorted(c.members for c in plan.new_circles)


def check_invariants(
    plan: Plan,
    seekers: list[Seeker],
    circles: Sequence[OpenCircle] = (),
    rules: Rules = DEFAULT_RULES,
) -> None:
    """Nobody twice, everybody accounted for, every circle within size and the windows."""
    placed = plan.placed()
    assert len(placed) == len(set(placed))
    assert sorted(placed + plan.unplaced) == sorted({s.uid for s in seekers})
    by_uid = {s.uid: s for s in seekers}
    members: list[list[Seeker]] = [[by_uid[u] for u in c.members] for c in plan.new_circles]
    for c in plan.new_circles:
        assert rules.min_size <= len(c.members) <= rules.max_size
        assert list(c.offsets) == [by_uid[u].utc_offset_min for u in c.members]
    open_by_id = {c.circle_id: c for c in circles}
    for cid, uids in plan.joins.items():
        oc = open_by_id[cid]
        assert oc.size + len(uids) <= rules.max_size
        offsets = [*oc.offsets, *(by_uid[u].utc_offset_min for u in uids)]
        assert max(offsets) - min(offsets) <= rules.tz_window_min
        for u in uids:
            assert by_uid[u].course == oc.course
            if oc.session and by_uid[u].session:
                assert abs((by_uid[u].session - oc.session).days) <= rules.session_window_days  # type: ignore[operator]
    for group in members:
        assert len({s.course for s in group}) == 1
        offsets = [s.utc_offset_min for s in group]
        assert max(offsets) - min(offsets) <= rules.tz_window_min
        dates = [s.session for s in group if s.session]
        if dates:
            assert (max(dates) - min(dates)).days <= rules.session_window_days


# -- the canonical scenario ------------------------------------------------------------------


def test_canonical_nine_learners_three_languages_two_bands() -> None:
    """Same band together; a shared language first; bridges only for who would be left out."""
    seekers = [
        S(1, "hi", IST),
        S(2, "hi", IST),
        S(3, "hi", IST + 15),  # Nepal, UTC+5:45
        S(4, "hi,en", IST),
        S(5, "en", IST),
        S(6, "es", CET),
        S(7, "es", CET + 60),
        S(8, "es", CET),
        S(9, "en", CET),
    ]
    plan = plan_circles(seekers, [], via_english)
    check_invariants(plan, seekers)
    assert plan.joins == {} and plan.unplaced == []
    assert plan.new_circles == [
        # four Hindi speakers form a Hindi circle; the English-only learner of that band joins
        # it through the bridge rather than wait
        NewCircle("coursera:machine-learning", (1, 2, 3, 4, 5), None, frozenset({"hi", "en"}),
                  (IST, IST, IST + 15, IST, IST)),
        # three Spanish speakers and one English speaker: only a bridged circle places them
        NewCircle("coursera:machine-learning", (6, 7, 8, 9), None, frozenset({"es", "en"}),
                  (CET, CET + 60, CET, CET)),
    ]  # fmt: skip


def test_canonical_without_bridges_leaves_the_bridged_out() -> None:
    seekers = [S(1, "hi", IST), S(2, "hi", IST), S(3, "hi", IST), S(4, "hi,en", IST)]
    seekers += [S(5, "en", IST), S(6, "es"), S(7, "es"), S(8, "es"), S(9, "en")]
    plan = plan_circles(seekers, [], never)
    assert groups(plan) == [(1, 2, 3, 4)]
    assert plan.new_circles[0].langs == {"hi"}
    assert plan.unplaced == [5, 6, 7, 8, 9]


def test_shared_language_preferred_over_bridging() -> None:
    seekers = [S(i, "es") for i in range(1, 5)] + [S(i, "en") for i in range(5, 9)]
    plan = plan_circles(seekers, [], via_english)
    assert groups(plan) == [(1, 2, 3, 4), (5, 6, 7, 8)]
    assert sorted(tuple(c.langs) for c in plan.new_circles) == [("en",), ("es",)]


def test_bilingual_learner_serves_the_rarer_language() -> None:
    # Without the bilingual learner (4) Spanish has three speakers: it goes where it is needed.
    seekers = [S(1, "es"), S(2, "es"), S(3, "es"), S(4, "en,es")] + [
        S(i, "en") for i in range(5, 10)
    ]
    plan = plan_circles(seekers, [], never)
    assert groups(plan) == [(1, 2, 3, 4), (5, 6, 7, 8, 9)]
    assert plan.unplaced == []


def test_bridged_learners_join_a_single_language_circle_when_otherwise_alone() -> None:
    seekers = [S(i, "es") for i in range(1, 6)] + [S(6, "en"), S(7, "pt"), S(8, "zh")]
    plan = plan_circles(seekers, [], via_english)
    assert groups(plan) == [(1, 2, 3, 4, 5, 6, 7)]
    assert plan.new_circles[0].langs == {"es", "en", "pt"}
    assert plan.unplaced == [8]  # no bridge for Chinese here


def test_bridges_are_pairwise_not_transitive() -> None:
    # es-en and en-hi are bridged but es-hi is not: no circle may hold es and hi speakers.
    pairs = {("en", "es"), ("en", "hi")}
    seekers = [S(1, "es"), S(2, "es"), S(3, "hi"), S(4, "hi"), S(5, "en")]
    plan = plan_circles(seekers, [], lambda a, b: (a, b) in pairs)
    for c in plan.new_circles:
        assert not {"es", "hi"} <= c.langs
    assert groups(plan) == []  # 2 es + 1 en, or 2 hi + 1 en: never four


# -- sizes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "sizes"),
    [(3, []), (4, [4]), (8, [8]), (9, [4, 5]), (12, [6, 6]), (16, [8, 8]), (17, [5, 6, 6])],
)
def test_balanced_sizes(n: int, sizes: list[int]) -> None:
    seekers = [S(i) for i in range(1, n + 1)]
    plan = plan_circles(seekers, [], never)
    assert sorted(len(c.members) for c in plan.new_circles) == sizes
    assert len(plan.unplaced) == n - sum(sizes)


def test_max_size_never_exceeded_with_many_seekers() -> None:
    seekers = [S(i, "es,en", CET + (i % 3) * 30, D0 + timedelta(days=i % 5)) for i in range(500)]
    circles = [OpenCircle(f"c{i}", "coursera:machine-learning", D0, frozenset({"es"}), (CET,), 6) for i in range(5)]  # fmt: skip
    plan = plan_circles(seekers, circles, via_english)
    check_invariants(plan, seekers, circles)
    assert all(len(c.members) <= 8 for c in plan.new_circles)
    assert len(plan.unplaced) < 4  # all compatible: at most a remainder waits


def test_custom_rules() -> None:
    rules = Rules(min_size=3, max_size=5, session_window_days=7, tz_window_h=1)
    seekers = [S(i, off=CET + (i % 2) * 90) for i in range(1, 9)]
    plan = plan_circles(seekers, [], never, rules)
    check_invariants(plan, seekers, rules=rules)
    assert groups(plan) == [(1, 3, 5, 7), (2, 4, 6, 8)]  # 90 min apart: two bands
    with pytest.raises(ValueError):
        Rules(min_size=5, max_size=4)


# -- sessions --------------------------------------------------------------------------------


def test_sessions_twenty_days_apart_never_together() -> None:
    far = D0 + timedelta(days=20)
    seekers = [S(i, session=D0) for i in range(1, 4)] + [S(i, session=far) for i in range(4, 7)]
    plan = plan_circles(seekers, [], never)
    assert plan.new_circles == []
    seekers += [S(7, session=D0), S(8, session=far)]
    plan = plan_circles(seekers, [], never)
    assert groups(plan) == [(1, 2, 3, 7), (4, 5, 6, 8)]
    assert [c.session for c in plan.new_circles] == [D0, far]


def test_sessions_ten_days_apart_may_be_together() -> None:
    near = D0 + timedelta(days=10)
    seekers = [S(1, session=D0), S(2, session=D0), S(3, session=near), S(4, session=near)]
    plan = plan_circles(seekers, [], never)
    assert groups(plan) == [(1, 2, 3, 4)]
    assert plan.new_circles[0].session == D0


def test_session_window_is_pairwise() -> None:
    # day 0 and day 20 each fit day 10, not each other
    days = [0, 0, 10, 10, 20, 20]
    seekers = [S(i + 1, session=D0 + timedelta(days=d)) for i, d in enumerate(days)]
    plan = plan_circles(seekers, [], never)
    check_invariants(plan, seekers)
    assert groups(plan) == [(1, 2, 3, 4)]


def test_unknown_session_joins_any_session() -> None:
    seekers = [S(1, session=D0), S(2, session=D0), S(3, session=D0), S(4)]
    plan = plan_circles(seekers, [], never)
    assert groups(plan) == [(1, 2, 3, 4)]
    assert plan.new_circles[0].session == D0
    # and several without a session form a circle of their own
    plan = plan_circles([S(i) for i in range(1, 5)], [], never)
    assert plan.new_circles[0].session is None


def test_session_intervals_chosen_to_place_the_most() -> None:
    # Cutting 14-day windows from the earliest date would group days 0..13 (six learners) and
    # leave the two at day 20 alone; day 0 alone and days 13..20 place all eight.
    days = [0, 0, 0, 0, 13, 13, 20, 20]
    seekers = [S(i + 1, session=D0 + timedelta(days=d)) for i, d in enumerate(days)]
    plan = plan_circles(seekers, [], never)
    check_invariants(plan, seekers)
    assert groups(plan) == [(1, 2, 3, 4), (5, 6, 7, 8)]


# -- time zones ------------------------------------------------------------------------------


def test_tz_spread_never_over_three_hours() -> None:
    rng = random.Random(5)
    zones = [-480, -300, -180, 0, 60, 120, 180, 240, 270, 330, 345, 420, 480, 540, 600]
    seekers = [
        S(i, rng.choice(["es", "en", "hi", "es,en"]), rng.choice(zones),
          rng.choice([None, D0, D0 + timedelta(days=7), D0 + timedelta(days=30)]), rng.random())
        for i in range(400)
    ]  # fmt: skip
    circles = [
        OpenCircle(f"c{i}", "coursera:machine-learning", None, frozenset({"en"}), (z, z + 60), 2)
        for i, z in enumerate(zones)
    ]
    plan = plan_circles(seekers, circles, via_english)
    check_invariants(plan, seekers, circles)
    assert plan.joins and plan.new_circles


def test_bands_four_and_a_half_hours_apart_stay_apart() -> None:
    seekers = [S(i, off=IST) for i in range(1, 3)] + [S(i, off=CET) for i in range(3, 5)]
    assert plan_circles(seekers, [], never).unplaced == [1, 2, 3, 4]
    # a learner three hours from both ends still joins only one side
    seekers = [S(1, off=0), S(2, off=0), S(3, off=0), S(4, off=180), S(5, off=360)]
    plan = plan_circles(seekers, [], never)
    assert groups(plan) == [(1, 2, 3, 4)]


# -- open circles ----------------------------------------------------------------------------


def oc(
    cid: str, size: int, langs: str = "es", offs: tuple[int, ...] = (CET,), **kw: object
) -> OpenCircle:
    return OpenCircle(
        cid,
        str(kw.get("course", "coursera:machine-learning")),
        kw.get("session"),  # type: ignore[arg-type]
        frozenset(langs.split(",")),
        offs,
        size,
    )  # fmt: skip


def test_open_circle_filled_before_a_new_one_forms() -> None:
    seekers = [S(i) for i in range(1, 6)]
    plan = plan_circles(seekers, [oc("c1", 3)], never)
    assert plan.joins == {"c1": [1, 2, 3, 4, 5]}
    assert plan.new_circles == [] and plan.unplaced == []


def test_open_circle_takes_the_longest_waiting_first() -> None:
    seekers = [S(1, since=50), S(2, since=10), S(3, since=30)]
    plan = plan_circles(seekers, [oc("c1", 6)], never)
    assert plan.joins == {"c1": [2, 3]}
    assert plan.unplaced == [1]


def test_smallest_open_circle_first() -> None:
    seekers = [S(1), S(2)]
    plan = plan_circles(seekers, [oc("big", 5), oc("small", 2), oc("full", 8)], never)
    assert plan.joins == {"small": [1, 2]}


def test_filling_does_not_strand_a_group_of_their_own() -> None:
    # room 3 and 4 fitting learners: 3 joiners would leave 1 alone; a new circle of 4 instead
    plan = plan_circles([S(i) for i in range(1, 5)], [oc("c1", 5)], never)
    assert plan.joins == {} and groups(plan) == [(1, 2, 3, 4)]
    # room 5 and 7 learners: 3 join, 4 form a circle
    plan = plan_circles([S(i) for i in range(1, 8)], [oc("c1", 3)], never)
    assert plan.joins == {"c1": [1, 2, 3]} and groups(plan) == [(4, 5, 6, 7)]


def test_open_circle_rules_session_tz_language() -> None:
    circles = [oc("c1", 4, "es", (CET, CET + 120), session=D0)]
    seekers = [
        S(1, session=D0 + timedelta(days=20)),  # session too far from the anchor
        S(2, off=CET + 200),  # would spread the circle to 3 h 20 min
        S(3, "en"),  # needs a bridge
        S(4, session=D0 + timedelta(days=14), off=CET + 180),
        S(5, "pt,es", off=CET - 60),
    ]
    plan = plan_circles(seekers, circles, never)
    assert plan.joins == {"c1": [4]}  # 5 fits alone, but not with 4 (-60..180 is 4 h)
    assert plan.unplaced == [1, 2, 3, 5]
    plan = plan_circles(seekers, circles, via_english)
    assert plan.joins == {"c1": [4, 3]}  # 4 in a shared language (step A), 3 bridged (D)
    assert plan.langs == {"c1": frozenset({"es", "en"})}


def test_other_courses_never_mix() -> None:
    seekers = [S(i) for i in range(1, 3)] + [S(i, course="edx:cs50") for i in range(3, 5)]
    assert plan_circles(seekers, [], never).unplaced == [1, 2, 3, 4]
    plan = plan_circles(seekers, [oc("cs", 2, course="edx:cs50")], never)
    assert plan.joins == {"cs": [3, 4]} and plan.unplaced == [1, 2]


# -- bookkeeping -----------------------------------------------------------------------------


def test_nobody_placed_twice_and_duplicates_taken_once() -> None:
    seekers = [S(i) for i in range(1, 6)] + [S(3, since=0.5), S(4, "en", IST, since=9)]
    plan = plan_circles(seekers, [oc("c1", 2)], via_english)
    placed = plan.placed()
    assert len(placed) == len(set(placed)) == 5
    assert plan.joins == {"c1": [3, 1, 2, 4, 5]}  # 3 waits longest (0.5); 4 keeps its earlier entry


def test_unplaced_when_fewer_than_four_compatible() -> None:
    seekers = [S(1), S(2), S(3, "hi", IST), S(4, "en", IST), S(5, "zh", 480)]
    plan = plan_circles(seekers, [], via_english)
    assert plan.new_circles == [] and plan.unplaced == [1, 2, 3, 4, 5]
    assert plan_circles([S(1, "")], [], via_english).unplaced == [1]  # no language


def test_deterministic_whatever_the_input_order() -> None:
    rng = random.Random(11)
    seekers = [
        S(i, rng.choice(["es", "en", "hi", "es,en", "pt"]), rng.choice([0, 60, 120, 330, 345, -300]),
          rng.choice([None, D0, D0 + timedelta(days=9)]), rng.choice([1.0, 2.0, 3.0]),
          rng.choice(["a", "b", "c"]))
        for i in range(300)
    ]  # fmt: skip
    circles = [oc(f"c{i}", rng.randint(1, 7), rng.choice(["es", "en"]), (rng.choice([0, 330]),),
                  course=rng.choice(["a", "b", "c"])) for i in range(12)]  # fmt: skip
    bridge_calls: list[tuple[str, str]] = []

    def counting(a: str, b: str) -> bool:
        bridge_calls.append((a, b))
        return via_english(a, b)

    first = plan_circles(seekers, circles, counting)
    assert all(a < b for a, b in bridge_calls)
    assert len(bridge_calls) == len(set(bridge_calls))  # cached: once per pair
    for _ in range(3):
        rng.shuffle(seekers)
        rng.shuffle(circles)
        assert plan_circles(seekers, circles, via_english) == first
    check_invariants(first, seekers, circles)


# -- merges ----------------------------------------------------------------------------------


def test_merge_candidates() -> None:
    circles = [
        oc("a", 2, "es", (CET,)),
        oc("b", 5, "es", (CET + 60,)),
        oc("c", 6, "es", (CET,)),
        oc("d", 1, "en", (CET,)),
        oc("e", 2, "hi", (IST,)),  # nobody within 3 h
        oc("f", 2, "es", (CET,), course="edx:cs50"),
        oc("g", 7, "es", (CET,), course="edx:cs50"),  # room 1 only
    ]
    merges = merge_candidates(circles, never)
    # d (1, English) fits nowhere without a bridge; a (2) goes to the smaller viable target
    assert merges == [Merge("a", "b", bridged=False)]
    merges = merge_candidates(circles, via_english)
    # d needs the bridge; a then fits b (now es+en) and c equally: the id decides
    assert merges == [Merge("d", "b", bridged=True), Merge("a", "b", bridged=False)]


def test_merge_two_small_circles_and_session_rule() -> None:
    circles = [
        oc("a", 2, session=D0),
        oc("b", 2, session=D0 + timedelta(days=10)),
        oc("c", 2, session=D0 + timedelta(days=30)),
    ]
    assert merge_candidates(circles, never) == [Merge("a", "b", bridged=False)]
    assert merge_candidates(circles, never, Rules(session_window_days=7)) == []


def test_open_circle_without_language_or_offsets_takes_anyone_fitting() -> None:
    blank = OpenCircle("blank", "coursera:machine-learning", None, frozenset(), (), 3)
    plan = plan_circles([S(1, "hi", IST), S(2, "es")], [blank], never)
    assert plan.joins == {"blank": [1]}  # then it runs in Hindi, 5.5 h from the second
    assert plan.langs == {"blank": frozenset({"hi"})}
    assert plan.unplaced == [2]
