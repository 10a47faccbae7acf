"""A question's thread: its forum topic, the posts in it and the copies sent to the learner.

Used by the bot's handlers and by workers alike; every function takes the ``Bot`` (built
with the shared rate limiter) and the ``Store``, never a handler context.

Privacy: nothing here sends a learner's id, name or username to a group or a helper; they
appear as a per-question pseudonym derived from a secret kept in Redis.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity
from telegram.error import BadRequest

from tg_support.core import jobs
from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import LANGUAGE_NAMES, LOCALES, _, use_locale
from tg_support.core.messages import send_parts
from tg_support.core.services import Services
from tg_support.core.store import Group, Store
from tg_support.ops.stats import HealthStats
from tg_support.questions.routing import GroupCard, choose_group
from tg_support.questions.store import Question, questions
from tg_support.translation.delivery import Envelope, dispatch, entities_json

log = logging.getLogger(__name__)

TITLE_LIMIT = 128
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: people read these aloud


async def _secret(store: Store) -> bytes:
    key = questions(store).keys.pseudonym_secret
    value = store.constants.get(key)
    if value is None:
        # Set if absent and read back, in one round trip; it never changes afterwards.
        async with store.redis.pipeline(transaction=False) as pipe:
            pipe.set(key, secrets.token_hex(32), nx=True)
            pipe.get(key)
            _, raw = await pipe.execute()
        value = store.constants[key] = str(raw)
    return value.encode()


async def pseudonym_code(store: Store, role: str, qid: str, user_id: int) -> str:
    digest = hmac.new(
        await _secret(store), f"{role}:{qid}:{user_id}".encode(), hashlib.sha256
    ).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:4])


async def helper_label(store: Store, helper_id: int) -> str:
    """How a helper is shown to others, the same everywhere (answers, topic copies, rating
    prompts, leaderboards): the first name they chose to show, else one public pseudonym
    per helper, in the current locale."""
    profile = await store.get_profile(helper_id)
    if profile is not None and profile.show_name and profile.display_name:
        return profile.display_name
    code = await pseudonym_code(store, "P", "public", helper_id)
    return _("Helper {code}").format(code=code)


def learner_head(code: str) -> str:
    """``Learner AB12 (asker):`` in the current locale, the first line of a follow-up."""
    return _("{pseudonym} (asker):").format(pseudonym=_("Learner {code}").format(code=code)) + "\n"


def group_locale(group: Group | None) -> str:
    for lang in group.languages if group else []:
        if lang in LOCALES:
            return lang
    return "en"


def short_title(qid: str, text: str) -> str:
    """``#12 · first words…``, at most 128 characters, cut at a word."""
    head = f"#{qid} · "
    body = " ".join(text.split())
    room = TITLE_LIMIT - len(head)
    if len(body) > room:
        body = body[: room - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
    return head + body


def question_header(q: Question, learner_code: str) -> str:
    """In the group's locale (set by the caller)."""
    language = LANGUAGE_NAMES.get(q.lang, q.lang)
    lines = [
        _("Question #{number} · {language}").format(number=q.qid, language=language),
        _("From: {pseudonym}").format(pseudonym=_("Learner {code}").format(code=learner_code)),
    ]
    if q.tags:
        lines.append(" ".join("#" + t.replace("-", "_") for t in q.tags))
    return "\n".join(lines) + "\n\n"


async def open_topic(
    bot: Bot, store: Store, q: Question, group: Group, *, post: bool = True
) -> int:
    """Create the question's topic (and post the question unless the caller will, e.g.
    through a translation worker); returns the thread id."""
    with use_locale(group_locale(group)):
        topic = await bot.create_forum_topic(group.chat_id, name=short_title(q.qid, q.text))
        thread_id = topic.message_thread_id
        await questions(store).attach_topic(q.qid, group.chat_id, thread_id, topic.name)
        await store.repo(HealthStats).asked(q.qid, group.chat_id, q.lang)
        if post:  # (the pseudonym is only needed for the post)
            learner = await pseudonym_code(store, "L", q.qid, q.asker_id)
            await send_parts(
                bot, group.chat_id, question_header(q, learner), q.text, thread_id=thread_id
            )
    return thread_id


async def post_followup(
    bot: Bot, store: Store, q: Question, group: Group, text: str, entities: Sequence[MessageEntity]
) -> list[Message]:
    """A learner's follow-up into the topic; a deleted topic is recreated, not retried forever."""
    learner = await pseudonym_code(store, "L", q.qid, q.asker_id)
    with use_locale(group_locale(group)):
        head = learner_head(learner)
    assert q.group_id is not None
    try:
        return await send_parts(bot, q.group_id, head, text, entities, thread_id=q.thread_id)
    except BadRequest as exc:
        if (
            "thread not found" not in exc.message.lower()
            and "topic_deleted" not in exc.message.lower()
        ):
            raise
        log.info("topic of question %s is gone; recreating it", q.qid)
        thread_id = await open_topic(bot, store, q, group)
        return await send_parts(bot, q.group_id, head, text, entities, thread_id=thread_id)


class QuestionSolved(CallbackData, prefix="q:solve"):
    """``q:solve:<qid>``: the learner says an answer solved their question."""

    qid: int


def answer_markup(qid: str) -> InlineKeyboardMarkup:
    data = QuestionSolved(qid=int(qid)).pack()
    return InlineKeyboardMarkup(
        # Translators: button the learner taps when an answer solved their question.
        [[InlineKeyboardButton("✅ " + _("Solved"), callback_data=data)]]
    )


def target_language(lang: str, group: Group | None) -> str:
    """The language a post in the group should be in: the question's, if the group speaks it."""
    if group is not None and lang in group.languages:
        return lang
    return group_locale(group)


async def question_envelope(store: Store, q: Question, group: Group, thread_id: int) -> Envelope:
    learner = await pseudonym_code(store, "L", q.qid, q.asker_id)
    with use_locale(group_locale(group)):
        head = question_header(q, learner)
    return Envelope(
        key=f"post:{q.qid}:{group.chat_id}:{thread_id}",
        chat_id=group.chat_id,
        thread_id=thread_id,
        head=head,
        text=q.text,
        src_lang=q.lang,
        dst_lang=target_language(q.lang, group),
        # The asker's message is edited into the post (questions.edits).
        relay=[q.asker_id, q.src_msg, q.qid] if q.src_msg else None,
        people=[q.asker_id],
        requires=questions(store).keys.question(q.qid),
    )


async def followup_envelope(store: Store, q: Question, group: Group, msg: Message) -> Envelope:
    learner = await pseudonym_code(store, "L", q.qid, q.asker_id)
    with use_locale(group_locale(group)):
        head = learner_head(learner)
    assert q.group_id is not None
    return Envelope(
        key=f"fu:{q.qid}:{msg.chat_id}:{msg.message_id}",
        chat_id=q.group_id,
        thread_id=q.thread_id,
        head=head,
        text=msg.text or "",
        entities=entities_json(msg.entities),
        src_lang=q.lang,
        dst_lang=target_language(q.lang, group),
        relay=[msg.chat_id, msg.message_id, q.qid],
        people=[q.asker_id],
        requires=questions(store).keys.question(q.qid),
    )


async def answer_envelope(
    store: Store, q: Question, helper_id: int, msg: Message, learner_locale: str, src_lang: str,
    *, show_name: str | None = None,
) -> Envelope:  # fmt: skip
    """An answer for the learner, under the helper's pseudonym (or name, if they chose)."""
    with use_locale(learner_locale):
        who = show_name or await helper_label(store, helper_id)
        head = (
            _("{helper} answered your question #{number}:").format(helper=who, number=q.qid) + "\n"
        )
        markup = answer_markup(q.qid).to_dict()
    return Envelope(
        key=f"ans:{q.qid}:{msg.chat_id}:{msg.message_id}",
        chat_id=q.asker_id,
        head=head,
        text=msg.text or "",
        entities=entities_json(msg.entities),
        src_lang=src_lang,
        dst_lang=learner_locale,
        markup=markup,
        relay=[msg.chat_id, msg.message_id, q.qid],
        people=[q.asker_id, helper_id],
        requires=questions(store).keys.question(q.qid),
    )


async def close_topic(bot: Bot, q: Question, *, solved: bool) -> None:
    if q.group_id is None or q.thread_id is None:
        return
    try:
        if solved:
            name = ("✅ " + (q.title or short_title(q.qid, q.text)))[:TITLE_LIMIT]
            await bot.edit_forum_topic(q.group_id, q.thread_id, name=name)
        await bot.close_forum_topic(q.group_id, q.thread_id)
    except BadRequest as exc:
        # Already closed or deleted by a moderator: the question's state is what matters.
        log.info("could not close the topic of question %s: %s", q.qid, exc.message)


async def post_question(
    bot: Bot, svc: Services, q: Question, *, region: str | None = None,
    groups_version: str | None = None,
) -> Group | None:  # fmt: skip
    """Open ``q``'s topic in the group routing picks and post it there, its translated copies
    through the one sender; a worker renames the topic into the group's language (the list of
    topics shows titles only). None, and nothing sent, when no group takes its language."""
    groups = await svc.store.list_groups(groups_version)
    cards = [
        GroupCard(g.chat_id, frozenset(g.languages), g.region, frozenset(g.tags), g.active)
        for g in groups
    ]
    card = choose_group(q.lang, q.tags, cards, region=region)
    if card is None:
        return None
    group = next(g for g in groups if g.chat_id == card.chat_id)
    thread_id = await open_topic(bot, svc.store, q, group, post=False)
    env = await question_envelope(svc.store, q, group, thread_id)
    await dispatch(
        bot, svc.redis, svc.settings.redis_prefix, env, svc.submit,
        svc.settings.translation_timeout_seconds,
    )  # fmt: skip
    if target_language(q.lang, group) != q.lang:
        await svc.submit(jobs.translate_topic_title(q.qid))
    return group
