"""A review swap's life after matching: introductions, partner messages, reviews, deadlines.

Used by the bot's handlers and by the workers alike: every function takes the ``Bot`` (built
with the shared rate limiter), the ``Store`` and a ``submit`` for translation jobs, never a
handler context.

Privacy: partners appear to each other under per-swap pseudonyms (an HMAC of a secret kept in
Redis, the swap and the user: ``Partner K7QM``); nothing here sends a learner's id, name or
username to another learner. Messages are sent by the bot (texts as new messages, files by
``file_id`` or ``copyMessage``, which carries no sender), never forwarded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import Forbidden, TelegramError

from tg_support.config import Settings
from tg_support.core import jobs
from tg_support.core.i18n import _, use_locale
from tg_support.core.sending import send_once
from tg_support.core.store import Profile, Store
from tg_support.questions.topics import pseudonym_code
from tg_support.translation import delivery
from tg_support.translation.delivery import Envelope, Submit, dispatch

from . import review_texts as texts
from .review_store import Request, ReviewStore, Swap

log = logging.getLogger(__name__)

Schedule = Callable[[jobs.Job, float], Any]  # (job, delay in seconds): from a worker, jobs.schedule


async def partner(store: Store, sid: str, uid: int) -> str:
    """``Partner K7QM``: how ``uid`` appears to the other members of swap ``sid``."""
    return texts.partner_name(await pseudonym_code(store, "S", f"rv{sid}", uid))


async def profile_of(store: Store, uid: int) -> tuple[str, str | None]:
    """(locale, time zone) of a learner's profile."""
    p: Profile | None = await store.get_profile(uid)
    return (p.lang if p and p.lang else "en"), (p.tz if p else None)


async def send_text(
    bot: Bot,
    store: Store,
    key: str,
    uid: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> int | None:
    """Once per ``key`` (a retried job does not repeat it); None when sent before or blocked."""

    async def send() -> Message:
        return await bot.send_message(uid, text, reply_markup=markup)

    try:
        return await send_once(store.redis, store.p, key, send)
    except Forbidden:
        log.info("a swap member blocked the bot")
        await store.set_blocked(uid, True)
        return None


async def send_envelope(
    bot: Bot, store: Store, settings: Settings, submit: Submit, env: Envelope
) -> None:
    """Translated through a worker when languages differ (idempotent by the envelope's key),
    else sent once."""
    if env.src_lang != env.dst_lang:
        try:
            await dispatch(
                bot, store.redis, store.p, env, submit, settings.translation_timeout_seconds
            )
        except Forbidden:
            await store.set_blocked(env.chat_id, True)
        return
    await send_envelope_once(bot, store, env)


async def send_envelope_once(bot: Bot, store: Store, env: Envelope) -> None:
    """An envelope as it is (no translation), once per its key."""

    async def send() -> Message:
        sent = await delivery.send_envelope(bot, env, env.text, env.message_entities())
        return sent[-1]

    try:
        await send_once(store.redis, store.p, f"env:{env.key}", send, people=env.involved())
    except Forbidden:
        await store.set_blocked(env.chat_id, True)


# --- a new swap -----------------------------------------------------------------------


async def introduce(
    bot: Bot, store: Store, settings: Settings, submit: Submit, schedule: Schedule, sid: str
) -> str:
    """Tell each member whom they review (their work, their wish, the honour code) and
    schedule the deadline checks of every review in the swap. Idempotent."""
    rs = store.repo(ReviewStore)
    swap = await rs.swap(sid)
    if swap is None or swap.status != "active":
        return "gone"
    reqs = await rs.get_many(swap.rids)
    if len(reqs) != len(swap.rids):
        return "gone"
    now = time.time()
    for i, req in enumerate(reqs):
        target = reqs[swap.reviewee_of(i)]
        reviewer = reqs[swap.reviewer_of(i)]
        await _introduce_one(bot, store, settings, submit, swap, req, target, reviewer, now)
    for req in reqs:
        due = max(now + 1, req.deadline - settings.review_remind_hours * 3600)
        schedule(jobs.review_deadline(req.rid, "remind", due), due - now)
    return "introduced"


async def _introduce_one(
    bot: Bot, store: Store, settings: Settings, submit: Submit, swap: Swap,
    me: Request, target: Request, reviewer: Request, now: float,
) -> None:  # fmt: skip
    locale, tz = await profile_of(store, me.uid)
    sid = swap.sid
    with use_locale(locale):
        them = await partner(store, sid, target.uid)
        lines = [
            "<b>" + _("🤝 Review swap #{number}: you have a partner!").format(number=sid) + "</b>"
        ]
        if len(swap.rids) == 2:
            lines.append(_("You and {partner} review each other's work.").format(partner=them))
        else:
            lines.append(
                _("You review the work of {partner}; {other} reviews yours.").format(
                    partner=them, other=await partner(store, sid, reviewer.uid)
                )
            )
        lines += [
            texts.assignment_line(target),
            texts.deadline_line(target, tz, locale, now),
            _("Their languages: {languages}").format(languages=texts.languages(target.langs)),
        ]
        if target.work_kind == "link":
            lines.append(_("Their work: {link}").format(link=texts.esc(target.work)))
        else:
            lines.append(_("Their work is the document below."))
        lines += ["", "⚖️ " + texts.honour_code()]
        card = "\n".join(lines)
        markup = texts.swap_markup(int(sid))
        head = _("What {partner} would like feedback on:").format(partner=them) + "\n"
        doc_caption = _("The work of {partner}").format(partner=them)
    await send_text(bot, store, f"rv:intro:{sid}:{me.uid}", me.uid, card, markup)
    if target.work_kind == "doc":

        async def send_doc() -> Message:
            return await bot.send_document(me.uid, target.work, caption=doc_caption)

        try:
            await send_once(store.redis, store.p, f"rv:doc:{sid}:{me.uid}", send_doc)
        except TelegramError as exc:
            log.info("could not pass a swap's document on: %s", exc)
    env = Envelope(
        key=f"rv:want:{sid}:{me.uid}", chat_id=me.uid, text=target.want,
        src_lang=target.lang, dst_lang=locale, head=head, people=[target.uid],
    )  # fmt: skip
    await send_envelope(bot, store, settings, submit, env)


# --- deadlines ------------------------------------------------------------------------


async def deadline_check(
    bot: Bot, store: Store, settings: Settings, schedule: Schedule, rid: str, stage: str
) -> str:
    """``remind``: the reviewer of ``rid`` has not delivered; ``rematch``: they still have not,
    so it is a no-show and the author is offered a new partner. Idempotent."""
    rs = store.repo(ReviewStore)
    req = await rs.get(rid)
    swap = await rs.swap(req.swap) if req is not None and req.swap else None
    if req is None or swap is None or swap.status != "active" or req.got != "pending":
        return "done"
    if not req.reviewer:  # the reviewer erased their data: the swap ended with it
        return "done"
    now = time.time()
    if stage == "remind":
        due = req.deadline - settings.review_remind_hours * 3600
        if now < due - 1:
            schedule(jobs.review_deadline(rid, "remind", due), due - now)
            return "early"
        await remind(bot, store, swap, req, now)
        due = max(now + 1, req.deadline - settings.review_rematch_hours * 3600)
        schedule(jobs.review_deadline(rid, "rematch", due), due - now)
        return "reminded"
    due = req.deadline - settings.review_rematch_hours * 3600
    if now < due - 1:
        schedule(jobs.review_deadline(rid, "rematch", due), due - now)
        return "early"
    if await rs.set_got(rid, "noshow", "pending") is None:
        return "done"
    await rs.count(req.reviewer, noshow=1)
    await offer_rematch(bot, store, req, "noshow")
    return "no-show"


async def remind(bot: Bot, store: Store, swap: Swap, req: Request, now: float) -> None:
    locale, tz = await profile_of(store, req.reviewer)
    with use_locale(locale):
        them = await partner(store, swap.sid, req.uid)
        text = "\n".join([
            "⏰ " + _("Your review for {partner} (swap #{number}) is still missing.").format(
                partner=them, number=swap.sid
            ),
            texts.deadline_line(req, tz, locale, now),
            _("A short, honest review now helps more than a perfect one too late."),
        ])  # fmt: skip
        markup = texts.swap_markup(int(swap.sid))
    await send_text(bot, store, f"rv:remind:{req.rid}", req.reviewer, text, markup)


async def offer_rematch(bot: Bot, store: Store, req: Request, why: str) -> None:
    """Ask the author of ``req`` whether to find a new partner (once per request)."""
    locale, tz = await profile_of(store, req.uid)
    with use_locale(locale):
        if why == "noshow":
            them = await partner(store, req.swap, req.reviewer)
            first = _("{partner} has not sent your review yet, and your deadline is near.").format(
                partner=them
            )
        else:
            first = _("Review swap #{number} ended before you got your review.").format(
                number=req.swap
            )
        text = "\n".join([
            first, texts.deadline_line(req, tz, locale, time.time()),
            _("Shall I find you a new partner?"),
        ])  # fmt: skip
        markup = texts.rematch_markup(int(req.rid))
    await send_text(bot, store, f"rv:offer:{req.rid}", req.uid, text, markup)


async def rematch(store: Store, req: Request) -> Request | None:
    """A new open request like ``req``, never matched with the reviewer who let it down;
    None when ``req`` cannot be re-matched (already done, or its review came after all)."""
    rs = store.repo(ReviewStore)
    if await rs.set_got(req.rid, "rematched", "noshow", "ended") is None:
        return None
    exclude = sorted({*req.exclude, *([str(req.reviewer)] if req.reviewer else [])})
    values: dict[str, Any] = {
        k: getattr(req, k)
        for k in ("uid", "lang", "course", "assignment", "asg_text", "deadline", "langs",
                  "want", "work_kind", "work", "work_name")
    }  # fmt: skip
    return await rs.add_request({**values, "exclude": exclude, "rematch": True})


async def end(bot: Bot, store: Store, swap: Swap, by: int) -> bool:
    """End ``swap`` (pressed by member ``by``): the others are told, and an author whose
    review was still pending is offered a new partner."""
    rs = store.repo(ReviewStore)
    before = {r.rid: r.got for r in await rs.get_many(swap.rids)}
    if not await rs.end_swap(swap.sid):
        return False
    for uid in swap.uids:
        if uid in (by, 0):
            continue
        locale, _tz = await profile_of(store, uid)
        with use_locale(locale):
            text = _("{partner} ended review swap #{number}.").format(
                partner=await partner(store, swap.sid, by), number=swap.sid
            )
        await send_text(bot, store, f"rv:ended:{swap.sid}:{uid}", uid, text)
    for req in await rs.get_many(swap.rids):
        if before.get(req.rid) == "pending" and req.uid:
            await offer_rematch(bot, store, req, "ended")
    return True


Translate = Callable[[list[str], str, str], Awaitable[list[str] | None]]


async def deliver_review(bot: Bot, store: Store, rid: str, translate: Translate) -> str:
    """Send the review request ``rid`` received to its author: the prompts' labels in the
    author's language, the answers translated (with the original a tap away) when the
    reviewer wrote in another one. Once per request."""
    rs = store.repo(ReviewStore)
    req = await rs.get(rid)
    answers = await rs.review(rid)
    if req is None or answers is None or req.got != "delivered":
        return "gone"
    locale, _tz = await profile_of(store, req.uid)
    src = answers.get("lang") or locale
    parts = [answers.get(k, "") for k in ("works", "improve", "ask")]
    with use_locale(locale):
        head = texts.review_head(await partner(store, req.swap, req.reviewer))
        original = texts.review_body(*parts)
        markup = texts.rating_markup(int(rid)).to_dict()
    env = Envelope(key=f"rv:review:{rid}", chat_id=req.uid, text=original, src_lang=src,
                   dst_lang=locale, head=head, markup=markup, people=[req.reviewer])  # fmt: skip
    try:
        if src == locale:
            await send_envelope_once(bot, store, env)
            return "sent"
        translated = await translate(parts, src, locale)
        if translated is None:
            await delivery.deliver_original(bot, store.redis, store.p, env, reason="unavailable")
            return "original"
        with use_locale(locale):
            body = texts.review_body(*translated)
        await delivery.deliver_translated(bot, store.redis, store.p, env, body, [])
    except Forbidden:
        await store.set_blocked(req.uid, True)
        return "blocked"
    return "translated"
