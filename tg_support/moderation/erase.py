"""``/forget``: every owner of a key erases what it holds about one user.

Each store erases its own keys (``erase_user``); questions the user asked take their
search entries, offers and answer marks with them. The list below is the one place that
knows every owner, so a new store is added here or its keys outlive an erasure (the
end-to-end erase test scans every key pattern).
"""

from __future__ import annotations

import logging

from tg_support.community.circle_store import CircleStore
from tg_support.community.course_store import CourseStore
from tg_support.community.deadlines import DeadlineStore
from tg_support.community.introductions import IntroStore
from tg_support.community.reflections import ReflectionStore
from tg_support.community.review_store import ReviewStore
from tg_support.config import Settings
from tg_support.core.sending import RedisRateLimiter
from tg_support.core.store import Store
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.membership import Membership
from tg_support.helpers.offers import Offers
from tg_support.helpers.stats import HelperStatsStore
from tg_support.questions.search import SearchIndex
from tg_support.questions.store import questions

log = logging.getLogger(__name__)


async def erase_user(store: Store, settings: Settings, bot_id: int, uid: int) -> int:
    """Erase ``uid`` everywhere; returns how many of their questions went with them."""
    qids = await questions(store).erase_user(uid)
    search = SearchIndex(store.redis, prefix=store.p)
    for qid in qids:
        await search.remove(qid)
    await store.repo(Offers).erase_questions(qids, settings.offer_rounds)
    await store.repo(Offers).erase_user(uid)
    await store.repo(HelperStatsStore).erase_questions(qids)
    await store.repo(HelperStatsStore).erase_user(uid)
    await store.repo(HelperIndex).erase_user(uid)
    # Community: out of pools and circles (the others are not told: nothing to say about
    # someone erased), courses, deadlines they added, reflections, introductions.
    await store.repo(CircleStore).erase_user(uid)
    await store.repo(CourseStore).erase_user(uid)
    await store.repo(DeadlineStore).erase_user(uid)
    await store.repo(ReflectionStore).erase_user(uid)
    await store.repo(IntroStore).erase_user(uid)
    await store.repo(Membership).erase_user(uid)
    await store.repo(ReviewStore).erase_user(uid)
    await RedisRateLimiter.erase_chat(store.redis, store.p, bot_id, uid)
    await store.erase_user(uid)
    log.info("erased a user's data on request (%s questions)", len(qids))
    return len(qids)
