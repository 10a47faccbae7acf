"""A world for study-circle tests: learners with a course, registered groups, joins by button."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis

from tests.conftest import TEST_PREFIX

from .people import Person, buttons, text
from .world import forum_group, person, register

ML = "coursera:machine-learning"
FAST = {
    "circle_plan_delay_seconds": 1.0,
    "circle_checkin_window_hours": 4 / 3600,
    "circle_first_checkin_days": 30.0,  # tests start rounds themselves
}


def data_with(msg: dict[str, Any], prefix: str, suffix: str = "") -> str:
    for _label, data in buttons(msg):
        if data.startswith(prefix) and data.endswith(suffix):
            return data
    raise AssertionError(f"no button {prefix}…{suffix} in {buttons(msg)}")


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[Any]:
    """The project's store on the test Redis (for seeding state the UI would take long to)."""
    from tg_support.core.redis_conn import async_client
    from tg_support.core.store import Store

    conn = async_client(redis_url)
    yield Store(conn, TEST_PREFIX)
    await conn.aclose()


async def learner(
    client: Any, store: Any, name: str, lang: str, tz: str, *, courses: tuple[str, ...] = (ML,),
    session: Any = None,
) -> Person:  # fmt: skip
    """An onboarded learner of ``courses`` (a Telegram user whose last name and username
    must never reach another member)."""
    from tg_support.community.course_store import set_learner_courses
    from tg_support.core.store import Profile

    p = await person(client, name, lang, username=f"{name.lower()}_secret_handle")
    profile = Profile(user_id=p.id, lang=lang, role="learner", tz=tz, onboarded=True, goal="Finish it")
    await set_learner_courses(store, profile, list(courses), {c: session for c in courses})
    return p


async def groups(client: Any) -> dict[str, Any]:
    """A Spanish group and an international one, registered by their admin."""
    admin = await person(client, "Ana", "es")
    es = await forum_group(client, "Comunidad MOOC en español", admin, [])
    intl = await forum_group(client, "MOOC International", admin, [])
    await register(admin, es["id"], ["es"], "europe")
    await register(admin, intl["id"], ["en", "*"], "international")
    return {"admin": admin, "es": es, "intl": intl}


async def join(p: Person, *, by_name: bool) -> dict[str, Any]:
    """/circles → "find a circle" → the name choice; returns the bot's answer."""
    [overview] = await p.send("/circles")
    [ask] = await p.press(overview, data_with(overview, "cj:join:"))
    [done] = await p.press(ask, data_with(ask, "cj:name:", ":y" if by_name else ":n"))
    return done


async def circles_formed(r: redis.Redis, total: int, timeout: float = 30) -> dict[str, set[int]]:
    """Active circles and their members once ``total`` learners are seated."""
    members: dict[str, set[int]] = {}
    for _ in range(int(timeout * 10)):
        members = {
            cid: {int(u) for u in r.hkeys(f"{TEST_PREFIX}circ:{cid}:m")}
            for cid in r.smembers(f"{TEST_PREFIX}circ:all")
        }
        if sum(len(m) for m in members.values()) >= total:
            return members
        await asyncio.sleep(0.1)
    raise AssertionError(f"circles after {timeout}s: {members}")


def leaks(log: list[dict[str, Any]], person: Person, allowed_chats: set[int]) -> list[tuple[str, str]]:
    """Requests to chats other than ``allowed_chats`` that name the person's identity."""
    import json

    secrets = {str(person.id), person.user["last_name"], person.user.get("username") or ""}
    found = []
    for entry in log:
        params = entry.get("params") or {}
        chat = str(params.get("chat_id", ""))
        if not chat or int(chat) in allowed_chats:
            continue
        blob = json.dumps(params, ensure_ascii=False)
        found += [(entry["method"], s) for s in secrets if s and s in blob]
    return found


__all__ = ["FAST", "ML", "circles_formed", "data_with", "groups", "join", "leaks", "learner", "text"]
