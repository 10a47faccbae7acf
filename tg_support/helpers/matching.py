"""Rank volunteer helpers for a question. Pure: no I/O, no clock, no randomness.

Eligibility (hard rules, applied before any scoring)
----------------------------------------------------
A helper is never offered a question when any of these holds:

* they are the asker, or their id is in ``exclude`` (already offered this question);
* ``away`` is set;
* ``capacity <= 0`` or ``open_load >= capacity`` (at or over capacity);
* they do not speak the question's language and ``widen`` is False.

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

``last_offered_at <= 0`` (never offered) counts as fully idle. The score is rounded to 9
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
    lang = question.lang
    asker = question.asker_id
    excluded = exclude if isinstance(exclude, set | frozenset) else set(exclude)
    # tz -> (weekday, minute, {id(hours): (hours, available)}); holding ``hours`` in the
    # cache keeps its id from being reused while rank() runs
    tz_cache: dict[str, tuple[int, int, dict[int, tuple[object, bool]]]] = {}
    available: list[HelperCard] = []
    off: list[HelperCard] = []
    seen: set[int] = set()

    # pass 1: hard rules and availability tier (cheap); only the tier used gets scored
    for h in candidates:
        uid = h.user_id
        if (
            uid == asker
            or uid in excluded
            or uid in seen
            or h.away
            or h.open_load >= h.capacity
            or h.capacity <= 0
        ):
            continue
        if not widen and lang not in h.languages:
            continue
        seen.add(uid)
        hours = h.hours
        if hours:
            tzc = tz_cache.get(h.tz)
            if tzc is None:
                tzc = tz_cache[h.tz] = (*_local(now, h.tz), {})
            hit = tzc[2].get(id(hours))
            if hit is None:
                hit = tzc[2][id(hours)] = (hours, _in_hours(hours, tzc[0], tzc[1]))
            if not hit[1]:
                off.append(h)
                continue
        available.append(h)

    off_hours = not available
    tier = available or off

    # pass 2: score the tier
    qtags = question.tags
    fits = {"native": weights.native, "fluent": weights.fluent, "basic": weights.basic}
    other = weights.other_language
    w_lang, w_tags, w_load = weights.language, weights.tags, weights.load
    w_rep, w_fair, decay = weights.reputation, weights.fairness, weights.tag_decay
    horizon = weights.fairness_horizon_s
    entries: list[tuple[float, float, int, float, HelperCard]] = []
    for h in tier:
        level = h.languages.get(lang)
        shared = len(qtags & h.tags) if qtags else 0
        last = h.last_offered_at
        if last <= 0:
            fair = 1.0
        else:
            idle = now_ts - last
            fair = 1.0 if idle >= horizon else (max(idle, 0.0) / horizon if horizon > 0 else 1.0)
        rep = h.reputation
        rep = 0.0 if rep < 0 else 1.0 if rep > 1 else rep
        score = round(
            w_lang * (other if level is None else fits.get(level, other))
            + w_tags * (1.0 - decay**shared)
            + w_load * (1.0 - max(h.open_load, 0) / h.capacity)
            + w_rep * rep
            + w_fair * fair,
            9,
        )
        # user ids are unique here, so the comparison never reaches the card
        entries.append((-score, last, h.user_id, score, h))

    out: list[Ranked] = []
    for _, _, _, score, h in heapq.nsmallest(k, entries):
        reasons: list[str] = []
        level = h.languages.get(lang)
        if level is not None:
            reasons.append(f"lang={lang}:{level}")
        else:
            spoken = ",".join(sorted(h.languages)) or "-"
            reasons.append(f"widened:{lang}->{spoken}")
        if qtags & h.tags:
            reasons.append("tags=" + ",".join(sorted(qtags & h.tags)))
        reasons.append(f"load={h.open_load}/{h.capacity}")
        reasons.append(f"rep={h.reputation:.2f}")
        if h.last_offered_at <= 0:
            reasons.append("never_offered")
        else:
            reasons.append(f"idle={max(now_ts - h.last_offered_at, 0.0) / 3600:.1f}h")
        if off_hours:
            reasons.append("off_hours")
        out.append(Ranked(helper=h, score=score, reasons=tuple(reasons), off_hours=off_hours))
    return out
