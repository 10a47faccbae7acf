"""Picking a course from what a learner typed or pasted: candidates, their buttons, the choice.

Used by onboarding's courses step and by ``/courses``. A pasted link is looked up by its slug
(:meth:`Catalog.by_url`): a known course is offered as it is, an unknown one as a new entry
titled from its slug. Typed text is searched with :meth:`Catalog.search`, with the text's
English translation as an extra query when the caller has one (the translation pivot), and
matches at or above :data:`MATCH_THRESHOLD` are offered. The learner always confirms with a
button; with nothing good the bot offers to add the text as a new catalog entry, or to keep
it as a free topic (as profiles before the catalog did).

The state between the message and the press is plain JSON in the conversation (:class:`Pick`),
so any bot process can handle the press. Button data carries an action and an index, never
the course id (ids can be long) nor anything language-dependent.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from tg_support.community.course_store import CourseStore
from tg_support.community.courses import (
    MATCH_THRESHOLD,
    PLATFORMS,
    Catalog,
    Course,
    parse_course_url,
    slugify,
)
from tg_support.core.i18n import _
from tg_support.core.tags import normalize_tags

CANDIDATES = 3
Action = Literal["pick", "url", "new", "tag", "skip", "done"]
ACTIONS: tuple[Action, ...] = ("pick", "url", "new", "tag", "skip", "done")
#: Draws a picker button: the caller's own callback class, an action and an index.
Button = Callable[[Action, int], str]
MAX_QUERY = 100
MAX_PARTS = 6


@dataclass
class Pick:
    """What the learner typed and the candidates shown for it."""

    query: str
    cids: list[str] = field(default_factory=list)
    new: dict[str, Any] | None = None  # a course from a link the catalog does not know
    rest: list[str] = field(default_factory=list)  # more courses typed in the same message
    link: bool = False  # the query was a course link

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Pick | None:
        if not isinstance(data, dict) or not isinstance(data.get("query"), str):
            return None
        return cls(
            query=data["query"],
            cids=[str(x) for x in data.get("cids") or []],
            new=data.get("new") if isinstance(data.get("new"), dict) else None,
            rest=[str(x) for x in data.get("rest") or []],
            link=bool(data.get("link")),
        )


def split_queries(text: str) -> list[str]:
    """One query per course: a link alone, else the parts between commas and lines."""
    text = " ".join(text.split()) if "\n" not in text else text
    if parse_course_url(text) is not None:
        return [text.strip()[:500]]
    parts = [p.strip()[:MAX_QUERY] for p in re.split(r"[,;、،\n]+", text) if p.strip()]
    return parts[:MAX_PARTS]


async def find(courses: CourseStore, query: str, extra: list[str] | None = None) -> Pick:
    catalog = await courses.catalog()
    by_url = catalog.by_url(query)
    if by_url is not None:
        if by_url.cid in catalog:
            return Pick(query=query, cids=[by_url.cid], link=True)
        return Pick(query=query, new=by_url.to_dict(), link=True)
    found = catalog.search(query, CANDIDATES, extra_queries=[e for e in extra or [] if e])
    return Pick(query=query, cids=[c.cid for c, score in found if score >= MATCH_THRESHOLD])


def label(course: Course) -> str:
    if course.platform == "other":
        return course.title
    return f"{course.title} · {PLATFORMS.get(course.platform, course.platform)}"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render(pick: Pick, catalog: Catalog, button: Button) -> tuple[str, list[list[tuple[str, str]]]]:
    """The question and its buttons in the current locale (HTML text); ``button`` makes
    their data (onboarding and /courses each have their callback class)."""
    rows: list[list[tuple[str, str]]] = []
    q = html.escape(pick.query, quote=False)
    if pick.new is not None:
        course = Course.from_dict(pick.new)
        text = _("I don't know this course yet: {course}. Add it to the catalog and to your courses?").format(
            course="<b>" + html.escape(label(course), quote=False) + "</b>"
        )
        rows.append([(_("✅ Add it"), button("url", 0))])
    else:
        courses = [c for cid in pick.cids if (c := catalog.by_id(cid)) is not None]
        if courses and pick.link:
            text = _("This link is {course}. Add it to your courses?").format(
                course="<b>" + html.escape(label(courses[0]), quote=False) + "</b>"
            )
            rows.append([(_("✅ Add it"), button("pick", 0))])
        elif courses:
            text = _("Which course do you mean by “{query}”?").format(query=q)
            for i, course in enumerate(courses):
                rows.append([(_short(label(course), 60), button("pick", i))])
            rows.append([(_("➕ None of these: a new course"), button("new", 0))])
        else:
            text = _(
                "I found no course like “{query}” in the catalog. Add it as a new course, "
                "or keep it as a topic of interest?"
            ).format(query=q)
            rows.append([(_("➕ Add a new course"), button("new", 0))])
        if not pick.link:
            rows.append([(_("🏷 Keep it as a topic"), button("tag", 0))])
    rows.append([(_("Skip this one"), button("skip", 0))])
    return text, rows


@dataclass(frozen=True)
class Choice:
    """The result of a press: a catalog course, a free topic, or nothing (skipped, refused)."""

    course: Course | None = None
    topic: str | None = None
    refused: bool = False  # a new entry past the learner's daily limit


async def choose(
    courses: CourseStore, pick: Pick, action: str, index: int | None, uid: int
) -> Choice | None:
    """Apply the pressed button; None when it does not fit the pick (stale or forged)."""
    catalog = await courses.catalog()
    if action == "pick" and index is not None and 0 <= index < len(pick.cids):
        course = catalog.by_id(pick.cids[index])
        return Choice(course=course) if course is not None else None
    if action == "url" and pick.new is not None:
        if not await courses.may_create(uid):
            return Choice(refused=True)
        return Choice(course=await courses.add_course(Course.from_dict(pick.new), by=uid))
    if action == "new" and pick.new is None and not pick.link:
        title = " ".join(pick.query.split())[:MAX_QUERY]
        slug = slugify(title)
        existing = catalog.by_id(f"other:{slug}")
        if existing is not None:
            return Choice(course=existing)
        if not await courses.may_create(uid):
            return Choice(refused=True)
        course = Course(cid=f"other:{slug}", platform="other", slug=slug, title=title)
        return Choice(course=await courses.add_course(course, by=uid))
    if action == "tag" and pick.new is None and not pick.link:
        tags = normalize_tags(pick.query)
        return Choice(topic=tags[0]) if tags else Choice()
    if action == "skip":
        return Choice()
    return None


def record(data: dict[str, Any], choice: Choice, catalog: Catalog) -> str | None:
    """Add a choice to a conversation's ``courses`` (and remember the last course, whose
    session date the learner may send next); the added item's label, HTML-escaped."""
    items: list[str] = data.setdefault("courses", [])
    if choice.course is not None:
        course = catalog.by_id(choice.course.cid) or choice.course
        if course.cid not in items:
            items.append(course.cid)
        data["last"] = course.cid
        return html.escape(label(course), quote=False)
    data.pop("last", None)
    if choice.topic:
        if choice.topic not in items:
            items.append(choice.topic)
        return html.escape(choice.topic, quote=False)
    return None


def next_prompt(added: str | None, *, session: bool) -> str:
    """After a choice (current locale): what was added and what the learner may send next."""
    lines = []
    if added:
        lines += [_("✅ Added: {item}.").format(item=added), ""]
    if session:
        lines.append(
            _("Send another course (a name or a link), the date your session starts "
              "(for example 12 January), or tap Done.")
        )  # fmt: skip
    else:
        lines.append(_("Send another course (a name or a link), or tap Done."))
    return "\n".join(lines)


async def names(courses: CourseStore, items: list[str]) -> list[str]:
    """Labels of a profile's courses (catalog ids) and topics, for showing them."""
    catalog = await courses.catalog()
    out = []
    for item in items:
        course = catalog.by_id(item) if ":" in item else None
        out.append(label(course) if course is not None else item)
    return out


def refused_text() -> str:
    return _(
        "You added several new courses today. Pick one from the catalog, keep it as a "
        "topic, or try again tomorrow."
    )
