"""Recognition that helpers can share: the monthly helper spotlight in each registered
group, and thank-you notes from learners (the badge card is ``badge_card``).

Key patterns (``{p}`` is ``Settings.redis_prefix``):

===========================  ======  ==========================================================
``{p}rc:spot:in``            set     helpers who opted in to the monthly spotlight
``{p}rc:ty:{qid}:{helper}``  string  a thank-you note for this helper's answer was sent (TTL)
===========================  ======  ==========================================================

The spotlight names only helpers who opted in, ranked by reputation among those with helpful
answers in the group, with the topics of the questions they answered there. It runs as a
job on the first day of each month (:func:`next_month_start`), scheduled again by itself
under a job id naming the month, and posts once per group and month (``send_once``).
"""

from __future__ import annotations

import html
import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any, cast

from babel import Locale
from babel.dates import format_date
from redis.asyncio import Redis
from telegram import Bot, Message
from telegram.error import TelegramError

from tg_support.core.i18n import LOCALES, _, ngettext, use_locale
from tg_support.core.sending import send_once
from tg_support.core.store import Group, Repository, Store
from tg_support.helpers import reputation
from tg_support.helpers.stats import HelperStatsStore
from tg_support.questions.store import questions
from tg_support.questions.topics import helper_label

log = logging.getLogger(__name__)

SPOTLIGHT_SIZE = 3
NOTE_TTL = 30 * 24 * 3600
MAX_NOTE = 1000
TOPICS_SCANNED = 200


class RecognitionStore(Repository):
    """Every key in the module's table is built here."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        super().__init__(redis, prefix)

    @property
    def optin_key(self) -> str:
        return f"{self.p}rc:spot:in"

    def note_key(self, qid: str, helper: int) -> str:
        return f"{self.p}rc:ty:{qid}:{helper}"

    async def set_spotlight(self, uid: int, on: bool) -> None:
        if on:
            await self.redis.sadd(self.optin_key, uid)
        else:
            await self.redis.srem(self.optin_key, uid)

    async def in_spotlight(self, uid: int) -> bool:
        return bool(await self.redis.sismember(self.optin_key, str(uid)))

    async def opted_in(self) -> set[int]:
        return {int(x) for x in cast(set[str], await self.redis.smembers(self.optin_key))}

    async def claim_note(self, qid: str, helper: int) -> bool:
        """True once per answer: a learner sends one thank-you note per helper and question."""
        return bool(await self.redis.set(self.note_key(qid, helper), "1", nx=True, ex=NOTE_TTL))

    async def note_sent(self, qid: str, helper: int) -> bool:
        return bool(await self.redis.exists(self.note_key(qid, helper)))

    async def erase_user(self, uid: int) -> None:
        await self.redis.srem(self.optin_key, uid)
        async for key in self.redis.scan_iter(match=f"{self.p}rc:ty:*:{uid}", count=500):
            await self.redis.delete(key)

    async def export_user(self, uid: int) -> dict[str, Any]:
        notes = [str(k).split(":")[-2] async for k in self.redis.scan_iter(match=f"{self.p}rc:ty:*:{uid}", count=500)]
        return {"spotlight": await self.in_spotlight(uid), "thanked_for_questions": sorted(notes)}


def group_locale(group: Group) -> str:
    return next((lang for lang in group.languages if lang in LOCALES), "en")


def month_of(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m")


def next_month_start(now: float) -> float:
    """12:00 UTC on the first day of the month after ``now``'s."""
    at = datetime.fromtimestamp(now, UTC)
    year, month = (at.year + 1, 1) if at.month == 12 else (at.year, at.month + 1)
    return datetime(year, month, 1, 12, tzinfo=UTC).timestamp()


async def helped_with(store: Store, helper: int, group_id: int, limit: int = 3) -> list[str]:
    """The topics of the questions ``helper`` answered in the group, most frequent first."""
    stats = store.repo(HelperStatsStore)
    qids = list(cast(set[str], await store.redis.smembers(stats.keys.answered_by(helper))))
    counts: Counter[str] = Counter()
    qs = questions(store)
    for qid in sorted(qids, key=lambda x: -int(x) if x.isdigit() else 0)[:TOPICS_SCANNED]:
        q = await qs.get_question(qid)
        if q is not None and q.group_id == group_id:
            counts.update(q.tags)
    return [tag for tag, _ in counts.most_common(limit)]


async def spotlight_of(store: Store, group: Group) -> list[tuple[int, int, float]]:
    """(helper, helpful answers in the group, reputation) of the opted-in best, best first."""
    stats = store.repo(HelperStatsStore)
    board = await stats.board(stats.keys.board_group(group.chat_id), limit=50)
    optin = await store.repo(RecognitionStore).opted_in()
    ranked = []
    for helper, helpful in board:
        if helper in optin and helpful > 0:
            s = await stats.read(helper)
            ranked.append((helper, helpful, reputation.reputation(s.helpful, s.rated)))
    ranked.sort(key=lambda row: (-row[2], -row[1], row[0]))
    return ranked[:SPOTLIGHT_SIZE]


async def spotlight_text(store: Store, group: Group, month: str) -> str | None:
    rows = await spotlight_of(store, group)
    if not rows:
        return None
    locale = group_locale(group)
    with use_locale(locale):
        year, mon = (int(x) for x in month.split("-"))
        when = format_date(datetime(year, mon, 1), "LLLL y", locale=Locale.parse(locale))
        lines = ["🌟 <b>" + _("Helper spotlight: {month}").format(month=html.escape(when)) + "</b>",
                 _("Thank you to the helpers who made a difference here:")]  # fmt: skip
        for i, (helper, helpful, _rep) in enumerate(rows, 1):
            name = html.escape(await helper_label(store, helper), quote=False)
            count = ngettext("{count} helpful answer", "{count} helpful answers", helpful).format(count=helpful)
            topics = await helped_with(store, helper, group.chat_id)
            line = f"{i}. <b>{name}</b> — {count}"
            if topics:
                line += "\n    " + _("Helped with: {topics}").format(topics=html.escape(", ".join(topics), quote=False))
            lines.append(line)
        lines.append(_("Helpers choose to appear here with /card."))
    return "\n".join(lines)


async def post_spotlight(bot: Bot, store: Store, month: str) -> int:
    """The month's spotlight in every active registered group (once per group and month)."""
    posted = 0
    for group in await store.list_groups():
        if not group.active:
            continue
        text = await spotlight_text(store, group, month)
        if text is None:
            continue

        async def send(chat: int = group.chat_id, body: str = text) -> Message:
            return await bot.send_message(chat, body)

        try:
            if await send_once(store.redis, store.p, f"rc:spot:{group.chat_id}:{month}", send):
                posted += 1
        except TelegramError:
            log.warning("could not post the helper spotlight in a group", exc_info=True)
    return posted
