"""/health: a registered group's community health, for its administrators.

``/health`` in a group sends that group's chart (a photo) with a short summary; in private
chat, the chart of the one registered group the sender administers, or a button per group
(``hl:g:<chat id without its sign>``), checked again on the press. ``/health digest off|on``
turns the weekly digest off or on for the sender; ``/health tz <zone>`` in a group sets the
time zone of its digest (Monday 09:00 there; UTC until set). Admin rights are always checked
with ``getChatMember``.
"""

from __future__ import annotations

from telegram import Chat, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import _
from tg_support.core.services import Ctx
from tg_support.core.store import Group
from tg_support.core.timezones import parse_timezone
from tg_support.ops import report
from tg_support.ops.stats import HealthStats

from .common import esc, is_admin, keyboard, reply

MAX_ADMIN_CHECKS = 20


class HealthGroup(CallbackData, prefix="hl:g"):
    """``hl:g:<n>``: the health of group ``-n`` (group ids are negative; fields are not)."""

    chat: int


def _refusal() -> str:
    return _(
        "Only administrators of a registered group can see its health. Send /health in "
        "your group, or here if you administer one."
    )


async def admin_groups(ctx: Ctx, uid: int) -> list[Group]:
    """Registered groups ``uid`` administers (per getChatMember), their own first."""
    groups = [g for g in await ctx.svc.store.list_groups() if g.active]
    groups.sort(key=lambda g: g.registered_by != uid)
    return [g for g in groups[:MAX_ADMIN_CHECKS] if await is_admin(ctx, g.chat_id, uid)]


async def send_health(update: Update, ctx: Ctx, group: Group) -> None:
    """The chart and its caption, in the sender's language, where /health was asked."""
    chat, msg = update.effective_chat, update.effective_message
    assert chat is not None
    health = await report.gather(ctx.svc.store, group)
    png = await report.render(health)
    thread = msg.message_thread_id if msg is not None and chat.is_forum else None
    await ctx.bot.send_photo(
        chat.id, png, caption=report.summary(health), message_thread_id=thread
    )


async def health_cmd(update: Update, ctx: Ctx) -> None:
    """/health [digest on|off | tz ZONE]: the group's health chart, for its admins."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    args = list(ctx.args or [])
    if args and args[0].lower() == "digest":
        await _digest(update, ctx, [a.lower() for a in args[1:]])
        return
    if args and args[0].lower() == "tz":
        await _tz(update, ctx, " ".join(args[1:]))
        return
    if chat.type != Chat.PRIVATE:
        group = await ctx.svc.store.get_group(chat.id)
        if group is None or not group.active:
            await reply(
                update, ctx, _("This group is not registered. An administrator can send /register.")
            )
        elif not await is_admin(ctx, chat.id, user.id):
            await reply(update, ctx, _refusal())
        else:
            await send_health(update, ctx, group)
        return
    groups = await admin_groups(ctx, user.id)
    if not groups:
        await reply(update, ctx, _refusal())
    elif len(groups) == 1:
        await send_health(update, ctx, groups[0])
    else:
        rows = [[(g.title or str(g.chat_id), HealthGroup(chat=-g.chat_id).pack())] for g in groups]
        await reply(update, ctx, _("Which group?"), keyboard(rows))


async def on_group_button(update: Update, ctx: Ctx) -> None:
    """``hl:g:<n>``: a group chosen in private chat; rights checked again."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    data = HealthGroup.parse(query.data)
    group = await ctx.svc.store.get_group(-data.chat) if data is not None else None
    if data is None or group is None or not group.active:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if not await is_admin(ctx, group.chat_id, user.id):
        await query.answer(_refusal(), show_alert=True)
        return
    await query.answer()
    await send_health(update, ctx, group)


async def _digest(update: Update, ctx: Ctx, args: list[str]) -> None:
    assert update.effective_user is not None
    uid = update.effective_user.id
    if args not in (["on"], ["off"]):
        await reply(update, ctx, _("Send /health digest off, or /health digest on."))
        return
    if not await admin_groups(ctx, uid):
        await reply(update, ctx, _refusal())
        return
    on = args == ["on"]
    await ctx.svc.store.repo(HealthStats).set_digest(uid, on)
    if on:
        text = _(
            "You will receive your groups' health digest every Monday at 09:00 in each "
            "group's time zone."
        )
    else:
        text = _("You will no longer receive the weekly health digest. /health digest on resumes it.")
    await reply(update, ctx, text)


async def _tz(update: Update, ctx: Ctx, text: str) -> None:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    if chat.type == Chat.PRIVATE:
        await reply(update, ctx, _("Send /health tz in the group whose digest time you set."))
        return
    group = await ctx.svc.store.get_group(chat.id)
    if group is None or not await is_admin(ctx, chat.id, user.id):
        await reply(update, ctx, _refusal())
        return
    stats = ctx.svc.store.repo(HealthStats)
    tz = parse_timezone(text) if text.strip() else None
    if tz is None:
        current = await stats.group_tz(chat.id) or "UTC"
        await reply(
            update,
            ctx,
            _(
                "This group's weekly digest goes out on Mondays at 09:00 {tz}. To change it, "
                "send /health tz and a time zone, e.g. /health tz Europe/Madrid."
            ).format(tz=esc(current)),
        )
        return
    await stats.set_group_tz(chat.id, tz)
    await reply(
        update,
        ctx,
        _("Done: this group's weekly digest goes out on Mondays at 09:00 {tz}.").format(tz=esc(tz)),
    )


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [
        CommandHandler("health", health_cmd),
        CallbackQueryHandler(on_group_button, pattern=HealthGroup.pattern()),
    ]
