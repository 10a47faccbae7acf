"""Moderation: /report, the admins' buttons on reports and held questions, /modlog, and
/ban, /mute, /shadowban, /unban, /unmute, /unshadow.

Who moderates: an administrator (per ``getChatMember``) of a registered group; a report's
or a held question's buttons answer only to admins of its group. Actions hold network-wide
(``moderation.sanctions``). The conversation step ``mod:report`` takes a report described in
words (``/report`` in private chat without a reply).
"""

from __future__ import annotations

import logging

from telegram import Chat, Message, Update
from telegram.error import Forbidden
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from tg_support.core.i18n import _
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation
from tg_support.moderation import held as held_flow
from tg_support.moderation.actions import apply
from tg_support.moderation.audit import AuditLog, Entry
from tg_support.moderation.reports import Report, Reports
from tg_support.moderation.sanctions import Sanctions
from tg_support.moderation.screen import route_groups
from tg_support.moderation.targets import Target, author_of
from tg_support.moderation.texts import (
    HeldAction,
    ModlogPage,
    ReportAction,
    decided,
    edit_copies,
    held_text,
    log_line,
    member,
    report_markup,
    report_text,
    send_to_admins,
)
from tg_support.questions.store import questions

from .common import edit_or_send, is_admin, keyboard, reply
from .steps import StepHandler

log = logging.getLogger(__name__)

MAX_ADMIN_CHECKS = 20
LOG_PAGE = 10
MAX_MUTE_HOURS = 24 * 365


async def can_moderate(ctx: Ctx, uid: int) -> bool:
    """An administrator of at least one registered group."""
    groups = [g for g in await ctx.svc.store.list_groups() if g.active]
    groups.sort(key=lambda g: g.registered_by != uid)
    for g in groups[:MAX_ADMIN_CHECKS]:
        if await is_admin(ctx, g.chat_id, uid):
            return True
    return False


async def _admin_here(update: Update, ctx: Ctx) -> bool:
    """In a registered group: its admin; in private chat: an admin of any registered group."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    if chat.type == Chat.PRIVATE:
        return await can_moderate(ctx, user.id)
    return await ctx.svc.store.get_group(chat.id) is not None and await is_admin(
        ctx, chat.id, user.id
    )


def _not_admin() -> str:
    return _("Only administrators of a registered group can do that.")


def _replied(msg: Message | None) -> Message | None:
    """The message replied to; in a topic, a message that replies to nothing points at the
    topic's first (service) message, which is not what anyone reports."""
    if msg is None or msg.reply_to_message is None:
        return None
    replied = msg.reply_to_message
    return None if replied.forum_topic_created is not None else replied


# --- /report --------------------------------------------------------------------------


async def report_cmd(update: Update, ctx: Ctx) -> None:
    """/report as a reply to the message to report (or, in private chat, then a description)."""
    chat, user, msg = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or msg is None:
        return
    replied = _replied(msg)
    if replied is None:
        if chat.type == Chat.PRIVATE:
            await ctx.svc.store.set_conv(user.id, Conversation(step="mod:report"))
            await reply(
                update,
                ctx,
                _(
                    "What do you want to report? Reply /report to the message, or describe "
                    "the problem in your next message. Send /cancel to stop."
                ),
            )
        else:
            await reply(update, ctx, _("Reply /report to the message you want to report."))
        return
    if chat.type != Chat.PRIVATE and await ctx.svc.store.get_group(chat.id) is None:
        await reply(
            update, ctx, _("This group is not registered. An administrator can send /register.")
        )
        return
    target = await author_of(ctx.svc.store, ctx.bot.id, replied)
    if target is None or target.uid == user.id:
        await reply(
            update,
            ctx,
            _(
                "I can't report that message. Reply /report to a message from someone else in "
                "a question's topic, or to an answer I passed on to you."
            ),
        )
        return
    if chat.type != Chat.PRIVATE:
        group_ids = [chat.id]
    elif target.question is not None and target.question.group_id:
        group_ids = [target.question.group_id]
    else:
        group_ids = await route_groups(ctx, ctx.locale, [])
    await _file_report(update, ctx, target, group_ids)


async def on_report_text(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """Step ``mod:report``: the report in the reporter's words, about nobody in particular."""
    user = update.effective_user
    if user is None:
        return
    if not text or not text.strip():
        await reply(update, ctx, _("Please describe the problem in words, or send /cancel."))
        return
    await ctx.svc.store.clear_conv(user.id)
    mine = await questions(ctx.svc.store).user_questions(user.id, limit=1)
    if mine and mine[0].group_id:
        group_ids = [mine[0].group_id]
    else:
        group_ids = await route_groups(ctx, ctx.locale, ctx.profile.tags if ctx.profile else [])
    await _file_report(update, ctx, Target(0, text), group_ids)


async def _file_report(update: Update, ctx: Ctx, target: Target, group_ids: list[int]) -> None:
    store = ctx.svc.store
    user = update.effective_user
    assert user is not None
    if not await store.repo(Reports).may_report(user.id):
        await reply(
            update,
            ctx,
            _(
                "You have sent many reports in a short time. Please wait a while before the next one."
            ),
        )
        return
    sanctions = store.repo(Sanctions)
    code = await sanctions.code(target.uid) if target.uid else ""
    q = target.question
    report = await store.repo(Reports).new_report(
        Report(
            rid=0, reporter=user.id, target=target.uid, code=code,
            group=group_ids[0] if len(group_ids) == 1 else 0, question=int(q.qid) if q else 0,
            text=target.text, context=target.context,
        )
    )  # fmt: skip
    await store.repo(AuditLog).add(
        Entry(action="report", target=code, group=report.group, report=report.rid),
        target_hash=await sanctions.user_hash(target.uid) if target.uid else "",
    )
    group = await store.get_group(report.group) if report.group else None
    choices = ctx.svc.settings.moderation_mute_hours
    sent = await send_to_admins(
        ctx.bot, store, group_ids, f"r{report.rid}",
        lambda: (
            report_text(report, group.title if group else ""),
            report_markup(report.rid, choices, full=bool(code)),
        ),
    )  # fmt: skip
    log.info("report %s sent to %s admins", report.rid, sent)
    await reply(update, ctx, _("Thank you. The moderators will look at your report."))


async def on_report_action(update: Update, ctx: Ctx) -> None:
    """``mod:a:<action>:<rid>:<choice>``: an admin decides on a report."""
    query = update.callback_query
    assert query is not None
    data = ReportAction.parse(query.data)
    store = ctx.svc.store
    report = await store.repo(Reports).get_report(data.rid) if data else None
    choices = ctx.svc.settings.moderation_mute_hours
    if (
        data is None
        or report is None
        or (data.action != "dismiss" and not report.code)
        or (data.action == "mute" and data.choice >= len(choices))
    ):
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    uid = query.from_user.id
    allowed = (
        await is_admin(ctx, report.group, uid) if report.group else await can_moderate(ctx, uid)
    )
    if not allowed:
        await query.answer(_not_admin(), show_alert=True)
        return
    hours = choices[data.choice] if data.action == "mute" else 0.0
    if not await store.repo(Reports).decide_report(report.rid, data.action, uid):
        await query.answer(_("Another administrator already handled this."), show_alert=True)
        return
    await query.answer()
    name = query.from_user.first_name
    if data.action != "dismiss":
        sanctions = store.repo(Sanctions)
        h = (
            await sanctions.user_hash(report.target)
            if report.target
            else await sanctions.hash_for_code(report.code)
        )
        if h:
            await apply(
                ctx.bot, store, data.action, h, target_uid=report.target, actor=uid,
                actor_name=name, group=report.group, report=report.rid, hours=hours,
                submit=ctx.svc.submit,
            )  # fmt: skip
    else:
        await store.repo(AuditLog).add(
            Entry(action="dismiss", actor=uid, target=report.code, group=report.group,
                  report=report.rid, extra={"by": name})
        )  # fmt: skip
    group = await store.get_group(report.group) if report.group else None
    await edit_copies(
        ctx.bot, store, f"r{report.rid}",
        lambda: report_text(report, group.title if group else "") + "\n\n"
        + decided(data.action, name, hours),
    )  # fmt: skip


# --- held questions --------------------------------------------------------------------


async def on_held_action(update: Update, ctx: Ctx) -> None:
    """``mod:h:<ok|no>:<qid>``: an admin approves or rejects a held question."""
    query = update.callback_query
    assert query is not None
    data = HeldAction.parse(query.data)
    store = ctx.svc.store
    held = await store.repo(Reports).get_held(data.qid) if data else None
    if data is None or held is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    uid = query.from_user.id
    allowed = await is_admin(ctx, held.group, uid) if held.group else await can_moderate(ctx, uid)
    if not allowed:
        await query.answer(_not_admin(), show_alert=True)
        return
    action = "approve" if data.action == "ok" else "reject"
    q = await questions(store).get_question(str(held.qid))
    if not await store.repo(Reports).decide_held(held.qid, action, uid):
        await query.answer(_("Another administrator already handled this."), show_alert=True)
        return
    await query.answer()
    name = query.from_user.first_name
    await held_flow.decide(ctx.bot, ctx.svc, held, data.action == "ok", uid, name)
    code = Sanctions.code_of(await store.repo(Sanctions).user_hash(held.asker))
    text = q.text if q else ""
    await edit_copies(
        ctx.bot,
        store,
        f"h{held.qid}",
        lambda: held_text(held, text, code) + "\n\n" + decided(action, name),
    )


# --- /modlog ---------------------------------------------------------------------------


async def _log_page(ctx: Ctx, page: int) -> tuple[str, list[list[tuple[str, str]]]]:
    audit = ctx.svc.store.repo(AuditLog)
    total = await audit.count()
    if total == 0:
        return _("The moderation log is empty."), []
    pages = (total + LOG_PAGE - 1) // LOG_PAGE
    page = min(max(page, 0), pages - 1)
    entries = await audit.page(page * LOG_PAGE, LOG_PAGE)
    head = (
        "<b>"
        + _("Moderation log")
        + "</b> · "
        + _("page {page} of {pages}").format(page=page + 1, pages=pages)
    )
    lines = [head, ""] + [log_line(e, str(e.extra.get("by", ""))) for e in entries]
    nav = []
    if page > 0:
        nav.append(("« " + _("Newer"), ModlogPage(page=page - 1).pack()))
    if page < pages - 1:
        nav.append((_("Older") + " »", ModlogPage(page=page + 1).pack()))
    return "\n".join(lines), [nav] if nav else []


async def modlog_cmd(update: Update, ctx: Ctx) -> None:
    """/modlog: the newest moderation actions, for admins (always sent in private chat)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if not await _admin_here(update, ctx):
        await reply(update, ctx, _not_admin())
        return
    text, rows = await _log_page(ctx, 0)
    if chat.type == Chat.PRIVATE:
        await reply(update, ctx, text, keyboard(rows) if rows else None)
        return
    try:
        await ctx.bot.send_message(user.id, text, reply_markup=keyboard(rows) if rows else None)
    except Forbidden:
        await reply(update, ctx, _("Please start a private chat with me first, then try again."))
        return
    await reply(update, ctx, _("I sent you the moderation log in private chat."))


async def on_modlog_page(update: Update, ctx: Ctx) -> None:
    query = update.callback_query
    assert query is not None
    data = ModlogPage.parse(query.data)
    if data is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if not await can_moderate(ctx, query.from_user.id):
        await query.answer(_not_admin(), show_alert=True)
        return
    await query.answer()
    text, rows = await _log_page(ctx, data.page)
    await edit_or_send(update, ctx, text, keyboard(rows) if rows else None)


# --- /ban, /mute, /shadowban and their lifting -----------------------------------------

_BY_REPLY = {"ban": "remove", "mute": "mute", "shadowban": "shadow"}
_BY_CODE = {"unban": "unremove", "unmute": "unmute", "unshadow": "unshadow"}


async def sanction_cmd(update: Update, ctx: Ctx) -> None:
    """/ban, /mute [hours], /shadowban as a reply; /unban, /unmute, /unshadow CODE."""
    msg, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if msg is None or user is None or chat is None or not msg.text:
        return
    command = msg.text.split()[0][1:].split("@")[0].lower()
    if not await _admin_here(update, ctx):
        await reply(update, ctx, _not_admin())
        return
    store = ctx.svc.store
    sanctions = store.repo(Sanctions)
    args = ctx.args or []
    hours = 0.0
    target_uid = 0
    if command in _BY_CODE:
        action = _BY_CODE[command]
        h = await sanctions.hash_for_code(args[0]) if args else None
        if h is None:
            await reply(update, ctx, _usage())
            return
    else:
        action = _BY_REPLY[command]
        replied = _replied(msg)
        target = await author_of(store, ctx.bot.id, replied) if replied else None
        if target is None or target.uid == user.id:
            await reply(update, ctx, _usage())
            return
        if action == "mute":
            try:
                hours = float(args[0]) if args else ctx.svc.settings.moderation_mute_hours[0]
            except ValueError:
                hours = 0.0
            if not 0 < hours <= MAX_MUTE_HOURS:
                await reply(update, ctx, _usage())
                return
        target_uid = target.uid
        await sanctions.code(target_uid)
        h = await sanctions.user_hash(target_uid)
    group = chat.id if chat.type != Chat.PRIVATE else 0
    entry = await apply(
        ctx.bot, store, action, h, target_uid=target_uid, actor=user.id,
        actor_name=user.first_name, group=group, hours=hours, submit=ctx.svc.submit,
    )  # fmt: skip
    await reply(update, ctx, member(entry.target) + ": " + decided(action, user.first_name, hours))


def _usage() -> str:
    return _(
        "Reply to someone's message with /ban, /mute (optionally with hours) or /shadowban. "
        "To lift: /unban, /unmute or /unshadow with the member's code."
    )


STEPS: dict[str, StepHandler] = {"mod:report": on_report_text}


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [
        CommandHandler("report", report_cmd),
        CommandHandler("modlog", modlog_cmd),
        CommandHandler([*_BY_REPLY, *_BY_CODE], sanction_cmd),
        CallbackQueryHandler(on_report_action, pattern=ReportAction.pattern()),
        CallbackQueryHandler(on_held_action, pattern=HeldAction.pattern()),
        CallbackQueryHandler(on_modlog_page, pattern=ModlogPage.pattern()),
    ]
