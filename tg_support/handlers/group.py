"""Groups: /register, /groupinfo, /unregister.

Admin rights are always checked with ``getChatMember``: a message's sender claims nothing.
"""

from __future__ import annotations

import logging
from typing import Literal

from telegram import Chat, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import LOCALES, _
from tg_support.core.labels import language_label, region_label
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation, Group
from tg_support.core.tags import normalize_tags
from tg_support.questions.routing import ANY_LANGUAGE, REGIONS

from .common import edit_or_send, grid, is_admin, keyboard, reply

log = logging.getLogger(__name__)


class GroupChoice(CallbackData, prefix="gr"):
    """``gr:lang:<code>|done`` and ``gr:reg:<region>``: the /register message's buttons."""

    step: Literal["lang", "reg"]
    value: str


async def bot_can_manage_topics(ctx: Ctx, chat_id: int) -> bool:
    try:
        member = await ctx.bot.get_chat_member(chat_id, ctx.bot.id)
    except TelegramError:
        return False
    if member.status == ChatMemberStatus.OWNER:
        return True
    return member.status == ChatMemberStatus.ADMINISTRATOR and bool(
        getattr(member, "can_manage_topics", False)
    )


def _group_summary(g: Group) -> str:
    return "\n".join(
        [
            "<b>" + _("Group registration") + "</b>",
            _("Languages: {languages}").format(
                languages=", ".join(language_label(x) for x in g.languages)
            ),
            _("Region: {region}").format(region=region_label(g.region)),
            _("Courses and topics: {courses}").format(
                courses=", ".join(g.tags) if g.tags else _("none")
            ),
        ]
    )


async def register(update: Update, ctx: Ctx) -> None:
    """/register [course tags]: an administrator registers this forum group."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if chat.type == Chat.PRIVATE:
        await reply(update, ctx, _("Send /register in the group you want to register, not here."))
        return
    if not await is_admin(ctx, chat.id, user.id):
        await reply(update, ctx, _("Only the group's administrators can register it."))
        return
    if chat.type != Chat.SUPERGROUP or not chat.is_forum:
        await reply(
            update,
            ctx,
            _(
                "This group has no topics. I open one topic per question, so please turn on "
                "Topics in the group settings and send /register again."
            ),
        )
        return
    if not await bot_can_manage_topics(ctx, chat.id):
        await reply(
            update,
            ctx,
            _(
                "I need to be an administrator of this group with the right to manage topics. "
                "Please promote me and send /register again."
            ),
        )
        return
    existing = await ctx.svc.store.get_group(chat.id)
    conv = Conversation(
        step="register:langs",
        data={
            "by": user.id,
            "languages": existing.languages if existing else [],
            "tags": normalize_tags(" ,".join(ctx.args or []))
            or (existing.tags if existing else []),
            "title": chat.title or "",
        },
    )
    await _show_languages(update, ctx, conv, edit=False)


async def _show_languages(update: Update, ctx: Ctx, conv: Conversation, *, edit: bool) -> None:
    chosen = set(conv.data.get("languages", []))
    buttons = [
        (
            ("☑️ " if c in chosen else "⬜ ") + language_label(c),
            GroupChoice(step="lang", value=c).pack(),
        )
        for c in (*LOCALES, ANY_LANGUAGE)
    ]
    text = _("Which languages do members of this group speak? Tap all that apply, then Done.")
    done = GroupChoice(step="lang", value="done").pack()
    markup = keyboard([*grid(buttons), [(_("Done"), done)]])
    msg = await (
        edit_or_send(update, ctx, text, markup) if edit else reply(update, ctx, text, markup)
    )
    assert update.effective_chat is not None
    msg_id = msg.message_id if msg else None
    if not edit:  # a new registration starts here
        conv.data["msg"] = msg_id
        await ctx.svc.store.set_conv(update.effective_chat.id, conv)
        return

    def note(c: Conversation) -> None:
        if c.step == "register:langs":
            c.data["msg"] = msg_id

    await ctx.svc.store.update_conv(update.effective_chat.id, note)


# What a press did to the registration (see _press): the answer follows from it.
_Outcome = Literal["expired", "not_by", "no_language", "invalid", "toggled", "region", "done"]


def _press(
    conv: Conversation, kind: str, value: str, msg_id: int | None, by: int
) -> tuple[_Outcome, Conversation]:
    """The change of one registration button to the state (a compare-and-set: it may run
    again on a newer state, so it only reads and changes ``conv``)."""
    if conv.step is None or not conv.step.startswith("register") or conv.data.get("msg") != msg_id:
        return "expired", conv
    if by != conv.data.get("by"):
        return "not_by", conv
    if kind == "lang" and conv.step == "register:langs":
        if value == "done":
            if not conv.data.get("languages"):
                return "no_language", conv
            conv.step = "register:region"
            return "region", conv
        if value not in (*LOCALES, ANY_LANGUAGE):
            return "invalid", conv
        langs: list[str] = list(conv.data.get("languages", []))
        langs.remove(value) if value in langs else langs.append(value)
        conv.data["languages"] = langs
        return "toggled", conv
    if kind == "reg" and conv.step == "register:region" and value in REGIONS:
        done = Conversation(step=conv.step, data=conv.data)
        conv.step, conv.data = None, {}
        return "done", done
    return "invalid", conv


async def on_register_button(update: Update, ctx: Ctx) -> None:
    """``gr:lang:<code>|done`` and ``gr:reg:<region>`` from the registration message."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    data = GroupChoice.parse(query.data)
    if data is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    store = ctx.svc.store
    msg_id = query.message.message_id if query.message else None
    kind, value = data.step, data.value
    outcome, conv = await store.update_conv(
        chat.id, lambda c: _press(c, kind, value, msg_id, query.from_user.id)
    )
    if outcome == "expired":
        await query.answer(
            _("This button has expired. Please use the latest message."), show_alert=True
        )
    elif outcome == "not_by":
        await query.answer(
            _("Only the administrator who started the registration can choose."), show_alert=True
        )
    elif outcome == "no_language":
        await query.answer(_("Choose at least one language."), show_alert=True)
    elif outcome == "invalid":
        await query.answer(_("This button is not valid."), show_alert=True)
    elif outcome == "toggled":
        await query.answer()
        await _show_languages(update, ctx, conv, edit=True)
    elif outcome == "region":
        await query.answer()
        buttons = [(region_label(r), GroupChoice(step="reg", value=r).pack()) for r in REGIONS]
        await edit_or_send(
            update, ctx, _("Which region is this group for?"), keyboard(grid(buttons))
        )
    else:
        group = Group(
            chat_id=chat.id,
            title=str(conv.data.get("title") or chat.title or ""),
            languages=list(conv.data.get("languages", [])),
            region=value,
            tags=list(conv.data.get("tags", [])),
            registered_by=int(conv.data.get("by") or 0),
        )
        await store.save_group(group)
        await query.answer()
        await edit_or_send(
            update,
            ctx,
            _group_summary(group)
            + "\n\n"
            + _("Done! Questions in these languages will arrive here, one topic per question."),
        )


async def groupinfo(update: Update, ctx: Ctx) -> None:
    """/groupinfo: how this group is registered."""
    chat = update.effective_chat
    if chat is None or chat.type == Chat.PRIVATE:
        await reply(update, ctx, _("Send /groupinfo in a group."))
        return
    group = await ctx.svc.store.get_group(chat.id)
    if group is None:
        await reply(
            update, ctx, _("This group is not registered. An administrator can send /register.")
        )
        return
    await reply(update, ctx, _group_summary(group))


async def unregister(update: Update, ctx: Ctx) -> None:
    """/unregister: an administrator stops routing questions here."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type == Chat.PRIVATE:
        return
    if not await is_admin(ctx, chat.id, user.id):
        await reply(update, ctx, _("Only the group's administrators can do that."))
        return
    if await ctx.svc.store.remove_group(chat.id):
        await reply(
            update,
            ctx,
            _("This group is no longer registered. Open questions stay where they are."),
        )
    else:
        await reply(
            update, ctx, _("This group is not registered. An administrator can send /register.")
        )


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    groups = filters.ChatType.GROUPS
    return [
        CommandHandler("register", register),
        CommandHandler("groupinfo", groupinfo),
        CommandHandler("unregister", unregister, filters=groups),
        CallbackQueryHandler(on_register_button, pattern=GroupChoice.pattern()),
    ]
