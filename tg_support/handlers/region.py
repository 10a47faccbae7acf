"""The learner's region, chosen with buttons from /profile and the onboarding summary
(``pf:rg:*``); routing prefers a group of that region (``questions.regions``)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from tg_support.core.i18n import _
from tg_support.core.labels import region_label
from tg_support.core.services import Ctx
from tg_support.questions.regions import (
    LEARNER_REGIONS,
    NO_REGION,
    OPEN,
    RegionChoice,
    valid_choice,
)

from .common import edit_or_send, grid, keyboard


def region_keyboard(current: str | None) -> list[list[tuple[str, str]]]:
    buttons = [
        (("✅ " if r == current else "") + region_label(r), RegionChoice(region=r).pack())
        for r in LEARNER_REGIONS
    ]
    none = ("✅ " if current is None else "") + _("No preference")
    return [*grid(buttons), [(none, RegionChoice(region=NO_REGION).pack())]]


async def on_region_button(update: Update, ctx: Ctx) -> None:
    """``pf:rg:open`` draws the picker over the pressed message; a region saves it."""
    query = update.callback_query
    assert query is not None
    data = RegionChoice.parse(query.data)
    if data is None or not valid_choice(data.region):
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    profile = ctx.profile
    if profile is None or not profile.onboarded:
        await query.answer(_("You have no profile yet. Send /start to create one."), show_alert=True)
        return
    await query.answer()
    if data.region == OPEN:
        text = _(
            "Which region do you live in? Your questions go to a study group of your region "
            "when one speaks your language."
        )
        await edit_or_send(update, ctx, text, keyboard(region_keyboard(profile.region)))
        return
    profile.region = None if data.region == NO_REGION else data.region
    await ctx.svc.store.save_profile(profile)
    if profile.region is None:
        text = _("Saved. No region: any group that speaks your language can take your questions.")
    else:
        text = _("Saved. Your region: {region}.").format(region=region_label(profile.region))
    await edit_or_send(update, ctx, text)


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [CallbackQueryHandler(on_region_button, pattern=RegionChoice.pattern())]
