"""The checks at the entry of asking and of relaying (one call from each handler).

:func:`screen_question` runs before a learner's text becomes a question or a follow-up:
a removed or muted person is refused (localized), a shadow-banned one sees everything
accepted while nothing is posted, and a new question passes the gate
(:mod:`tg_support.moderation.gate`): plausibility failures go back with a request to
rephrase, link floods from new accounts and repeats are held for the admins of the group
the question would go to. :func:`screen_relay` runs before a topic post or a helper's
private answer is relayed to a learner.

Gate verdicts are counted in ``{p}mod:gate:stats`` (hash: reason → count; no user in it).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Final, Literal

from telegram import Update

from tg_support.core import langid
from tg_support.core.i18n import LANGUAGE_NAMES, _
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation
from tg_support.moderation import gate
from tg_support.moderation.actions import refusal
from tg_support.moderation.audit import AuditLog, Entry
from tg_support.moderation.reports import Held, Reports
from tg_support.moderation.sanctions import Sanctions
from tg_support.moderation.texts import esc, held_markup, held_text, send_to_admins
from tg_support.questions.routing import GroupCard, choose_group
from tg_support.questions.store import Question, questions
from tg_support.questions.tagging import question_tags

log = logging.getLogger(__name__)

RECENT_S = 7 * 86_400  # questions this recent count as repeats


@dataclass(frozen=True, slots=True)
class Screened:
    """What moderation made of a learner's text: it took it (refused, faked, sent back or
    held), the asker is to confirm it before it is posted (``confirm`` says why), or it goes
    on as usual."""

    outcome: Literal["taken", "confirm", "go"]
    confirm: str = ""  # the message asking for confirmation

    @property
    def taken(self) -> bool:
        return self.outcome == "taken"


TAKEN: Final = Screened("taken")
GO: Final = Screened("go")


async def _say(update: Update, ctx: Ctx, text: str) -> None:
    chat = update.effective_chat
    if chat is not None:
        await ctx.bot.send_message(chat.id, text)


async def _thread_question(ctx: Ctx, conv: Conversation) -> Question | None:
    """The question a text would follow up (as ``handlers.ask`` decides it)."""
    if conv.step != "ask:thread":
        return None
    q = await questions(ctx.svc.store).get_question(str(conv.data.get("qid", "")))
    return q if q is not None and q.status in ("open", "answered") and q.group_id else None


async def screen_question(update: Update, ctx: Ctx, conv: Conversation, text: str) -> Screened:
    """What moderation makes of a learner's text (see :class:`Screened`)."""
    store = ctx.svc.store
    uid = update.effective_user.id if update.effective_user else 0
    standing = await store.repo(Sanctions).standing(uid)
    if standing.restricted:
        await _say(update, ctx, refusal(standing.removed, standing.muted_until))
        return TAKEN
    if standing.shadow:
        await _shadow_question(update, ctx, conv, text)
        return TAKEN
    if await _thread_question(ctx, conv) is not None:
        return GO  # a follow-up of a question already posted
    # The draft the learner was shown suggestions or a confirmation for goes when this text
    # replaces it, so it does not make this their second question.
    pending = 1 if conv.step == "ask:suggest" and conv.data.get("qid") else 0
    verdict = gate.assess(text, await gate_context(ctx, uid, pending))
    await store.redis.hincrby(f"{store.p}mod:gate:stats", verdict.reason, 1)
    if verdict.action == "pass":
        return GO
    if verdict.action == "confirm":
        log.info("gate: asked to confirm a question (%s: %s)", verdict.reason, verdict.detail)
        return Screened("confirm", confirm_text(verdict.reason))
    if verdict.action == "rephrase":
        log.info("gate: sent back a question (%s: %s)", verdict.reason, verdict.detail)
        await _say(update, ctx, rephrase_text(verdict.reason))
        return TAKEN
    await hold(update, ctx, uid, text, verdict.reason)
    return TAKEN


def rephrase_text(reason: str) -> str:
    if reason == gate.NO_LETTERS:
        return _(
            "I could not find any words in your message. Please write your question in a "
            "sentence, in any language."
        )
    if reason == gate.TOO_SHORT:
        return _("Please describe your question in a few more words, so people can help.")
    return _(
        "This does not look like a question I can pass on. Please write it again in plain "
        "words, in any language."
    )


def confirm_text(reason: str) -> str:
    """Said before the asker confirms a doubtful question (the button follows)."""
    if reason == gate.UNKNOWN_WORDS:
        return _(
            "I don't recognise the words in your question. If it is what you meant, post it "
            "as it is with the button below; otherwise send me a clearer version, in any "
            "language."
        )
    return _(
        "Your question is very short. Helpers answer sooner when they know the course, what "
        "you tried and what went wrong. Send me a longer version, or post it as it is with "
        "the button below."
    )


async def gate_context(ctx: Ctx, uid: int, pending: int = 0) -> gate.GateContext:
    qs = questions(ctx.svc.store)
    now = time.time()
    recent = [q for q in await qs.user_questions(uid, limit=10) if q.created_at > now - RECENT_S]
    created = ctx.profile.created_at if ctx.profile and ctx.profile.created_at else now
    return gate.GateContext(
        first_question=await qs.count_user_questions(uid) <= pending,
        account_age_s=max(0.0, now - created),
        questions_last_day=sum(q.created_at > now - gate.DAY for q in recent),
        recent_fingerprints=frozenset(gate.fingerprint(q.text) for q in recent),
    )


async def route_groups(ctx: Ctx, lang: str, tags: list[str]) -> list[int]:
    """The group a question would go to; every active group when none takes it."""
    groups = await ctx.svc.store.list_groups(ctx.groups_version)
    cards = [
        GroupCard(g.chat_id, frozenset(g.languages), g.region, frozenset(g.tags), g.active)
        for g in groups
    ]
    card = choose_group(lang, tags, cards)
    return [card.chat_id] if card else [g.chat_id for g in groups if g.active]


async def hold(update: Update, ctx: Ctx, uid: int, text: str, reason: str) -> None:
    """Keep the question as a draft and ask the admins of its group to approve it."""
    store = ctx.svc.store
    lang = langid.detect(text, langid.Priors(chosen=ctx.profile.lang if ctx.profile else None)).lang
    tags = question_tags(text, ctx.profile.tags if ctx.profile else [])
    q = await questions(store).new_question(uid, text, lang, tags)
    group_ids = await route_groups(ctx, lang, tags)
    held = Held(qid=int(q.qid), asker=uid, reason=reason, group=group_ids[0] if group_ids else 0)
    await store.repo(Reports).hold(held)
    code = await store.repo(Sanctions).code(uid)
    await store.repo(AuditLog).add(
        Entry(action="held", target=code, group=held.group, question=held.qid, note=reason),
        target_hash=await store.repo(Sanctions).user_hash(uid),
    )
    sent = await send_to_admins(
        ctx.bot, store, group_ids, f"h{q.qid}",
        lambda: (held_text(held, text, code), held_markup(held.qid)),
    )  # fmt: skip
    log.info("gate: held question %s (%s) for %s admins", q.qid, reason, sent)
    await _say(
        update,
        ctx,
        _(
            "Thank you! Your question #{number} will be posted after a quick check by a "
            "moderator. I will let you know."
        ).format(number=q.qid),
    )


async def _shadow_question(update: Update, ctx: Ctx, conv: Conversation, text: str) -> None:
    """What a learner sees when their question is posted, and nothing posted."""
    store = ctx.svc.store
    uid = update.effective_user.id if update.effective_user else 0
    if conv.step == "ask:thread" and conv.data.get("shadow"):
        if not conv.data.get("hinted"):
            conv.data["hinted"] = True
            await store.set_conv(uid, conv)
            await _say(
                update,
                ctx,
                _("Added to your question #{number}. To ask something new, send /ask.").format(
                    number=conv.data.get("qid")
                ),
            )
        return
    lang = langid.detect(text, langid.Priors(chosen=ctx.profile.lang if ctx.profile else None)).lang
    tags = question_tags(text, ctx.profile.tags if ctx.profile else [])
    # A draft (numbered like any question, never posted, erased with the asker).
    q = await questions(store).new_question(uid, text, lang, tags)
    await store.set_conv(uid, Conversation(step="ask:thread", data={"qid": q.qid, "shadow": True}))
    group_ids = await route_groups(ctx, lang, tags)
    group = await store.get_group(group_ids[0]) if group_ids else None
    log.info("shadow ban: a question was accepted and dropped")
    if group is None:
        await _say(
            update,
            ctx,
            _(
                "I saved your question #{number}, but no group takes questions in {language} "
                "yet. I will pass it on as soon as one does, and volunteers may still pick it up."
            ).format(number=q.qid, language=LANGUAGE_NAMES.get(lang, lang)),
        )
        return
    await _say(
        update,
        ctx,
        _(
            "Your question #{number} is posted in “{group}”. I will send you the answers here. "
            "Anything you write next goes to the same question; send /ask to start a new one."
        ).format(number=q.qid, group=esc(group.title)),
    )


async def screen_relay(update: Update, ctx: Ctx, q: Question | None = None) -> bool:
    """True when a topic post or a helper's private answer must not reach the learner.

    In a group nothing is said (the post stays where it was written); in private chat a
    removed or muted helper is told why, a shadow-banned one sees the usual receipt."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return False
    standing = await ctx.svc.store.repo(Sanctions).standing(user.id)
    if not (standing.restricted or standing.shadow):
        return False
    if chat.type != "private":
        log.info("moderation: a topic post was not relayed")
        return True
    if standing.restricted:
        await _say(update, ctx, refusal(standing.removed, standing.muted_until))
    elif q is not None:
        await _say(
            update, ctx, _("Sent to the learner of question #{number}.").format(number=q.qid)
        )
    return True
