"""Test helpers: a helper card with sensible defaults, for matching and index tests."""

from __future__ import annotations

from typing import Any

from tg_support.helpers.matching import HelperCard


def helper_card(uid: int, **kw: Any) -> HelperCard:
    """An available English speaker with room, unless ``kw`` says otherwise."""
    values: dict[str, Any] = {
        "languages": {"en": "native"},
        "tags": frozenset(),
        "tz": "UTC",
        "hours": {},
        "capacity": 3,
        "open_load": 0,
        "reputation": 0.5,
        "last_offered_at": 0.0,
        "away": False,
    }
    values.update(kw)
    values["tags"] = frozenset(values["tags"])
    return HelperCard(user_id=uid, **values)
