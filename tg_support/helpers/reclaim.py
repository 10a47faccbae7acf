"""A reopened question goes back to the helper who had taken it.

Ending the question gave their capacity back (``offers.release_claim``) and dropped the
pointer that sends their private messages to it. Reopening takes the capacity again, when
they have room, and points their private messages at the question again, unless they are
answering another one; either way they are told in their language.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import BadRequest, Forbidden

from tg_support.core.i18n import _, use_locale
from tg_support.core.store import Store
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.offers import TTL, OfferKeys
from tg_support.questions.store import Question

log = logging.getLogger(__name__)


async def restore_claim(bot: Bot, store: Store, q: Question) -> int | None:
    """The claimer of ``q`` (None if nobody had taken it), told it is open again."""
    keys = OfferKeys(store.keys.p)
    raw = await store.redis.get(keys.claim(q.qid))
    if not raw:
        return None
    uid = int(raw)
    released = f"{keys.claim(q.qid)}:released"
    # Only a released claim takes capacity again (a second reopen press cannot take twice).
    took = bool(await store.redis.exists(released)) and await store.repo(
        HelperIndex
    ).try_take_load(uid)
    if took:
        await store.redis.delete(released)
        await store.redis.set(keys.helping(uid), q.qid, ex=TTL, nx=True)
    profile = await store.get_profile(uid)
    with use_locale(profile.lang if profile and profile.lang else "en"):
        if took:
            text = _(
                "The learner reopened question #{number}, which you took: it still needs help. "
                "Write here to answer them."
            ).format(number=q.qid)
        else:
            text = _(
                "The learner reopened question #{number}, which you took: it still needs help. "
                "You are at your capacity, so I will not send you their messages here."
            ).format(number=q.qid)
    try:
        await bot.send_message(uid, text)
    except (BadRequest, Forbidden) as exc:
        log.info("could not tell the helper of question %s that it reopened: %s", q.qid, exc)
    return uid
