"""/faq: answers that solved questions for several learners, per group, in the reader's
language (translated by a worker, with the group's glossary)."""

from __future__ import annotations

from telegram import Chat, Update
from telegram.ext import BaseHandler, CommandHandler

from tg_support.core.i18n import LOCALES, _, get_locale, ngettext, use_locale
from tg_support.core.services import Ctx
from tg_support.questions.faq import MIN_HELPED, FaqStore, faq_text
from tg_support.questions.routing import GroupCard, choose_group

from .common import reply

MAX_GROUPS = 3  # in private chat: the learner's group first, then others with a FAQ


async def faq_cmd(update: Update, ctx: Ctx) -> None:
    """/faq [language]: the group's FAQ here, or in private the FAQs of the groups nearest
    to the learner (the one their questions go to first)."""
    chat = update.effective_chat
    if chat is None:
        return
    args = [a.lower() for a in (ctx.args or [])]
    lang = args[0] if args and args[0] in LOCALES else get_locale()
    store = ctx.svc.store
    with use_locale(lang):
        if chat.type != Chat.PRIVATE:
            group = await store.get_group(chat.id)
            if group is None:
                await reply(
                    update, ctx,
                    _("This group is not registered. An administrator can send /register."),
                )  # fmt: skip
                return
            text = await faq_text(ctx.svc, chat.id, group.title or chat.title or "", lang)
            await reply(update, ctx, text or _empty())
            return
        groups = await store.list_groups()
        profile = ctx.profile
        cards = [
            GroupCard(g.chat_id, frozenset(g.languages), g.region, frozenset(g.tags), g.active)
            for g in groups
        ]
        reader = (profile.lang if profile else None) or lang
        home = choose_group(reader, profile.tags if profile else [], cards)
        faqs = ctx.svc.store.repo(FaqStore)
        ordered = sorted(groups, key=lambda g: home is None or g.chat_id != home.chat_id)
        sent = 0
        for g in ordered:
            if sent >= MAX_GROUPS:
                break
            if await faqs.entries(g.chat_id, limit=1):
                text = await faq_text(ctx.svc, g.chat_id, g.title, lang)
                if text:
                    await reply(update, ctx, text)  # one message per group: each fits
                    sent += 1
        if not sent:
            await reply(update, ctx, _empty())


def _empty() -> str:
    return ngettext(
        "No frequently asked questions yet. An answer joins the FAQ once it has solved the "
        "question of {count} learner.",
        "No frequently asked questions yet. An answer joins the FAQ once it has solved the "
        "question of {count} learners.",
        MIN_HELPED,
    ).format(count=MIN_HELPED)


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [CommandHandler("faq", faq_cmd)]
