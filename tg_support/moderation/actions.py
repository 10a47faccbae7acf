"""Applying a moderation decision: the sanction, a word to the person, the audit entry.

Used by the bot (report buttons, /ban, /mute, ...) and by the worker that ends mutes; the
person acted on is told in their own language (a shadow ban is never told).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final

from telegram import Bot
from telegram.error import BadRequest, Forbidden

from tg_support.core import jobs
from tg_support.core.i18n import _, use_locale
from tg_support.core.store import Store
from tg_support.moderation.audit import AuditLog, Entry
from tg_support.moderation.sanctions import Sanctions
from tg_support.moderation.texts import duration

log = logging.getLogger(__name__)

# Schedules a job after a delay (``Services.submit`` in the bot).
Submit = Callable[..., Awaitable[str]]
ACTIONS: Final = (
    "dismiss", "warn", "mute", "unmute", "remove", "unremove", "shadow", "unshadow",
)  # fmt: skip


async def tell(bot: Bot, store: Store, uid: int, render: Callable[[], str]) -> None:
    """A message to ``uid`` in their language; nothing when they blocked the bot."""
    profile = await store.get_profile(uid)
    with use_locale(profile.lang if profile and profile.lang else "en"):
        text = render()
    try:
        await bot.send_message(uid, text)
    except (Forbidden, BadRequest) as exc:
        log.info("could not tell a user about a moderation action: %s", exc)


def refusal(removed: bool, muted_until: float | None) -> str:
    """Why this person cannot ask or answer now (current locale)."""
    if removed:
        return _(
            "You were removed from this support network by its moderators, so you cannot ask "
            "or answer questions here."
        )
    left = max(1.0, (muted_until or time.time()) - time.time())
    return _(
        "You are muted for another {duration}, so you cannot ask or answer questions until then."
    ).format(duration=duration(left / 3600))


async def apply(
    bot: Bot,
    store: Store,
    action: str,
    target_hash: str,
    *,
    target_uid: int = 0,
    actor: int = 0,
    actor_name: str = "",
    group: int = 0,
    report: int = 0,
    hours: float = 0.0,
    submit: Submit | None = None,
) -> Entry:
    """Apply ``action`` (one of :data:`ACTIONS`) to the person with ``target_hash`` and
    record it; ``target_uid`` (when known) is told and, for a mute, gets its end scheduled."""
    sanctions = store.repo(Sanctions)
    if action == "warn":
        await sanctions.warn(target_hash)
        if target_uid:
            await tell(bot, store, target_uid, _warning)
    elif action == "mute":
        until = time.time() + hours * 3600
        await sanctions.mute(target_hash, until)
        if target_uid:
            await tell(
                bot, store, target_uid,
                lambda: _(
                    "A moderator muted you for {duration}: until then you cannot ask or answer "
                    "questions. This follows a report about one of your messages."
                ).format(duration=duration(hours)),
            )  # fmt: skip
            if submit is not None:
                # Also checked on every read: a late job only delays the notice.
                await submit(jobs.lift_mute(target_uid, until), delay=hours * 3600)
    elif action == "unmute":
        await sanctions.unmute(target_hash)
        if target_uid:
            await tell(bot, store, target_uid, mute_ended)
    elif action in ("remove", "unremove"):
        await sanctions.set_flag(target_hash, "removed", action == "remove")
        if target_uid and action == "remove":
            await tell(
                bot, store, target_uid,
                lambda: _(
                    "The moderators removed you from this support network after a report. "
                    "You can no longer ask or answer questions here."
                ),
            )  # fmt: skip
    elif action in ("shadow", "unshadow"):
        # Never told: the point is that their messages seem to go through.
        await sanctions.set_flag(target_hash, "shadow", action == "shadow")
    entry = Entry(
        action=action, actor=actor, target=Sanctions.code_of(target_hash), group=group,
        report=report, hours=hours if action == "mute" else 0.0,
        extra={"by": actor_name} if actor_name else {},
    )  # fmt: skip
    return await store.repo(AuditLog).add(entry, target_hash=target_hash)


def _warning() -> str:
    return _(
        "A moderator looked at a report about one of your messages. Please keep to the "
        "community's rules: be kind, stay on topic, no advertising. Repeated problems can lead "
        "to removal from the network."
    )


def mute_ended() -> str:
    return _("Your mute has ended. You can ask and answer questions again.")


async def lift_mute(bot: Bot, store: Store, uid: int, until: float) -> bool:
    """The end of a mute (run by a worker at ``until``): lifted, told, recorded; nothing
    when that mute was already lifted or replaced by a longer one."""
    sanctions = store.repo(Sanctions)
    h = await sanctions.user_hash(uid)
    if not await sanctions.unmute(h, only_until=until):
        return False
    if await store.get_profile(uid) is not None:
        await tell(bot, store, uid, mute_ended)
    await store.repo(AuditLog).add(
        Entry(action="mute_end", target=Sanctions.code_of(h)), target_hash=h
    )
    return True
