"""A small world for question-flow tests: registered forum groups, onboarded people."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.conftest import TEST_TOKEN

from .people import Person, text


@dataclass
class World:
    client: Any
    admin: Person
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)


async def onboard(p: Person, lang: str, *, role: str = "learner", courses: str = "Python") -> None:
    [picker] = await p.send("/start")
    [msg] = await p.press(picker, f"ob:lang:{lang}")
    [msg] = await p.press(msg, f"ob:role:{role}")
    [msg] = await p.press(msg, "ob:plat:done")
    if courses:
        # Kept as free topics, as every profile was before the course catalog; several
        # courses in one message get one picker each, one after the other.
        [pick] = await p.send(courses)
        for _ in range(len([c for c in courses.split(",") if c.strip()]) - 1):
            [added, pick] = await p.press(pick, "obc:tag:0", count=2)
        [added] = await p.press(pick, "obc:tag:0")
        await p.press(added, "obc:done:0")
    else:
        await p.press(msg, "ob:skip:courses")
    await p.send("UTC+1")
    await p.send("Learn a lot")


async def person(client: Any, name: str, lang: str, *, username: str | None = None) -> Person:
    user = await client.create_user(
        first_name=name, last_name="Tester", username=username, language_code=lang
    )
    return Person(client, user)


async def forum_group(
    client: Any, title: str, admin: Person, members: list[Person]
) -> dict[str, Any]:
    group: dict[str, Any] = await client.create_group(
        title=title,
        is_forum=True,
        members=[{"user_id": admin.id, "status": "creator"}]
        + [{"user_id": m.id, "status": "member"} for m in members],
        bots=[{"token": TEST_TOKEN, "status": "administrator", "can_manage_topics": True}],
    )
    return group


async def register(
    admin: Person, group_id: int, langs: list[str], region: str, tags: str = ""
) -> dict[str, Any]:
    [msg] = await admin.send(f"/register {tags}".strip(), chat_id=group_id)
    for lang in langs:
        [msg] = await admin.press(msg, f"gr:lang:{lang}", chat_id=group_id)
    [msg] = await admin.press(msg, "gr:lang:done", chat_id=group_id)
    [msg] = await admin.press(msg, f"gr:reg:{region}", chat_id=group_id)
    assert "✅" not in text(msg)  # the summary, not a button
    return msg


async def spanish_group(client: Any) -> tuple[Person, Person, Person, dict[str, Any]]:
    """A registered Spanish forum group (admin Ana) with María, an onboarded learner, and
    Carlos, an onboarded helper: (admin, maria, carlos, group)."""
    admin = await person(client, "Ana", "es")
    maria = await person(client, "María", "es")
    carlos = await person(client, "Carlos", "es")
    es = await forum_group(client, "MOOC en español", admin, [maria, carlos])
    await register(admin, es["id"], ["es"], "americas")
    await onboard(maria, "es")
    await onboard(carlos, "es", role="helper")
    return admin, maria, carlos, es
