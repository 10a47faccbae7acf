"""What review swaps say and the buttons they draw; the bot's handlers and the workers share it.

Texts are built in the current locale (callers set it with ``use_locale`` for the
recipient). Buttons carry typed, language-neutral callback data; whoever handles a press
checks that the presser is the person the button was for (a member of that swap, the
author of that request).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Literal

from telegram import InlineKeyboardMarkup

from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import LANGUAGE_NAMES, _
from tg_support.core.messages import keyboard
from tg_support.core.timezones import to_tzinfo

from .review_dates import left_label, moment_label
from .review_store import Request


class ReviewCourse(CallbackData, prefix="rv:c"):
    """The n-th course of the learner's profile (a typed course needs no button)."""

    index: int


class ReviewDue(CallbackData, prefix="rv:due"):
    """A deadline ``days`` days ahead, at the end of that day."""

    days: int


class ReviewLang(CallbackData, prefix="rv:l"):
    code: str  # a locale code, or "done"


class ReviewConfirm(CallbackData, prefix="rv:ok"):
    answer: Literal["yes", "no"]


class ReviewStart(CallbackData, prefix="rv:new"):
    """Start a new request from the /review overview."""


class RequestAction(CallbackData, prefix="rv:rq"):
    """On one request: cancel it (open), find a new partner or keep waiting (late review)."""

    action: Literal["cancel", "rematch", "wait"]
    rid: int


class RateReview(CallbackData, prefix="rv:rate"):
    rid: int
    score: Literal["0", "1", "2"]  # not helpful, somewhat, very


class SwapAction(CallbackData, prefix="rv:sw"):
    """In a swap: show it, write the review, message the partners, end it; send or redo a
    review."""

    action: Literal["show", "write", "chat", "end", "send", "redo"]
    sid: int


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def partner_name(code: str) -> str:
    return _("Partner {code}").format(code=code)


def honour_code() -> str:
    return _(
        "Honour code: swaps are for feedback on drafts. Never share graded answers or "
        "solutions, and never ask for them. Be kind and specific."
    )


def assignment_line(req: Request) -> str:
    return _("Course: {course} · Assignment: {assignment}").format(
        course=esc(req.course), assignment=esc(req.asg_text or req.assignment)
    )


def deadline_line(req: Request, tz: str | None, locale: str, now: float) -> str:
    when = datetime.fromtimestamp(req.deadline, to_tzinfo(tz))
    return _("Deadline: {when} ({left})").format(
        when=moment_label(when, locale), left=left_label(req.deadline - now, locale)
    )


def languages(codes: list[str]) -> str:
    return ", ".join(LANGUAGE_NAMES.get(c, c) for c in codes)


def swap_markup(sid: int, *, review: bool = True) -> InlineKeyboardMarkup:
    rows = []
    if review:
        rows.append([(_("✍️ Write my review"), SwapAction("write", sid).pack())])
    rows.append([(_("💬 Message my partner"), SwapAction("chat", sid).pack())])
    rows.append([(_("End the swap"), SwapAction("end", sid).pack())])
    return keyboard(rows)


def reply_markup(sid: int) -> InlineKeyboardMarkup:
    return keyboard([[(_("↩️ Reply"), SwapAction("chat", sid).pack())]])


def rating_markup(rid: int) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [(_("Very helpful"), RateReview(rid, "2").pack())],
            [(_("Somewhat helpful"), RateReview(rid, "1").pack())],
            [(_("Not helpful"), RateReview(rid, "0").pack())],
        ]
    )


def rematch_markup(rid: int) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [(_("Find me a new partner"), RequestAction("rematch", rid).pack())],
            [(_("Keep waiting"), RequestAction("wait", rid).pack())],
        ]
    )


def review_body(works: str, improve: str, question: str) -> str:
    """The reviewer's three answers under the prompts' labels (plain text, in the current
    locale; the answers are already in the reader's language or are the originals)."""
    return "\n\n".join([
        "✅ " + _("What works well:") + "\n" + works,
        "🛠 " + _("One thing to improve:") + "\n" + improve,
        "❓ " + _("A question for you:") + "\n" + question,
    ])  # fmt: skip


def review_head(partner: str) -> str:
    return _("📝 A review of your work from {partner}").format(partner=partner) + "\n"
