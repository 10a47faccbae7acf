"""Similar solved questions shown before a question goes to the volunteers.

A stored answer keeps the language its helper wrote it in (``Question.answer_lang``), which
may differ from both the question's and the reader's. An answer in another language than
the reader's is translated by a worker (``translate_text``, the bot's short budget, as the
search query's pivot is) and the message says so, with the original one tap away (the
``tr:orig`` toggle of translated messages); an answer that could not be translated in time
is shown as it is, marked with its language.

Messages are plain text with entities (not HTML), so the toggle can swap the two versions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from redis.asyncio import Redis
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity

from tg_support.core import textsplit
from tg_support.core.i18n import LANGUAGE_NAMES, _
from tg_support.core.messages import bold
from tg_support.questions.store import Question
from tg_support.translation import delivery

# (text, source language, reader language, whose text it is) → the translation or None
Translate = Callable[[str, str, str, int], Awaitable[str | None]]

QUESTION_CHARS = 300
ANSWER_CHARS = 500


@dataclass
class Shown:
    """The suggestion list as sent, and with the original answers (when any was translated)."""

    text: str
    entities: list[MessageEntity] = field(default_factory=list)
    original: str = ""
    original_entities: list[MessageEntity] = field(default_factory=list)
    src_lang: str = ""  # the language of the (first) translated answer; "" if none

    @property
    def translated(self) -> bool:
        return bool(self.src_lang)


def answer_language(q: Question) -> str:
    """Older answers were stored without their own language: the question's was the guess."""
    return q.answer_lang or q.lang


async def render(found: Sequence[Question], reader_lang: str, translate: Translate) -> Shown:
    """The list in the current locale: each question, and its answer in the reader's
    language when a worker translated it in time."""

    async def reader_version(q: Question) -> str | None:
        if not q.answer or answer_language(q) == reader_lang:
            return None
        return await translate(q.answer[:ANSWER_CHARS], answer_language(q), reader_lang, q.helper_id or 0)

    translations = await asyncio.gather(*(reader_version(q) for q in found))
    intro = _("Before I pass this on: these answered questions look similar to yours.") + "\n\n"
    shown, original = _Builder(intro), _Builder(intro)
    src = ""
    for i, (q, translated) in enumerate(zip(found, translations, strict=True), 1):
        for b in (shown, original):
            b.bold(f"{i}.")
            b.add(" " + q.text[:QUESTION_CHARS] + "\n")
        if q.answer:
            answer = q.answer[:ANSWER_CHARS]
            lang = answer_language(q)
            original.add("   → " + answer + "\n")
            if translated:
                src = src or lang
                shown.add("   → 🌐 " + translated + "\n")
            elif lang != reader_lang:
                # Not translated in time: said plainly, in the reader's language.
                mark = _("Original ({language}):").format(language=LANGUAGE_NAMES.get(lang, lang))
                shown.add(f"   → {mark} {answer}\n")
            else:
                shown.add("   → " + answer + "\n")
        for b in (shown, original):
            b.add("\n")
    return Shown(shown.text.strip(), shown.entities, original.text.strip(), original.entities, src)


class _Builder:
    def __init__(self, start: str) -> None:
        self.text = start
        self.entities: list[MessageEntity] = []

    def add(self, part: str) -> None:
        self.text += part

    def bold(self, part: str) -> None:
        self.entities.append(bold(part, textsplit.u16len(self.text)))
        self.text += part


async def send(
    bot: Bot, redis: Redis, prefix: str, chat_id: int, shown: Shown, reader_lang: str,
    markup: InlineKeyboardMarkup, people: list[int],
) -> Message:  # fmt: skip
    """Send the list; with a translated answer, say so and keep the original a tap away."""
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
