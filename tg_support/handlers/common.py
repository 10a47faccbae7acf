"""Small helpers shared by handlers: replies, keyboards, user-text hygiene."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, TelegramError

from tg_support.community import picker
from tg_support.community.course_store import CourseStore
from tg_support.core import jobs, langid
from tg_support.core.i18n import get_locale
from tg_support.core.messages import grid, keyboard
from tg_support.core.services import Ctx
from tg_support.translation.argos import PIVOT, can_translate
from tg_support.translation.delivery import Envelope, dispatch

log = logging.getLogger(__name__)

ADMIN_STATUSES = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)

__all__ = [
    "deliver", "edit_or_send", "esc", "grid", "is_admin", "keyboard", "offer_course",
    "pivot_text", "reply", "text_of",
]  # fmt: skip


def esc(text: str) -> str:
    """User-supplied text inside our HTML messages."""
    return html.escape(text, quote=False)


async def reply(
    update: Update, ctx: Ctx, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    chat = update.effective_chat
    if chat is None:
        return None
    thread = update.effective_message.message_thread_id if update.effective_message else None
    return await ctx.bot.send_message(
        chat.id,
        text,
        reply_markup=markup,
        message_thread_id=thread if chat.is_forum else None,
    )


async def edit_or_send(
    update: Update, ctx: Ctx, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Edit the message whose button was pressed; send anew when it can't be edited."""
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        try:
            edited = await query.message.edit_text(text, reply_markup=markup)
            return edited if isinstance(edited, Message) else query.message
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return query.message
    return await reply(update, ctx, text, markup)


def text_of(update: Update) -> str | None:
    msg = update.effective_message
    return msg.text if msg is not None else None


async def deliver(ctx: Ctx, env: Envelope) -> list[Message]:
    """Send an envelope now, or through a translation worker (see ``delivery.dispatch``)."""
    svc = ctx.svc
    return await dispatch(
        ctx.bot, svc.redis, svc.settings.redis_prefix, env, svc.submit,
        svc.settings.translation_timeout_seconds,
    )  # fmt: skip


async def is_admin(ctx: Ctx, chat_id: int, user_id: int) -> bool:
    try:
        member = await ctx.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        log.warning("getChatMember failed while checking admin rights", exc_info=True)
        return False
    return member.status in ADMIN_STATUSES


async def pivot_text(ctx: Ctx, text: str, lang: str) -> str | None:
    """``text`` in English when a worker translates it within the 2 s budget (for searches
    across languages); None when it is English already, no model covers it, or it is late."""
    svc = ctx.svc
    if lang == PIVOT or not await can_translate(svc.redis, svc.settings.redis_prefix, lang, PIVOT):
        return None
    try:
        owner = ctx.profile.user_id if ctx.profile else 0
        result = await svc.call(jobs.translate_text(text, lang, PIVOT, owner))
    except Exception:
        log.warning("could not translate a search query", exc_info=True)
        return None
    return str(result) if result else None


async def offer_course(
    update: Update, ctx: Ctx, queries: list[str], button: picker.Button
) -> tuple[picker.Pick, Message | None]:
    """The course picker for ``queries[0]`` (the others wait in the pick), searched with its
    English translation too; onboarding and /courses each pass their button class."""
    courses = ctx.svc.store.repo(CourseStore)
    lang = langid.detect(queries[0], langid.Priors(chosen=get_locale())).lang
    pivot = await pivot_text(ctx, queries[0], lang)
    pick = await picker.find(courses, queries[0], [pivot] if pivot else [])
    pick.rest = queries[1:]
    text, rows = picker.render(pick, await courses.catalog(), button)
    return pick, await reply(update, ctx, text, keyboard(rows))
