"""Asking a question in private chat (the question issue builds this out)."""

from __future__ import annotations

from telegram import Update

from tg_support.i18n import _
from tg_support.services import Ctx
from tg_support.store import Conversation

from .common import reply


async def on_media(update: Update, ctx: Ctx, conv: Conversation) -> None:
    """Stickers, photos, voice and other media outside a question thread."""
    await reply(
        update,
        ctx,
        _(
            "I can't read stickers, photos or voice messages yet. Please type your question as text."
        ),
    )


async def on_question_text(update: Update, ctx: Ctx, conv: Conversation, text: str) -> None:
    """A question typed by an onboarded learner."""
    await reply(update, ctx, _("Thanks! Questions are not routed yet."))
