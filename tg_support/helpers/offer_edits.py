"""The learner edited their question: the helpers who read it in private see the new text.

An offer still open is redrawn (head, the question in the helper's language, the buttons);
the helper who took the question gets the message that confirmed it redrawn; offers that
were passed on or taken by someone else say so already and stay as they are. Runs in a
worker (``refresh_offers``), because offers to helpers of other languages are translated.
"""

from __future__ import annotations

import html
import json
import logging
from typing import cast

from telegram import Bot
from telegram.error import BadRequest, Forbidden

from tg_support.config import Settings
from tg_support.core.i18n import _, use_locale
from tg_support.core.store import Store
from tg_support.helpers.membership import Membership
from tg_support.helpers.offers import OfferKeys, offer_body, offer_head, offer_markup
from tg_support.questions.store import Question, questions
from tg_support.translation.delivery import edit_to

log = logging.getLogger(__name__)


async def refresh_offers(bot: Bot, store: Store, settings: Settings, qid: str) -> int:
    """Redraw every offer of ``qid`` that still shows the question; returns how many."""
    q = await questions(store).get_question(qid)
    if q is None or q.status not in ("open", "answered"):
        return 0
    keys = OfferKeys(store.keys.p)
    sent = cast(dict[str, str], await store.redis.hgetall(keys.msg(qid)))
    passed = {str(x) for x in await store.redis.smembers(keys.passed(qid))}
    claimer = await store.redis.get(keys.claim(qid))
    off_hours = await _off_hours(store, settings, qid)
    redrawn = 0
    for helper, msg_id in sent.items():
        if helper in passed or (claimer is not None and str(claimer) != helper):
            continue
        uid = int(helper)
        profile = await store.get_profile(uid)
        locale = profile.lang if profile and profile.lang else "en"
        try:
            if claimer is None:
                body = await offer_body(store, q, uid)
                with use_locale(locale):
                    head, markup = offer_head(q, off_hours.get(uid, False)), offer_markup(qid)
                await edit_to(bot, uid, int(msg_id), head, body, [], markup)
            else:
                with use_locale(locale):
                    text = await _taken_text(bot, store, q, uid)
                await bot.edit_message_text(text, uid, int(msg_id))
            redrawn += 1
        except (BadRequest, Forbidden) as exc:
            log.info("could not redraw an offer of question %s: %s", qid, exc)
    return redrawn


async def _off_hours(store: Store, settings: Settings, qid: str) -> dict[int, bool]:
    """Whether each helper's offer said it came outside their hours (as each round chose)."""
    keys = OfferKeys(store.keys.p)
    found: dict[int, bool] = {}
    for n in range(settings.offer_rounds + 1):
        raw = await store.redis.get(keys.round(qid, n))
        for uid, off in json.loads(str(raw)) if raw else []:
            found[int(uid)] = bool(off)
    return found


async def _taken_text(bot: Bot, store: Store, q: Question, uid: int) -> str:
    """What the helper read when they took the question (handlers.helper), in HTML."""
    in_group = q.group_id is not None and await store.repo(Membership).is_member(
        bot, q.group_id, uid
    )
    if in_group:
        took = _(
            "You took question #{number}. Write your answer here and I will pass it to the "
            "learner; you can also answer in the group's topic."
        ).format(number=q.qid)
    else:
        took = _(
            "You took question #{number}. Write your answer here and I will pass it to the "
            "learner."
        ).format(number=q.qid)
    return took + "\n\n" + html.escape(q.text[:3500], quote=False)
