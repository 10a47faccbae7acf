"""/help: what the bot does and the commands this person can use here, by role (learner,
helper, group admin) and by chat (private, or a group)."""

from __future__ import annotations

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler

from tg_support.core.i18n import _
from tg_support.core.services import Ctx

from .common import reply


async def help_cmd(update: Update, ctx: Ctx) -> None:
    """/help: what the bot does and the commands this person can use here, by role."""
    chat = update.effective_chat
    if chat is not None and chat.type != "private":
        await reply(update, ctx, await _group_help(update, ctx))
        return
    profile = ctx.profile
    uid = update.effective_user.id if update.effective_user else 0
    is_admin = any(g.registered_by == uid for g in await ctx.svc.store.list_groups())
    lines = [
        _("I connect MOOC learners with volunteers who speak their language."),
        "",
        _("Send me a question in any language and I will find help."),
        "",
        "<b>" + _("Questions") + "</b>",
        "/ask — " + _("ask a new question"),
        "/myquestions — " + _("your questions and their status"),
        "/faq — " + _("answers that helped many learners"),
        "/review — " + _("swap feedback on drafts with another learner"),
        "",
        "<b>" + _("Learning together") + "</b>",
        "/courses — " + _("your courses and their sessions"),
        "/circles — " + _("study circles of your courses"),
        "/deadlines — " + _("course deadlines and reminders"),
        "/path — " + _("where you stand on your learning pathway"),
        "/intro — " + _("introduce yourself to a group"),
        "/events — " + _("meetups and online study sessions"),
    ]
    if profile is not None and profile.is_helper:
        lines += [
            "",
            "<b>" + _("For helpers") + "</b>",
            "/helper — " + _("your helper settings: languages, hours, capacity"),
            "/away — " + _("pause new offers"),
            "/back — " + _("receive offers again"),
            "/stats — " + _("your answers, ratings and badges"),
            "/card — " + _("your helper card to share"),
            "/leaderboard — " + _("the top helpers in your language"),
        ]
    else:
        lines += ["/leaderboard — " + _("the top helpers in your language")]
    if is_admin:
        lines += [
            "",
            "<b>" + _("For group admins") + "</b>",
            "/broadcast — " + _("send an announcement to your groups"),
            "/broadcasts — " + _("your announcements and their delivery"),
            "/modlog — " + _("the moderation log (sent to you privately)"),
            "/health — " + _("community health of your groups, and the weekly digest"),
        ]
    lines += [
        "",
        "<b>" + _("Your account") + "</b>",
        "/start — " + _("set up your profile"),
        "/profile — " + _("see or edit your profile"),
        "/language — " + _("change the language I speak"),
        "/cancel — " + _("stop what you are doing"),
        "/report — " + _("report a message to the moderators"),
        "/export — " + _("download everything stored about you"),
        "/forget — " + _("erase everything stored about you"),
        "/help — " + _("this help"),
    ]
    await reply(update, ctx, "\n".join(lines))


async def _group_help(update: Update, ctx: Ctx) -> str:
    """The group's commands; the admin ones only for the group's administrators."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    lines = [
        _("I connect MOOC learners with volunteers who speak their language."),
        "",
        "/groupinfo — " + _("how this group is set up"),
        "/leaderboard — " + _("the top helpers in this group"),
        "/report — " + _("report a message to the moderators"),
        "/faq — " + _("answers that helped many learners"),
    ]
    try:
        member = await ctx.bot.get_chat_member(chat.id, user.id if user else 0)
        admin = member.status in ("creator", "administrator")
    except TelegramError:
        admin = False
    if admin:
        lines += [
            "",
            "<b>" + _("For group admins") + "</b>",
            "/register — " + _("register this group (languages, region, topics)"),
            "/unregister — " + _("remove this group from the network"),
            "/ban, /mute, /shadowban — "
            + _("as a reply: remove, mute or shadow ban its author in every group"),
            "/modlog — " + _("the moderation log (sent to you privately)"),
            "/glossary — " + _("how terms are translated in this group"),
            "/translations — " + _("translations readers reported as wrong"),
        ]
    lines += ["", _("Write to me in private to ask a question or to help others.")]
    return "\n".join(lines)


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    return [CommandHandler("help", help_cmd)]
