"""Peer-review swaps: /review, the request flow, partner messages and the guided review.

Conversation steps (in Redis, per learner), all under ``rv:``:
``rv:course`` → ``rv:asg`` → ``rv:due`` → ``rv:langs`` (buttons) → ``rv:want`` → ``rv:work``
→ ``rv:confirm`` (the honour code; buttons): a request, then matching (``workers.reviews``).
``rv:chat``: everything sent goes to the swap's partners, under pseudonyms, translated.
``rv:rev:works`` → ``rv:rev:improve`` → ``rv:rev:ask`` → ``rv:rev:preview``: the guided review.

Every button is checked on arrival: a flow button against the step and the message it was
drawn on; a swap's button against the swap's members; a request's against its author.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from tg_support.community import picker
from tg_support.community import review_swaps as swaps
from tg_support.community import review_texts as texts
from tg_support.community.course_store import CourseStore
from tg_support.community.review_dates import day_label, in_days, moment_label, parse_deadline
from tg_support.community.review_store import DELIVERABLE, ReviewStore, Swap
from tg_support.community.review_texts import (
    RateReview,
    RequestAction,
    ReviewConfirm,
    ReviewCourse,
    ReviewDue,
    ReviewLang,
    ReviewStart,
    SwapAction,
)
from tg_support.community.reviews import assignment_key
from tg_support.core import callbacks, jobs, langid
from tg_support.core.i18n import LANGUAGE_NAMES, LOCALES, _, use_locale
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation
from tg_support.core.tags import normalize_tags
from tg_support.core.timezones import to_tzinfo
from tg_support.helpers.stats import HelperStatsStore
from tg_support.translation.delivery import Envelope, entities_json

from .common import deliver, edit_or_send, keyboard, reply
from .steps import StepHandler

log = logging.getLogger(__name__)

MAX_ASSIGNMENT = 100
MAX_WANT = 600
MAX_ANSWER = 1200
MAX_COURSE_BUTTONS = 8
QUICK_DAYS = (1, 2, 3, 5, 7, 14)
MAX_DAYS_AHEAD = 120
_URL = re.compile(r"https?://\S+", re.I)
BUTTONS = (ReviewCourse, ReviewDue, ReviewLang, ReviewConfirm, ReviewStart, RequestAction,
           RateReview, SwapAction)  # fmt: skip
_ANSWER_STEPS = ("rv:rev:works", "rv:rev:improve", "rv:rev:ask")


def _uid(update: Update) -> int:
    assert update.effective_user is not None  # guards drop updates without a user
    return update.effective_user.id


def _rs(ctx: Ctx) -> ReviewStore:
    return ctx.svc.store.repo(ReviewStore)


async def _invalid(update: Update) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(_("This button is not valid."), show_alert=True)


async def _expired(update: Update) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(
        _("This button has expired. Please use the latest message."), show_alert=True
    )


async def _save(ctx: Ctx, uid: int, conv: Conversation, msg: Message | None) -> None:
    conv.data["msg"] = msg.message_id if msg else None
    await ctx.svc.store.set_conv(uid, conv)


async def request_match(ctx: Ctx) -> None:
    """Requests changed: one matching run soon, shared by the changes within the window."""
    delay = ctx.svc.settings.review_match_delay_seconds
    if await _rs(ctx).want_match(delay):
        await ctx.svc.submit(jobs.match_reviews(time.time() + delay), delay=delay or None)


# --- /review ----------------------------------------------------------------------------


async def review_cmd(update: Update, ctx: Ctx) -> None:
    """/review: the learner's requests and swaps, or straight into a new request."""
    profile = ctx.profile
    if profile is None or not profile.onboarded:
        await reply(update, ctx, _("You have no profile yet. Send /start to create one."))
        return
    uid = _uid(update)
    rs = _rs(ctx)
    waiting = [r for r in await rs.user_requests(uid) if r.status == "open"]
    active = await rs.user_swaps(uid)
    if not waiting and not active:
        await _begin(update, ctx, edit=False)
        return
    lines = ["<b>" + _("Your review swaps") + "</b>"]
    rows: list[list[tuple[str, str]]] = []
    for r in waiting:
        lines.append("⏳ " + _("Request #{number}: {course} · {assignment}, waiting for a partner").format(
            number=r.rid, course=texts.esc(r.course), assignment=texts.esc(r.asg_text)
        ))  # fmt: skip
        rows.append([(_("Cancel request #{number}").format(number=r.rid),
                      RequestAction("cancel", int(r.rid)).pack())])  # fmt: skip
    for s in active:
        lines.append("🤝 " + _("Swap #{number} with {partners}").format(
            number=s.sid, partners=", ".join(await _partners(ctx, s, uid))
        ))  # fmt: skip
        rows.append(
            [(_("Swap #{number}").format(number=s.sid), SwapAction("show", int(s.sid)).pack())]
        )
    rows.append([(_("New request"), ReviewStart().pack())])
    await reply(update, ctx, "\n".join(lines), keyboard(rows))


async def _course_names(ctx: Ctx) -> list[str]:
    """The profile's courses as people read them: catalog courses by title and platform (the
    same label for every learner of a course, so requests still match on it), free topics
    as typed."""
    items = ctx.profile.courses if ctx.profile else []
    return await picker.names(ctx.svc.store.repo(CourseStore), items)


async def _partners(ctx: Ctx, swap: Swap, uid: int) -> list[str]:
    return [await swaps.partner(ctx.svc.store, swap.sid, u) for u in swap.uids if u not in (uid, 0)]


async def _begin(update: Update, ctx: Ctx, *, edit: bool) -> None:
    conv = Conversation(step="rv:course", data={})
    courses = await _course_names(ctx)
    text = _("Let's find you a review partner. Which course is this for?")
    if courses:
        text += "\n" + _("Tap one of your courses, or type another one.")
    else:
        text += "\n" + _("Type the course name.")
    buttons = [[(c, ReviewCourse(i).pack())] for i, c in enumerate(courses[:MAX_COURSE_BUTTONS])]
    markup = keyboard(buttons) if buttons else None
    msg = await (edit_or_send if edit else reply)(update, ctx, text, markup)
    await _save(ctx, _uid(update), conv, msg)


async def _ask(update: Update, ctx: Ctx, conv: Conversation, *, edit: bool) -> None:
    """Show the question of the step ``conv`` is in."""
    step = conv.step
    markup: InlineKeyboardMarkup | None = None
    locale = ctx.locale
    if step == "rv:asg":
        text = _(
            "Which assignment? Type its name or week, for example: Week 3, Assignment 2, Final project."
        )
    elif step == "rv:due":
        tz = to_tzinfo(ctx.profile.tz if ctx.profile else None)
        now = datetime.now(tz)
        text = _(
            "When is it due? Tap a day (the end of that day), or type a date and time, for "
            "example: {example}."
        ).format(example=day_label(in_days(4, tz, now), locale) + " 18:00")
        days = [(day_label(in_days(d, tz, now), locale), ReviewDue(d).pack()) for d in QUICK_DAYS]
        markup = keyboard([days[i : i + 3] for i in range(0, len(days), 3)])
    elif step == "rv:langs":
        chosen = list(conv.data.get("langs", []))
        text = _(
            "In which languages can you read work and write a review? Tap all that apply, then Done."
        )
        buttons = [(("☑️ " if c in chosen else "⬜ ") + LANGUAGE_NAMES[c], ReviewLang(c).pack())
                   for c in LOCALES]  # fmt: skip
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        markup = keyboard([*rows, [(_("Done"), ReviewLang("done").pack())]])
    elif step == "rv:want":
        text = _(
            "What would you like feedback on? One or two sentences, for example: the structure of my argument, whether my code is readable."
        )
    elif step == "rv:work":
        text = _("Now share your draft: send a link to it, or the document itself.")
    elif step == "rv:confirm":
        d = conv.data
        text = "\n".join([
            "<b>" + _("Your request") + "</b>",
            _("Course: {course} · Assignment: {assignment}").format(
                course=texts.esc(d["course"]), assignment=texts.esc(d["asg_text"])),
            _("Deadline: {when}").format(when=str(d["due_label"])),
            _("Languages: {languages}").format(languages=texts.languages(d["langs"])),
            _("Feedback on: {want}").format(want=texts.esc(d["want"])),
            "",
            "⚖️ " + texts.honour_code(),
        ])  # fmt: skip
        markup = keyboard([
            [(_("I agree, find me a partner"), ReviewConfirm("yes").pack())],
            [(_("Cancel"), ReviewConfirm("no").pack())],
        ])  # fmt: skip
    else:
        return
    msg = await (edit_or_send if edit else reply)(update, ctx, text, markup)
    await _save(ctx, _uid(update), conv, msg)


# --- typed answers ------------------------------------------------------------------------


async def on_step(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """Every private message while the learner is in an ``rv:`` step."""
    step = conv.step or ""
    if step == "rv:chat":
        await _relay(update, ctx, conv)
        return
    if step == "rv:work":
        await _work(update, ctx, conv, text)
        return
    if step in ("rv:langs", "rv:confirm", "rv:rev:preview"):
        await reply(
            update, ctx, _("Please choose one of the buttons above, or send /cancel to stop.")
        )
        return
    if text is None:
        await reply(update, ctx, _("I can only read text here. Please type your answer."))
        return
    text = (
        " ".join(text.split()) if step != "rv:want" and step not in _ANSWER_STEPS else text.strip()
    )
    if step in _ANSWER_STEPS:
        await _answer(update, ctx, conv, text)
        return
    problem = await _take(update, ctx, conv, step, text)
    if problem:
        await reply(update, ctx, problem)
        return
    await _ask(update, ctx, conv, edit=False)


async def _take(update: Update, ctx: Ctx, conv: Conversation, step: str, text: str) -> str | None:
    """Store a typed answer and move on; the problem to tell the learner, if any."""
    if step == "rv:course":
        tags = normalize_tags(text)
        if not tags:
            return _("I could not read a course name. Please type it again.")
        conv.data["course"] = tags[0]
        conv.step = "rv:asg"
    elif step == "rv:asg":
        if not text or len(text) > MAX_ASSIGNMENT:
            return _("Please name the assignment in under {limit} characters.").format(
                limit=MAX_ASSIGNMENT
            )
        conv.data["asg_text"], conv.data["assignment"] = text, assignment_key(text)
        conv.step = "rv:due"
    elif step == "rv:due":
        tz = to_tzinfo(ctx.profile.tz if ctx.profile else None)
        when = parse_deadline(text, tz, datetime.now(tz), ctx.locale)
        if when is None:
            return _('I could not read "{text}" as a date. Try for example {example}.').format(
                text=texts.esc(text[:64]), example=day_label(in_days(4, tz, datetime.now(tz)), ctx.locale)
            )  # fmt: skip
        return _set_due(ctx, conv, when)
    elif step == "rv:want":
        if len(text) > MAX_WANT:
            return _("Please keep it under {limit} characters.").format(limit=MAX_WANT)
        if len(text) < 3:
            return _("Please say in a few words what you would like feedback on.")
        conv.data["want"] = text
        conv.step = "rv:work"
    return None


def _set_due(ctx: Ctx, conv: Conversation, when: datetime) -> str | None:
    settings = ctx.svc.settings
    left = when.timestamp() - time.time()
    if left < settings.review_min_slack_hours * 3600:
        return _(
            "That is too soon: a partner needs at least {hours} hours to review. Please choose a later deadline."
        ).format(hours=round(settings.review_min_slack_hours))
    if left > MAX_DAYS_AHEAD * 86400:
        return _("That is too far ahead. Please ask for a swap closer to the deadline.")
    conv.data["deadline"] = when.timestamp()
    conv.data["due_label"] = moment_label(when, ctx.locale)
    if "langs" not in conv.data:
        lang = ctx.profile.lang if ctx.profile and ctx.profile.lang else ctx.locale
        conv.data["langs"] = [lang]
    conv.step = "rv:langs"
    return None


async def _work(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    msg = update.message
    assert msg is not None
    if msg.document is not None:
        conv.data.update(work_kind="doc", work=msg.document.file_id,
                         work_name=(msg.document.file_name or "")[:100])  # fmt: skip
    else:
        links = [e.url for e in msg.entities or () if e.type == "text_link" and e.url]
        found = _URL.search(text or "")
        link = links[0] if links else (found.group().rstrip(".,;)") if found else None)
        if link is None or len(link) > 500:
            await reply(
                update,
                ctx,
                _("Please send a link (starting with http:// or https://) or a document."),
            )
            return
        conv.data.update(work_kind="link", work=link, work_name="")
    conv.step = "rv:confirm"
    await _ask(update, ctx, conv, edit=False)


# --- buttons ------------------------------------------------------------------------------


async def on_button(update: Update, ctx: Ctx) -> None:
    """Every ``rv:`` button."""
    query = update.callback_query
    assert query is not None
    action = callbacks.parse_any(query.data, *BUTTONS)
    if action is None:
        await _invalid(update)
        return
    if isinstance(action, SwapAction):
        await _swap_button(update, ctx, action)
    elif isinstance(action, RequestAction):
        await _request_button(update, ctx, action)
    elif isinstance(action, RateReview):
        await _rate(update, ctx, action)
    elif isinstance(action, ReviewStart):
        await query.answer()
        await _begin(update, ctx, edit=True)
    else:
        await _flow_button(update, ctx, action)


async def _flow_button(update: Update, ctx: Ctx, action: Any) -> None:
    query = update.callback_query
    assert query is not None
    uid = _uid(update)
    conv = await ctx.svc.store.get_conv(uid)
    expected = {ReviewCourse: "rv:course", ReviewDue: "rv:due", ReviewLang: "rv:langs",
                ReviewConfirm: "rv:confirm"}[type(action)]  # fmt: skip
    msg_id = query.message.message_id if query.message else None
    if conv.step != expected or conv.data.get("msg") != msg_id:
        await _expired(update)
        return
    problem = None
    if isinstance(action, ReviewCourse):
        courses = await _course_names(ctx)
        if action.index >= len(courses):
            await _invalid(update)
            return
        conv.data["course"] = courses[action.index]
        conv.step = "rv:asg"
    elif isinstance(action, ReviewDue):
        if action.days not in QUICK_DAYS:
            await _invalid(update)
            return
        tz = to_tzinfo(ctx.profile.tz if ctx.profile else None)
        problem = _set_due(ctx, conv, in_days(action.days, tz, datetime.now(tz)))
    elif isinstance(action, ReviewLang):
        chosen: list[str] = list(conv.data.get("langs", []))
        if action.code == "done":
            if not chosen:
                await query.answer(_("Choose at least one language."), show_alert=True)
                return
            conv.step = "rv:want"
        elif action.code in LOCALES:
            chosen.remove(action.code) if action.code in chosen else chosen.append(action.code)
            conv.data["langs"] = chosen
        else:
            await _invalid(update)
            return
    elif isinstance(action, ReviewConfirm):
        await query.answer()
        await _submit(update, ctx, conv, action.answer == "yes")
        return
    if problem:
        await query.answer(problem, show_alert=True)
        return
    await query.answer()
    await _ask(update, ctx, conv, edit=True)


async def _submit(update: Update, ctx: Ctx, conv: Conversation, yes: bool) -> None:
    uid = _uid(update)
    await ctx.svc.store.clear_conv(uid)
    if not yes:
        await edit_or_send(update, ctx, _("Cancelled. Nothing was saved."))
        return
    d = conv.data
    lang = ctx.profile.lang if ctx.profile and ctx.profile.lang else ctx.locale
    req = await _rs(ctx).add_request({
        "uid": uid, "lang": lang, "course": d["course"], "assignment": d["assignment"],
        "asg_text": d["asg_text"], "deadline": float(d["deadline"]), "langs": list(d["langs"]),
        "want": d["want"], "work_kind": d["work_kind"], "work": d["work"],
        "work_name": d.get("work_name", ""),
    })  # fmt: skip
    await edit_or_send(update, ctx, _(
        "Request #{number} is in. I will introduce you to a partner as soon as I find one; "
        "you will review each other's drafts. Send /review to see or cancel it."
    ).format(number=req.rid))  # fmt: skip
    await request_match(ctx)


async def _request_button(update: Update, ctx: Ctx, action: RequestAction) -> None:
    query = update.callback_query
    assert query is not None
    rs = _rs(ctx)
    req = await rs.get(str(action.rid))
    if req is None or req.uid != _uid(update):
        await _invalid(update)
        return
    await query.answer()
    if action.action == "cancel":
        done = await rs.close_request(req.rid, "cancelled")
        text = (_("Request #{number} is cancelled.") if done else
                _("Request #{number} is not waiting any more.")).format(number=req.rid)  # fmt: skip
        await edit_or_send(update, ctx, text)
        if done:
            await request_match(ctx)
    elif action.action == "wait":
        await edit_or_send(update, ctx, _("All right, your partner can still send the review."))
    else:
        slack = req.deadline - time.time()
        if slack < ctx.svc.settings.review_rematch_min_slack_hours * 3600:
            await edit_or_send(
                update, ctx, _("Your deadline is too close to find a new partner, sorry.")
            )
            return
        new = await swaps.rematch(ctx.svc.store, req)
        if new is None:
            await edit_or_send(update, ctx, _("This request cannot be matched again."))
            return
        await edit_or_send(
            update,
            ctx,
            _("I am looking for a new partner for you (request #{number}).").format(number=new.rid),
        )
        await request_match(ctx)


async def _rate(update: Update, ctx: Ctx, action: RateReview) -> None:
    query = update.callback_query
    assert query is not None
    rs = _rs(ctx)
    req = await rs.get(str(action.rid))
    if req is None or req.uid != _uid(update) or req.got != "delivered" or not req.reviewer:
        await _invalid(update)
        return
    if not await rs.rate(req.rid, action.score):
        await query.answer(_("You already rated this review."), show_alert=True)
        return
    helpful = action.score != "0"
    await rs.count(req.reviewer, rated=1, helpful=int(helpful))
    await query.answer(_("Thank you! Your rating helps reviewers improve."))
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        rows = [[b for b in row if not str(b.callback_data or "").startswith(RateReview.prefix)]
                for row in query.message.reply_markup.inline_keyboard]  # fmt: skip
        with contextlib.suppress(BadRequest):
            await query.message.edit_reply_markup(InlineKeyboardMarkup([r for r in rows if r]))
    if helpful:
        locale, _tz = await swaps.profile_of(ctx.svc.store, req.reviewer)
        with use_locale(locale):
            text = _("{partner} found your review helpful. Thank you for giving it!").format(
                partner=await swaps.partner(ctx.svc.store, req.swap, req.uid)
            )
        await swaps.send_text(ctx.bot, ctx.svc.store, f"rv:thanks:{req.rid}", req.reviewer, text)


async def _swap_button(update: Update, ctx: Ctx, action: SwapAction) -> None:
    query = update.callback_query
    assert query is not None
    uid = _uid(update)
    swap = await _rs(ctx).swap(str(action.sid))
    me = swap.index_of(uid) if swap is not None else None
    if swap is None or me is None:
        # Not a member: a forged or misdirected press never acts on someone else's swap.
        log.info("refused a swap button from a non-member")
        await _invalid(update)
        return
    if swap.status != "active":
        await query.answer(_("This swap has ended."), show_alert=True)
        return
    if action.action == "show":
        await query.answer()
        names = ", ".join(await _partners(ctx, swap, uid))
        await reply(update, ctx, _("Swap #{number} with {partners}").format(number=swap.sid, partners=names),
                    texts.swap_markup(int(swap.sid)))  # fmt: skip
    elif action.action == "chat":
        await query.answer()
        await ctx.svc.store.set_conv(uid, Conversation(step="rv:chat", data={"sid": swap.sid}))
        await reply(update, ctx, _(
            "Everything you send now goes to your partner in swap #{number} (texts, links, "
            "documents), under your pseudonym and translated if needed. Send /cancel to stop."
        ).format(number=swap.sid))  # fmt: skip
    elif action.action == "end":
        await query.answer()
        await swaps.end(ctx.bot, ctx.svc.store, swap, uid)
        await ctx.svc.store.clear_conv(uid)
        await reply(update, ctx, _("You ended review swap #{number}.").format(number=swap.sid))
    elif action.action == "write":
        await _start_review(update, ctx, swap, me)
    else:
        await _review_button(update, ctx, swap, me, action.action)


# --- the guided review ----------------------------------------------------------------------


def _prompt(step: str, partner: str) -> str:
    if step == "rv:rev:works":
        return _("1/3 · What works well in the work of {partner}? Be specific.").format(
            partner=partner
        )
    if step == "rv:rev:improve":
        return _("2/3 · One concrete thing they could improve, and how.")
    return _("3/3 · One question you would like to ask the author.")


async def _start_review(update: Update, ctx: Ctx, swap: Swap, me: int) -> None:
    query = update.callback_query
    assert query is not None
    target = await _rs(ctx).get(swap.rids[swap.reviewee_of(me)])
    if target is None or target.got not in DELIVERABLE:
        await query.answer(_("You already sent this review."), show_alert=True)
        return
    await query.answer()
    conv = Conversation(step="rv:rev:works", data={"sid": swap.sid, "rid": target.rid})
    await ctx.svc.store.set_conv(_uid(update), conv)
    name = await swaps.partner(ctx.svc.store, swap.sid, target.uid)
    await reply(update, ctx, _prompt(conv.step or "", name))


async def _answer(update: Update, ctx: Ctx, conv: Conversation, text: str) -> None:
    if len(text) > MAX_ANSWER:
        await reply(
            update,
            ctx,
            _("Please keep each answer under {limit} characters.").format(limit=MAX_ANSWER),
        )
        return
    if len(text) < 2:
        await reply(update, ctx, _("Please write a few words."))
        return
    step = conv.step or ""
    conv.data[step.rsplit(":", 1)[1]] = text
    i = _ANSWER_STEPS.index(step)
    if i + 1 < len(_ANSWER_STEPS):
        conv.step = _ANSWER_STEPS[i + 1]
        await ctx.svc.store.set_conv(_uid(update), conv)
        await reply(update, ctx, _prompt(conv.step, ""))
        return
    conv.step = "rv:rev:preview"
    d = conv.data
    body = texts.review_body(d["works"], d["improve"], d["ask"])
    sid = int(d["sid"])
    markup = keyboard([[(_("Send the review"), SwapAction("send", sid).pack())],
                       [(_("Start over"), SwapAction("redo", sid).pack())]])  # fmt: skip
    msg = await reply(
        update,
        ctx,
        "<b>" + _("Your review") + "</b>\n\n" + texts.esc(body) + "\n\n" + _("Send it?"),
        markup,
    )
    await _save(ctx, _uid(update), conv, msg)


async def _review_button(update: Update, ctx: Ctx, swap: Swap, me: int, what: str) -> None:
    query = update.callback_query
    assert query is not None
    uid = _uid(update)
    conv = await ctx.svc.store.get_conv(uid)
    msg_id = query.message.message_id if query.message else None
    if (
        conv.step != "rv:rev:preview"
        or conv.data.get("sid") != swap.sid
        or conv.data.get("msg") != msg_id
    ):
        await _expired(update)
        return
    if what == "redo":
        await query.answer()
        await _start_review(update, ctx, swap, me)
        return
    rs = _rs(ctx)
    target = await rs.get(str(conv.data["rid"]))
    if target is None or target.reviewer != uid or target.swap != swap.sid:
        await _invalid(update)
        return
    old = await rs.set_got(target.rid, "delivered", *DELIVERABLE)
    if old is None:
        await query.answer(_("You already sent this review."), show_alert=True)
        return
    await query.answer()
    await ctx.svc.store.clear_conv(uid)
    await rs.count(uid, given=1, noshow=-1 if old == "noshow" else 0)
    await ctx.svc.store.repo(HelperStatsStore).add_review_given(uid)
    d = conv.data
    src = langid.detect(
        " ".join((d["works"], d["improve"], d["ask"])),
        langid.Priors(chosen=ctx.profile.lang if ctx.profile else None),
    ).lang
    answers = {"works": d["works"], "improve": d["improve"], "ask": d["ask"], "lang": src}
    await rs.save_review(target.rid, answers)
    await ctx.svc.submit(jobs.deliver_review(target.rid))
    await edit_or_send(update, ctx, _("Your review is on its way. Thank you!"))


# --- partner messages -------------------------------------------------------------------------


async def _relay(update: Update, ctx: Ctx, conv: Conversation) -> None:
    msg = update.message
    assert msg is not None
    uid = _uid(update)
    swap = await _rs(ctx).swap(str(conv.data.get("sid", "")))
    if swap is None or swap.status != "active" or swap.index_of(uid) is None:
        await ctx.svc.store.clear_conv(uid)
        await reply(update, ctx, _("This swap has ended."))
        return
    if msg.text is None and msg.document is None and not msg.photo:
        await reply(update, ctx, _("I can pass on texts, links, photos and documents only."))
        return
    store = ctx.svc.store
    src = None
    if msg.text:
        src = langid.detect(
            msg.text, langid.Priors(chosen=ctx.profile.lang if ctx.profile else None)
        ).lang
    for other in swap.uids:
        if other in (uid, 0):
            continue
        locale, _tz = await swaps.profile_of(store, other)
        with use_locale(locale):
            head = _("{partner} (swap #{number}):").format(
                partner=await swaps.partner(store, swap.sid, uid), number=swap.sid) + "\n"  # fmt: skip
            markup = texts.reply_markup(int(swap.sid))
        try:
            if msg.text is not None:
                env = Envelope(key=f"rv:m:{swap.sid}:{msg.message_id}:{other}", chat_id=other,
                               text=msg.text, entities=entities_json(msg.entities),
                               src_lang=src or locale, dst_lang=locale, head=head,
                               markup=markup.to_dict(), people=[uid])  # fmt: skip
                await deliver(ctx, env)
            else:
                # Sent anew by file id, not copied: nothing in the request names the sender.
                caption = (head + (msg.caption or ""))[:1024]
                if msg.document is not None:
                    await ctx.bot.send_document(other, msg.document.file_id, caption=caption,
                                                parse_mode=None, reply_markup=markup)  # fmt: skip
                else:
                    await ctx.bot.send_photo(other, msg.photo[-1].file_id, caption=caption,
                                             parse_mode=None, reply_markup=markup)  # fmt: skip
        except Forbidden:
            await store.set_blocked(other, True)
    await reply(update, ctx, "✓ " + _("Sent to your partner."))


STEPS: dict[str, StepHandler] = {"rv:": on_step}


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("review", review_cmd, filters=private),
        CallbackQueryHandler(on_button, pattern=re.compile(r"^rv(?::|$)")),
    ]
