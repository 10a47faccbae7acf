"""Peer-review swap matching: pairs, 3-cycles, languages, uids, exclude, deadlines, keys."""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest

from tg_support.community.reviews import (
    Bridge,
    Matching,
    ReviewRequest,
    assignment_key,
    match,
    max_pairable,
)

NOW = 1_700_000_000.0
HOUR = 3600.0
DAY = 24 * HOUR


def req(
    rid: str,
    uid: int,
    deadline_h: float = 48.0,
    langs: tuple[str, ...] = ("en",),
    assignment: str = "week:1",
    course: str = "ml101",
    exclude: Iterable[int] = (),
    created: float = NOW - DAY,
) -> ReviewRequest:
    return ReviewRequest(
        rid=rid,
        uid=uid,
        course=course,
        assignment=assignment,
        deadline=NOW + deadline_h * HOUR,
        langs=langs,
        created=created,
        exclude=frozenset(exclude),
    )


def no_bridge(src: str, dst: str) -> bool:
    return False


class BridgeOf:
    """A symmetric bridge over the given language pairs, recording its calls."""

    def __init__(self, *pairs: tuple[str, str]) -> None:
        self.allowed = {frozenset(p) for p in pairs}
        self.calls: list[tuple[str, str]] = []

    def __call__(self, src: str, dst: str) -> bool:
        self.calls.append((src, dst))
        return frozenset((src, dst)) in self.allowed


def can_review(reviewer: ReviewRequest, author: ReviewRequest, bridge: Bridge) -> bool:
    """The rule, restated independently of the implementation."""
    if reviewer.uid == author.uid:
        return False
    if reviewer.uid in author.exclude or author.uid in reviewer.exclude:
        return False
    if reviewer.course != author.course:
        return False
    if set(reviewer.langs) & set(author.langs):
        return True
    return any(bridge(a, r) for a in author.langs for r in reviewer.langs)


def check(m: Matching, requests: list[ReviewRequest], bridge: Bridge, now: float = NOW) -> None:
    """Every invariant of a Matching against its input."""
    by_rid = {r.rid: r for r in requests}
    placed = [rid for swap in m.swaps for rid in swap]
    everyone = placed + m.unmatched + m.expired
    assert len(everyone) == len(set(everyone)), "a rid appears twice"
    assert set(everyone) == set(by_rid), "a rid was lost or invented"
    for swap in m.swaps:
        assert len(swap) in (2, 3)
        members = [by_rid[rid] for rid in swap]
        assert len({r.course for r in members}) == 1
        assert len({r.uid for r in members}) == len(members)
        for i, reviewer in enumerate(members):
            author = members[(i + 1) % len(members)]
            assert can_review(reviewer, author, bridge), (reviewer, author)
        for a in members:
            for b in members:
                assert a.uid not in b.exclude
    for rid in placed + m.unmatched:
        assert by_rid[rid].deadline - now >= 6 * HOUR
    for rid in m.expired:
        assert by_rid[rid].deadline - now < 6 * HOUR


# -- shapes -----------------------------------------------------------------------------------


def test_pair_in_one_language() -> None:
    rs = [req("a", 1, 30), req("b", 2, 40)]
    m = match(rs, no_bridge, NOW)
    assert m.swaps == [("a", "b")]
    assert m.unmatched == [] and m.expired == []


def test_three_requests_of_one_assignment_make_a_3_cycle() -> None:
    rs = [req("a", 1, 30), req("b", 2, 40), req("c", 3, 50)]
    m = match(rs, no_bridge, NOW)
    assert len(m.swaps) == 1
    assert sorted(m.swaps[0]) == ["a", "b", "c"]
    assert m.swaps[0][0] == "a"  # rotated to the nearest deadline
    assert m.unmatched == []
    check(m, rs, no_bridge)


def test_five_requests_make_a_pair_and_a_3_cycle() -> None:
    rs = [req(f"r{i}", i, 24 + i) for i in range(5)]
    m = match(rs, no_bridge, NOW)
    assert sorted(len(s) for s in m.swaps) == [2, 3]
    assert m.swaps[0] == ("r0", "r1")
    assert sorted(m.swaps[1]) == ["r2", "r3", "r4"]
    assert m.unmatched == []
    check(m, rs, no_bridge)


def test_seven_requests_place_everybody() -> None:
    rs = [req(f"r{i}", i, 24 + i) for i in range(7)]
    m = match(rs, no_bridge, NOW)
    assert sorted(len(s) for s in m.swaps) == [2, 2, 3]
    assert m.unmatched == []


def test_single_request_stays_unmatched() -> None:
    m = match([req("a", 1)], no_bridge, NOW)
    assert m == Matching(swaps=[], unmatched=["a"], expired=[])


def test_empty_input() -> None:
    assert match([], no_bridge, NOW) == Matching([], [], [])


# -- languages --------------------------------------------------------------------------------


def test_spanish_hindi_pair_only_over_a_bridge() -> None:
    rs = [req("es", 1, 30, langs=("es",)), req("hi", 2, 40, langs=("hi",))]
    refused = match(rs, no_bridge, NOW)
    assert refused.swaps == [] and refused.unmatched == ["es", "hi"]

    bridge = BridgeOf(("es", "hi"))
    allowed = match(rs, bridge, NOW)
    assert allowed.swaps == [("es", "hi")]
    assert ("es", "hi") in bridge.calls or ("hi", "es") in bridge.calls


def test_bridge_is_not_asked_when_a_language_is_shared() -> None:
    bridge = BridgeOf()
    rs = [req("a", 1, langs=("es", "en")), req("b", 2, langs=("en", "hi"))]
    assert match(rs, bridge, NOW).swaps == [("a", "b")]
    assert bridge.calls == []


def test_shared_language_preferred_over_a_bridge() -> None:
    # Deadline order alone would pair (es1, hi1) and (es2, hi2), both bridged.
    rs = [
        req("es1", 1, 30, langs=("es",)),
        req("hi1", 2, 31, langs=("hi",)),
        req("es2", 3, 32, langs=("es",)),
        req("hi2", 4, 33, langs=("hi",)),
    ]
    m = match(rs, BridgeOf(("es", "hi")), NOW)
    assert m.swaps == [("es1", "es2"), ("hi1", "hi2")]


def test_language_checked_per_review_direction_in_a_3_cycle() -> None:
    # One-way bridges: no two requests can swap both ways, yet es -> hi -> zh -> es closes.
    one_way = {("es", "hi"), ("hi", "zh"), ("zh", "es")}

    def bridge(src: str, dst: str) -> bool:
        return (src, dst) in one_way

    rs = [
        req("a", 1, 30, langs=("es",)),
        req("b", 2, 31, langs=("hi",)),
        req("c", 3, 32, langs=("zh",)),
    ]
    m = match(rs, bridge, NOW)
    # bridge(author, reviewer): b reads a's Spanish, c reads b's Hindi, a reads c's Chinese.
    assert m.swaps == [("a", "c", "b")]
    check(m, rs, bridge)


def test_incompatible_languages_are_left_unmatched() -> None:
    rs = [req("a", 1, 30, langs=("zh",)), req("b", 2, 31, langs=("ar",)), req("c", 3, 32)]
    m = match(rs, no_bridge, NOW)
    assert m.swaps == [] and m.unmatched == ["a", "b", "c"]


# -- uids and exclude -------------------------------------------------------------------------


def test_same_uid_never_reviews_itself() -> None:
    assert match([req("a", 7), req("b", 7)], no_bridge, NOW).swaps == []
    rs = [req("a", 7, 30), req("b", 7, 31), req("c", 8, 32)]
    m = match(rs, no_bridge, NOW)
    # The second request of uid 7 cannot join (a, c): it would review or be reviewed by itself.
    assert m.swaps == [("a", "c")] and m.unmatched == ["b"]


def test_rematch_after_no_show_gets_a_different_partner() -> None:
    # Author 1's reviewer (uid 2) did not show up; uid 2 is also the nearest deadline around.
    rs = [req("again", 1, 30, exclude={2}), req("noshow", 2, 31), req("other", 3, 60)]
    m = match(rs, no_bridge, NOW)
    assert m.swaps == [("again", "other")] and m.unmatched == ["noshow"]


def test_exclude_is_respected_from_the_other_side() -> None:
    rs = [req("a", 1, 30), req("b", 2, 31, exclude={1}), req("c", 3, 60)]
    m = match(rs, no_bridge, NOW)
    assert m.swaps == [("a", "c")] and m.unmatched == ["b"]


def test_exclude_blocks_joining_a_3_cycle() -> None:
    rs = [req("a", 1, 30), req("b", 2, 31), req("c", 3, 32, exclude={2})]
    m = match(rs, no_bridge, NOW)
    assert m.swaps == [("a", "b")] and m.unmatched == ["c"]


# -- deadlines and priority -------------------------------------------------------------------


def test_nearest_deadlines_pair_first() -> None:
    rs = [req("d3", 3, 72), req("d1", 1, 24), req("d4", 4, 96), req("d2", 2, 48)]
    m = match(rs, no_bridge, NOW)
    assert m.swaps == [("d1", "d2"), ("d3", "d4")]


def test_same_assignment_preferred_over_same_course() -> None:
    rs = [
        req("w1a", 1, 24, assignment="week:1"),
        req("w2a", 2, 25, assignment="week:2"),
        req("w1b", 3, 26, assignment="week:1"),
        req("w2b", 4, 27, assignment="week:2"),
    ]
    m = match(rs, no_bridge, NOW)
    assert m.swaps == [("w1a", "w1b"), ("w2a", "w2b")]


def test_lone_request_pairs_across_assignments_of_its_course() -> None:
    rs = [req("w1", 1, 30, assignment="week:1"), req("w2", 2, 40, assignment="week:2")]
    assert match(rs, no_bridge, NOW).swaps == [("w1", "w2")]


def test_lone_request_joins_a_pair_of_another_assignment() -> None:
    rs = [
        req("w1a", 1, 30, assignment="week:1"),
        req("w1b", 2, 31, assignment="week:1"),
        req("w2", 3, 40, assignment="week:2"),
    ]
    m = match(rs, no_bridge, NOW)
    assert len(m.swaps) == 1 and sorted(m.swaps[0]) == ["w1a", "w1b", "w2"]
    check(m, rs, no_bridge)


def test_lone_request_splits_a_3_cycle_rather_than_wait() -> None:
    rs = [
        req("w1a", 1, 30, assignment="week:1"),
        req("w1b", 2, 31, assignment="week:1"),
        req("w1c", 3, 32, assignment="week:1"),
        req("w2", 4, 40, assignment="week:2"),
    ]
    m = match(rs, no_bridge, NOW)
    # The member whose deadline is nearest the newcomer's moves over.
    assert m.swaps == [("w1a", "w1b"), ("w1c", "w2")]


def test_courses_never_mix() -> None:
    rs = [req("a", 1, course="ml101"), req("b", 2, course="stats201")]
    m = match(rs, no_bridge, NOW)
    assert m.swaps == [] and m.unmatched == ["a", "b"]


def test_requests_too_close_to_their_deadline_are_not_matched() -> None:
    rs = [req("late1", 1, 2), req("late2", 2, 5.9), req("ok1", 3, 30), req("ok2", 4, 31)]
    m = match(rs, no_bridge, NOW)
    assert m.swaps == [("ok1", "ok2")]
    assert m.expired == ["late1", "late2"] and m.unmatched == []

    strict = match(rs, no_bridge, NOW, min_slack_s=31 * HOUR)
    assert strict.swaps == [] and strict.unmatched == ["ok2"]
    assert strict.expired == ["late1", "late2", "ok1"]


def test_duplicate_rid_counts_once() -> None:
    a = req("a", 1, 30)
    m = match([a, a, req("b", 2, 31)], no_bridge, NOW)
    assert m.swaps == [("a", "b")]


# -- properties -------------------------------------------------------------------------------

LANGS = ("en", "es", "pt", "fr", "ru", "hi", "ar", "zh")


def random_instance(rng: random.Random) -> tuple[list[ReviewRequest], Bridge]:
    n = rng.randint(0, 60)
    courses = [f"c{i}" for i in range(rng.randint(1, 4))]
    uids = list(range(rng.randint(1, max(1, n))))
    pairs = {frozenset(rng.sample(LANGS, 2)) for _ in range(rng.randint(0, 6))}
    one_way = rng.random() < 0.3
    directed = {tuple(sorted(p)) for p in pairs}

    def bridge(src: str, dst: str) -> bool:
        if one_way:
            return (src, dst) in directed
        return frozenset((src, dst)) in pairs

    rs = []
    for i in range(n):
        uid = rng.choice(uids)
        rs.append(
            ReviewRequest(
                rid=f"r{i}",
                uid=uid,
                course=rng.choice(courses),
                assignment=f"week:{rng.randint(1, 3)}",
                deadline=NOW + rng.uniform(-HOUR, 10 * DAY),
                langs=tuple(
                    rng.sample(LANGS[:4] if rng.random() < 0.7 else LANGS, rng.randint(0, 2))
                ),
                created=NOW - rng.uniform(0, DAY),
                exclude=frozenset(rng.sample(uids, min(len(uids), rng.randint(0, 2)))) - {uid},
            )
        )
    return rs, bridge


def test_invariants_on_random_instances() -> None:
    rng = random.Random(20240611)
    placed = total = three = 0
    for _ in range(200):
        rs, bridge = random_instance(rng)
        m = match(rs, bridge, NOW, window=rng.choice([1, 2, 8]))
        check(m, rs, bridge)
        n_placed = sum(len(s) for s in m.swaps)
        assert n_placed <= max_pairable(rs, bridge, NOW)
        placed += n_placed
        total += len(rs)
        three += sum(len(s) == 3 for s in m.swaps)
    # The loop must exercise real matchings, not 200 empty ones.
    assert placed > total / 3 and three > 20


def test_deterministic_and_independent_of_input_order() -> None:
    rng = random.Random(7)
    for _ in range(20):
        rs, bridge = random_instance(rng)
        first = match(rs, bridge, NOW)
        assert match(rs, bridge, NOW) == first
        shuffled = rs[:]
        rng.shuffle(shuffled)
        assert match(shuffled, bridge, NOW) == first


def test_max_pairable_bound() -> None:
    rs = [
        req("a", 1, langs=("en",)),
        req("b", 2, langs=("en", "es")),
        req("c", 3, langs=("zh",)),  # nobody to review with
        req("d", 4, course="solo"),  # alone in its course
        req("e", 5, 1),  # expired
    ]
    assert max_pairable(rs, no_bridge, NOW) == 2
    assert max_pairable(rs, BridgeOf(("zh", "es")), NOW) == 3


def test_complete_course_is_placed_entirely() -> None:
    rng = random.Random(3)
    rs = [req(f"r{i}", i, rng.uniform(7, 400), langs=("en", "es")) for i in range(101)]
    m = match(rs, no_bridge, NOW)
    assert sum(len(s) for s in m.swaps) == 101 == max_pairable(rs, no_bridge, NOW)


# -- assignment keys --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Week 3", "week3", "W3", "wk 3", "WEEK 03", "3rd week", "Semana 3", "semana 3ª",
        "semaine 3", "Semaine n° 3", "Неделя 3", "неделя №3", "3-я неделя", "सप्ताह 3",
        "सप्ताह ३", "हफ़्ता 3", "第3周", "第三周", "第 3 周", "الأسبوع 3", "الأسبوع ٣",
        "الاسبوع 3", "Week 3 - Data cleaning", "Week 3 homework",
    ],
)  # fmt: skip
def test_assignment_key_weeks(text: str) -> None:
    assert assignment_key(text) == "week:3"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Assignment 2", "assignment:2"),
        ("Tarea 2", "assignment:2"),
        ("Tarefa 2", "assignment:2"),
        ("Devoir 2", "assignment:2"),
        ("Задание 2", "assignment:2"),
        ("HW2", "assignment:2"),
        ("hw 2", "assignment:2"),
        ("Homework 2", "assignment:2"),
        ("Peer-graded Assignment #2", "assignment:2"),
        ("第2次作业", "assignment:2"),
        ("作业2", "assignment:2"),
        ("الواجب ٢", "assignment:2"),
        ("गृहकार्य २", "assignment:2"),
        ("Project 1", "project:1"),
        ("Proyecto 1", "project:1"),
        ("Проект 1", "project:1"),
        ("Final project", "project:final"),
        ("Proyecto final", "project:final"),
        ("Projeto final", "project:final"),
        ("Projet final", "project:final"),
        ("Итоговый проект", "project:final"),
        ("अंतिम प्रोजेक्ट", "project:final"),
        ("المشروع النهائي", "project:final"),
        ("期末项目", "project:final"),
        ("Capstone", "project:final"),
        ("Capstone Project", "project:final"),
        ("Module 4", "module:4"),
        ("Unit 04", "module:4"),
        ("Week 3, Assignment 2", "week:3/assignment:2"),
        ("Homework", "assignment"),
        ("第十二周", "week:12"),
    ],
)
def test_assignment_key_kinds(text: str, key: str) -> None:
    assert assignment_key(text) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("  Ensayo   Crítico ", "ensayo critico"),
        ("Chapter 3", "chapter 3"),
        ("ÉTUDE de cas", "etude de cas"),
        ("Йогурт", "йогурт"),  # й stays a letter
        ("Final", "final"),
        ("", ""),
    ],
)
def test_assignment_key_free_text(text: str, key: str) -> None:
    assert assignment_key(text) == key
