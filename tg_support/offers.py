"""Offering questions to volunteer helpers, round by round, and claiming them atomically.

A round (run by the ``match_helpers`` job) ranks candidates from the Redis indexes with
``matching.rank`` and offers the question to the best ``k`` not offered before. The round's
choice is written once (``SET NX``), so a job run twice, or re-run after a crash, offers to
the same helpers, and ``send_once`` makes each offer message go out at most once. When
nobody accepts within ``offer_timeout_seconds`` the next round runs; after
``offer_rounds`` rounds the question widens to helpers of other languages; after that the
group's admins are told.

Key patterns (``{p}`` is the prefix):

=================================  ======  ================================================
``{p}offer:round:{qid}:{n}``       string  JSON list of [helper id, off_hours] chosen in round n
``{p}offer:sent:{qid}``            set     helpers the question was offered to
``{p}offer:msg:{qid}``             hash    helper id → message id of their offer
``{p}offer:claim:{qid}``           string  the helper who accepted (SET NX: one winner)
``{p}offer:passed:{qid}``          set     helpers who passed
``{p}helping:{uid}``               string  the question a helper's private replies go to
=================================  ======  ================================================
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from tg_support import threads
from tg_support.config import Settings
from tg_support.helper_index import HelperIndex
from tg_support.i18n import LANGUAGE_NAMES, _, use_locale
from tg_support.matching import QuestionCard, rank
from tg_support.sending import send_once
from tg_support.store import Question, Store

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

    def passed(self, qid: str) -> str:
        return f"{self.p}offer:passed:{qid}"

    def helping(self, uid: int) -> str:
        return f"{self.p}helping:{uid}"


def question_card(q: Question) -> QuestionCard:
    return QuestionCard(qid=q.qid, lang=q.lang, tags=frozenset(q.tags), asker_id=q.asker_id)


def offer_markup(qid: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("✅ " + _("Accept"), callback_data=f"of:acc:{qid}"),
                # Translators: button to decline a question offered to a helper.
                InlineKeyboardButton(_("Pass"), callback_data=f"of:pass:{qid}"),
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
    keys = OfferKeys(store.keys.p)
    q = await store.get_question(qid)
    if q is None or q.status not in ("open", "answered"):
        return {"status": "closed"}
    if await store.redis.exists(keys.claim(qid)):
        return {"status": "claimed"}
    if round_no > settings.offer_rounds:
        await notify_admins(bot, store, q)
        return {"status": "escalated"}
    widen = round_no >= settings.offer_rounds
    index = HelperIndex(store.redis, prefix=store.keys.p)
    raw = await store.redis.get(keys.round(qid, round_no))
    if raw is None:
        already = {int(x) for x in await store.redis.smembers(keys.sent(qid))}
        cards = await index.candidates(question_card(q), widen=widen)
        ranked = rank(
            question_card(q), cards, now=datetime.now(UTC), k=settings.offer_batch_size,
            exclude=already, widen=widen,
        )  # fmt: skip
        choice = json.dumps([[r.helper.user_id, r.off_hours] for r in ranked])
        # The first run decides the round; a re-run (after a crash) reads the same choice.
        await store.redis.set(keys.round(qid, round_no), choice, nx=True, ex=TTL)
        raw = await store.redis.get(keys.round(qid, round_no))
    chosen = [(int(u), bool(o)) for u, o in json.loads(str(raw))]
    offered = []
    for uid, off_hours in chosen:
        if await send_offer(bot, store, q, uid, off_hours):
            offered.append(uid)
        await index.mark_offered(uid, time.time())
    from workers.tasks import match_helpers  # the job schedules its own next round

    delay = settings.offer_timeout_seconds if chosen else 1
    _schedule(
        settings, store, match_helpers, delay, f"offer-{qid}-{round_no + 1}", qid, round_no + 1
    )
    return {
        "status": "offered",
        "round": round_no,
        "helpers": [u for u, _ in chosen],
        "sent": offered,
    }


async def send_offer(bot: Bot, store: Store, q: Question, uid: int, off_hours: bool) -> bool:
    keys = OfferKeys(store.keys.p)
    locale = await _helper_locale(store, uid)

    async def send() -> Any:
        with use_locale(locale):
            msgs = await threads.send_parts(
                bot, uid, offer_head(q, off_hours), q.text, markup=offer_markup(q.qid)
            )
        return msgs[-1]

    try:
        msg_id = await send_once(store.redis, store.keys.p, f"offer:{q.qid}:{uid}", send)
    except Forbidden:
        log.info("helper blocked the bot; skipping their offer for question %s", q.qid)
        await store.set_blocked(uid, True)
        return False
    if msg_id is None:
        return False
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.hset(keys.msg(q.qid), str(uid), str(msg_id))
        pipe.sadd(keys.sent(q.qid), uid)
        pipe.expire(keys.msg(q.qid), TTL)
        pipe.expire(keys.sent(q.qid), TTL)
        await pipe.execute()
    return True


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
            ).format(number=q.qid, group=group.title if group else "")

        async def send(text: str = text, uid: int = member.user.id) -> Any:
            return await bot.send_message(uid, text)

        try:
            await send_once(store.redis, store.keys.p, f"escalate:{q.qid}:{member.user.id}", send)
        except (Forbidden, BadRequest):
            continue  # admins who never started the bot cannot be messaged


def _schedule(
    settings: Settings, store: Store, func: Any, delay: float, job_id: str, *args: Any
) -> None:
    from datetime import timedelta

    from rq import Queue

    from tg_support.redis_conn import sync_client

    assert settings.redis_url is not None
    conn = sync_client(settings.redis_url, decode_responses=False)
    try:
        Queue(settings.redis_prefix + "match", connection=conn).enqueue_in(
            timedelta(seconds=delay), func, *args, job_id=job_id
        )
    finally:
        conn.close()
