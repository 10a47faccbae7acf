"""rank() split into named score terms: each term by hand, and fixed expectations that the
body before the split produced (edge cases by hand, then digests of seeded random runs)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.cards import helper_card as helper
from tg_support.helpers.matching import (
    HelperCard,
    QuestionCard,
    Weights,
    fairness_fit,
    language_fit,
    load_fit,
    rank,
    reputation_fit,
    tag_fit,
)

# Wednesday 2024-01-10 12:00 UTC (weekday 2)
NOW = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
TS = NOW.timestamp()
HOUR = 3600.0
W = Weights()


def question(lang: str = "es", tags: tuple[str, ...] = (), asker: int = 99) -> QuestionCard:
    return QuestionCard(qid="q1", lang=lang, tags=frozenset(tags), asker_id=asker)


# -- the terms -------------------------------------------------------------------------------


def test_language_fit() -> None:
    assert language_fit(helper(1, languages={"es": "native"}), "es", W) == 1.0
    assert language_fit(helper(1, languages={"es": "fluent"}), "es", W) == 0.8
    assert language_fit(helper(1, languages={"es": "basic"}), "es", W) == 0.4
    assert language_fit(helper(1, languages={"en": "native"}), "es", W) == 0.0
    # a level the weights do not know counts as not speaking the language
    odd = helper(1, languages={"es": "conversational"})
    assert language_fit(odd, "es", Weights(other_language=0.3)) == 0.3


def test_tag_fit() -> None:
    h = helper(1, tags={"a", "b", "x"})
    assert tag_fit(h, frozenset({"a", "b", "c"}), 0.5) == 0.75
    assert tag_fit(h, frozenset({"c"}), 0.5) == 0.0
    assert tag_fit(h, frozenset(), 0.5) == 0.0
    assert tag_fit(h, frozenset({"a"}), 0.0) == 1.0


def test_load_fit() -> None:
    assert load_fit(helper(1, capacity=4, open_load=1)) == 0.75
    assert load_fit(helper(1, capacity=2, open_load=0)) == 1.0
    assert load_fit(helper(1, capacity=2, open_load=-1)) == 1.0  # a bad counter is not a bonus


def test_reputation_fit() -> None:
    assert reputation_fit(helper(1, reputation=0.35)) == 0.35
    assert reputation_fit(helper(1, reputation=-0.2)) == 0.0
    assert reputation_fit(helper(1, reputation=1.3)) == 1.0


def test_fairness_fit() -> None:
    horizon = 6 * HOUR
    assert fairness_fit(helper(1, last_offered_at=0.0), TS, horizon) == 1.0  # never offered
    assert fairness_fit(helper(1, last_offered_at=-5.0), TS, horizon) == 1.0
    assert fairness_fit(helper(1, last_offered_at=TS - 3 * HOUR), TS, horizon) == 0.5
    assert fairness_fit(helper(1, last_offered_at=TS - 9 * HOUR), TS, horizon) == 1.0
    assert fairness_fit(helper(1, last_offered_at=TS + 600), TS, horizon) == 0.0  # clock skew
    assert fairness_fit(helper(1, last_offered_at=TS + 600), TS, 0.0) == 1.0  # no horizon


# -- rank, by hand ---------------------------------------------------------------------------


def test_widened_odd_levels_clamps_and_skew() -> None:
    speaks_nothing = helper(
        1,
        languages={},
        tags={"python"},
        capacity=2,
        open_load=-1,
        reputation=1.3,
        last_offered_at=TS + 600,
    )  # 3*0 + 2*0.5 + 1*1 + 1*1 + 0.5*0 = 3.0
    odd_level = helper(
        2,
        languages={"es": "conversational"},
        tags={"python", "sql"},
        capacity=4,
        open_load=1,
        reputation=-0.2,
        last_offered_at=TS - 1.5 * HOUR,
    )  # 3*0 + 2*0.75 + 1*0.75 + 1*0 + 0.5*0.25 = 2.375
    basic = helper(3, languages={"es": "basic"}, capacity=1, reputation=0.35)
    # 3*0.4 + 0 + 1 + 0.35 + 0.5 = 3.05
    q = question(tags=("python", "sql"))
    ranked = rank(q, [speaks_nothing, odd_level, basic], now=NOW, k=5, widen=True)
    assert [(r.helper.user_id, r.score, r.off_hours) for r in ranked] == [
        (3, 3.05, False),
        (1, 3.0, False),
        (2, 2.375, False),
    ]
    assert [r.reasons for r in ranked] == [
        ("lang=es:basic", "load=0/1", "rep=0.35", "never_offered"),
        ("widened:es->-", "tags=python", "load=-1/2", "rep=1.30", "idle=0.0h"),
        ("lang=es:conversational", "tags=python,sql", "load=1/4", "rep=-0.20", "idle=1.5h"),
    ]
    # without widening the helper who speaks no Spanish comes after the speakers (shared tag)
    assert [r.helper.user_id for r in rank(q, [speaks_nothing, odd_level, basic], now=NOW)] == [
        3,
        2,
        1,
    ]
    assert [r.helper.user_id for r in rank(question(), [speaks_nothing, basic], now=NOW)] == [3]


def test_off_hours_tie_without_fairness_horizon() -> None:
    mondays = {0: ((540, 1020),)}
    recent = helper(1, hours=mondays, last_offered_at=TS - 60)
    older = helper(2, hours=mondays, last_offered_at=TS - 2 * HOUR)
    w = Weights(fairness_horizon_s=0.0)  # any offer long enough ago: fairness is 1 for both
    q = question(lang="en")
    ranked = rank(q, [recent, older], now=NOW, weights=w)
    # 3*1 + 0 + 1 + 0.5 + 0.5 = 5.0 each; the tie goes to the one offered longer ago
    assert [(r.helper.user_id, r.score) for r in ranked] == [(2, 5.0), (1, 5.0)]
    assert ranked[0].reasons == (
        "lang=en:native",
        "load=0/3",
        "rep=0.50",
        "idle=2.0h",
        "off_hours",
    )
    assert all(r.off_hours for r in ranked)
    assert [r.helper.user_id for r in rank(q, [recent, older], now=NOW, k=1, weights=w)] == [2]


def test_duplicate_after_an_ineligible_card_counts() -> None:
    cards = [helper(1, away=True), helper(1, reputation=0.9), helper(1, reputation=0.1)]
    ranked = rank(question(lang="en"), cards, now=NOW)
    # the first eligible card wins: 3 + 0 + 1 + 0.9 + 0.5
    assert [(r.helper.reputation, r.score) for r in ranked] == [(0.9, 5.4)]


def test_yesterdays_wrapping_window_is_available_now() -> None:
    night_owl = helper(1, hours={1: ((1320, 780),)}, reputation=0.0)  # Tue 22:00 - Wed 13:00
    evening = helper(2, hours={2: ((780, 1440),)}, reputation=1.0)  # Wed from 13:00
    ranked = rank(question(lang="en"), [evening, night_owl], now=NOW)
    assert [(r.helper.user_id, r.score, r.off_hours) for r in ranked] == [(1, 4.5, False)]


# -- rank, seeded random runs ----------------------------------------------------------------

LANGS = ("en", "es", "hi", "ru", "zh")
LEVELS = ("native", "fluent", "basic", "basic", "conversational")
TAGS = ("python", "ml", "sql", "stats", "coursera", "edx", "git")
ZONES = ("UTC", "Europe/Madrid", "Asia/Kolkata", "America/Los_Angeles", "UTC+05:45", "UTC-03:00")
DST_NIGHT = datetime(2024, 3, 31, 0, 30, tzinfo=UTC)  # a Sunday; Europe moves to summer time

# sha256 of each seed's 100 results, as rank() returned them before it was split into named
# terms (the old body and the new one were run side by side on these inputs); re-recorded
# when issue 20 admitted tag matchers of other languages before widening (after speakers)
DIGESTS = (
    "260784826819", "f0a22d85fd78", "394e8fc3ee7e", "e971c571405a", "7ef1ce6fce58",
    "fe3cc4ea7d6f", "cb001d12a7b4", "bca60227832d", "e793136976e3", "33937e0338ae",
    "b00700027809", "04f16d45ff18", "015006c0ce67", "f5cd1be117e0", "c46e8c361da7",
    "6b4cae08e480", "6903680903ee", "7a18d68bfbc9", "e40723f5410f", "79638f7c42ce",
)  # fmt: skip


def _hours(rng: random.Random) -> dict[int, tuple[tuple[int, int], ...]]:
    if rng.random() < 0.3:
        return {}
    spans: dict[int, tuple[tuple[int, int], ...]] = {}
    for day in rng.sample(range(7), rng.randint(1, 7)):
        start = rng.randrange(0, 1440, 30)
        end = rng.choice((start + 60, start + 240, 1440, rng.randrange(0, 1440, 30)))
        spans[day] = ((start, min(end, 1440)),)  # some wrap past midnight
    return spans


def _helper(rng: random.Random, uid: int, now_ts: float) -> HelperCard:
    languages = {rng.choice(LANGS): rng.choice(LEVELS) for _ in range(rng.randint(0, 3))}
    capacity = rng.randint(-1, 4)
    return helper(
        uid,
        languages=languages,
        tags=frozenset(rng.sample(TAGS, rng.randint(0, 4))),
        tz=rng.choice(ZONES),
        hours=_hours(rng),
        capacity=capacity,
        open_load=rng.randint(-1, max(capacity, 0) + 1),
        reputation=rng.choice((-0.2, 0.0, 0.35, 0.5, 1.0, 1.3, round(rng.random(), 3))),
        last_offered_at=rng.choice(
            (0.0, -5.0, now_ts + 600, now_ts - rng.uniform(0, 12 * HOUR), now_ts - 6 * HOUR)
        ),
        away=rng.random() < 0.1,
    )


def _weights(rng: random.Random) -> Weights:
    if rng.random() < 0.6:
        return W
    return Weights(
        language=rng.uniform(0, 4),
        other_language=rng.choice((0.0, 0.3)),
        tags=rng.uniform(0, 3),
        tag_decay=rng.choice((0.0, 0.5, 0.9, 1.0)),
        load=rng.uniform(0, 2),
        reputation=rng.uniform(0, 2),
        fairness=rng.uniform(0, 1),
        fairness_horizon_s=rng.choice((0.0, HOUR, 6 * HOUR)),
    )


def _scenarios(seed: int) -> Iterator[tuple[QuestionCard, list[HelperCard], dict[str, Any]]]:
    """Questions, duplicate-ridden candidate lists and rank() options, all over the map."""
    rng = random.Random(seed)
    for _ in range(100):
        now = DST_NIGHT + timedelta(minutes=rng.randrange(0, 7 * 1440, 7))
        if rng.random() < 0.2:
            now = now.replace(tzinfo=None)  # naive = UTC
        now_ts = (now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp()
        n = rng.randint(0, 40)
        helpers = [_helper(rng, rng.randint(1, n + 5), now_ts) for _ in range(n)]
        q = QuestionCard(
            qid="q",
            lang=rng.choice(LANGS),
            tags=frozenset(rng.sample(TAGS, rng.randint(0, 3))),
            asker_id=rng.randint(1, n + 5),
        )
        options = {
            "now": now,
            "k": rng.choice((-1, 0, 1, 3, 5, 50)),
            "exclude": rng.choice(([], {1, 2}, [3, 4], frozenset({5}))),
            "widen": rng.random() < 0.4,
            "weights": _weights(rng),
        }
        yield q, helpers, options


@pytest.mark.parametrize("seed", range(len(DIGESTS)))
def test_seeded_runs_match_the_unsplit_rank(seed: int) -> None:
    results = [
        [(r.helper.user_id, r.score, r.reasons, r.off_hours) for r in rank(q, iter(hs), **opts)]
        for q, hs, opts in _scenarios(seed)
    ]
    assert hashlib.sha256(repr(results).encode()).hexdigest()[:12] == DIGESTS[seed]
