"""The learning pathway: set goals → pick platforms → join a community → collaborate → reflect.

:func:`stages` is pure: which stages a learner's :class:`Progress` completes, and the one to
work on next. :func:`progress` reads the counts from their owners: the profile, courses,
circles (and the waiting pool), introductions, questions asked, answers given as a helper,
check-ins answered, reflections, and peer reviews given (``community.review_store``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tg_support.community.circle_store import CircleStore
from tg_support.community.introductions import IntroStore
from tg_support.community.reflections import ReflectionStore
from tg_support.community.review_store import reviews_given
from tg_support.core.store import Profile, Store
from tg_support.helpers.stats import HelperStatsStore
from tg_support.questions.store import questions

STAGES: tuple[str, ...] = ("goals", "platforms", "community", "collaborate", "reflect")


@dataclass(frozen=True)
class Progress:
    goal: str | None = None
    platforms: int = 0
    courses: int = 0
    circles: int = 0
    waiting: int = 0
    introduced: bool = False
    asked: int = 0
    answered: int = 0
    reviews: int = 0
    checkins: int = 0
    reflections: int = 0


def stages(p: Progress) -> list[tuple[str, bool]]:
    """Each stage and whether it is done."""
    done = {
        "goals": bool(p.goal),
        "platforms": p.platforms > 0 or p.courses > 0,
        "community": p.circles > 0 or p.introduced,
        "collaborate": p.asked + p.answered + p.reviews + p.checkins > 0,
        "reflect": p.reflections > 0,
    }
    return [(stage, done[stage]) for stage in STAGES]


def next_stage(p: Progress) -> str | None:
    """The first stage not done yet; None when the whole pathway is walked."""
    return next((stage for stage, done in stages(p) if not done), None)


async def progress(store: Store, profile: Profile) -> Progress:
    uid = profile.user_id
    circles = store.repo(CircleStore)
    stats = await store.repo(HelperStatsStore).read(uid)
    return Progress(
        goal=profile.goal,
        platforms=len(profile.platforms),
        courses=len([c for c in profile.courses if ":" in c]),
        circles=len(await circles.user_circles(uid)),
        waiting=len(await circles.waiting(uid)),
        introduced=await store.repo(IntroStore).introduced(uid),
        asked=await questions(store).count_user_questions(uid),
        answered=stats.answers,
        reviews=await reviews_given(store, uid),
        checkins=await circles.answered_count(uid),
        reflections=len(await store.repo(ReflectionStore).all(uid)),
    )
