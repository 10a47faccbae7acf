"""Relaying a question's thread both ways, and propagating edits to every copy."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import BaseHandler, MessageHandler, filters

from tg_support.core import jobs, langid, textsplit
from tg_support.core.i18n import _, use_locale
from tg_support.core.messages import send_parts
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation
from tg_support.helpers.offers import Offers
from tg_support.helpers.stats import HelperStatsStore
from tg_support.moderation.screen import screen_relay
from tg_support.questions import topics
from tg_support.questions.store import Question, questions
from tg_support.translation.delivery import entities_json

from .common import deliver, reply

log = logging.getLogger(__name__)


async def _learner_locale(ctx: Ctx, q: Question) -> str:
    profile = await ctx.svc.store.get_profile(q.asker_id)
    return profile.lang if profile and profile.lang else q.lang


async def from_topic(update: Update, ctx: Ctx) -> None:
    """A member wrote in a question's topic: the learner receives it as an answer."""
    msg, user = update.message, update.effective_user
    if msg is None or user is None or msg.message_thread_id is None:
        return
    store = ctx.svc.store
    qid = await questions(store).question_for_topic(msg.chat_id, msg.message_thread_id)
    q = await questions(store).get_question(qid) if qid else None
    if q is None or q.asker_id == user.id or q.status in ("draft",):
        return  # not one of ours, or the learner writing in their own topic
    if await screen_relay(update, ctx):
        return  # removed, muted or shadow banned: not relayed
    if await relay_answer(ctx, q, msg, user.id):
        await _answered(ctx, q, user.id, msg)


async def _answered(ctx: Ctx, q: Question, helper_id: int, msg: Message) -> None:
    store = ctx.svc.store
    # The language the helper wrote in, not the question's: the answer is shown again to
    # learners of similar questions, translated from it (questions.suggestions), and its
    # board credits the helper (an English answer to a Spanish question counts on the
    # English board as well as on the Spanish one).
    helper = await store.get_profile(helper_id)
    body = msg.text or msg.caption or ""
    answer_lang = (
        langid.detect(body, langid.Priors(chosen=helper.lang if helper else None)).lang
        if body.strip()
        else (helper.lang if helper and helper.lang else q.lang)
    )
    values: dict[str, object] = {"answer": body[:2000], "answer_lang": answer_lang}
    if q.status == "open":
        values["status"] = "answered"
    if q.helper_id is None:
        values["helper_id"] = helper_id
    await questions(store).update_question(q.qid, **values)
    await questions(store).touch_question(q.qid)
    await store.repo(HelperStatsStore).record_answer(q.qid, helper_id, q.lang, answer_lang)


async def answer_from_private(update: Update, ctx: Ctx, q: Question, msg: Message) -> None:
    """A helper answers in private chat: the learner gets it, and the topic shows it too."""
    store = ctx.svc.store
    helper_id = msg.from_user.id if msg.from_user else 0
    delivered = await relay_answer(ctx, q, msg, helper_id)
    copies: list[tuple[int, int]] = []
    if q.group_id is not None and q.thread_id is not None and msg.text:
        group = await store.get_group(q.group_id)
        with use_locale(topics.group_locale(group)):
            head = (
                _("{helper} answered:").format(helper=await topics.helper_label(store, helper_id))
                + "\n"
            )
        try:
            posted = await send_parts(
                ctx.bot, q.group_id, head, msg.text, msg.entities, thread_id=q.thread_id
            )
            copies += [(m.chat_id, m.message_id) for m in posted]
        except BadRequest as exc:
            log.info("could not mirror a private answer into the topic: %s", exc.message)
    for copy in copies:
        await store.add_relay((msg.chat_id, msg.message_id), copy, q.qid)
    if delivered:
        await _answered(ctx, q, helper_id, msg)
        await reply(
            update, ctx, _("Sent to the learner of question #{number}.").format(number=q.qid)
        )


async def relay_answer(ctx: Ctx, q: Question, msg: Message, helper_id: int) -> bool:
    """A helper's message to the learner (translated by a worker when their languages
    differ); copies are recorded for edits. False when it could not be delivered."""
    bot, store = ctx.bot, ctx.svc.store
    locale = await _learner_locale(ctx, q)
    try:
        if msg.text:
            helper = await store.get_profile(helper_id)
            src = langid.detect(
                msg.text, langid.Priors(chosen=helper.lang if helper else None)
            ).lang
            env = await topics.answer_envelope(store, q, helper_id, msg, locale, src)
            await deliver(ctx, env)
            return True
        if msg.effective_attachment is not None and not msg.sticker:
            with use_locale(locale):
                head = _("{helper} answered your question #{number}:").format(
                    helper=await topics.helper_label(store, helper_id), number=q.qid
                )
                caption, ents = textsplit.prefix(
                    head + "\n", [], msg.caption or "", msg.caption_entities
                )
                copy = await bot.copy_message(
                    q.asker_id,
                    msg.chat_id,
                    msg.message_id,
                    caption=caption[:1024],
                    caption_entities=[e for e in ents if e.offset + e.length <= 1024] or None,
                    parse_mode=None,
                    reply_markup=topics.answer_markup(q.qid),
                )
            await store.add_relay(
                (msg.chat_id, msg.message_id), (q.asker_id, copy.message_id), q.qid
            )
            return True
    except Forbidden:
        log.info("learner of question %s blocked the bot; answer kept in the topic", q.qid)
        await store.set_blocked(q.asker_id, True)
    return False


async def edited(update: Update, ctx: Ctx) -> None:
    """An edit on either side is applied to the copies we made of that message."""
    msg = update.edited_message
    if msg is None or await screen_relay(update, ctx):
        return  # (a sanctioned author's edits do not reach the copies either)
    store = ctx.svc.store
    copies = await store.relay_copies(msg.chat_id, msg.message_id)
    for chat_id, msg_id, qid in copies:
        q = await questions(store).get_question(qid)
        if q is None:
            continue
        orig_id = await store.redis.get(f"{store.keys.p}tr:msg:{chat_id}:{msg_id}")
        if orig_id is not None and msg.text is not None:
            # A translated copy: a worker translates the new text and edits it.
            await ctx.svc.submit(
                jobs.retranslate(str(orig_id), chat_id, msg_id, msg.text, entities_json(msg.entities))
            )
            continue
        try:
            if chat_id == q.asker_id:
                locale = await _learner_locale(ctx, q)
                helper_id = msg.from_user.id if msg.from_user else 0
                with use_locale(locale):
                    head = (
                        _("{helper} answered your question #{number}:").format(
                            helper=await topics.helper_label(store, helper_id), number=q.qid
                        )
                        + "\n"
                    )
                    markup = topics.answer_markup(q.qid)
            else:
                group = await store.get_group(chat_id)
                code = await topics.pseudonym_code(store, "L", q.qid, q.asker_id)
                with use_locale(topics.group_locale(group)):
                    head = topics.learner_head(code)
                markup = None
            body = msg.text if msg.text is not None else msg.caption
            if body is None:
                continue
            ents = msg.entities if msg.text is not None else msg.caption_entities
            full, full_ents = textsplit.prefix(head, [], body, ents)
            if msg.text is not None:
                await ctx.bot.edit_message_text(
                    full[: textsplit.LIMIT], chat_id, msg_id, entities=full_ents or None,
                    parse_mode=None, reply_markup=markup,
                )  # fmt: skip
            else:
                await ctx.bot.edit_message_caption(
                    chat_id, msg_id, caption=full[:1024], caption_entities=full_ents or None,
                    parse_mode=None, reply_markup=markup,
                )  # fmt: skip
        except BadRequest as exc:
            log.info("could not propagate an edit of question %s: %s", qid, exc.message)


async def helper_answer(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> bool:
    """A helper's private message answers the question they took, if they have one (not
    while they are asking a question of their own)."""
    profile = ctx.profile
    msg = update.message
    if text is None or profile is None or not profile.is_helper or msg is None:
        return False
    if (conv.step or "").startswith("ask"):
        return False
    q = await ctx.svc.store.repo(Offers).helping_question(profile.user_id)
    if q is None:
        return False
    if await screen_relay(update, ctx, q):
        return True
    await answer_from_private(update, ctx, q, msg)
    return True


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    """Replies in a question's forum topic reach the learner; edits follow in both places."""
    groups = filters.ChatType.GROUPS
    return [
        MessageHandler(
            groups & filters.UpdateType.MESSAGE & filters.IS_TOPIC_MESSAGE & ~filters.COMMAND,
            from_topic,
        ),
        MessageHandler(groups & filters.UpdateType.EDITED_MESSAGE, edited),
    ]
