"""The "Show original" / "Show translation" toggle on translated messages."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from tg_support.core import callbacks
from tg_support.core.i18n import _, use_locale
from tg_support.core.services import Ctx
from tg_support.translation import delivery


async def on_toggle(update: Update, ctx: Ctx) -> None:
    """``tr:o:<id>`` shows the original, ``tr:t:<id>`` the translation, in place."""
    query = update.callback_query
    assert query is not None
    parts = callbacks.parse(query.data)
    if parts is None or len(parts) != 3 or parts[1] not in ("o", "t") or not parts[2].isdigit():
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    msg = query.message
    record = await delivery.load_original(ctx.svc.redis, ctx.svc.settings.redis_prefix, parts[2])
    mapped = None
    if msg is not None:
        mapped = await ctx.svc.redis.get(
            f"{ctx.svc.settings.redis_prefix}tr:msg:{msg.chat.id}:{msg.message_id}"
        )
    if record is None or msg is None or mapped != parts[2]:
        await query.answer(
            _("This button has expired. Please use the latest message."), show_alert=True
        )
        return
    show_original = parts[1] == "o"
    src = delivery.language_name(record["src_lang"])
    with use_locale(record["dst_lang"]):
        if show_original:
            note = "🌐 " + _("Original ({language})").format(language=src)
            button = InlineKeyboardButton(_("Show translation"), callback_data=f"tr:t:{parts[2]}")
            text, raw = record["original"], record["original_entities"]
        else:
            note = "🌐 " + _("Translated from {language}").format(language=src)
            button = InlineKeyboardButton(_("Show original"), callback_data=f"tr:o:{parts[2]}")
            text, raw = record["translation"], record["translation_entities"]
    base = InlineKeyboardMarkup.de_json(record["markup"], None) if record.get("markup") else None
    await query.answer()
    await delivery.edit_to(
        ctx.bot, msg.chat.id, msg.message_id, record["head"] + note + "\n\n", text,
        [MessageEntity.de_json(e, None) for e in raw], delivery.with_button(base, button),
    )  # fmt: skip


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [CallbackQueryHandler(on_toggle, pattern=r"^tr:")]
