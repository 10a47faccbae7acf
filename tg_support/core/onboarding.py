"""Onboarding's state machine: the pure changes of a user's ``Conversation`` that
``handlers/start.py`` applies with :meth:`Store.update_conv` (a compare-and-set, so these
may run more than once and only read and change the state they are given).

Steps: lang → role → platforms → courses → tz → goal → done. ``data["msg"]`` is the
message showing the current step: a press on any other message is stale.
"""

from __future__ import annotations

from typing import Any

from .store import Conversation

_STEP_OF = {"lang": "lang", "role": "role", "plat": "platforms", "tz": "tz"}


def take_done(conv: Conversation) -> Conversation:
    """The finished flow's state; the stored one is emptied in the same compare-and-set,
    so a second finishing update finds nothing to finish."""
    done = Conversation(step="done", data=conv.data)
    conv.step, conv.data = None, {}
    return done


def press(conv: Conversation, kind: str, value: str, msg_id: int | None) -> Conversation | None:
    """A valid ``ob:<kind>:<value>`` button pressed on ``msg_id``; None when it is stale
    (another step, or an older message)."""
    if conv.step != _STEP_OF.get(kind, value) or conv.data.get("msg") != msg_id:
        return None
    if kind == "lang":
        conv.data["lang"] = value
        conv.step = "role"
    elif kind == "role":
        conv.data["role"] = value
        conv.step = "platforms"
    elif kind == "plat" and value == "done":
        conv.step = "courses"
    elif kind == "plat":
        chosen: list[str] = list(conv.data.get("platforms", []))
        chosen.remove(value) if value in chosen else chosen.append(value)
        conv.data["platforms"] = chosen
    elif kind == "tz":
        conv.data["tz"] = value
        conv.step = "goal"
    else:  # skip
        conv.step = "tz" if value == "courses" else "done"
    return take_done(conv) if conv.step == "done" else conv


def typed(conv: Conversation, step: str, value: str) -> Conversation | None:
    """A typed time zone or goal (already checked) for ``step``; None when the flow moved on."""
    if conv.step != step:
        return None
    if step == "tz":
        conv.data["tz"], conv.step = value, "goal"
        return conv
    conv.data["goal"] = value
    return take_done(conv)


def note_message(conv: Conversation, step: str | None, msg_id: int | None) -> None:
    """``msg_id`` now shows ``step``, if the user is still there."""
    if conv.step == step:
        conv.data["msg"] = msg_id


def courses_done(conv: Conversation, msg_id: int | None) -> Conversation | None:
    if conv.step != "courses" or conv.data.get("msg") != msg_id:
        return None
    conv.data.pop("pick", None)
    conv.step = "tz"
    return conv


def claim_pick(conv: Conversation, msg_id: int | None, step: str = "courses") -> Any:
    """Take the picker's pending pick out of the state, so one press of a picker applies
    once; None when the press is stale. (``/courses add`` uses it too, in ``crs:add``.)"""
    if conv.step != step or conv.data.get("msg") != msg_id:
        return None
    return conv.data.pop("pick", None)


def unclaim(conv: Conversation, msg_id: int | None, raw: Any, step: str = "courses") -> None:
    """Put back a pick whose press was refused, while its picker is still the latest."""
    if conv.step == step and conv.data.get("msg") == msg_id and "pick" not in conv.data:
        conv.data["pick"] = raw


def offered(
    conv: Conversation, pick: dict[str, Any], msg_id: int | None, step: str = "courses"
) -> None:
    """A new picker (``msg_id``) shows ``pick``, while the user is still in ``step``."""
    if conv.step == step:
        conv.data["pick"] = pick
        conv.data["msg"] = msg_id


def dated(conv: Conversation, cid: str, day: str) -> bool:
    """The session date of the course just added (``data["last"]``)."""
    if conv.step != "courses" or conv.data.get("last") != cid:
        return False
    conv.data.setdefault("sessions", {})[cid] = day
    return True
