"""Similar solved questions shown before a question goes to the volunteers: the message.

What is shown is chosen and translated by ``questions.faq`` (the best hit alone when it is
very close; questions and answers in the reader's language, with the group's glossary). A
stored answer keeps the language its helper wrote it in (``Question.answer_lang``), which may
differ from both the question's and the reader's. When anything was translated the message
says so, with the original one tap away (the ``tr:orig`` toggle of translated messages).

Messages are plain text with entities (not HTML), so the toggle can swap the two versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity

from tg_support.core import textsplit
from tg_support.core.i18n import _
from tg_support.core.messages import bold
from tg_support.translation import delivery


@dataclass
class Suggestion:
    """The suggestion message as sent, and as written (when anything was translated)."""

    text: str
    entities: list[MessageEntity] = field(default_factory=list)
    original: str = ""
    original_entities: list[MessageEntity] = field(default_factory=list)
    src_lang: str = ""  # the language of the (first) translated text; "" if none

    @property
    def translated(self) -> bool:
        return bool(self.src_lang)


class Builder:
    """Plain text with bold entities, measured in UTF-16 as Telegram counts."""

    def __init__(self, start: str) -> None:
        self.text = start
        self.entities: list[MessageEntity] = []

    def add(self, part: str) -> None:
        self.text += part

    def bold(self, part: str) -> None:
        self.entities.append(bold(part, textsplit.u16len(self.text)))
        self.text += part


async def send(
    bot: Bot, redis: Redis, prefix: str, chat_id: int, shown: Suggestion, reader_lang: str,
    markup: InlineKeyboardMarkup, people: list[int],
) -> Message:  # fmt: skip
    """Send the list; with a translated text, say so and keep the original a tap away."""
    if not shown.translated:
        return await bot.send_message(
            chat_id, shown.text, entities=shown.entities or None, parse_mode=None,
            reply_markup=markup,
        )  # fmt: skip
    record = {
        "head": "", "src_lang": shown.src_lang, "dst_lang": reader_lang,
        "original": shown.original,
        "original_entities": delivery.entities_json(shown.original_entities),
        "translation": shown.text, "translation_entities": delivery.entities_json(shown.entities),
        "markup": markup.to_dict(), "people": [chat_id, *people],
    }  # fmt: skip
    orig_id = await delivery.keep_record(redis, prefix, record)
    note = "🌐 " + _("Translated from {language}").format(
        language=delivery.language_name(shown.src_lang)
    )
    show = delivery.TranslationToggle(view="o", orig_id=orig_id).pack()
    full = delivery.with_button(markup, InlineKeyboardButton(_("Show original"), callback_data=show))
    head = note + "\n\n"
    text, entities = textsplit.prefix(head, [bold(note)], shown.text, shown.entities)
    msg = await bot.send_message(
        chat_id, text, entities=entities, parse_mode=None, reply_markup=full
    )
    await delivery.map_message(redis, prefix, people, chat_id, msg.message_id, orig_id)
    return msg
