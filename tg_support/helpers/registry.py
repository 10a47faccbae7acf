"""The helper registry: a helper's card (languages, tags, hours, capacity) made from their
profile and kept in the index (``helpers.index``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from tg_support.core.callbacks import CallbackData
from tg_support.core.store import Profile
from tg_support.helpers import reputation
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.matching import HelperCard

LEVELS = ("native", "fluent", "basic")
CAPACITIES = (1, 2, 3, 5, 10)
DEFAULT_CAPACITY = 3
# Presets of available hours: weekday (0 = Monday) → ((start minute, end minute), ...).
Hours = dict[int, tuple[tuple[int, int], ...]]
_EVENING: tuple[tuple[int, int], ...] = ((18 * 60, 22 * 60),)
_DAYTIME: tuple[tuple[int, int], ...] = ((10 * 60, 18 * 60),)
_OFFICE: tuple[tuple[int, int], ...] = ((9 * 60, 17 * 60),)
_WEEKEND: tuple[tuple[int, int], ...] = ((9 * 60, 21 * 60),)
HOURS: dict[str, Hours] = {
    "any": {},
    "evenings": {
        0: _EVENING,
        1: _EVENING,
        2: _EVENING,
        3: _EVENING,
        4: _EVENING,
        5: _DAYTIME,
        6: _DAYTIME,
    },
    "office": {0: _OFFICE, 1: _OFFICE, 2: _OFFICE, 3: _OFFICE, 4: _OFFICE},
    "weekends": {5: _WEEKEND, 6: _WEEKEND},
}


# The buttons of the settings message (/helper); the handler checks values against the above.
class HelperOpen(CallbackData, prefix="hp:open"):
    """``hp:open:-``: the settings as a new message (from the onboarding summary)."""

    placeholder: Literal["-"] = "-"


class HelperLanguage(CallbackData, prefix="hp:lang"):
    """``hp:lang:<code>``: the next level for a language (native → fluent → basic → none)."""

    lang: str


class HelperCapacity(CallbackData, prefix="hp:cap"):
    """``hp:cap:<n>``: how many open questions at a time."""

    capacity: int


class HelperHours(CallbackData, prefix="hp:hours"):
    """``hp:hours:<preset>``: available hours, one of :data:`HOURS`."""

    preset: str


class HelperToggle(CallbackData, prefix="hp"):
    """``hp:name:toggle`` / ``hp:lb:toggle``: show the first name; be on leaderboards."""

    setting: Literal["name", "lb"]
    op: Literal["toggle"] = "toggle"


HELPER_BUTTONS = (HelperOpen, HelperLanguage, HelperCapacity, HelperHours, HelperToggle)


def hours_preset(card: HelperCard) -> str:
    """The preset the card's hours equal, or ``any``."""
    for name, preset in HOURS.items():
        if dict(card.hours) == preset:
            return name
    return "any"


def default_card(profile: Profile) -> HelperCard:
    return HelperCard(
        user_id=profile.user_id,
        languages={profile.lang or "en": "native"},
        tags=frozenset(profile.tags + profile.platforms),
        tz=profile.tz or "UTC",
        hours={},
        capacity=DEFAULT_CAPACITY,
        open_load=0,
        reputation=reputation.NEW_HELPER,
        last_offered_at=0.0,
    )


def with_changes(card: HelperCard, **changes: Any) -> HelperCard:
    return replace(card, **changes)


async def ensure_card(index: HelperIndex, profile: Profile) -> HelperCard:
    """The helper's card, created from the profile the first time; tags and time zone
    follow the profile (changed field by field: never the live load or last offer)."""
    uid = profile.user_id
    card = await index.get(uid)
    if card is None:
        card = default_card(profile)
        if await index.create(card):
            return card
        card = await index.get(uid) or card  # another process made it meanwhile
    tags = frozenset(profile.tags + profile.platforms)

    def follow(c: HelperCard) -> HelperCard | None:
        tz = profile.tz or c.tz
        return with_changes(c, tags=tags, tz=tz) if c.tags != tags or c.tz != tz else None

    if follow(card) is None:
        return card
    return await index.update_settings(uid, follow) or await index.get(uid) or card
