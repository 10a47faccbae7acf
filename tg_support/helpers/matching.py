"""Rank volunteer helpers for a question. Pure: no I/O, no clock, no randomness.

Eligibility (hard rules, applied before any scoring)
----------------------------------------------------
A helper is never offered a question when any of these holds:

* they are the asker, or their id is in ``exclude`` (already offered this question);
* ``away`` is set;
* ``capacity <= 0`` or ``open_load >= capacity`` (at or over capacity);
* they do not speak the question's language, share no tag with it, and ``widen`` is False
  (a helper who knows the course reads the question translated, so tag matchers of other
  languages are eligible from the first round; the language weight still ranks speakers first).

Language codes and tags are compared exactly as given (lower-case slugs by convention;
:class:`tg_support.helpers.index.HelperIndex` normalises them when storing).

Availability tiers
------------------
:func:`is_available` converts ``now`` to the helper's time zone (IANA name, ``UTC`` or a fixed
``UTC+HH:MM`` offset) and checks the local weekday's ``(start_minute, end_minute)`` windows
(``start <= minute < end``; ``end`` may be 1440). A window with ``start > end`` wraps past
midnight: it covers ``start..24:00`` on its weekday and ``00:00..end`` on the next weekday.
An empty ``hours`` mapping means "always available"; a non-empty mapping without an entry for a
weekday means "not available that day".

If at least one eligible helper is available now, only available helpers are returned (possibly
fewer than ``k``: the next offer round will reach further). Only when *no* eligible helper is
available are off-hours helpers ranked, and each result then has ``off_hours=True`` so the offer
can carry a "sorry to ping you outside your hours" note.

Score (higher is better), with ``w = Weights()``::

    score = w.language   * lang_fit
          + w.tags       * (1 - w.tag_decay ** m)              # m = |question.tags ∩ helper.tags|
          + w.load       * (1 - open_load / capacity)
          + w.reputation * clamp(reputation, 0, 1)
          + w.fairness   * min(1, idle / w.fairness_horizon_s) # idle = now - last_offered_at

    lang_fit = w.native | w.fluent | w.basic   for the helper's level in the question language
             = w.other_language                when widen=True and they do not speak it

Each fit is a function of its own (:func:`language_fit`, :func:`tag_fit`, :func:`load_fit`,
:func:`reputation_fit`, :func:`fairness_fit`) and :func:`rank` weighs and sums them.
``last_offered_at <= 0`` (never offered) counts as fully idle. Without ``widen``, helpers
who speak the question's language always come before tag matchers who do not. The score is rounded to 9
decimals so that equal inputs compare equal. Ties are broken by least recently offered
(smaller ``last_offered_at``) first, then by smaller ``user_id``: the order is total and
deterministic.

With the defaults (language 3, tags 2, load 1, reputation 1, fairness 0.5) the language level
dominates (native 3.0 / fluent 2.4 / basic 1.2 / other language 0.0), one shared tag is worth
1.0, two 1.5, three 1.75 (diminishing returns; unlike a Jaccard index, helpers with many tags
are not penalised for their breadth), and load, reputation and fairness arbitrate between
otherwise similar helpers.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache

from tg_support.core.timezones import to_tzinfo

LEVELS = ("native", "fluent", "basic")


@dataclass(frozen=True)
class HelperCard:
    user_id: int
    languages: Mapping[str, str]  # lang -> "native" | "fluent" | "basic"
    tags: frozenset[str]
    tz: str
    # weekday 0=Mon -> ((start_minute, end_minute), ...) in local time; empty = always available
    hours: Mapping[int, tuple[tuple[int, int], ...]]
    capacity: int
    open_load: int
    reputation: float
    last_offered_at: float
    away: bool = False


@dataclass(frozen=True)
class QuestionCard:
    qid: str
    lang: str
    tags: frozenset[str]
    asker_id: int


@dataclass(frozen=True)
class Weights:
    """Weights of the score terms (see the module docstring for the formula)."""

    language: float = 3.0  # multiplies the language fit below
    native: float = 1.0
    fluent: float = 0.8
    basic: float = 0.4
    other_language: float = 0.0  # fit of a helper who does not speak the language (widen=True)
    tags: float = 2.0
    tag_decay: float = 0.5  # tag fit = 1 - tag_decay ** shared_tags
    load: float = 1.0
    reputation: float = 1.0
    fairness: float = 0.5
    fairness_horizon_s: float = 6 * 3600.0  # idle time after which fairness saturates


@dataclass(frozen=True)
class Ranked:
    helper: HelperCard
    score: float
    reasons: tuple[str, ...]
    off_hours: bool  # offered outside their hours because nobody available fits


_DEFAULT_WEIGHTS = Weights()


@lru_cache(maxsize=1024)
def _tzinfo(tz: str) -> tzinfo:
    # zoneinfo only keeps 8 zones strongly cached; hold on to the ones we use
    return to_tzinfo(tz)


def _local(now: datetime, tz: str) -> tuple[int, int]:
    """(weekday, minute of day) of ``now`` in ``tz``."""
    local = now.astimezone(_tzinfo(tz))
    return local.weekday(), local.hour * 60 + local.minute


def _in_hours(hours: Mapping[int, tuple[tuple[int, int], ...]], weekday: int, minute: int) -> bool:
    if not hours:
        return True
    spans = hours.get(weekday)
    if spans:
        for start, end in spans:
            if start <= end:
                if start <= minute < end:
                    return True
            elif minute >= start:  # wraps past midnight: the part on its own weekday
                return True
    # the after-midnight part of yesterday's wrapping windows
    spans = hours.get(weekday - 1 if weekday else 6)
    if spans:
        for start, end in spans:
            if end < start and minute < end:
                return True
    return False


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def is_available(helper: HelperCard, now: datetime) -> bool:
    """Whether ``now`` falls within the helper's hours in their time zone (naive = UTC)."""
    if not helper.hours:
        return True
    weekday, minute = _local(_aware(now), helper.tz)
    return _in_hours(helper.hours, weekday, minute)


def _eligible(
    question: QuestionCard,
    candidates: Iterable[HelperCard],
    excluded: Collection[int],
    widen: bool,
) -> list[HelperCard]:
    """The candidates that pass the hard rules of the module docstring, each helper once."""
    lang, asker = question.lang, question.asker_id
    seen: set[int] = set()
    eligible: list[HelperCard] = []
    for h in candidates:
        uid = h.user_id
        if (
            uid == asker
            or uid in excluded
            or uid in seen
            or h.away
            or h.open_load >= h.capacity
            or h.capacity <= 0
            or (not widen and lang not in h.languages and not (question.tags & h.tags))
        ):
            continue
        seen.add(uid)
        eligible.append(h)
    return eligible


def _by_local_time(
    helpers: list[HelperCard], now: datetime
) -> tuple[list[HelperCard], list[HelperCard]]:
    """(available now, off hours): :func:`is_available` of each helper at an aware ``now``."""
    # time zone -> (weekday, minute, {id(hours): (hours, available)}): the local time once per
    # zone, the verdict once per hours mapping (cards often share one); holding ``hours``
    # keeps its id from being reused while this runs
    zones: dict[str, tuple[int, int, dict[int, tuple[object, bool]]]] = {}
    available: list[HelperCard] = []
    off: list[HelperCard] = []
    for h in helpers:
        hours = h.hours
        if hours:
            zone = zones.get(h.tz)
            if zone is None:
                zone = zones[h.tz] = (*_local(now, h.tz), {})
            hit = zone[2].get(id(hours))
            if hit is None:
                hit = zone[2][id(hours)] = (hours, _in_hours(hours, zone[0], zone[1]))
            if not hit[1]:
                off.append(h)
                continue
        available.append(h)
    return available, off


def language_fit(helper: HelperCard, lang: str, weights: Weights) -> float:
    """Fit of the helper's level in ``lang``; ``other_language`` when they do not speak it."""
    level = helper.languages.get(lang)
    if level == "native":
        return weights.native
    if level == "fluent":
        return weights.fluent
    if level == "basic":
        return weights.basic
    return weights.other_language


def tag_fit(helper: HelperCard, tags: frozenset[str], decay: float) -> float:
    """``1 - decay ** m`` for the m course/topic tags the helper shares with the question."""
    return 1.0 - decay ** (len(tags & helper.tags) if tags else 0)


def load_fit(helper: HelperCard) -> float:
    """The free share of the helper's capacity: 1 with no open questions, less as they fill."""
    return 1.0 - max(helper.open_load, 0) / helper.capacity


def reputation_fit(helper: HelperCard) -> float:
    """The helper's reputation clamped to [0, 1]."""
    rep = helper.reputation
    return 0.0 if rep < 0 else 1.0 if rep > 1 else rep


def fairness_fit(helper: HelperCard, now_ts: float, horizon_s: float) -> float:
    """Idle time since the last offer over ``horizon_s``, capped at 1 (never offered: 1)."""
    last = helper.last_offered_at
    if last <= 0:
        return 1.0
    idle = now_ts - last
    if idle >= horizon_s:
        return 1.0
    return max(idle, 0.0) / horizon_s if horizon_s > 0 else 1.0


def _scores(
    tier: list[HelperCard], question: QuestionCard, now_ts: float, w: Weights
) -> list[float]:
    """The weighted sum of the fits for each helper, rounded so equal inputs compare equal."""
    lang, tags, decay, horizon = question.lang, question.tags, w.tag_decay, w.fairness_horizon_s
    w_lang, w_tags, w_load, w_rep, w_fair = w.language, w.tags, w.load, w.reputation, w.fairness
    return [
        round(
            w_lang * language_fit(h, lang, w)
            + w_tags * tag_fit(h, tags, decay)
            + w_load * load_fit(h)
            + w_rep * reputation_fit(h)
            + w_fair * fairness_fit(h, now_ts, horizon),
            9,
        )
        for h in tier
    ]


def _reasons(
    helper: HelperCard, question: QuestionCard, now_ts: float, off_hours: bool
) -> tuple[str, ...]:
    """Why the helper was picked, one short ``key=value`` per term (shown to admins, logged)."""
    lang = question.lang
    level = helper.languages.get(lang)
    if level is not None:
        reasons = [f"lang={lang}:{level}"]
    else:
        reasons = [f"widened:{lang}->{','.join(sorted(helper.languages)) or '-'}"]
    shared = question.tags & helper.tags
    if shared:
        reasons.append("tags=" + ",".join(sorted(shared)))
    reasons.append(f"load={helper.open_load}/{helper.capacity}")
    reasons.append(f"rep={helper.reputation:.2f}")
    if helper.last_offered_at <= 0:
        reasons.append("never_offered")
    else:
        reasons.append(f"idle={max(now_ts - helper.last_offered_at, 0.0) / 3600:.1f}h")
    if off_hours:
        reasons.append("off_hours")
    return tuple(reasons)


def rank(
    question: QuestionCard,
    candidates: Iterable[HelperCard],
    *,
    now: datetime,
    k: int = 3,
    exclude: Collection[int] = (),
    widen: bool = False,
    weights: Weights = _DEFAULT_WEIGHTS,
) -> list[Ranked]:
    """The best ``k`` eligible helpers, best first (see the module docstring)."""
    if k <= 0:
        return []
    now = _aware(now)
    now_ts = now.timestamp()
    excluded = exclude if isinstance(exclude, set | frozenset) else set(exclude)
    # hard rules and availability first (cheap): only the tier used gets scored
    available, off = _by_local_time(_eligible(question, candidates, excluded, widen), now)
    off_hours = not available
    tier = available or off
    scores = _scores(tier, question, now_ts, weights)
    # Before widening, speakers of the language come before tag matchers of other languages
    # (who only fill a round the speakers leave short). User ids are unique in the tier, so
    # the comparison never reaches the card.
    lang = question.lang
    entries = [
        (not widen and lang not in h.languages, -s, h.last_offered_at, h.user_id, s, h)
        for s, h in zip(scores, tier, strict=True)
    ]
    return [
        Ranked(
            helper=h, score=s, reasons=_reasons(h, question, now_ts, off_hours), off_hours=off_hours
        )
        for _, _, _, _, s, h in heapq.nsmallest(k, entries)
    ]
