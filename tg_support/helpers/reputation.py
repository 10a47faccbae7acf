"""Pure: a helper's reputation and badges from learners' ratings.

Reputation is the lower bound of the Wilson score interval (95%) for the share of helpful
ratings: a helper with 9 helpful out of 10 ranks above one with 1 out of 1, and a few
unlucky ratings do not sink a long record. A helper with no ratings gets a neutral prior
(``NEW_HELPER``) so newcomers still receive questions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z = 1.96
NEW_HELPER = 0.5


def wilson_lower_bound(helpful: int, total: int, z: float = Z) -> float:
    if total <= 0:
        return 0.0
    p = helpful / total
    denom = 1 + z * z / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt((p * (1 - p) + z * z / (4 * total)) / total)
    return max(0.0, (centre - margin) / denom)


def reputation(helpful: int, total: int) -> float:
    """The matching score in [0, 1]; unrated helpers sit at ``NEW_HELPER``."""
    if total <= 0:
        return NEW_HELPER
    # Blend towards the prior while evidence is thin, so one rating is not a verdict.
    weight = min(1.0, total / 5)
    return round((1 - weight) * NEW_HELPER + weight * wilson_lower_bound(helpful, total), 4)


@dataclass(frozen=True)
class HelperStats:
    answers: int = 0
    helpful: int = 0
    rated: int = 0
    solved: int = 0
    languages: frozenset[str] = frozenset()
    streak_days: int = 0
    reviews: int = 0  # peer reviews given in review swaps


# Badge codes are stable identifiers; their names are translated where they are shown.
BADGES: tuple[str, ...] = (
    "first_answer", "helpful_10", "bilingual", "week_streak", "solver_25", "reviewer_5",
)


def badges(stats: HelperStats) -> list[str]:
    earned = []
    if stats.answers >= 1:
        earned.append("first_answer")
    if stats.helpful >= 10:
        earned.append("helpful_10")
    if len(stats.languages) >= 2:
        earned.append("bilingual")
    if stats.streak_days >= 7:
        earned.append("week_streak")
    if stats.solved >= 25:
        earned.append("solver_25")
    if stats.reviews >= 5:
        earned.append("reviewer_5")
    return earned


def streak(days: Iterable[int], today: int) -> int:
    """Consecutive days (as day numbers) with an answer, ending today or yesterday."""
    active = set(days)
    start = today if today in active else today - 1
    n = 0
    while start - n in active:
        n += 1
    return n
