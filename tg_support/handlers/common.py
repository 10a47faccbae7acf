"""Small helpers shared by handlers: replies, keyboards, user-text hygiene."""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from tg_support.core.services import Ctx
from tg_support.translation.delivery import Envelope, dispatch


def esc(text: str) -> str:
    """User-supplied text inside our HTML messages."""
    return html.escape(text, quote=False)


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, callback_data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def grid(buttons: Sequence[tuple[str, str]], cols: int = 2) -> list[list[tuple[str, str]]]:
    return [list(buttons[i : i + cols]) for i in range(0, len(buttons), cols)]


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
        ctx.bot, svc.redis, svc.settings.redis_prefix, env, svc.enqueue,
        svc.settings.translation_timeout_seconds,
    )  # fmt: skip
