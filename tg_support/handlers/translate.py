"""The "Show original" / "Show translation" toggle on translated messages."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from tg_support.core.i18n import _, use_locale
from tg_support.core.services import Ctx
from tg_support.translation import delivery
from tg_support.translation.delivery import TranslationToggle


async def on_toggle(update: Update, ctx: Ctx) -> None:
    """``tr:o:<id>`` shows the original, ``tr:t:<id>`` the translation, in place."""
    query = update.callback_query
    assert query is not None
    data = TranslationToggle.parse(query.data)
    if data is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    orig_id = str(data.orig_id)
    msg = query.message
    record = await delivery.load_original(ctx.svc.redis, ctx.svc.settings.redis_prefix, orig_id)
    mapped = None
    if msg is not None:
        mapped = await ctx.svc.redis.get(
            f"{ctx.svc.settings.redis_prefix}tr:msg:{msg.chat.id}:{msg.message_id}"
        )
    if record is None or msg is None or mapped != orig_id:
        await query.answer(
            _("This button has expired. Please use the latest message."), show_alert=True
        )
        return
    show_original = data.view == "o"
    src = delivery.language_name(record["src_lang"])
    with use_locale(record["dst_lang"]):
        if show_original:
            note = "🌐 " + _("Original ({language})").format(language=src)
            back = TranslationToggle(view="t", orig_id=data.orig_id).pack()
            button = InlineKeyboardButton(_("Show translation"), callback_data=back)
            text, raw = record["original"], record["original_entities"]
        else:
            note = "🌐 " + _("Translated from {language}").format(language=src)
            show = TranslationToggle(view="o", orig_id=data.orig_id).pack()
            button = InlineKeyboardButton(_("Show original"), callback_data=show)
            text, raw = record["translation"], record["translation_entities"]
    base = InlineKeyboardMarkup.de_json(record["markup"], None) if record.get("markup") else None
    await query.answer()
    await delivery.edit_to(
        ctx.bot, msg.chat.id, msg.message_id, record["head"] + note + "\n\n", text,
        [MessageEntity.de_json(e, None) for e in raw], delivery.with_button(base, button),
    )  # fmt: skip


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [CallbackQueryHandler(on_toggle, pattern=TranslationToggle.pattern())]
