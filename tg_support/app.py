"""``build_application(settings)``: wiring only; behaviour lives in ``handlers/``."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    TypeHandler,
)

from tg_support.config import Settings
from tg_support.core import langid
from tg_support.core.bot import make_bot
from tg_support.core.i18n import LOCALES, _, check_catalogs, use_locale
from tg_support.core.lifecycle import PerUserUpdateProcessor
from tg_support.core.redis_conn import async_client, sync_client
from tg_support.core.services import Ctx, Services
from tg_support.core.store import Store
from tg_support.core.update_inbox import InboxQueue, UpdateInbox
from tg_support.handlers import (
    admin,
    ask,
    edits,
    errors,
    export,
    faq,
    glossary,
    group,
    guards,
    health,
    helper,
    helptext,
    moderation,
    private,
    region,
    relay,
    reopen,
    review,
    start,
    translate,
)
from tg_support.handlers.community import circles as community_circles
from tg_support.handlers.community import courses as community_courses
from tg_support.handlers.community import deadlines as community_deadlines
from tg_support.handlers.community import events as community_events
from tg_support.handlers.community import events_new as community_events_new
from tg_support.handlers.community import path as community_path
from tg_support.handlers.community import recognition as community_recognition
from tg_support.handlers.steps import Routes
from tg_support.moderation import gate_words
from tg_support.ops import metrics as ops_metrics

log = logging.getLogger(__name__)

# Feature handler modules, in the order their handlers join group 0.
COMMUNITY = (
    community_courses, community_circles, community_deadlines, community_path,
    community_events, community_events_new, community_recognition,
)  # fmt: skip
FEATURES = (
    start, helptext, ask, relay, edits, helper, group, translate, glossary, faq, admin, review,
    moderation, region, reopen, health, export, *COMMUNITY,
)  # fmt: skip

App = Application[Any, Ctx, Any, Any, Any, Any]

# Updates handled at once (across users). 32, not hundreds: with ~200 requests in flight
# httpx's pool bookkeeping dominated the CPU (bench/updates.py: 0.35 -> 0.52 of a bare
# echo bot's rate at 32).
UPDATES_IN_FLIGHT = 32


def private_commands() -> list[BotCommand]:
    """The private-chat menu in the current locale."""
    return [
        BotCommand("ask", _("ask a new question")),
        BotCommand("myquestions", _("your questions and their status")),
        BotCommand("faq", _("answers that helped many learners")),
        BotCommand("review", _("swap feedback on drafts with another learner")),
        BotCommand("helper", _("volunteer settings")),
        BotCommand("courses", _("your courses and their sessions")),
        BotCommand("circles", _("study circles of your courses")),
        BotCommand("deadlines", _("course deadlines and reminders")),
        BotCommand("events", _("meetups and online study sessions")),
        BotCommand("path", _("where you stand on your learning pathway")),
        BotCommand("intro", _("introduce yourself to a group")),
        BotCommand("stats", _("your contribution as a helper")),
        BotCommand("card", _("your helper card to share")),
        BotCommand("away", _("pause question offers")),
        BotCommand("back", _("resume question offers")),
        BotCommand("start", _("set up your profile")),
        BotCommand("profile", _("see or edit your profile")),
        BotCommand("language", _("change the language I speak")),
        BotCommand("help", _("what I can do")),
        BotCommand("report", _("report a message to the moderators")),
        BotCommand("cancel", _("stop what you are doing")),
        BotCommand("export", _("download everything stored about you")),
        BotCommand("forget", _("erase everything stored about you")),
        BotCommand("broadcast", _("announce to learners and groups (group admins)")),
        BotCommand("broadcasts", _("your broadcasts and their status")),
    ]


def group_commands() -> list[BotCommand]:
    return [
        BotCommand("groupinfo", _("how this group is registered")),
        BotCommand("leaderboard", _("top helpers of this group")),
        BotCommand("report", _("report a message to the moderators")),
        BotCommand("faq", _("answers that helped many learners")),
    ]


def group_admin_commands() -> list[BotCommand]:
    return [
        BotCommand("register", _("register this group for questions")),
        BotCommand("unregister", _("stop routing questions here")),
        BotCommand("modlog", _("the moderation log (sent to you privately)")),
        BotCommand("health", _("community health of this group")),
        BotCommand("glossary", _("how terms are translated in this group")),
        BotCommand("translations", _("translations readers reported as wrong")),
        *group_commands(),
    ]


async def set_command_menus(app: App) -> None:
    """Per-language menus; the default (no language_code) is English."""
    for code in (None, *LOCALES):
        with use_locale(code or "en"):
            await app.bot.set_my_commands(
                private_commands(), scope=BotCommandScopeAllPrivateChats(), language_code=code
            )
            await app.bot.set_my_commands(
                group_commands(), scope=BotCommandScopeAllGroupChats(), language_code=code
            )
            await app.bot.set_my_commands(
                group_admin_commands(),
                scope=BotCommandScopeAllChatAdministrators(),
                language_code=code,
            )


async def _post_init(app: App) -> None:
    # Load the language models and the gate's letter model now (~0.2 s each) rather than
    # while the first learners wait, with the event loop blocked.
    await asyncio.to_thread(langid.warm_up)
    await asyncio.to_thread(gate_words.warm_up)
    services: Services = app.bot_data["services"]
    app.bot_data["metrics"] = ops_metrics.serve(services.settings, services.rq_connection)
    await community_recognition.schedule_spotlight(app.bot_data["services"])
    try:
        await set_command_menus(app)
    except TelegramError:
        # The menus are a convenience; the bot must still start if Telegram refuses them.
        log.warning("could not set the command menus", exc_info=True)


async def _post_shutdown(app: App) -> None:
    if app.bot_data.get("metrics") is not None:
        app.bot_data["metrics"].stop()
    services: Services = app.bot_data["services"]
    await services.redis.aclose()
    services.rq_connection.close()


def build_services(settings: Settings, redis_url: str) -> Services:
    redis = async_client(redis_url)
    return Services(
        settings=settings,
        redis=redis,
        store=Store(redis, settings.redis_prefix),
        rq_connection=sync_client(redis_url, decode_responses=False),
    )


COMMUNITY_STEPS = {
    step: handler for feature in COMMUNITY for step, handler in feature.STEPS.items()
}


def private_routes() -> Routes:
    """Private-chat messages by conversation step; free messages go to onboarding, then a
    helper's answer, then a question."""
    return Routes(
        steps={
            **start.STEPS,
            **admin.STEPS,
            **review.STEPS,
            **moderation.STEPS,
            **COMMUNITY_STEPS,
        },
        free=[start.not_onboarded, relay.helper_answer, ask.free_message],
        free_prefixes=("ask:",),
        long_text_prefixes=("bc:",),
    )


def build_application(settings: Settings, redis_url: str) -> App:
    check_catalogs()
    services = build_services(settings, redis_url)
    # Fetched updates wait in Redis until handled (core.update_inbox): a stop or a crash loses
    # none. In webhook mode updates take the webhook inbox instead (tg_support.webhook).
    inbox = UpdateInbox(services.redis, settings.redis_prefix)
    builder = (
        ApplicationBuilder()
        .bot(make_bot(settings, services.redis))
        .context_types(ContextTypes(context=Ctx))
        .update_queue(InboxQueue(inbox))
        .concurrent_updates(PerUserUpdateProcessor(UPDATES_IN_FLIGHT, inbox))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    app: App = builder.build()
    app.bot_data["services"] = services

    # Order matters (PTB runs one handler per group, lowest group first):
    #   -2  guards.load_context: the profile, the conversation step and the locale
    #   -1  guards.flood_control: per-user budget; raises ApplicationHandlerStop when over it
    #    0  the features' commands and buttons, then the catch-alls (unknown commands,
    #       private-chat routing by step), which must come last in the group.
    #    1  messages in study circles' forum topics (group 0's relay takes every topic
    #       message for the questions' topics and ignores the others).
    app.add_handler(TypeHandler(Update, guards.load_context), group=-2)
    app.add_handler(TypeHandler(Update, guards.flood_control), group=-1)
    for feature in FEATURES:
        app.add_handlers(feature.handlers(), group=0)
    app.add_handlers(community_circles.topic_handlers(), group=1)
    app.add_handlers(private.handlers(private_routes()), group=0)
    app.add_error_handler(errors.on_error)
    return app
