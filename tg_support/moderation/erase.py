"""Data rights: the one registry of everything that stores data about a person.

:data:`OWNERS` lists every data owner, each with ``erase_user(uid)`` (``/forget``) and
``export_user(uid)`` (``/export``: a JSON-serialisable dict, empty when it holds nothing).
Adding a store is one line there. Keys that cannot be found from a user id (relayed copies,
translated originals, message maps, send records, cached translations of their texts,
broadcast recipient lists, offers to a helper) are written into the user's trail
(``core.trail``) when they are made, so erasure reads one set and never scans the keyspace.

:data:`KEY_PATTERNS` says, for every key pattern the code builds, which owner erases what it
holds about a person, or why it holds nothing personal. ``tests/unit/test_data_rights.py``
finds the patterns in the source and fails on one missing here; the end-to-end test scans
every key after ``/forget`` for the person's id and texts.

Decision on translation caches (``tr:c2:{version}:{src}:{dst}:{hash}``): the key names
nobody, but the value is a person's text in another language, so it is personal data. The
cache entries used for a person's texts are noted in their trail and erased with them (an
identical text from someone else is translated again when asked).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from tg_support.broadcast.broadcasts import Broadcasts
from tg_support.community.circle_store import CircleStore
from tg_support.community.course_store import CourseStore
from tg_support.community.deadlines import DeadlineStore
from tg_support.community.event_store import EventStore
from tg_support.community.introductions import IntroStore
from tg_support.community.recognition import RecognitionStore
from tg_support.community.reflections import ReflectionStore
from tg_support.community.review_store import ReviewStore
from tg_support.config import Settings
from tg_support.core.inbox import Inbox
from tg_support.core.sending import SendRecords
from tg_support.core.store import Store
from tg_support.core.trail import Trail
from tg_support.core.update_inbox import UpdateInbox
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.membership import Membership
from tg_support.helpers.offers import Offers
from tg_support.helpers.stats import HelperStatsStore
from tg_support.moderation.audit import AuditLog
from tg_support.moderation.exporting import ExportLimit
from tg_support.moderation.reports import Reports
from tg_support.moderation.sanctions import Sanctions
from tg_support.ops.stats import HealthStats
from tg_support.questions.faq import FaqStore
from tg_support.questions.records import QuestionRecords
from tg_support.questions.store import questions
from tg_support.translation.argos import TranslationCache
from tg_support.translation.delivery import Translations
from tg_support.translation.flags import FlagStore
from tg_support.translation.glossary import GlossaryStore

log = logging.getLogger(__name__)

EXPORT_SCHEMA = "tg-support/export"
EXPORT_VERSION = 1


class DataOwner(Protocol):
    async def erase_user(self, uid: int) -> Any: ...

    async def export_user(self, uid: int) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Scope:
    """What an owner is built from."""

    store: Store
    settings: Settings
    bot_id: int


def _repo(cls: Any) -> Callable[[Scope], DataOwner]:
    """A store built on the scope's connection and prefix."""
    return lambda s: cls(s.store.redis, s.store.p)


class _Health:
    """The health counters: the admin's digest choice, and the learner's questions out of
    the open counts (they are found through ``q:user:{uid}``, so this runs before
    "questions")."""

    def __init__(self, scope: Scope) -> None:
        self.stats = HealthStats(scope.store.redis, scope.store.p)
        self.store = scope.store

    async def erase_user(self, uid: int) -> None:
        await self.stats.erase_questions(await questions(self.store).question_ids(uid))
        await self.stats.erase_user(uid)

    async def export_user(self, uid: int) -> dict[str, Any]:
        return await self.stats.export_user(uid)


# Order matters for erasure: offers and helper stats find the learner's questions through
# ``q:user:{uid}``, which "questions" deletes; every owner that reads the trail comes
# before "trail"; "profile" (core.store) goes last but one, so a failure half-way leaves
# the person able to send /forget again.
OWNERS: tuple[tuple[str, Callable[[Scope], DataOwner]], ...] = (
    ("offers", lambda s: Offers(s.store.redis, s.store.p, rounds=s.settings.offer_rounds)),
    ("helper_stats", _repo(HelperStatsStore)),
    ("faq", _repo(FaqStore)),  # reads the questions' groups: before "questions"
    ("health", _Health),
    ("questions", lambda s: QuestionRecords(s.store)),
    ("helper", _repo(HelperIndex)),
    ("membership", _repo(Membership)),
    ("circles", _repo(CircleStore)),
    ("courses", _repo(CourseStore)),
    ("deadlines", _repo(DeadlineStore)),
    ("reflections", _repo(ReflectionStore)),
    ("introductions", _repo(IntroStore)),
    ("reviews", _repo(ReviewStore)),
    ("events", _repo(EventStore)),
    ("recognition", _repo(RecognitionStore)),
    ("broadcasts", _repo(Broadcasts)),
    ("translations", _repo(Translations)),
    ("translation_cache", _repo(TranslationCache)),
    ("translation_flags", _repo(FlagStore)),
    ("glossary", _repo(GlossaryStore)),
    ("export", _repo(ExportLimit)),
    ("reports", _repo(Reports)),
    ("moderation_log", _repo(AuditLog)),
    ("sanctions", _repo(Sanctions)),
    ("webhook_inbox", _repo(Inbox)),
    ("update_inbox", _repo(UpdateInbox)),
    ("sending", lambda s: SendRecords(s.store.redis, s.store.p, s.bot_id)),
    ("profile", lambda s: s.store),
    ("trail", _repo(Trail)),
)

SHARED = "shared: names no user"
# Every key pattern (as ``tests/unit/test_data_rights.py`` reads it from the code: the text
# after the prefix, ``{}`` for each variable part) → the owner in OWNERS that erases what
# it holds about a person, or why it holds nothing personal.
KEY_PATTERNS: dict[str, str] = {
    # core.store
    "user:{}": "profile", "users": "profile", "users:lang:{}": "profile", "conv:{}": "profile",
    "flood:{}": "profile", "flood:warned:{}": "profile", "ref:{}": "profile",
    "group:{}": "profile",  # registered_by is cleared
    "groups": SHARED, "groups:ver": SHARED,
    "relay:{}:{}": "profile",  # through the trail
    "trail:{}": "trail",
    # core.sending ({}: the bot id hash tag, then the chat)
    "rl:{{}}:": "sending", "chat:{}": "sending", "hold:{}": "sending",
    "sent:{}": "sending", "sent:env:{}": "sending",  # through the trail
    "{}": SHARED,  # queue names (core.services) and the helper index's own prefix
    "*": SHARED,  # demo: the "any language" group marker
    # questions
    "qseq": SHARED, "q:{}": "questions", "q:user:{}": "questions", "q:active": "questions",
    "q:topic:{}:{}": "questions", "q:lock:{}": "questions", "solved": "questions",
    "pseudonym-secret": SHARED,
    "search:": "questions", "t:{}:{}": "questions", "d:{}": "questions",
    "v:{}:{}": "questions", "stats": "questions",
    # helpers
    "helper:": "helper", "hlang:{}": "helper", "hlangs": "helper", "hlt:{}:{}": "helper",
    "hrows": "helper",
    "member:{}:{}": "membership",
    "offer:round:{}:{}": "offers", "offer:chosen:{}": "offers", "offer:sent:{}": "offers",
    "offer:msg:{}": "offers", "offer:claim:{}": "offers", "offer:passed:{}": "offers",
    "helping:{}": "offers",
    "hstats:{}": "helper_stats", "hdays:{}": "helper_stats", "hq:{}": "helper_stats",
    "hboards:{}": "helper_stats", "answered:{}": "helper_stats", "rated:{}": "helper_stats",
    "alang:{}": "helper_stats", "lb:lang:{}": "helper_stats", "lb:group:{}": "helper_stats",
    "lb:optout": "helper_stats",
    # translation
    "tr:c2:{}:{}:{}:{}": "translation_cache",  # through the trail (module docstring)
    "tr:orig:{}": "translations", "tr:msg:{}:{}": "translations",  # through the trail
    "tr:seq": SHARED, "tr:pairs": SHARED, "tr:cal:{}-{}": SHARED,
    # "looks wrong" flags: the flagged text goes with its author's trail (translations)
    "tr:flag:{}": "translations", "tr:flag:by:{}": "translation_flags",
    "tr:flag:user:{}": "translation_flags", "tr:flags:{}-{}": SHARED, "tr:flags:*": SHARED,
    "tr:flagstat": SHARED,
    "tr:gl:{}:{}": "glossary",  # a group's terms: they name no one
    "faq:helped:{}": "faq", "faq:user:{}": "faq", "faq:{}": "faq",
    # broadcast
    "bc:seq": SHARED, "bc:{}": "broadcasts", "bc:admin:{}": "broadcasts",
    # community
    "crs:cat": "courses", "crs:ver": SHARED, "crs:seeded": SHARED, "crs:enr:{}": "courses",
    "crs:who:{}": "courses", "crs:made:{}": "courses",
    "circ:pool:{}": "circles", "circ:pools": SHARED, "circ:w:{}": "circles",
    "circ:{}": SHARED, "circ:{}:m": "circles", "circ:{}:paused": "circles",
    "circ:{}:seen": "circles", "circ:{}:nudged": "circles", "circ:{}:ci:{}": "circles",
    "circ:{}:sum:{}": SHARED, "circ:u:{}": "circles", "circ:done:{}": "circles",
    "circ:c:{}": SHARED, "circ:all": SHARED, "circ:seq": SHARED, "circ:n:{}": SHARED,
    "circ:t:{}:{}": SHARED, "circ:lock:{}": SHARED,
    "dl:seq": SHARED, "dl:{}": "deadlines", "dl:c:{}": SHARED, "dl:by:{}": "deadlines",
    "refl:{}": "reflections",
    "export:wait:{}": "export",
    "intro:topic:{}": SHARED, "intro:last:{}": "introductions",
    "intro:done:{}": "introductions", "intro:lock:{}": SHARED,
    "rv:seq": SHARED, "rv:req:{}": "reviews", "rv:open": "reviews", "rv:user:{}": "reviews",
    "rv:swseq": SHARED, "rv:swap:{}": "reviews", "rv:uswap:{}": "reviews",
    "rv:rep:{}": "reviews", "rv:match:due": SHARED, "rv:match:lock": SHARED,
    # events and recognition
    "ev:seq": SHARED, "ev:up": SHARED, "ev:{}": "events", "ev:by:{}": "events",
    "ev:of:{}": "events", "ev:city:{}": "events", "ev:att:{}": "events",
    "rc:spot:in": "recognition", "rc:ty:{}:{}": "recognition", "rc:ty:*:{}": "recognition",
    # moderation: sanctions are keyed by a keyed hash of the id and outlive /forget on
    # purpose (a removal must hold); warnings go (moderation.sanctions)
    "mod:secret": SHARED, "mod:removed": "sanctions", "mod:shadow": "sanctions",
    "mod:mute:{}": "sanctions", "mod:warns:{}": "sanctions", "mod:codes": "sanctions",
    "mod:audit": "moderation_log", "mod:audit:seq": SHARED, "mod:audit:e": "moderation_log",
    "mod:audit:actor:{}": "moderation_log", "mod:audit:target:{}": "moderation_log",
    "mod:report:seq": SHARED, "mod:report:{}": "reports", "mod:report:{}:msgs": "reports",
    "mod:held:{}": "reports", "mod:held:{}:msgs": "reports", "mod:reports:user:{}": "reports",
    "mod:reports:rate:{}": "reports",
    "mod:gate:stats": SHARED,  # verdict counts by reason
    # ops: health counters per group and day name nobody; the digest opt-out does
    "hl:q:{}": SHARED, "hl:day:{}:{}": SHARED, "hl:ttfa:{}:{}": SHARED,
    "hl:tts:{}:{}": SHARED, "hl:open:{}": SHARED, "hl:once:{}:{}": SHARED,
    "hl:tz:{}": SHARED, "hl:nodigest": "health",
    "rl:{": "sending", "rl:{*}:global": "sending",  # limiter_states' SCAN patterns
    # updates not handled yet: polled (core.update_inbox) and webhook (core.inbox)
    "inbox:{}": "update_inbox", "inbox:alive:{}": SHARED, "inbox:instances": SHARED,
    # in:{kind}:{part}: a user's queue, lease and pending updates (in:q, in:lease, in:u) are
    # the owner's; in:seen and in:proc name update ids and processes only
    "in:{}:{}": "webhook_inbox", "in:keys": "webhook_inbox",
}  # fmt: skip


def owners(store: Store, settings: Settings, bot_id: int) -> list[tuple[str, DataOwner]]:
    scope = Scope(store, settings, bot_id)
    return [(name, make(scope)) for name, make in OWNERS]


async def erase_user(store: Store, settings: Settings, bot_id: int, uid: int) -> int:
    """Erase ``uid`` everywhere; returns how many of their questions went with them."""
    count = len(await questions(store).question_ids(uid))
    failed = []
    for name, owner in owners(store, settings, bot_id):
        try:
            await owner.erase_user(uid)
        except Exception:
            # The others still erase what they hold; the person may send /forget again.
            log.exception("erasure by %s failed", name)
            failed.append(name)
    if failed:
        raise RuntimeError(f"erasure incomplete: {', '.join(failed)}")
    log.info("erased a user's data on request (%s questions)", count)
    return count


async def export_user(store: Store, settings: Settings, bot_id: int, uid: int) -> dict[str, Any]:
    """Everything stored about ``uid``, one section per owner that holds something."""
    doc: dict[str, Any] = {
        "schema": EXPORT_SCHEMA,
        "version": EXPORT_VERSION,
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "user_id": uid,
    }
    for name, owner in owners(store, settings, bot_id):
        part = await owner.export_user(uid)
        if part:
            doc[name] = part
    return doc
