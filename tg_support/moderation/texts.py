"""What moderation says, to admins and to the people acted on, and its buttons.

Every function speaks in the current locale (the caller sets it with ``use_locale``).
Buttons: ``mod:a:<action>:<report>:<choice>`` (:class:`ReportAction`), ``mod:h:<ok|no>:<qid>``
(:class:`HeldAction`), ``mod:log:<page>`` (:class:`ModlogPage`).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from babel import Locale
from babel.dates import format_timedelta
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import _, format_datetime, get_locale, negotiate, use_locale
from tg_support.core.messages import keyboard
from tg_support.core.store import Store
from tg_support.moderation.audit import Entry
from tg_support.moderation.reports import Held, Report, Reports

log = logging.getLogger(__name__)


class ReportAction(CallbackData, prefix="mod:a"):
    """An admin's decision on report ``rid``; ``choice`` picks a mute length (else 0)."""

    action: Literal["dismiss", "warn", "mute", "remove", "shadow"]
    rid: int
    choice: int


class HeldAction(CallbackData, prefix="mod:h"):
    """Approve or reject a question the gate held."""

    action: Literal["ok", "no"]
    qid: int


class ModlogPage(CallbackData, prefix="mod:log"):
    """A page of /modlog (0 is the newest)."""

    page: int


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def duration(hours: float) -> str:
    """``1 hour``, ``1 day``, ``5 seconds`` in the current locale."""
    return format_timedelta(
        timedelta(hours=hours), threshold=1.0, locale=Locale.parse(get_locale())
    )


def member(code: str) -> str:
    # Translators: how admins see a person in reports and the moderation log (a code).
    return _("Member {code}").format(code=code)


def action_label(entry_action: str, hours: float = 0.0) -> str:
    labels = {
        "report": _("reported"),
        "dismiss": _("report dismissed"),
        "warn": _("warned"),
        "unmute": _("mute lifted"),
        "mute_end": _("mute ended"),
        "remove": _("removed from the network"),
        "unremove": _("removal lifted"),
        "shadow": _("shadow banned"),
        "unshadow": _("shadow ban lifted"),
        "held": _("question held for review"),
        "approve": _("question approved"),
        "reject": _("question rejected"),
    }
    if entry_action == "mute":
        return _("muted for {duration}").format(duration=duration(hours))
    return labels.get(entry_action, entry_action)


def gate_reason(reason: str) -> str:
    labels = {
        "link_flood": _("many links from a new account"),
        "repeat": _("the same question again"),
        "burst": _("many questions from a new account"),
    }
    return labels.get(reason, reason)


def report_text(report: Report, group_title: str) -> str:
    title = (
        _("Report #{number} in “{group}”").format(number=report.rid, group=esc(group_title))
        if group_title
        else _("Report #{number}").format(number=report.rid)
    )
    lines = ["<b>" + title + "</b>"]
    if report.code:
        lines.append(_("About: {member}").format(member=member(report.code)))
    if report.question:
        lines.append(_("Question #{number}").format(number=report.question))
    lines += ["", "<b>" + _("Reported message:") + "</b>", esc(report.text) or "—"]
    if report.context:
        lines += ["", "<b>" + _("Context:") + "</b>", esc(report.context)]
    return "\n".join(lines)


def report_markup(rid: int, choices: Sequence[float], *, full: bool = True) -> InlineKeyboardMarkup:
    """The admin's choices; a report about nobody in particular can only be dismissed."""

    def btn(label: str, action: str, choice: int = 0) -> tuple[str, str]:
        return (label, ReportAction(action=action, rid=rid, choice=choice).pack())  # type: ignore[arg-type]

    mutes = [
        btn("🔇 " + _("Mute {duration}").format(duration=duration(h)), "mute", i)
        for i, h in enumerate(choices)
    ]
    if not full:
        return keyboard([[btn(_("Dismiss"), "dismiss")]])
    return keyboard(
        [
            [btn(_("Dismiss"), "dismiss"), btn("⚠️ " + _("Warn"), "warn")],
            mutes,
            [btn("⛔ " + _("Remove from the network"), "remove")],
            [btn("👻 " + _("Shadow ban"), "shadow")],
        ]
    )


def held_text(held: Held, text: str, code: str) -> str:
    return "\n".join(
        [
            "<b>" + _("Question #{number} is held for review").format(number=held.qid) + "</b>",
            _("Reason: {reason}").format(reason=gate_reason(held.reason)),
            _("From: {member}").format(member=member(code)),
            "",
            esc(text),
        ]
    )


def held_markup(qid: int) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                ("✅ " + _("Approve"), HeldAction(action="ok", qid=qid).pack()),
                ("❌ " + _("Reject"), HeldAction(action="no", qid=qid).pack()),
            ]
        ]
    )


def decided(entry_action: str, by: str, hours: float = 0.0) -> str:
    return _("Done: {action} (by {admin}).").format(
        action=action_label(entry_action, hours), admin=esc(by)
    )


def log_line(entry: Entry, admin: str) -> str:
    when = format_datetime(datetime.fromtimestamp(entry.at, UTC), "short")
    parts = [when, action_label(entry.action, entry.hours)]
    if entry.target:
        parts.append(member(entry.target))
    if entry.report:
        parts.append(_("report #{number}").format(number=entry.report))
    if entry.question:
        parts.append(_("question #{number}").format(number=entry.question))
    parts.append(_("by {admin}").format(admin=esc(admin)) if admin else _("automatic"))
    return " · ".join(parts)


async def admin_locale(store: Store, uid: int, language_code: str | None, fallback: str) -> str:
    profile = await store.get_profile(uid)
    if profile is not None and profile.lang:
        return profile.lang
    return negotiate(language_code, fallback)


async def send_to_admins(
    bot: Bot,
    store: Store,
    group_ids: Sequence[int],
    ref: str,
    render: Callable[[], tuple[str, InlineKeyboardMarkup | None]],
    fallback_locale: str = "en",
) -> int:
    """Send a report or a held question to every admin of ``group_ids`` (each once, in their
    language); ``render()`` gives (text, markup) in the current locale. Returns how many got it."""
    sent: set[int] = set()
    reports = store.repo(Reports)
    for chat_id in group_ids:
        try:
            admins = await bot.get_chat_administrators(chat_id)
        except BadRequest:
            log.info("could not list the admins of group %s", chat_id)
            continue
        for m in admins:
            user = m.user
            if user.is_bot or user.id in sent:
                continue
            locale = await admin_locale(store, user.id, user.language_code, fallback_locale)
            with use_locale(locale):
                text, markup = render()
                try:
                    msg = await bot.send_message(user.id, text, reply_markup=markup)
                except (Forbidden, BadRequest):
                    continue  # an admin who never started the bot cannot be messaged
            sent.add(user.id)
            await reports.add_copy(ref, user.id, msg.message_id, locale)
    return len(sent)


async def edit_copies(bot: Bot, store: Store, ref: str, render: Callable[[], str]) -> None:
    """Every admin's copy of a report or held question now says what was decided."""
    for admin_id, (msg_id, locale) in (await store.repo(Reports).copies(ref)).items():
        with use_locale(locale):
            text = render()
        try:
            await bot.edit_message_text(text, admin_id, msg_id)
        except (BadRequest, Forbidden) as exc:
            log.info("could not update an admin's copy of %s: %s", ref, exc)
