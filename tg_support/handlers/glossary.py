"""Translation settings of a registered group, for its admins: the glossary (/glossary) and
the translations readers flagged as wrong (/translations)."""

from __future__ import annotations

import hashlib

from telegram import Chat, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import LANGUAGE_NAMES, LOCALES, _, ngettext
from tg_support.core.services import Ctx
from tg_support.core.textsplit import shorten
from tg_support.translation.flags import FlagStore
from tg_support.translation.glossary import GlossaryStore, normalize, parse_entry
from tg_support.translation.protect import Term

from .common import edit_or_send, esc, is_admin, keyboard, reply

MAX_LISTED = 40  # terms per language in one message (a glossary holds up to 200)


class GlossaryRemove(CallbackData, prefix="gl:rm"):
    """``gl:rm:<lang>:<term hash>``: an admin removes a term of the group's glossary."""

    lang: str
    term: str


def term_hash(source: str) -> str:
    return hashlib.sha1(normalize(source).encode()).hexdigest()[:10]


async def _admin_of_registered(update: Update, ctx: Ctx, command: str) -> int | None:
    """The group's id when the sender is one of its admins and it is registered; else a
    localized reply and None."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    if chat.type == Chat.PRIVATE:
        await reply(update, ctx, _("Send /{command} in your group.").format(command=command))
        return None
    if not await is_admin(ctx, chat.id, user.id):
        await reply(update, ctx, _("Only the group's administrators can do that."))
        return None
    if await ctx.svc.store.get_group(chat.id) is None:
        await reply(
            update, ctx, _("This group is not registered. An administrator can send /register.")
        )
        return None
    return chat.id


def _usage() -> str:
    return _(
        "Fix how a term is translated in this group's messages:\n"
        "<code>/glossary es peer review = revisión por pares</code> adds a term for "
        "translations into Spanish;\n"
        "<code>/glossary es -peer review</code> removes it;\n"
        "<code>/glossary es</code> lists the Spanish terms."
    )


def _listing(lang: str, terms: list[Term]) -> str:
    head = _("Glossary for translations into {language}:").format(
        language=LANGUAGE_NAMES.get(lang, lang)
    )
    lines = [f"<b>{esc(head)}</b>"]
    lines += [f"• {esc(t.source)} → {esc(t.target)}" for t in terms[:MAX_LISTED]]
    return "\n".join(lines)


async def glossary_cmd(update: Update, ctx: Ctx) -> None:
    """/glossary [lang] [term = translation | -term]: the group's glossary (admins)."""
    chat_id = await _admin_of_registered(update, ctx, "glossary")
    if chat_id is None:
        return
    store = ctx.svc.store.repo(GlossaryStore)
    args = list(ctx.args or [])
    if not args:
        found = await store.by_language(chat_id, LOCALES)
        if not found:
            await reply(update, ctx, _("This group's glossary is empty.") + "\n\n" + _usage())
            return
        text = "\n\n".join(_listing(lang, terms) for lang, terms in found.items())
        await reply(update, ctx, text + "\n\n" + _usage())
        return
    lang = args[0].lower()
    if lang not in LOCALES:
        await reply(
            update, ctx,
            _("Unknown language code. Use one of: {codes}.").format(codes=", ".join(LOCALES)),
        )  # fmt: skip
        return
    rest = " ".join(args[1:]).strip()
    if not rest:
        await _show(update, ctx, chat_id, lang)
        return
    if rest.startswith("-"):
        source = rest[1:].strip()
        if await store.remove(chat_id, lang, source):
            await reply(
                update, ctx, _("Removed “{term}” from the glossary.").format(term=esc(source))
            )
        else:
            await reply(update, ctx, _("“{term}” is not in the glossary.").format(term=esc(source)))
        return
    entry = parse_entry(rest)
    if entry is None:
        await reply(update, ctx, _usage())
        return
    source, target = entry
    if not await store.put(chat_id, lang, source, target):
        await reply(update, ctx, _("The glossary is full for this language. Remove a term first."))
        return
    await reply(
        update, ctx,
        _("From now on, “{term}” is translated into {language} as “{translation}”.").format(
            term=esc(source), language=LANGUAGE_NAMES.get(lang, lang), translation=esc(target)
        ),
    )  # fmt: skip


async def _show(update: Update, ctx: Ctx, chat_id: int, lang: str) -> None:
    terms = await ctx.svc.store.repo(GlossaryStore).terms(chat_id, lang)
    if not terms:
        await edit_or_send(
            update, ctx,
            _("No terms for translations into {language} yet.").format(
                language=LANGUAGE_NAMES.get(lang, lang)
            ),
        )  # fmt: skip
        return
    rows = [
        [(_("Remove “{term}”").format(term=shorten(t.source, 30)),
          GlossaryRemove(lang=lang, term=term_hash(t.source)).pack())]
        for t in terms[:MAX_LISTED]
    ]  # fmt: skip
    await edit_or_send(update, ctx, _listing(lang, terms), keyboard(rows))


async def on_remove(update: Update, ctx: Ctx) -> None:
    """``gl:rm:<lang>:<hash>``: remove a term (admins of the group only)."""
    query = update.callback_query
    assert query is not None
    data = GlossaryRemove.parse(query.data)
    msg = query.message
    if data is None or msg is None or data.lang not in LOCALES:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if not await is_admin(ctx, msg.chat.id, query.from_user.id):
        await query.answer(_("Only the group's administrators can do that."), show_alert=True)
        return
    store = ctx.svc.store.repo(GlossaryStore)
    terms = await store.terms(msg.chat.id, data.lang)
    term = next((t for t in terms if term_hash(t.source) == data.term), None)
    if term is None:
        await query.answer(_("This term is no longer in the glossary."))
    else:
        await store.remove(msg.chat.id, data.lang, term.source)
        await query.answer(_("Removed “{term}” from the glossary.").format(term=term.source))
    await _show(update, ctx, msg.chat.id, data.lang)


async def translations_cmd(update: Update, ctx: Ctx) -> None:
    """/translations: the language pairs whose translations readers flagged most (admins)."""
    if await _admin_of_registered(update, ctx, "translations") is None:
        return
    flags = ctx.svc.store.repo(FlagStore)
    worst = await flags.worst_pairs()
    if not worst:
        await reply(update, ctx, _("Nobody has reported a wrong translation yet."))
        return
    lines = ["<b>" + esc(_("Translations readers reported as wrong, worst pairs first:")) + "</b>"]
    for r in worst:
        pair = f"{LANGUAGE_NAMES.get(r.src, r.src)} → {LANGUAGE_NAMES.get(r.dst, r.dst)}"
        count = ngettext("{count} report", "{count} reports", r.flags).format(count=r.flags)
        lines.append(
            f"\n<b>{esc(pair)}</b>: {count}; "
            + _(
                "mean confidence: {flagged} for the reported ones, {mean} over all {delivered} translations"
            ).format(
                flagged=f"{r.flagged_score:.2f}", delivered=r.delivered, mean=f"{r.mean_score:.2f}"
            )
        )
        for f in await flags.flagged(r.src, r.dst, limit=3):
            lines.append(
                f"• «{esc(shorten(f.get('text', ''), 80))}» → «{esc(shorten(f.get('translation', ''), 80))}»"
                f" ({esc(f.get('version', ''))})"
            )
    await reply(update, ctx, "\n".join(lines))


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [
        CommandHandler("glossary", glossary_cmd),
        CommandHandler("translations", translations_cmd),
        CallbackQueryHandler(on_remove, pattern=GlossaryRemove.pattern()),
    ]
