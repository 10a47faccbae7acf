"""The buttons of translated messages: "Show original" / "Show translation", and
"Translation looks wrong" (recorded for the admins' /translations and for calibration)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, MessageEntity, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from tg_support.core import callbacks
from tg_support.core.i18n import _, use_locale
from tg_support.core.services import Ctx
from tg_support.translation import delivery
from tg_support.translation.delivery import TranslationFlag, TranslationToggle
from tg_support.translation.flags import FlagStore


async def on_toggle(update: Update, ctx: Ctx) -> None:
    """``tr:o:<id>`` shows the original, ``tr:t:<id>`` the translation, in place."""
    query = update.callback_query
    assert query is not None
    if TranslationFlag.parse(query.data) is not None:
        await on_flag(update, ctx)
        return
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
            text, raw = record["original"], record["original_entities"]
        else:
            note = "🌐 " + _("Translated from {language}").format(language=src)
            text, raw = record["translation"], record["translation_entities"]
        row = delivery.toggle_row(data.orig_id, "t" if show_original else "o")
    base = InlineKeyboardMarkup.de_json(record["markup"], None) if record.get("markup") else None
    await query.answer()
    await delivery.edit_to(
        ctx.bot, msg.chat.id, msg.message_id, record["head"] + note + "\n\n", text,
        [MessageEntity.de_json(e, None) for e in raw], delivery.with_button(base, row),
    )  # fmt: skip


async def on_flag(update: Update, ctx: Ctx) -> None:
    """``tr:w:<id>``: the reader says this translation looks wrong; recorded once per reader."""
    query = update.callback_query
    assert query is not None
    data = TranslationFlag.parse(query.data)
    msg = query.message
    if data is None or msg is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    prefix = ctx.svc.settings.redis_prefix
    orig_id = str(data.orig_id)
    record = await delivery.load_original(ctx.svc.redis, prefix, orig_id)
    mapped = await ctx.svc.redis.get(f"{prefix}tr:msg:{msg.chat.id}:{msg.message_id}")
    if record is None or mapped != orig_id:
        # Only the message the flag was drawn on: a forged id cannot flag another's text.
        await query.answer(
            _("This button has expired. Please use the latest message."), show_alert=True
        )
        return
    fresh = await ctx.svc.store.repo(FlagStore).flag(data.orig_id, query.from_user.id, record)
    if fresh:
        await query.answer(
            _("Thank you! The group's admins will see that this translation looks wrong."),
            show_alert=True,
        )
    else:
        await query.answer(_("You have already reported this translation."))


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [
        CallbackQueryHandler(
            on_toggle, pattern=callbacks.pattern(TranslationToggle, TranslationFlag)
        )
    ]
