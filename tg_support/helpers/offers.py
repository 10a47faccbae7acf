"""Offering questions to volunteer helpers, round by round, and claiming them atomically.

A round (run by the ``match_helpers`` job) ranks candidates from the Redis indexes with
``matching.rank`` and offers the question to the best ``k`` not offered before. The round's
choice is written once (``SET NX``), so a job run twice, or re-run after a crash, offers to
the same helpers, and ``send_once`` makes each offer message go out once (a run that died
mid-send leaves a lease of ``match_job_timeout_seconds``, after which the retried job sends
it). Helpers chosen in one round are never chosen again for that question. When nobody
accepts within ``offer_timeout_seconds`` the next round runs (the job schedules it, under a
deterministic job id, through RQ's scheduler); rounds ``0 .. offer_rounds - 1`` offer to
speakers of the question's language and to helpers of other languages who share a tag with
it (their offer is translated; speakers rank first), round ``offer_rounds`` widens to every
helper of other languages, and the round after tells the group's admins. A claimed, closed or solved
question ends the chain. Earlier rounds' offers stay valid: a late Accept still claims.

Key patterns (``{p}`` is the prefix):

=================================  ======  ================================================
``{p}offer:round:{qid}:{n}``       string  JSON list of [helper id, off_hours] chosen in round n
``{p}offer:chosen:{qid}``          set     helpers chosen in any round (never chosen again)
``{p}offer:sent:{qid}``            set     helpers the question was offered to (noted in
                                           each helper's trail: /forget finds the others)
``{p}offer:msg:{qid}``             hash    helper id → message id of their offer
``{p}offer:claim:{qid}``           string  the helper who accepted (SET NX: one winner)
``{p}offer:claim:{qid}:released``  string  set once the claimer's load was given back
``{p}offer:passed:{qid}``          set     helpers who passed
``{p}helping:{uid}``               string  the question a helper's private replies go to
=================================  ======  ================================================
"""

from __future__ import annotations

import html
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any, Literal

from redis.asyncio import Redis
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from tg_support.config import Settings
from tg_support.core import jobs, trail
from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import LANGUAGE_NAMES, _, use_locale
from tg_support.core.messages import send_parts
from tg_support.core.sending import send_once, sent_message_id
from tg_support.core.store import Repository, Store
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.matching import QuestionCard, rank
from tg_support.moderation.sanctions import Sanctions
from tg_support.questions.store import Question, QuestionStore, questions

log = logging.getLogger(__name__)

TTL = 30 * 24 * 3600


class OfferKeys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix

    def round(self, qid: str, n: int) -> str:
        return f"{self.p}offer:round:{qid}:{n}"

    def sent(self, qid: str) -> str:
        return f"{self.p}offer:sent:{qid}"

    def msg(self, qid: str) -> str:
        return f"{self.p}offer:msg:{qid}"

    def claim(self, qid: str) -> str:
        return f"{self.p}offer:claim:{qid}"

    def chosen(self, qid: str) -> str:
        return f"{self.p}offer:chosen:{qid}"

    def passed(self, qid: str) -> str:
        return f"{self.p}offer:passed:{qid}"

    def helping(self, uid: int) -> str:
        return f"{self.p}helping:{uid}"


class Offers(Repository):
    """The offer keys above; what erasure needs of them."""

    def __init__(self, redis: Redis, prefix: str = "tgs:", rounds: int = 20) -> None:
        super().__init__(redis, prefix)
        self.keys = OfferKeys(prefix)
        self.rounds = rounds  # ``Settings.offer_rounds`` (the most round keys a question has)

    async def helping_question(self, uid: int) -> Question | None:
        """The question a helper is answering in private chat, if still open."""
        qid = await self.redis.get(self.keys.helping(uid))
        q = await questions_of(self).get_question(str(qid)) if qid else None
        return q if q is not None and q.status in ("open", "answered") else None

    async def erase_user(self, uid: int) -> None:
        """Every offer key of the learner's questions, and a helper's traces in the offers
        of other people's questions (found through the trail ``send_offer`` wrote): out of
        the offered, chosen and passed sets and the rounds' lists, their offer message and
        their claim (the question may be claimed by someone else again)."""
        await self.erase_questions(await questions_of(self).question_ids(uid), self.rounds)
        k = self.keys
        offered = await trail.Trail(self.redis, self.p).keys(uid, "offer:sent:")
        for qid in (key.rsplit(":", 1)[1] for key in offered):
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.srem(k.sent(qid), uid)
                pipe.srem(k.chosen(qid), uid)
                pipe.srem(k.passed(qid), uid)
                pipe.hdel(k.msg(qid), str(uid))
                await pipe.execute()
            if await self.redis.get(k.claim(qid)) == str(uid):
                await self.redis.delete(k.claim(qid), f"{k.claim(qid)}:released")
            for n in range(self.rounds + 2):
                raw = await self.redis.get(k.round(qid, n))
                if raw is None:
                    continue
                kept = [c for c in json.loads(raw) if int(c[0]) != uid]
                await self.redis.set(k.round(qid, n), json.dumps(kept), keepttl=True)
        await self.redis.delete(self.keys.helping(uid))

    async def export_user(self, uid: int) -> dict[str, Any]:
        """As a helper: the questions offered to them, and the one they answer now."""
        offered = await trail.Trail(self.redis, self.p).keys(uid, "offer:sent:")
        helping = await self.redis.get(self.keys.helping(uid))
        out: dict[str, Any] = {}
        if offered:
            out["questions_offered"] = sorted(int(key.rsplit(":", 1)[1]) for key in offered)
        if helping:
            out["answering_question"] = int(helping)
        return out

    async def erase_questions(self, qids: list[str], rounds: int) -> None:
        if not qids:
            return
        k = self.keys
        async with self.redis.pipeline(transaction=False) as pipe:
            for qid in qids:
                pipe.delete(
                    k.sent(qid), k.msg(qid), k.claim(qid), f"{k.claim(qid)}:released",
                    k.chosen(qid), k.passed(qid), *(k.round(qid, n) for n in range(rounds + 2)),
                )  # fmt: skip
            await pipe.execute()


def questions_of(repo: Repository) -> QuestionStore:
    return QuestionStore(repo.redis, repo.p)


def question_card(q: Question) -> QuestionCard:
    return QuestionCard(qid=q.qid, lang=q.lang, tags=frozenset(q.tags), asker_id=q.asker_id)


class OfferAction(CallbackData, prefix="of"):
    """``of:acc:<qid>`` / ``of:pass:<qid>``: a helper accepts or passes on an offer."""

    action: Literal["acc", "pass"]
    qid: int


def offer_markup(qid: str) -> InlineKeyboardMarkup:
    accept = OfferAction(action="acc", qid=int(qid)).pack()
    decline = OfferAction(action="pass", qid=int(qid)).pack()
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("✅ " + _("Accept"), callback_data=accept),
                # Translators: button to decline a question offered to a helper.
                InlineKeyboardButton(_("Pass"), callback_data=decline),
            ]
        ]
    )


def offer_head(q: Question, off_hours: bool) -> str:
    lines = [
        _("New question #{number} · {language}").format(
            number=q.qid, language=LANGUAGE_NAMES.get(q.lang, q.lang)
        )
    ]
    if q.tags:
        lines.append(" ".join("#" + t.replace("-", "_") for t in q.tags))
    if off_hours:
        lines.append(_("This is outside your available hours, but nobody else fits right now."))
    return "\n".join(lines) + "\n\n"


async def _helper_locale(store: Store, uid: int) -> str:
    profile = await store.get_profile(uid)
    return profile.lang if profile and profile.lang else "en"


async def offer_round(
    bot: Bot, store: Store, settings: Settings, qid: str, round_no: int
) -> dict[str, Any]:
    """One round: offer ``qid`` to the next best helpers, then schedule the next round."""
    keys = OfferKeys(store.keys.p)
    q = await questions(store).get_question(qid)
    if q is None or q.status not in ("open", "answered"):
        return {"status": "closed"}
    if q.helper_id is not None or await store.redis.exists(keys.claim(qid)):
        return {"status": "claimed"}
    if round_no > settings.offer_rounds:
        await notify_admins(bot, store, q)
        return {"status": "escalated"}
    widen = round_no >= settings.offer_rounds
    index = HelperIndex(store.redis, prefix=store.keys.p)
    raw = await store.redis.get(keys.round(qid, round_no))
    if raw is None:
        already = {int(x) for x in await store.redis.smembers(keys.chosen(qid))}
        already |= {int(x) for x in await store.redis.smembers(keys.sent(qid))}
        card = question_card(q)
        # Tag matchers of other languages come from round 0 on (their offer is translated):
        # waiting for the widened round left them out for minutes.
        cards = await index.candidates(
            card, widen=widen, exclude=already, cross_tags=settings.offer_batch_size
        )
        # Removed, shadow banned and muted helpers get no offers (moderation.sanctions).
        already |= await Sanctions(store.redis, store.keys.p).excluded(
            [c.user_id for c in cards]
        )
        ranked = rank(
            card, cards, now=datetime.now(UTC), k=settings.offer_batch_size,
            exclude=already, widen=widen,
        )  # fmt: skip
        choice = json.dumps([[r.helper.user_id, r.off_hours] for r in ranked])
        # The first run decides the round; a re-run (after a crash) reads the same choice.
        await store.redis.set(keys.round(qid, round_no), choice, nx=True, ex=TTL)
        raw = await store.redis.get(keys.round(qid, round_no))
    chosen = [(int(u), bool(o)) for u, o in json.loads(str(raw))]
    if chosen:
        async with store.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(keys.chosen(qid), *[u for u, _o in chosen])
            pipe.expire(keys.chosen(qid), TTL)
            await pipe.execute()
    offered = []
    for uid, off_hours in chosen:
        if await send_offer(bot, store, settings, q, uid, off_hours):
            offered.append(uid)
        await index.mark_offered(uid, time.time())
    # The job schedules its own next round (an empty round moves on at once).
    delay = settings.offer_timeout_seconds if chosen else 1
    schedule_round(settings, qid, round_no + 1, delay)
    return {
        "status": "offered",
        "round": round_no,
        "helpers": [u for u, _o in chosen],
        "sent": offered,
    }


def schedule_round(settings: Settings, qid: str, round_no: int, delay: float) -> None:
    jobs.schedule(settings, jobs.match_helpers(settings, qid, round_no), delay)


async def offer_body(store: Store, q: Question, uid: int) -> str:
    """The question in a language the helper reads (translated here, in the worker, when
    they do not speak the question's language), with the original below."""
    from tg_support.translation import argos as translation

    card = await HelperIndex(store.redis, prefix=store.keys.p).get(uid)
    if card is None or not card.languages or q.lang in card.languages:
        return q.text
    order = {"native": 0, "fluent": 1, "basic": 2}
    engine = translation.translator()
    for lang in sorted(card.languages, key=lambda code: order.get(card.languages[code], 3)):
        if engine.route(q.lang, lang) is None:
            continue
        cache = translation.TranslationCache(store.redis, store.keys.p)
        [res] = await translation.translate_messages(
            cache, engine, [(q.text, [])], q.lang, lang, people=[q.asker_id]
        )
        if res.translated:
            with use_locale(await _helper_locale(store, uid)):
                original = _("Original ({language}):").format(
                    language=LANGUAGE_NAMES.get(q.lang, q.lang)
                )
                note = "🌐 " + _("Translated from {language}").format(
                    language=LANGUAGE_NAMES.get(q.lang, q.lang)
                )
            return f"{note}\n\n{res.text}\n\n{original}\n{q.text}"
    return q.text


async def send_offer(
    bot: Bot, store: Store, settings: Settings, q: Question, uid: int, off_hours: bool
) -> bool:
    """Send (once) and record the offer to one helper; True when it is on their screen.

    A re-run after a crash records an offer the dead run sent but did not record; an offer
    the dead run was sending is sent again once its lease (the job timeout) is over.
    """
    keys = OfferKeys(store.keys.p)
    locale = await _helper_locale(store, uid)
    send_key = f"offer:{q.qid}:{uid}"
    body = await offer_body(store, q, uid)

    async def send() -> Any:
        with use_locale(locale):
            msgs = await send_parts(
                bot, uid, offer_head(q, off_hours), body, markup=offer_markup(q.qid)
            )
        return msgs[-1]

    try:
        msg_id = await send_once(
            store.redis, store.keys.p, send_key, send, lease=settings.match_job_timeout_seconds
        )
    except Forbidden:
        log.info("helper blocked the bot; skipping their offer for question %s", q.qid)
        await store.set_blocked(uid, True)
        return False
    if msg_id is None:
        # Sent before (by an earlier run of this job), or being sent by a concurrent run.
        msg_id = await sent_message_id(store.redis, store.keys.p, send_key)
        if msg_id is None:
            return False
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.hset(keys.msg(q.qid), str(uid), str(msg_id))
        pipe.sadd(keys.sent(q.qid), uid)
        pipe.expire(keys.msg(q.qid), TTL)
        pipe.expire(keys.sent(q.qid), TTL)
        # The question's offer keys name the helper: /forget finds them through this.
        trail.note_in(pipe, store.keys.p, [uid], [keys.sent(q.qid)], TTL)
        await pipe.execute()
    return True


async def release_claim(store: Store, qid: str) -> None:
    """The question ended (solved, closed): its claimer's capacity is freed, once."""
    keys = OfferKeys(store.keys.p)
    claimer = await store.redis.get(keys.claim(qid))
    if not claimer:
        return
    # Once per question, however many times the question is ended.
    if not await store.redis.set(f"{keys.claim(qid)}:released", "1", nx=True, ex=TTL):
        return
    await HelperIndex(store.redis, prefix=store.keys.p).release_load(int(claimer))
    if await store.redis.get(keys.helping(int(claimer))) == qid:
        await store.redis.delete(keys.helping(int(claimer)))


async def notify_admins(bot: Bot, store: Store, q: Question) -> None:
    if q.group_id is None:
        return
    group = await store.get_group(q.group_id)
    try:
        admins = await bot.get_chat_administrators(q.group_id)
    except BadRequest:
        return
    for member in admins:
        if member.user.is_bot:
            continue
        locale = await _helper_locale(store, member.user.id)
        with use_locale(locale):
            text = _(
                "Question #{number} in “{group}” has had no helper for a while. Could you "
                "look at it or ask someone who can?"
            ).format(number=q.qid, group=html.escape(group.title) if group else "")

        async def send(text: str = text, uid: int = member.user.id) -> Any:
            return await bot.send_message(uid, text)

        try:
            await send_once(store.redis, store.keys.p, f"escalate:{q.qid}:{member.user.id}", send)
        except (Forbidden, BadRequest):
            continue  # admins who never started the bot cannot be messaged
