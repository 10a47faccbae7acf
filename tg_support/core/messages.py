"""Building messages: inline keyboards, and one long text sent as Telegram messages (a bold
head, split at Telegram's limit)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity

from tg_support.core import textsplit


def bold(text: str, offset: int = 0) -> MessageEntity:
    return MessageEntity(MessageEntity.BOLD, offset, textsplit.u16len(text))


async def send_parts(
    bot: Bot,
    chat_id: int,
    head: str,
    text: str,
    entities: Sequence[MessageEntity] = (),
    *,
    thread_id: int | None = None,
    markup: InlineKeyboardMarkup | None = None,
) -> list[Message]:
    """Send ``head`` (bold) + text, split at Telegram's limit; buttons go on the last part."""
    full, ents = textsplit.prefix(head, [bold(head.rstrip())], text, entities)
    parts = textsplit.split(full, ents)
    sent = []
    for i, (chunk, chunk_ents) in enumerate(parts):
        sent.append(
            await bot.send_message(
                chat_id,
                chunk,
                entities=chunk_ents or None,
                parse_mode=None,
                message_thread_id=thread_id,
                reply_markup=markup if i == len(parts) - 1 else None,
            )
        )
    return sent


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, callback_data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def grid(buttons: Sequence[tuple[str, str]], cols: int = 2) -> list[list[tuple[str, str]]]:
    return [list(buttons[i : i + cols]) for i in range(0, len(buttons), cols)]
