"""Callback data of the circles' and reflections' buttons (``core.callbacks``): the handlers
read them and the workers put them on the messages they send (introductions, check-in
prompts, nudges, reflection prompts).

Course ids can be long, so buttons name a learner's course by :func:`course_key`, a short
hash the handler resolves among the presser's own courses (which also proves the button was
theirs). Circle buttons name the circle; the handler checks the presser is a member.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from tg_support.core.callbacks import CallbackData


def course_key(cid: str) -> str:
    return hashlib.blake2s(cid.encode(), digest_size=5).hexdigest()


class CircleAction(CallbackData, prefix="ci"):
    """``ci:<action>:<circle id>``: write to the circle, pause or resume check-ins, leave
    (then ``bye`` confirms), stay (after a nudge)."""

    action: Literal["write", "pause", "resume", "leave", "bye", "stay"]
    circle: str


class CheckinAnswer(CallbackData, prefix="ci:ans"):
    """``ci:ans:<circle id>:<round>``: answer that round's check-in."""

    circle: str
    round_no: int


class CircleJoin(CallbackData, prefix="cj"):
    """``cj:join|unwait:<course key>``: find a circle for one of my courses, stop waiting."""

    action: Literal["join", "unwait"]
    course: str


class CircleName(CallbackData, prefix="cj:name"):
    """``cj:name:<course key>:y|n``: join showing my first name (y) or a pseudonym (n)."""

    course: str
    show: Literal["y", "n"]


class ReflectionAction(CallbackData, prefix="rf"):
    """``rf:write|share|keep:<course key>``: write a reflection, share it with the circle."""

    action: Literal["write", "share", "keep"]
    course: str


def circle(action: Literal["write", "pause", "resume", "leave", "bye", "stay"], circle_id: str) -> str:
    return CircleAction(action=action, circle=circle_id).pack()


def answer(circle_id: str, round_no: int) -> str:
    return CheckinAnswer(circle=circle_id, round_no=round_no).pack()


def reflection(action: Literal["write", "share", "keep"], cid: str) -> str:
    return ReflectionAction(action=action, course=course_key(cid)).pack()
