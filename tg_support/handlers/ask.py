"""Asking: detect the language, offer similar solved questions, then route to a group topic.

Conversation steps (in Redis, per learner):
``ask:new``      the next text is a new question (after /ask);
``ask:suggest``  similar questions are shown for draft ``qid``;
``ask:thread``   texts are follow-ups to question ``qid`` until it is solved or /ask.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from tg_support.core import callbacks, jobs, langid, textsplit
from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import LANGUAGE_NAMES, _, ngettext, use_locale
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation, Group
from tg_support.helpers.ratings import ask_for_ratings
from tg_support.helpers.stats import HelperStatsStore
from tg_support.moderation.screen import screen_question
from tg_support.questions import faq, suggestions, topics
from tg_support.questions.reopen import can_reopen, reopen_button, reopen_markup
from tg_support.questions.search import SearchIndex
from tg_support.questions.store import Question, questions
from tg_support.questions.tagging import question_tags
from tg_support.translation.argos import PIVOT, can_translate

from .common import deliver, edit_or_send, esc, keyboard, reply

log = logging.getLogger(__name__)

SUGGESTIONS = 3
STATUS_ICONS = {"open": "🟡", "answered": "💬", "solved": "✅", "closed": "⚪"}


class QuestionGo(CallbackData, prefix="q:go"):
    """``q:go:<qid>``: "Ask anyway", past the similar questions shown."""

    qid: int


class QuestionDuplicate(CallbackData, prefix="q:dup"):
    """``q:dup:<qid>:<solved qid>``: an earlier answer solves draft ``qid``."""

    qid: int
    solved_qid: int


def status_label(status: str) -> str:
    labels = {
        # Translators: the status of a question in a list of the learner's questions.
        "open": _("waiting for an answer"),
        "answered": _("answered"),
        "solved": _("solved"),
        "closed": _("closed"),
    }
    return labels.get(status, status)


def search_index(ctx: Ctx) -> SearchIndex:
    return SearchIndex(ctx.svc.redis, prefix=ctx.svc.settings.redis_prefix)


async def on_media(update: Update, ctx: Ctx, conv: Conversation) -> None:
    """Photos and documents go into the current question's topic; other media are refused."""
    msg = update.message
    if msg is not None and conv.step == "ask:thread" and (msg.photo or msg.document):
        q = await questions(ctx.svc.store).get_question(str(conv.data.get("qid", "")))
        if q is not None and q.status in ("open", "answered") and q.group_id:
            await _forward_media(update, ctx, q)
            return
    await reply(
        update,
        ctx,
        _(
            "I can't read stickers, voice messages or other media here. Please type your question as text."
        ),
    )


async def _forward_media(update: Update, ctx: Ctx, q: Question) -> None:
    msg = update.message
    assert msg is not None and q.group_id is not None
    store = ctx.svc.store
    group = await store.get_group(q.group_id)
    code = await topics.pseudonym_code(store, "L", q.qid, q.asker_id)
    with use_locale(topics.group_locale(group)):
        head = topics.learner_head(code)
    caption = (head + (msg.caption or ""))[:1024]
    copy = await ctx.bot.copy_message(
        q.group_id,
        msg.chat_id,
        msg.message_id,
        caption=caption,
        parse_mode=None,
        message_thread_id=q.thread_id,
    )
    await store.add_relay((msg.chat_id, msg.message_id), (q.group_id, copy.message_id), q.qid)
    await questions(store).touch_question(q.qid)


def _priors(ctx: Ctx, update: Update) -> langid.Priors:
    p = ctx.profile
    user = update.effective_user
    return langid.Priors(
        chosen=p.lang if p else None,
        telegram=langid.normalize_language_code(user.language_code if user else None),
    )


async def on_question_text(update: Update, ctx: Ctx, conv: Conversation, text: str) -> None:
    """Typed text from an onboarded learner: a follow-up or a new question."""
    store = ctx.svc.store
    uid = update.effective_user.id if update.effective_user else 0
    # Sanctions, then the gate for a new question (it also asks for more words when short,
    # and has a doubtful first question confirmed before it is posted).
    screened = await screen_question(update, ctx, conv, text)
    if screened.taken:
        return
    if conv.step == "ask:thread":
        q = await questions(store).get_question(str(conv.data.get("qid", "")))
        if q is not None and q.status in ("open", "answered") and q.group_id:
            await _follow_up(update, ctx, conv, q, text)
            return
    if conv.step == "ask:suggest" and conv.data.get("qid"):
        # A new text instead of a choice on the suggestions: that draft is abandoned.
        await questions(store).discard_draft(str(conv.data["qid"]), uid)
    detection = langid.detect(text, _priors(ctx, update))
    lang = detection.lang
    # From the question itself; the profile's courses only when the text names no topic.
    tags = question_tags(text, ctx.profile.tags if ctx.profile else [])
    # Searched before the draft exists (drafts are not indexed): with nothing similar the
    # question goes straight to a group, so its conversation step is set with it.
    solved = await similar(ctx, text, lang)
    # The message that holds the text, so the learner's edits of it apply (handlers.edits).
    src = update.message.message_id if update.message and update.message.text == text else None
    confirm = screened.outcome == "confirm"
    q = await questions(store).new_question(
        uid, text, lang, tags, conv_step="" if solved or confirm else "ask:thread", src_msg=src
    )
    if not solved and not confirm:
        # Just created, and no button offers it yet: the draft needs no reading back.
        await _route(update, ctx, q, created=True)
        return
    go = QuestionGo(qid=int(q.qid)).pack()
    if not solved:
        msg = await reply(update, ctx, screened.confirm, keyboard([[(_("Post it as it is"), go)]]))
        data = {"qid": q.qid, "msg": msg.message_id if msg else None}
        await store.set_conv(uid, Conversation(step="ask:suggest", data=data))
        return
    if confirm:  # said first; "Ask anyway" under the suggestions posts it
        await reply(update, ctx, screened.confirm)
    # The best hit, when it is very close, is offered first and alone; all translated.
    text_shown, shown, first = await faq.suggestions(ctx.svc, solved, lang)
    buttons = [
        [
            (
                _("✅ This solves it") if first
                else _("✅ Number {number} solves it").format(number=i),
                QuestionDuplicate(qid=int(q.qid), solved_qid=int(s.q.qid)).pack(),
            )
        ]
        for i, s in enumerate(shown, 1)
    ]  # fmt: skip
    buttons.append([(_("Ask anyway"), go)])
    # A translated suggestion keeps the original a tap away (questions.suggestions).
    svc = ctx.svc
    msg = await suggestions.send(
        ctx.bot, svc.redis, svc.settings.redis_prefix, uid, text_shown, lang, keyboard(buttons),
        # Whose texts the list shows: its kept versions go when any of them erases.
        [x for s in shown for x in (s.q.asker_id, s.q.helper_id) if x],
    )  # fmt: skip
    await store.set_conv(
        uid,
        Conversation(
            step="ask:suggest", data={"qid": q.qid, "msg": msg.message_id if msg else None}
        ),
    )


async def similar(ctx: Ctx, text: str, lang: str) -> list[Any]:
    """Solved questions like this one: in the learner's language, and through the English
    pivot when a worker can translate the query quickly."""
    pivot = None
    if lang != PIVOT and await can_translate(
        ctx.svc.redis, ctx.svc.settings.redis_prefix, lang, PIVOT
    ):
        try:
            owner = ctx.profile.user_id if ctx.profile else 0
            pivot = await ctx.svc.call(jobs.translate_text(text, lang, PIVOT, owner))
        except Exception:
            log.warning("could not translate a search query", exc_info=True)
    return list(await search_index(ctx).query(text, lang, k=SUGGESTIONS, pivot_text=pivot))


async def _route(update: Update, ctx: Ctx, q: Question, *, created: bool = False) -> None:
    """Open the topic in the chosen group; exactly once per question, however many presses.

    ``created``: ``q`` is the draft :meth:`Store.new_question` just returned (which also set
    the asker's conversation to this question), so it is used as it is instead of being read
    back, and needs no lock: no button offers it yet, so nothing else can be routing it."""
    store = ctx.svc.store
    uid = q.asker_id
    lock_key = questions(store).keys.question_lock(q.qid)
    token = None
    if not created:
        token = await store.lock(lock_key, ttl=30)
        if token is None:
            return  # another press is routing this question right now
    try:
        fresh = q if created else await questions(store).get_question(q.qid)
        if fresh is None or fresh.status != "draft":
            return
        if not created:  # (new_question set it for a created draft)
            await store.set_conv(uid, Conversation(step="ask:thread", data={"qid": q.qid}))
        region = ctx.profile.region if ctx.profile is not None else None
        group = await topics.post_question(
            ctx.bot, ctx.svc, fresh, region=region, groups_version=ctx.groups_version
        )
        if group is None:
            await questions(store).update_question(q.qid, status="open")
            await reply(
                update,
                ctx,
                _(
                    "I saved your question #{number}, but no group takes questions in {language} "
                    "yet. I will pass it on as soon as one does, and volunteers may still pick it up."
                ).format(number=q.qid, language=LANGUAGE_NAMES.get(fresh.lang, fresh.lang)),
            )
            await _enqueue_matching(ctx, q.qid)
            return
    finally:
        if token is not None:
            await store.unlock(lock_key, token)
    await reply(
        update,
        ctx,
        _(
            "Your question #{number} is posted in “{group}”. I will send you the answers here. "
            "Anything you write next goes to the same question; send /ask to start a new one."
        ).format(number=q.qid, group=esc(group.title)),
    )
    await _enqueue_matching(ctx, q.qid)


async def _enqueue_matching(ctx: Ctx, qid: str) -> None:
    """Helper matching; its first round also schedules the idle reminder (workers.tasks)."""
    try:
        await ctx.svc.submit(jobs.match_helpers(ctx.svc.settings, qid, 0))
    except Exception:
        # Group members still see the question in its topic; no helper is offered it.
        log.exception("could not enqueue matching for question %s", qid)


async def _follow_up(update: Update, ctx: Ctx, conv: Conversation, q: Question, text: str) -> None:
    msg = update.message
    assert msg is not None and q.group_id is not None
    store = ctx.svc.store
    group = await store.get_group(q.group_id) or Group(chat_id=q.group_id, languages=[q.lang])
    if topics.target_language(q.lang, group) == q.lang:
        # Same language: sent here, so a deleted topic can be recreated on the spot.
        sent = await topics.post_followup(ctx.bot, store, q, group, text, msg.entities)
        for s in sent:
            await store.add_relay((msg.chat_id, msg.message_id), (s.chat_id, s.message_id), q.qid)
    else:
        env = await topics.followup_envelope(store, q, group, msg)
        await deliver(ctx, env)
    await questions(store).touch_question(q.qid)
    if not conv.data.get("hinted"):
        conv.data["hinted"] = True
        await store.set_conv(msg.chat_id, conv)
        await reply(
            update,
            ctx,
            _("Added to your question #{number}. To ask something new, send /ask.").format(
                number=q.qid
            ),
        )


async def on_question_button(update: Update, ctx: Ctx) -> None:
    """``q:go:<qid>``, ``q:dup:<qid>:<solved qid>``, ``q:solve:<qid>``."""
    query = update.callback_query
    assert query is not None
    raw = query.data
    data = QuestionGo.parse(raw) or QuestionDuplicate.parse(raw) or topics.QuestionSolved.parse(raw)
    store = ctx.svc.store
    if data is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    qid = str(data.qid)
    q = await questions(store).get_question(qid)
    if q is None or q.asker_id != query.from_user.id:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if isinstance(data, QuestionGo):
        if q.status != "draft":
            await query.answer(_("Your question is already posted."))
            return
        await query.answer()
        await edit_or_send(update, ctx, _("Passing your question on…"))
        await _route(update, ctx, q)
    elif isinstance(data, QuestionDuplicate):
        if q.status != "draft":
            await query.answer(_("Your question is already posted."))
            return
        await query.answer()
        # Never posted, never numbered for the learner: the draft goes, its number is reused.
        await questions(store).discard_draft(qid, q.asker_id)
        await store.redis.hincrby(questions(store).keys.question(str(data.solved_qid)), "helped", 1)
        solved_q = await questions(store).get_question(str(data.solved_qid))
        if solved_q is not None and solved_q.status == "solved":
            await store.repo(faq.FaqStore).record_helped(solved_q, q.asker_id)
        await store.clear_conv(q.asker_id)
        await edit_or_send(
            update, ctx, _("Great, I'm glad an earlier answer helped! Ask again any time.")
        )
    else:  # solved
        if q.status == "solved":
            await query.answer(_("This question is already solved."))
            return
        await query.answer()
        await mark_solved(ctx, q)


async def mark_solved(ctx: Ctx, q: Question) -> None:
    store = ctx.svc.store
    await questions(store).update_question(q.qid, status="solved")
    await store.redis.zadd(questions(store).keys.solved, {q.qid: q.updated_at or 0})
    await topics.close_topic(ctx.bot, q, solved=True)
    await search_index(ctx).add(q.qid, q.text, q.lang, tags=q.tags)
    # A worker adds the English pivot, so learners of other languages find it too.
    await ctx.svc.submit(jobs.index_pivot(q.qid))
    conv = await store.get_conv(q.asker_id)
    if conv.step == "ask:thread" and str(conv.data.get("qid")) == q.qid:
        await store.clear_conv(q.asker_id)
    await release_helper(ctx, q)
    stats = store.repo(HelperStatsStore)
    for helper_id in await stats.answered(q.qid):
        await stats.add_solved(helper_id)
    await ctx.bot.send_message(
        q.asker_id,
        _(
            "Marked question #{number} as solved. Thank you! Your question now helps others who search."
        ).format(number=q.qid),
        reply_markup=reopen_markup(q.qid),
    )
    await ask_for_ratings(ctx.bot, store, q)


async def release_helper(ctx: Ctx, q: Question) -> None:
    """The claimer's capacity is freed when the question ends."""
    from tg_support.helpers.offers import release_claim

    await release_claim(ctx.svc.store, q.qid)


async def ask_cmd(update: Update, ctx: Ctx) -> None:
    """/ask [text]: start a new question (the next message, or the text given)."""
    if ctx.profile is None or not ctx.profile.onboarded:
        await reply(update, ctx, _("Hello! Let's set up your profile first; it takes a minute."))
        return
    uid = update.effective_user.id if update.effective_user else 0
    if ctx.args:
        await on_question_text(update, ctx, Conversation(), " ".join(ctx.args))
        return
    await ctx.svc.store.set_conv(uid, Conversation(step="ask:new"))
    await reply(update, ctx, _("What is your question? Write it in any language."))


async def myquestions_cmd(update: Update, ctx: Ctx) -> None:
    """/myquestions: the learner's questions with their status."""
    uid = update.effective_user.id if update.effective_user else 0
    mine = await questions(ctx.svc.store).user_questions(uid)
    if not mine:
        await reply(update, ctx, _("You have not asked any questions yet. Just send me one!"))
        return
    lines = [
        "<b>"
        + ngettext("Your last question", "Your last {count} questions", len(mine)).format(
            count=len(mine)
        )
        + "</b>"
    ]
    for q in mine:
        title = esc(textsplit.shorten(q.text, 80))
        lines.append(
            f"{STATUS_ICONS.get(q.status, '•')} #{q.qid} · {title} — {status_label(q.status)}"
        )
    # Ended questions the learner may still reopen, one button each (questions.reopen).
    label = _("🔄 Reopen #{number}")
    rows = [[reopen_button(q.qid, label.format(number=q.qid))] for q in mine if can_reopen(q)]
    await reply(update, ctx, "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)


async def free_message(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> bool:
    """A free message of an onboarded learner: media for their question, or a question."""
    if text is None:
        await on_media(update, ctx, conv)
    else:
        await on_question_text(update, ctx, conv, text)
    return True


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("ask", ask_cmd, filters=private),
        CommandHandler("myquestions", myquestions_cmd, filters=private),
        CallbackQueryHandler(
            on_question_button,
            pattern=callbacks.pattern(QuestionGo, QuestionDuplicate, topics.QuestionSolved),
        ),
    ]
