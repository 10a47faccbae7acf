"""Pure ranking: hand-computed scores, hard rules, off-hours fallback, widening, time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.cards import helper_card as helper
from tg_support.helpers.matching import (
    QuestionCard,
    Weights,
    is_available,
    rank,
)

# Wednesday 2024-01-10 12:00 UTC (weekday 2)
NOW = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
TS = NOW.timestamp()
HOUR = 3600.0


def question(lang: str = "en", tags: tuple[str, ...] = (), asker: int = 99) -> QuestionCard:
    return QuestionCard(qid="q1", lang=lang, tags=frozenset(tags), asker_id=asker)


def ids(ranked: list[Any]) -> list[int]:
    return [r.helper.user_id for r in ranked]


# -- scoring ---------------------------------------------------------------------------------


def test_hand_computed_scores_and_order() -> None:
    q = question(tags=("ml", "python"))
    a = helper(1, tags={"ml"}, capacity=2, open_load=1, reputation=0.8)
    # 3*1.0 + 2*(1-.5) + 1*(1-1/2) + 0.8 + 0.5*1 = 5.8
    b = helper(
        2,
        languages={"en": "fluent"},
        tags={"ml", "python"},
        reputation=0.6,
        last_offered_at=TS - 3 * HOUR,
    )
    # 3*0.8 + 2*(1-.25) + 1*1 + 0.6 + 0.5*(3h/6h) = 5.75
    c = helper(3, languages={"en": "basic"}, capacity=1, reputation=1.0)
    # 3*0.4 + 0 + 1 + 1.0 + 0.5 = 3.7
    d = helper(
        4,
        tags={"python", "statistics", "ml"},
        capacity=4,
        open_load=2,
        reputation=0.2,
        last_offered_at=TS - 10 * HOUR,
    )
    # 3 + 2*0.75 + 0.5 + 0.2 + 0.5 (saturated) = 5.7
    ranked = rank(q, [c, d, b, a], now=NOW, k=4)
    assert ids(ranked) == [1, 2, 4, 3]
    assert [r.score for r in ranked] == pytest.approx([5.8, 5.75, 5.7, 3.7])
    assert not any(r.off_hours for r in ranked)
    assert ranked[0].reasons == (
        "lang=en:native",
        "tags=ml",
        "load=1/2",
        "rep=0.80",
        "never_offered",
    )
    assert "tags=ml,python" in ranked[1].reasons
    assert "idle=3.0h" in ranked[1].reasons


def test_k_limits_results() -> None:
    cands = [helper(i, reputation=i / 10) for i in range(1, 8)]
    assert ids(rank(question(), cands, now=NOW)) == [7, 6, 5]
    assert ids(rank(question(), cands, now=NOW, k=1)) == [7]
    assert rank(question(), cands, now=NOW, k=0) == []


def test_tag_overlap_has_diminishing_returns() -> None:
    q = question(tags=("a", "b", "c"))
    one, two, three = (
        helper(1, tags={"a"}),
        helper(2, tags={"a", "b"}),
        helper(3, tags={"a", "b", "c"}),
    )
    scores = {r.helper.user_id: r.score for r in rank(q, [one, two, three], now=NOW)}
    assert scores[2] - scores[1] == pytest.approx(0.5)  # 2*(0.75-0.5)
    assert scores[3] - scores[2] == pytest.approx(0.25)  # 2*(0.875-0.75)


def test_less_loaded_preferred() -> None:
    busy, free = helper(1, capacity=4, open_load=3), helper(2, capacity=4, open_load=1)
    ranked = rank(question(), [busy, free], now=NOW)
    assert ids(ranked) == [2, 1]
    assert ranked[0].score - ranked[1].score == pytest.approx(0.5)


def test_fairness_least_recently_offered_first() -> None:
    recent = helper(1, last_offered_at=TS - 600)
    older = helper(2, last_offered_at=TS - 2 * HOUR)
    assert ids(rank(question(), [recent, older], now=NOW)) == [2, 1]


def test_custom_weights() -> None:
    low_rep_tagged = helper(1, tags={"ml"}, reputation=0.1)
    high_rep = helper(2, reputation=0.9)
    q = question(tags=("ml",))
    assert ids(rank(q, [low_rep_tagged, high_rep], now=NOW)) == [1, 2]
    w = Weights(tags=0.1, reputation=5.0)
    assert ids(rank(q, [low_rep_tagged, high_rep], now=NOW, weights=w)) == [2, 1]


# -- tie-breaks ------------------------------------------------------------------------------


def test_ties_broken_by_user_id() -> None:
    cands = [helper(7), helper(5), helper(6)]
    ranked = rank(question(), cands, now=NOW)
    assert ids(ranked) == [5, 6, 7]
    assert len({r.score for r in ranked}) == 1


def test_ties_with_saturated_fairness_prefer_least_recently_offered() -> None:
    # both idle past the horizon: same score, the one offered longer ago goes first
    a = helper(1, last_offered_at=TS - 10 * HOUR)
    b = helper(2, last_offered_at=TS - 20 * HOUR)
    ranked = rank(question(), [a, b], now=NOW)
    assert ranked[0].score == ranked[1].score
    assert ids(ranked) == [2, 1]


def test_deterministic_regardless_of_input_order() -> None:
    cands = [helper(i, reputation=(i % 3) / 3, open_load=i % 2) for i in range(1, 30)]
    first = ids(rank(question(), cands, now=NOW, k=10))
    assert ids(rank(question(), list(reversed(cands)), now=NOW, k=10)) == first


# -- hard rules ------------------------------------------------------------------------------


def test_hard_rules() -> None:
    cands = [
        helper(99),  # asker
        helper(1),  # excluded (already offered)
        helper(2, away=True),
        helper(3, capacity=2, open_load=2),  # at capacity
        helper(4, capacity=2, open_load=5),  # over capacity
        helper(5, capacity=0),
        helper(6, languages={"de": "native"}),  # does not speak the language
        helper(7, languages={"en": "basic"}, reputation=0.0),  # the only eligible one
    ]
    ranked = rank(question(asker=99), cands, now=NOW, k=10, exclude=[1])
    assert ids(ranked) == [7]


def test_duplicates_counted_once() -> None:
    assert ids(rank(question(), [helper(1), helper(1), helper(2)], now=NOW)) == [1, 2]


def test_no_candidates() -> None:
    assert rank(question(), [], now=NOW) == []


# -- availability and off-hours fallback --------------------------------------------------------


def test_available_helpers_beat_better_off_hours_ones() -> None:
    on = helper(1, languages={"en": "basic"}, reputation=0.0, hours={2: ((600, 840),)})
    off = helper(2, reputation=1.0, hours={2: ((0, 60),)})
    ranked = rank(question(), [on, off], now=NOW)
    assert ids(ranked) == [1]  # fewer than k: the next round reaches further
    assert ranked[0].off_hours is False


def test_off_hours_fallback_when_nobody_available() -> None:
    off1 = helper(1, reputation=0.9, hours={2: ((0, 60),)})
    off2 = helper(2, reputation=0.1, hours={3: ((600, 900),)})  # Thursdays only
    ranked = rank(question(), [off1, off2], now=NOW)
    assert ids(ranked) == [1, 2]
    assert all(r.off_hours for r in ranked)
    assert all(r.reasons[-1] == "off_hours" for r in ranked)


def test_off_hours_fallback_when_available_ones_excluded() -> None:
    on = helper(1, hours={2: ((600, 840),)})
    off = helper(2, hours={2: ((0, 60),)})
    ranked = rank(question(), [on, off], now=NOW, exclude={1})
    assert ids(ranked) == [2] and ranked[0].off_hours


def test_empty_hours_means_always_available() -> None:
    assert is_available(helper(1, hours={}), NOW)
    assert not is_available(helper(1, hours={0: ((0, 1440),)}), NOW)  # Mondays only


# -- widening --------------------------------------------------------------------------------


def test_widen_admits_other_languages_with_penalty() -> None:
    es_basic = helper(1, languages={"es": "basic"})
    en_native = helper(2, languages={"en": "native", "fr": "fluent"}, tags={"ml"}, reputation=1.0)
    q = question(lang="es", tags=("ml",))
    # before widening the tag matcher of another language comes, but after every speaker
    assert ids(rank(q, [es_basic, en_native], now=NOW)) == [1, 2]
    assert ids(rank(question(lang="es"), [es_basic, en_native], now=NOW)) == [1]
    ranked = rank(q, [es_basic, en_native], now=NOW, widen=True)
    # es basic: 3*0.4 + 0 + 1 + 0.5 + 0.5 = 3.2 ; en native: 3*0 + 2*0.5 + 1 + 1.0 + 0.5 = 3.5
    assert ids(ranked) == [2, 1]
    assert [r.score for r in ranked] == pytest.approx([3.5, 3.2])
    assert ranked[0].reasons[0] == "widened:es->en,fr"
    assert ranked[1].reasons[0] == "lang=es:basic"


def test_widen_same_language_still_preferred_when_otherwise_equal() -> None:
    q = question(lang="es")
    ranked = rank(q, [helper(1), helper(2, languages={"es": "native"})], now=NOW, widen=True)
    assert ids(ranked) == [2, 1]
    assert ranked[0].score - ranked[1].score == pytest.approx(3.0)


def test_widen_penalty_is_configurable() -> None:
    q = question(lang="es")
    cands = [helper(1, reputation=1.0), helper(2, languages={"es": "basic"}, reputation=0.0)]
    w = Weights(other_language=0.5)  # 1.5 + 1.0 vs 1.2 + 0.0
    assert ids(rank(q, cands, now=NOW, widen=True, weights=w)) == [1, 2]


# -- time zones ------------------------------------------------------------------------------


def test_half_hour_offset_kolkata() -> None:
    # 09:00-10:00 on Wednesdays, India (UTC+05:30)
    h = helper(1, tz="Asia/Kolkata", hours={2: ((540, 600),)})
    at = datetime(2024, 1, 10, 3, 30, tzinfo=UTC)  # 09:00 IST
    assert is_available(h, at)
    assert not is_available(h, at - timedelta(minutes=1))  # 08:59
    assert is_available(h, at + timedelta(minutes=59))  # 09:59
    assert not is_available(h, at + timedelta(hours=1))  # 10:00, end exclusive
    fixed = helper(2, tz="UTC+05:30", hours={2: ((540, 600),)})
    assert is_available(fixed, at)
    assert not is_available(fixed, at - timedelta(minutes=1))


def test_weekday_boundary_west_of_utc() -> None:
    # Wednesday 03:00 UTC is Tuesday 19:00 in Los Angeles (PST, UTC-8)
    at = datetime(2024, 1, 10, 3, 0, tzinfo=UTC)
    tue_evening = helper(1, tz="America/Los_Angeles", hours={1: ((1080, 1200),)})
    wed_evening = helper(2, tz="America/Los_Angeles", hours={2: ((1080, 1200),)})
    assert is_available(tue_evening, at)
    assert not is_available(wed_evening, at)
    ranked = rank(question(), [wed_evening, tue_evening], now=at)
    assert ids(ranked) == [1] and not ranked[0].off_hours


def test_weekday_boundary_east_of_utc() -> None:
    # Tuesday 20:00 UTC is Wednesday 09:00 in Auckland (NZDT, UTC+13)
    at = datetime(2024, 1, 9, 20, 0, tzinfo=UTC)
    assert is_available(helper(1, tz="Pacific/Auckland", hours={2: ((540, 600),)}), at)
    assert not is_available(helper(1, tz="Pacific/Auckland", hours={1: ((540, 600),)}), at)


def test_dst_is_respected() -> None:
    h = helper(1, tz="Europe/Berlin", hours={2: ((540, 600),)})  # Wed 09:00-10:00
    assert is_available(h, datetime(2024, 7, 10, 7, 0, tzinfo=UTC))  # CEST, UTC+2
    assert is_available(h, datetime(2024, 1, 10, 8, 0, tzinfo=UTC))  # CET, UTC+1
    assert not is_available(h, datetime(2024, 7, 10, 8, 0, tzinfo=UTC))


def test_window_wrapping_past_midnight() -> None:
    h = helper(1, hours={1: ((1320, 120),)})  # Tuesday 22:00 -> Wednesday 02:00
    assert is_available(h, datetime(2024, 1, 9, 23, 0, tzinfo=UTC))  # Tue 23:00
    assert is_available(h, datetime(2024, 1, 10, 1, 59, tzinfo=UTC))  # Wed 01:59
    assert not is_available(h, datetime(2024, 1, 10, 2, 0, tzinfo=UTC))  # Wed 02:00
    assert not is_available(h, datetime(2024, 1, 8, 23, 0, tzinfo=UTC))  # Mon 23:00
    assert not is_available(h, datetime(2024, 1, 9, 1, 0, tzinfo=UTC))  # Tue 01:00


def test_sunday_to_monday_wrap() -> None:
    h = helper(1, hours={6: ((1380, 60),)})  # Sunday 23:00 -> Monday 01:00
    assert is_available(h, datetime(2024, 1, 8, 0, 30, tzinfo=UTC))  # Monday 00:30


def test_naive_now_is_utc() -> None:
    h = helper(1, hours={2: ((720, 780),)})
    assert is_available(h, datetime(2024, 1, 10, 12, 30))
    assert ids(rank(question(), [h], now=datetime(2024, 1, 10, 12, 30))) == [1]


def test_rank_mixes_time_zones() -> None:
    # NOW = Wed 12:00 UTC = Wed 17:30 in Kolkata = Wed 04:00 in Los Angeles
    kolkata = helper(1, tz="Asia/Kolkata", hours={2: ((1020, 1080),)}, reputation=0.1)
    la_asleep = helper(2, tz="America/Los_Angeles", hours={2: ((540, 1020),)}, reputation=1.0)
    ranked = rank(question(), [la_asleep, kolkata], now=NOW)
    assert ids(ranked) == [1] and not ranked[0].off_hours
