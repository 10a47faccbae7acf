"""Recognition: /card, a helper's badge card (name or pseudonym, badges, questions solved,
languages, events attended) rendered in their language and sent as a photo they can share,
with the monthly spotlight's opt-in under it; a learner's thank-you note after rating an
answer (step ``ty:note``), delivered to the helper translated; scheduling the spotlight.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal, cast

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from tg_support.community import recognition
from tg_support.community.badge_card import CardData, render
from tg_support.community.event_store import EventStore
from tg_support.community.recognition import RecognitionStore
from tg_support.core import jobs, langid
from tg_support.core.callbacks import CallbackData, parse_any
from tg_support.core.i18n import _, get_locale, use_locale
from tg_support.core.services import Ctx, Services
from tg_support.core.store import Conversation
from tg_support.helpers import reputation
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.ratings import ThankYou
from tg_support.helpers.stats import HelperStatsStore
from tg_support.questions.store import questions
from tg_support.questions.topics import helper_label
from tg_support.translation.delivery import Envelope

from ..common import deliver, edit_or_send, keyboard, reply
from ..steps import StepHandler


class SpotlightChoice(CallbackData, prefix="rc:spot"):
    """``rc:spot:on|off``: appear in the groups' monthly helper spotlight, or not."""

    choice: Literal["on", "off"]


def _spot_rows(on: bool) -> list[list[tuple[str, str]]]:
    if on:
        return [[(_("🌟 In the monthly spotlight: leave it"), SpotlightChoice(choice="off").pack())]]
    return [[(_("🌟 Appear in the monthly spotlight"), SpotlightChoice(choice="on").pack())]]


async def card_cmd(update: Update, ctx: Ctx) -> None:
    """/card: the badge card as a photo."""
    profile = ctx.profile
    if profile is None or not profile.onboarded or not profile.is_helper:
        await reply(update, ctx, _("This is for volunteer helpers. Send /helper to become one."))
        return
    store = ctx.svc.store
    stats = await store.repo(HelperStatsStore).read(profile.user_id)
    helper = await store.repo(HelperIndex).get(profile.user_id)
    languages = list(helper.languages) if helper is not None else [profile.lang or get_locale()]
    data = CardData(
        name=await helper_label(store, profile.user_id), solved=stats.solved, helpful=stats.helpful,
        events=await store.repo(EventStore).attended(profile.user_id),
        badges=reputation.badges(stats), languages=languages,
    )  # fmt: skip
    png = await asyncio.to_thread(render, data, get_locale())
    chat = update.effective_chat
    assert chat is not None
    on = await store.repo(RecognitionStore).in_spotlight(profile.user_id)
    await ctx.bot.send_photo(
        chat.id, InputFile(png, filename="badge-card.png"),
        caption=_("Your helper card. Forward it or save it to share it."),
        reply_markup=keyboard(_spot_rows(on)),
    )  # fmt: skip


async def on_button(update: Update, ctx: Ctx) -> None:
    """``rc:spot:on|off`` and ``ty:<qid>:<i>``."""
    query = update.callback_query
    assert query is not None
    data = cast(SpotlightChoice | ThankYou | None, parse_any(query.data, SpotlightChoice, ThankYou))
    profile = ctx.profile
    if data is None or profile is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    store = ctx.svc.store
    if isinstance(data, SpotlightChoice):
        if not profile.is_helper:
            await query.answer(_("This is for volunteer helpers. Send /helper to become one."), show_alert=True)
            return
        await store.repo(RecognitionStore).set_spotlight(profile.user_id, data.choice == "on")
        await query.answer(
            _("You will appear in the monthly spotlight of the groups where you helped.") if data.choice == "on"
            else _("You will not appear in the monthly spotlight."),
            show_alert=True,
        )  # fmt: skip
        if query.message is not None:
            await query.edit_message_reply_markup(keyboard(_spot_rows(data.choice == "on")))
        return
    helper = await _rated_helper(ctx, profile.user_id, str(data.qid), data.index)
    if helper is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if await store.repo(RecognitionStore).note_sent(str(data.qid), helper):
        await query.answer(_("You already sent a thank-you note for this answer."), show_alert=True)
        return
    await query.answer()
    await store.set_conv(profile.user_id, Conversation(step="ty:note", data={"qid": str(data.qid), "index": data.index}))
    await edit_or_send(update, ctx, _("Write your thank-you note. It reaches the helper in their language, without your name."))


async def _rated_helper(ctx: Ctx, uid: int, qid: str, index: int) -> int | None:
    """The helper the learner ``uid`` rated on their question ``qid``; None for a forged or
    foreign button."""
    q = await questions(ctx.svc.store).get_question(qid)
    if q is None or q.asker_id != uid:
        return None
    stats = ctx.svc.store.repo(HelperStatsStore)
    helper = await stats.answerer_at(qid, index)
    if helper is None or not await ctx.svc.redis.hexists(stats.keys.rated(qid), str(helper)):
        return None
    return helper


async def on_note(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """``ty:note``: the note, sent to the helper through a translation envelope."""
    profile = ctx.profile
    if profile is None:
        return
    note = " ".join((text or "").split())[: recognition.MAX_NOTE]
    if not note:
        await reply(update, ctx, _("I can only read text here. Please type your answer."))
        return
    store = ctx.svc.store
    qid, index = str(conv.data.get("qid") or ""), int(conv.data.get("index") or 0)
    helper = await _rated_helper(ctx, profile.user_id, qid, index)
    await store.clear_conv(profile.user_id)
    if helper is None or not await store.repo(RecognitionStore).claim_note(qid, helper):
        await reply(update, ctx, _("You already sent a thank-you note for this answer."))
        return
    helper_profile = await store.get_profile(helper)
    dst = (helper_profile.lang if helper_profile else None) or "en"
    src = langid.detect(note, langid.Priors(chosen=profile.lang)).lang
    with use_locale(dst):
        head = _("💌 A thank-you note from the learner you helped with question #{number}:").format(number=qid) + "\n\n"
    await deliver(ctx, Envelope(key=f"ty:{qid}:{helper}", chat_id=helper, text=note, src_lang=src, dst_lang=dst, head=head))
    await reply(update, ctx, _("💌 Sent. Thank you for thanking them!"))


async def schedule_spotlight(services: Services) -> None:
    """Next month's spotlight (a job per month: scheduling it again changes nothing)."""
    now = time.time()
    due = recognition.next_month_start(now)
    await services.submit(jobs.spotlight(recognition.month_of(due)), delay=due - now)


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [
        CommandHandler("card", card_cmd, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_button, pattern=r"^(?:rc:spot|ty)(?::|$)"),
    ]


STEPS: dict[str, StepHandler] = {"ty:note": on_note}
