"""Callback data of the community's buttons, built in one place: the handlers read them and
the workers put them on the messages they send (check-in prompts, nudges, reminders).

Course ids can be long, so buttons name a learner's course by :func:`course_key`, a short
hash that the handler resolves among the presser's own courses (which also proves the
button was theirs).
"""

from __future__ import annotations

import hashlib

from tg_support.core import callbacks


def course_key(cid: str) -> str:
    return hashlib.blake2s(cid.encode(), digest_size=5).hexdigest()


def circle(action: str, circle_id: str, extra: str | int = "") -> str:
    """``ci:{action}:{circle id}[:{extra}]``: write, leave, pause, resume, stay, ans."""
    parts: list[str | int] = ["ci", action, circle_id]
    if extra != "":
        parts.append(extra)
    return callbacks.pack(*parts)


def join(action: str, cid: str, extra: str = "") -> str:
    """``cj:{action}:{course key}[:{extra}]``: join (ask the name), name (y/n), unwait."""
    parts: list[str] = ["cj", action, course_key(cid)]
    if extra:
        parts.append(extra)
    return callbacks.pack(*parts)


def reflection(action: str, cid: str) -> str:
    """``rf:{action}:{course key}``: write, share, keep."""
    return callbacks.pack("rf", action, course_key(cid))
