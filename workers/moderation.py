"""RQ entry points of moderation: the end of a mute."""

from __future__ import annotations

from tg_support.moderation import actions

from .runtime import run


def lift_mute(uid: int, until: float) -> bool:
    """Lift ``uid``'s mute that ends at ``until`` and tell them (idempotent: a second run, or
    a mute already lifted by an admin, does nothing)."""
    return run(lambda rt: actions.lift_mute(rt.bot, rt.store, uid, until))
