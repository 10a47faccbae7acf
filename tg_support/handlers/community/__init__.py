"""Handlers of the community features, one module each: ``courses`` (/courses), ``circles``
(/circles and circle topics), ``deadlines`` (/deadlines), ``path`` (/path, /intro and
reflections). ``app.py`` wires each module's ``handlers()`` and ``STEPS``; what they share is
here (a module of this package may import its package, not its siblings).
"""

from __future__ import annotations

from telegram import Update

from tg_support.community.buttons import course_key
from tg_support.community.course_store import CourseStore
from tg_support.community.courses import Course
from tg_support.core.i18n import _
from tg_support.core.services import Ctx
from tg_support.core.store import Profile

from ..common import is_admin, reply


def uid_of(update: Update) -> int:
    assert update.effective_user is not None  # guards drop updates without a user
    return update.effective_user.id


async def onboarded(update: Update, ctx: Ctx) -> Profile | None:
    """The sender's profile, or None after telling them (in their Telegram language when
    they have no profile yet) to set one up first."""
    profile = ctx.profile
    if profile is not None and profile.onboarded:
        return profile
    await reply(
        update,
        ctx,
        _("First tell me about your courses: send /start to set up your profile. It takes a minute."),
    )
    return None


async def my_courses(ctx: Ctx, profile: Profile) -> list[Course]:
    """The learner's catalog courses, in the order they added them."""
    catalog = await ctx.svc.store.repo(CourseStore).catalog()
    out = []
    for item in profile.courses:
        course = catalog.by_id(item) if ":" in item else None
        if course is not None and course not in out:
            out.append(course)
    return out


async def course_by_key(ctx: Ctx, profile: Profile, key: str) -> Course | None:
    """The learner's own course a button names (None: not theirs, or forged)."""
    return next((c for c in await my_courses(ctx, profile) if course_key(c.cid) == key), None)


async def is_group_admin(ctx: Ctx, uid: int) -> bool:
    """An administrator of any registered group (asked of Telegram, never assumed)."""
    for group in await ctx.svc.store.list_groups(ctx.groups_version):
        if group.active and await is_admin(ctx, group.chat_id, uid):
            return True
    return False
