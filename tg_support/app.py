"""``build_application(settings)``: wiring only; behaviour lives in ``handlers/``."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable
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
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)

from tg_support.config import Settings
from tg_support.core import langid
from tg_support.core.bot import make_bot
from tg_support.core.i18n import LOCALES, _, check_catalogs, use_locale
from tg_support.core.redis_conn import async_client, sync_client
from tg_support.core.services import Ctx, Services
from tg_support.core.store import Store
from tg_support.handlers import (
    admin,
    ask,
    errors,
    faq,
    glossary,
    group,
    guards,
    helper,
    helptext,
    private,
    relay,
    review,
    start,
    translate,
)
from tg_support.handlers.community import circles as community_circles
from tg_support.handlers.community import courses as community_courses
from tg_support.handlers.community import deadlines as community_deadlines
from tg_support.handlers.community import path as community_path
from tg_support.handlers.steps import Routes

log = logging.getLogger(__name__)

# Feature handler modules, in the order their handlers join group 0.
COMMUNITY = (community_courses, community_circles, community_deadlines, community_path)
FEATURES = (
    start, helptext, ask, relay, helper, group, translate, glossary, faq, admin, review,
    *COMMUNITY,
)  # fmt: skip

App = Application[Any, Ctx, Any, Any, Any, Any]

# Updates handled at once (across users). 32, not hundreds: with ~200 requests in flight
# httpx's pool bookkeeping dominated the CPU (bench/updates.py: 0.35 -> 0.52 of a bare
# echo bot's rate at 32).
UPDATES_IN_FLIGHT = 32


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across users, in order for each user.

    One learner's button presses must be handled in the order they were made, while one
    slow chat (waiting on its rate limit) must not hold up everybody else.
    """

    def __init__(self, max_concurrent_updates: int = 32) -> None:  # see UPDATES_IN_FLIGHT
        super().__init__(max_concurrent_updates)
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._users: defaultdict[int, int] = defaultdict(int)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = 0
        if isinstance(update, Update) and update.effective_user is not None:
            key = update.effective_user.id
        elif isinstance(update, Update) and update.effective_chat is not None:
            key = update.effective_chat.id
        self._users[key] += 1
        try:
            async with self._locks[key]:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


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
        BotCommand("path", _("where you stand on your learning pathway")),
        BotCommand("intro", _("introduce yourself to a group")),
        BotCommand("stats", _("your contribution as a helper")),
        BotCommand("away", _("pause question offers")),
        BotCommand("back", _("resume question offers")),
        BotCommand("start", _("set up your profile")),
        BotCommand("profile", _("see or edit your profile")),
        BotCommand("language", _("change the language I speak")),
        BotCommand("help", _("what I can do")),
        BotCommand("cancel", _("stop what you are doing")),
        BotCommand("forget", _("erase everything stored about you")),
        BotCommand("broadcast", _("announce to learners and groups (group admins)")),
        BotCommand("broadcasts", _("your broadcasts and their status")),
    ]


def group_commands() -> list[BotCommand]:
    return [
        BotCommand("groupinfo", _("how this group is registered")),
        BotCommand("leaderboard", _("top helpers of this group")),
        BotCommand("faq", _("answers that helped many learners")),
    ]


def group_admin_commands() -> list[BotCommand]:
    return [
        BotCommand("register", _("register this group for questions")),
        BotCommand("unregister", _("stop routing questions here")),
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
    # Load the language models now (~0.2 s) rather than while the first learners wait.
    await asyncio.to_thread(langid.warm_up)
    try:
        await set_command_menus(app)
    except TelegramError:
        # The menus are a convenience; the bot must still start if Telegram refuses them.
        log.warning("could not set the command menus", exc_info=True)


async def _post_shutdown(app: App) -> None:
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
        steps={**start.STEPS, **admin.STEPS, **review.STEPS, **COMMUNITY_STEPS},
        free=[start.not_onboarded, relay.helper_answer, ask.free_message],
        free_prefixes=("ask:",),
        long_text_prefixes=("bc:",),
    )


def build_application(settings: Settings, redis_url: str) -> App:
    check_catalogs()
    services = build_services(settings, redis_url)
    builder = (
        ApplicationBuilder()
        .bot(make_bot(settings, services.redis))
        .context_types(ContextTypes(context=Ctx))
        .concurrent_updates(PerUserUpdateProcessor(UPDATES_IN_FLIGHT))
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
