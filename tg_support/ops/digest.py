"""The weekly health digest: Monday 09:00 in each group's time zone, to each of its admins.

Scheduling: every worker, at start, enqueues today's planner (``plan_digests``, job id
naming the UTC day, so many workers starting plan once). The planner schedules each active
group's next digest (job id naming the group and the local date: planning again replaces
it, a time zone changed meanwhile moves it) and then itself for the next day, so groups
registered later are picked up within a day. A group's time zone is the one an admin set
with ``/health tz``, else UTC.

Delivery: the chart and summary in each admin's language (their profile's, else their
Telegram language), one ``send_once`` per group, date and admin, so a retried job sends
nobody twice; admins who turned the digest off, bots, and admins who never started the bot
(Telegram refuses) are skipped.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from telegram import Bot, Message
from telegram.error import Forbidden, TelegramError

from tg_support.config import Settings
from tg_support.core import jobs
from tg_support.core.i18n import _, negotiate, use_locale
from tg_support.core.sending import send_once
from tg_support.core.store import Store
from tg_support.core.timezones import to_tzinfo
from tg_support.ops import report
from tg_support.ops.stats import HealthStats

log = logging.getLogger(__name__)

DIGEST_HOUR = 9
PLAN_MINUTE_UTC = 5  # the planner runs daily at 00:05 UTC


def next_digest(now: float, tz: str | None) -> datetime:
    """The first Monday 09:00 (wall clock in ``tz``) strictly after ``now``."""
    zone = to_tzinfo(tz)
    today = datetime.fromtimestamp(now, zone).date()
    for days in range(8):
        day = today + timedelta(days=days)
        when = datetime(day.year, day.month, day.day, DIGEST_HOUR, tzinfo=zone)
        if day.weekday() == 0 and when.timestamp() > now:
            return when
    raise AssertionError("a Monday comes within eight days")  # pragma: no cover


def digest_job_id(chat_id: int, when: datetime) -> str:
    return f"hl-dg-{abs(chat_id)}-{when:%Y%m%d}"


async def plan(settings: Settings, store: Store, now: float | None = None) -> dict[int, str]:
    """Schedule every active group's next digest and tomorrow's planner; returns the job
    ids by group."""
    now = time.time() if now is None else now
    stats = store.repo(HealthStats)
    planned: dict[int, str] = {}
    for group in await store.list_groups():
        if not group.active:
            continue
        when = next_digest(now, await stats.group_tz(group.chat_id))
        job = jobs.health_digest(group.chat_id, f"{when:%Y%m%d}", digest_job_id(group.chat_id, when))
        jobs.schedule(settings, job, when.timestamp() - now)
        planned[group.chat_id] = digest_job_id(group.chat_id, when)
    tomorrow = datetime.fromtimestamp(now, to_tzinfo("UTC")).date() + timedelta(days=1)
    at = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 0, PLAN_MINUTE_UTC,
                  tzinfo=to_tzinfo("UTC"))  # fmt: skip
    jobs.schedule(settings, jobs.plan_digests(f"{tomorrow:%Y%m%d}"), at.timestamp() - now)
    return planned


async def send(bot: Bot, store: Store, chat_id: int, day: str) -> int:
    """Send group ``chat_id``'s digest of ``day`` to its admins; returns how many got it."""
    group = await store.get_group(chat_id)
    if group is None or not group.active:
        return 0
    try:
        admins = await bot.get_chat_administrators(chat_id)
    except TelegramError as exc:
        log.warning("digest: cannot list the admins of %s: %s", chat_id, exc)
        return 0
    health = await report.gather(store, group)
    stats = store.repo(HealthStats)
    charts: dict[str, bytes] = {}
    sent = 0
    for member in admins:
        user = member.user
        if user.is_bot or not await stats.digest_on(user.id):
            continue
        profile = await store.get_profile(user.id)
        if profile is not None and profile.blocked:
            continue
        locale = profile.lang if profile and profile.lang else negotiate(user.language_code)
        with use_locale(locale):
            if locale not in charts:
                charts[locale] = await report.render(health)
            caption = report.summary(health) + "\n\n" + _("Weekly digest. /health digest off stops it.")

        async def photo(uid: int = user.id, png: bytes = charts[locale], text: str = caption) -> Message:
            return await bot.send_photo(uid, png, caption=text)

        try:
            if await send_once(store.redis, store.p, f"hl-dg-{abs(chat_id)}-{day}-{user.id}", photo):
                sent += 1
        except Forbidden:
            log.info("digest: admin %s has not started the bot (or blocked it)", user.id)
    return sent
