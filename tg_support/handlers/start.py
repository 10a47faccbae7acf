"""Onboarding and the commands that work at any time: /start, /profile, /language, /help, /cancel.

The flow is a small state machine whose state (``Conversation``) lives in Redis, so a bot
restart mid-onboarding loses nothing and any bot process can continue it. Steps:
language → role → platforms → courses → time zone → goal → summary.
Each button step edits one message in place; the message id is kept so that a press on an
older message is recognised as stale.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import date
from typing import Literal

from babel import Locale
from babel.dates import get_timezone_location
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from tg_support.community import picker
from tg_support.community.course_store import CourseStore, set_learner_courses
from tg_support.community.dates import format_day, parse_date
from tg_support.community.reflections import prompt_job
from tg_support.core import onboarding as flow
from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import LANGUAGE_NAMES, LOCALES, _, get_locale, negotiate, set_locale
from tg_support.core.labels import region_label
from tg_support.core.services import Ctx
from tg_support.core.store import PLATFORMS, ROLES, Conversation, Profile
from tg_support.core.timezones import parse_timezone, to_tzinfo, utc_offset_label
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.registry import HelperOpen, ensure_card
from tg_support.moderation.erase import erase_user
from tg_support.questions.regions import OPEN as REGION_OPEN
from tg_support.questions.regions import RegionChoice

from .common import edit_or_send, esc, grid, keyboard, offer_course, reply
from .steps import StepHandler

log = logging.getLogger(__name__)

MAX_GOAL_LEN = 300
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# Steps that wait for typed text (anything else waits for a button).
TEXT_STEPS = frozenset({"courses", "tz", "goal"})


class OnboardingChoice(CallbackData, prefix="ob"):
    """``ob:<step>:<value>``: a button of an onboarding step; the handler checks the value
    against the step (a language, a role, a platform or ``done``, a zone, what to skip)."""

    step: Literal["lang", "role", "plat", "tz", "skip"]
    value: str


class OnboardingCourse(CallbackData, prefix="obc"):
    """``obc:<action>:<index>``: the courses step's picker (``community.picker``): a
    candidate by its index, a link's course, a new entry, a topic, skip, or done."""

    action: Literal["pick", "url", "new", "tag", "skip", "done"]
    index: int


class LanguageChoice(CallbackData, prefix="lang"):
    """``lang:<code>``: /language's picker."""

    code: str


class ProfileEdit(CallbackData, prefix="pf:edit"):
    """``pf:edit``: onboarding again, from the language."""


class ForgetAnswer(CallbackData, prefix="pf:forget"):
    """``pf:forget:yes|no``: the /forget confirmation."""

    answer: Literal["yes", "no"]


# Suggested zones per interface language; people can always type a city or an offset.
_TZ_SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "en": ("Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Kolkata"),
    "es": ("Europe/Madrid", "America/Mexico_City", "America/Bogota", "America/Argentina/Buenos_Aires"),
    "pt": ("America/Sao_Paulo", "Europe/Lisbon", "Africa/Luanda", "Africa/Maputo"),
    "fr": ("Europe/Paris", "America/Montreal", "Africa/Casablanca", "Africa/Abidjan"),
    "ru": ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Almaty"),
    "hi": ("Asia/Kolkata", "Asia/Kathmandu", "Asia/Dubai", "Europe/London"),
    "ar": ("Asia/Riyadh", "Africa/Cairo", "Asia/Dubai", "Africa/Casablanca"),
    "zh": ("Asia/Shanghai", "Asia/Taipei", "Asia/Singapore", "Asia/Hong_Kong"),
}  # fmt: skip


def role_label(role: str | None) -> str:
    if role == "learner":
        return _("Learner")
    if role == "helper":
        return _("Volunteer helper")
    if role == "both":
        return _("Learner and volunteer helper")
    return _("not set")


def platform_label(slug: str) -> str:
    names = {
        "coursera": "Coursera",
        "edx": "edX",
        "udemy": "Udemy",
        "futurelearn": "FutureLearn",
        "khan": "Khan Academy",
    }
    return names.get(slug) or _("Other")


def tz_label(tz: str | None) -> str:
    if not tz:
        return _("not set")
    if tz.startswith("UTC"):
        return tz
    try:
        city = get_timezone_location(
            to_tzinfo(tz), locale=Locale.parse(get_locale()), return_city=True
        )
    except (LookupError, ValueError, AttributeError):
        city = tz.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} ({utc_offset_label(tz)})"


def profile_summary(p: Profile, courses: list[str] | None = None) -> str:
    """``courses``: the labels of ``p.courses`` (catalog titles), when the caller has them."""
    shown = courses if courses is not None else p.courses
    lines = [
        "<b>" + _("Your profile") + "</b>",
        _("Language: {language}").format(language=LANGUAGE_NAMES.get(p.lang or "", "?")),
        _("Role: {role}").format(role=role_label(p.role)),
        _("Platforms: {platforms}").format(
            platforms=", ".join(platform_label(x) for x in p.platforms) or _("none")
        ),
        _("Courses and topics: {courses}").format(
            courses=esc(", ".join(shown)) if shown else _("none")
        ),
        _("Time zone: {tz}").format(tz=tz_label(p.tz)),
        _("Region: {region}").format(region=region_label(p.region) if p.region else _("not set")),
        _("Learning goal: {goal}").format(goal=esc(p.goal) if p.goal else _("not set")),
    ]
    return "\n".join(lines)


def next_steps(p: Profile) -> str:
    parts = []
    if p.role in ("learner", "both"):
        parts.append(
            _(
                "You're all set! Send me your question in any language. I will first show "
                "you similar questions that were already answered, then pass yours to people "
                "who speak your language. Tip: name the course and say what you already tried."
            )
        )
    if p.role in ("helper", "both"):
        parts.append(
            _(
                "Thank you for volunteering! I will offer you questions that match your "
                "languages and courses. Use /helper to set your hours and how many questions "
                "you can take at once, and /away when you need a break."
            )
        )
    return "\n\n".join(parts)


# --- the steps -------------------------------------------------------------------------


def _language_keyboard(pack: Callable[[str], str], current: str | None) -> InlineKeyboardMarkup:
    buttons = [
        (
            ("✅ " if code == current else "") + LANGUAGE_NAMES[code],
            pack(code),
        )
        for code in LOCALES
    ]
    return keyboard(grid(buttons))


async def _ask_language(update: Update, ctx: Ctx, conv: Conversation, guess: str) -> None:
    text = _("Welcome to MOOC peer support! Which language should I speak with you?")
    keys = _language_keyboard(lambda c: OnboardingChoice(step="lang", value=c).pack(), guess)
    msg = await reply(update, ctx, text, keys)
    conv.step = "lang"
    conv.data["msg"] = msg.message_id if msg else None
    await ctx.svc.store.set_conv(_uid(update), conv)


async def _show_step(update: Update, ctx: Ctx, conv: Conversation, *, edit: bool) -> None:
    """Render the current step: edit the pressed message, or send a new one after text."""
    step = conv.step
    markup: InlineKeyboardMarkup | None = None
    if step == "role":
        text = _("What brings you here?")
        markup = keyboard(
            [
                [(_("I am a learner"), OnboardingChoice(step="role", value="learner").pack())],
                [
                    (
                        _("I want to help others"),
                        OnboardingChoice(step="role", value="helper").pack(),
                    )
                ],
                [(_("Both"), OnboardingChoice(step="role", value="both").pack())],
            ]
        )
    elif step == "platforms":
        chosen = set(conv.data.get("platforms", []))
        text = _("Which MOOC platforms do you use? Tap all that apply, then Done.")
        buttons = [
            (
                ("☑️ " if s in chosen else "⬜ ") + platform_label(s),
                OnboardingChoice(step="plat", value=s).pack(),
            )
            for s in PLATFORMS
        ]
        done = OnboardingChoice(step="plat", value="done").pack()
        markup = keyboard([*grid(buttons), [(_("Done"), done)]])
    elif step == "courses":
        text = _(
            "Which courses are you taking (or can help with)? Send a course name or paste "
            "its link (Coursera, edX, Udemy, FutureLearn, Khan Academy…), for example: "
            "Machine Learning, Python."
        )
        markup = keyboard([[(_("Skip"), OnboardingChoice(step="skip", value="courses").pack())]])
    elif step == "tz":
        text = _(
            "What is your time zone? Tap one, or send a city (Kolkata, Madrid) or a UTC "
            "offset (+5:30, -3)."
        )
        zones = _TZ_SUGGESTIONS.get(get_locale(), _TZ_SUGGESTIONS["en"])
        buttons = [(tz_label(z), OnboardingChoice(step="tz", value=z).pack()) for z in zones]
        utc = OnboardingChoice(step="tz", value="UTC").pack()
        markup = keyboard([*grid(buttons), [("UTC", utc)]])
    elif step == "goal":
        text = _(
            "Last step: what is your learning goal? One sentence is enough, for example "
            '"finish the ML specialization by June" or "get a data analyst job".'
        )
        markup = keyboard([[(_("Skip"), OnboardingChoice(step="skip", value="goal").pack())]])
    else:
        return
    msg: Message | None
    msg = (
        await edit_or_send(update, ctx, text, markup)
        if edit
        else await reply(update, ctx, text, markup)
    )
    await _remember(ctx, _uid(update), step, msg)


async def _remember(ctx: Ctx, uid: int, step: str | None, msg: Message | None) -> None:
    """The message now showing ``step``: presses on older messages are stale. Written only
    while the user is still in that step (a concurrent update may have moved on)."""
    msg_id = msg.message_id if msg else None
    await ctx.svc.store.update_conv(uid, lambda c: flow.note_message(c, step, msg_id))


async def _finish(update: Update, ctx: Ctx, conv: Conversation, *, edit: bool) -> None:
    uid = _uid(update)
    store = ctx.svc.store
    profile = await store.get_profile(uid) or Profile(user_id=uid)
    d = conv.data
    profile.lang = d.get("lang") or profile.lang
    profile.role = d.get("role") or profile.role
    profile.platforms = list(d.get("platforms", []))
    profile.tz = d.get("tz") or profile.tz
    profile.goal = d.get("goal") or None
    profile.onboarded = True
    if update.effective_user is not None:
        profile.tg_lang = update.effective_user.language_code
    sessions: dict[str, date | None] = {
        str(cid): date.fromisoformat(day) for cid, day in dict(d.get("sessions") or {}).items()
    }
    await set_learner_courses(store, profile, list(d.get("courses", [])), sessions)
    ctx.profile = profile
    for cid, day in sessions.items():
        planned = prompt_job(uid, profile.tz, cid, day, time.time()) if day else None
        if planned is not None:
            await ctx.svc.submit(planned[0], delay=planned[1])
    if profile.is_helper:
        await ensure_card(store.repo(HelperIndex), profile)
    labels = await picker.names(store.repo(CourseStore), profile.courses)
    text = profile_summary(profile, labels) + "\n\n" + next_steps(profile)
    rows = profile_rows()
    if profile.is_helper:
        rows.append([(_("Helper settings"), HelperOpen().pack())])
    markup = keyboard(rows)
    if edit:
        await edit_or_send(update, ctx, text, markup)
    else:
        await reply(update, ctx, text, markup)


def _uid(update: Update) -> int:
    assert update.effective_user is not None  # guards drop updates without a user
    return update.effective_user.id


# --- handlers --------------------------------------------------------------------------


async def start(update: Update, ctx: Ctx) -> None:
    """/start [payload]: begin (or restart) onboarding; a deep-link payload is remembered."""
    if update.effective_chat is None or update.effective_chat.type != "private":
        return
    uid = _uid(update)
    conv = Conversation(data={})
    if ctx.args:
        payload = ctx.args[0]
        if _PAYLOAD.match(payload):
            conv.data["ref"] = payload
        else:
            log.info("ignored a malformed /start payload from a user")
    profile = ctx.profile
    if profile is not None and profile.onboarded:
        await store_ref(ctx, uid, conv.data.get("ref"))
        labels = await picker.names(ctx.svc.store.repo(CourseStore), profile.courses)
        text = _("Welcome back!") + "\n\n" + profile_summary(profile, labels)
        text += "\n\n" + next_steps(profile)
        await reply(update, ctx, text, keyboard([[(_("Edit profile"), ProfileEdit().pack())]]))
        return
    guess = (
        profile.lang
        if profile and profile.lang
        else negotiate(update.effective_user.language_code if update.effective_user else None)
    )
    await _ask_language(update, ctx, conv, guess)


async def store_ref(ctx: Ctx, uid: int, ref: str | None) -> None:
    if ref:
        await ctx.svc.redis.set(ctx.svc.store.keys.ref(uid), ref, ex=7 * 24 * 3600)


async def on_onboarding_button(update: Update, ctx: Ctx) -> None:
    """Every ``ob:*`` button: validated against the step the user is actually in, and
    applied with a compare-and-set (two processes may handle two quick presses)."""
    query = update.callback_query
    assert query is not None
    data = OnboardingChoice.parse(query.data)
    uid = _uid(update)
    store = ctx.svc.store
    if data is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    kind, value = data.step, data.value
    msg_id = query.message.message_id if query.message else None
    valid = {
        "lang": value in LOCALES,
        "role": value in ROLES,
        "plat": value in (*PLATFORMS, "done"),
        "tz": parse_timezone(value) == value,
        "skip": value in ("courses", "goal"),
    }
    if not valid.get(kind, False):
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    conv = await store.update_conv(uid, lambda c: flow.press(c, kind, value, msg_id))
    if conv is None:
        await query.answer(
            _("This button has expired. Please use the latest message."), show_alert=True
        )
        return
    if kind == "lang":
        # Saved now, not at the end: every later update (even after a restart) speaks it.
        profile = ctx.profile or Profile(user_id=uid)
        profile.lang = value
        await store.save_profile(profile)
        ctx.profile = profile
        set_locale(value)
        ctx.locale = value
    await query.answer()
    if conv.step == "done":
        await _finish(update, ctx, conv, edit=True)
    else:
        await _show_step(update, ctx, conv, edit=True)


async def on_onboarding_text(update: Update, ctx: Ctx, conv: Conversation, text: str) -> None:
    """Typed answers for the steps that take text; called by the private-text router."""
    uid = _uid(update)
    step = conv.step
    if step == "courses":
        await _course_text(update, ctx, conv, text)
        return
    value: str
    if step == "tz":
        tz = parse_timezone(text)
        if tz is None:
            await reply(
                update,
                ctx,
                _(
                    'I don\'t know the time zone "{text}". Try a big city near you or an offset like +5:30.'
                ).format(text=esc(text[:64])),
            )
            return
        value = tz
    elif step == "goal":
        goal = " ".join(text.split())
        if len(goal) > MAX_GOAL_LEN:
            await reply(
                update,
                ctx,
                _("Please keep your goal under {limit} characters.").format(limit=MAX_GOAL_LEN),
            )
            return
        value = goal
    else:
        return

    assert step is not None
    new = await ctx.svc.store.update_conv(uid, lambda c: flow.typed(c, step, value))
    if new is None:
        log.info("a typed onboarding answer arrived after its step had moved on")
    elif new.step == "done":
        await _finish(update, ctx, new, edit=False)
    else:
        await _show_step(update, ctx, new, edit=False)


async def on_text_step(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    """A message during a typed onboarding step (courses, time zone, goal)."""
    if text is None:
        await reply(update, ctx, _("I can only read text here. Please type your answer."))
        return
    await on_onboarding_text(update, ctx, conv, text)


async def not_onboarded(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> bool:
    """Free text from someone without a profile starts onboarding."""
    if text is None or (ctx.profile is not None and ctx.profile.onboarded):
        return False
    await reply(update, ctx, _("Hello! Let's set up your profile first; it takes a minute."))
    await start(update, ctx)
    return True


# --- the courses step: catalog courses picked from typed names or pasted links ------------


async def _course_text(update: Update, ctx: Ctx, conv: Conversation, text: str) -> None:
    """A course name or link (a picker follows), or the session date of the last course."""
    last = conv.data.get("last")
    day = parse_date(text, get_locale(), date.today()) if last else None
    if day is not None:
        iso = day.isoformat()
        if not await ctx.svc.store.update_conv(_uid(update), lambda c: flow.dated(c, str(last), iso)):
            log.info("a session date arrived after its course step had moved on")
            return
        line = _("📅 Your session starts on {date}.").format(date=format_day(day, get_locale()))
        await _after_choice(update, ctx, conv, line + "\n\n" + picker.next_prompt(None, session=False))
        return
    queries = picker.split_queries(text)
    if not queries:
        await reply(update, ctx, _("Please send a course name or link, or tap Skip."))
        return
    await _offer(update, ctx, conv, queries)


def _course_button(action: picker.Action, index: int) -> str:
    return OnboardingCourse(action=action, index=index).pack()


async def _offer(update: Update, ctx: Ctx, conv: Conversation, queries: list[str]) -> None:
    pick, msg = await offer_course(update, ctx, queries, _course_button)
    msg_id = msg.message_id if msg else None
    await ctx.svc.store.update_conv(_uid(update), lambda c: flow.offered(c, pick.to_json(), msg_id))


async def _after_choice(update: Update, ctx: Ctx, conv: Conversation, text: str) -> None:
    markup = keyboard([[(_("Done"), _course_button("done", 0))]])
    msg = await (edit_or_send(update, ctx, text, markup) if update.callback_query else reply(update, ctx, text, markup))
    await _remember(ctx, _uid(update), "courses", msg)


async def on_course_button(update: Update, ctx: Ctx) -> None:
    """``obc:<action>:<index>``: the courses step's buttons."""
    query = update.callback_query
    assert query is not None
    data = OnboardingCourse.parse(query.data)
    if data is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    store = ctx.svc.store
    uid = _uid(update)
    msg_id = query.message.message_id if query.message else None
    expired = _("This button has expired. Please use the latest message.")
    if data.action == "done":
        conv = await store.update_conv(uid, lambda c: flow.courses_done(c, msg_id))
        if conv is None:
            await query.answer(expired, show_alert=True)
            return
        await query.answer()
        await _show_step(update, ctx, conv, edit=True)
        return
    raw = await store.update_conv(uid, lambda c: flow.claim_pick(c, msg_id))
    pick = picker.Pick.from_json(raw)
    courses = store.repo(CourseStore)
    choice = await picker.choose(courses, pick, data.action, data.index, uid) if pick else None
    if pick is None or choice is None or choice.refused:
        if raw is not None:
            await store.update_conv(uid, lambda c: flow.unclaim(c, msg_id, raw))
        refused = choice is not None and choice.refused
        await query.answer(picker.refused_text() if refused else expired, show_alert=True)
        return
    catalog = await courses.catalog()

    def recorded(c: Conversation) -> tuple[bool, str | None]:
        if c.step != "courses":
            return False, None
        return True, picker.record(c.data, choice, catalog)

    kept, added = await store.update_conv(uid, recorded)
    if not kept:
        await query.answer(expired, show_alert=True)
        return
    await query.answer()
    if pick.rest:
        if added:
            await edit_or_send(update, ctx, _("✅ Added: {item}.").format(item=added))
        await _offer(update, ctx, Conversation(step="courses"), pick.rest)
        return
    after = Conversation(step="courses")
    await _after_choice(update, ctx, after, picker.next_prompt(added, session=choice.course is not None))


STEPS: dict[str, StepHandler] = {step: on_text_step for step in TEXT_STEPS}


async def profile_cmd(update: Update, ctx: Ctx) -> None:
    """/profile: show the profile with a button to edit it."""
    p = ctx.profile
    if p is None or not p.onboarded:
        await reply(update, ctx, _("You have no profile yet. Send /start to create one."))
        return
    labels = await picker.names(ctx.svc.store.repo(CourseStore), p.courses)
    await reply(update, ctx, profile_summary(p, labels), keyboard(profile_rows()))


def profile_rows() -> list[list[tuple[str, str]]]:
    """The profile's buttons: edit it all, or set the region alone (handlers.region)."""
    return [
        [(_("Edit profile"), ProfileEdit().pack())],
        [(_("My region"), RegionChoice(region=REGION_OPEN).pack())],
    ]


async def on_profile_edit(update: Update, ctx: Ctx) -> None:
    """The "Edit profile" button: onboarding again, starting from the language."""
    query = update.callback_query
    assert query is not None
    if ProfileEdit.parse(query.data) is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    await query.answer()
    conv = Conversation(data={})
    p = ctx.profile
    await _ask_language(update, ctx, conv, p.lang if p and p.lang else get_locale())


async def language_cmd(update: Update, ctx: Ctx) -> None:
    """/language: change the interface language only."""
    await reply(
        update,
        ctx,
        _("Choose your language:"),
        _language_keyboard(
            lambda c: LanguageChoice(code=c).pack(), ctx.profile.lang if ctx.profile else None
        ),
    )


async def on_language_button(update: Update, ctx: Ctx) -> None:
    """``lang:<code>``: set the chosen language and answer in it."""
    query = update.callback_query
    assert query is not None
    data = LanguageChoice.parse(query.data)
    if data is None or data.code not in LOCALES:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    uid = _uid(update)
    code = data.code
    profile = ctx.profile or Profile(user_id=uid)
    profile.lang = code
    await ctx.svc.store.save_profile(profile)
    ctx.profile = profile
    set_locale(code)
    ctx.locale = code
    await query.answer()
    await edit_or_send(
        update,
        ctx,
        _("Done! I will speak {language} with you.").format(language=LANGUAGE_NAMES[code]),
    )


async def cancel_cmd(update: Update, ctx: Ctx) -> None:
    """/cancel: leave any multi-step flow; the profile stays as it was."""
    uid = _uid(update)
    conv = await ctx.svc.store.get_conv(uid)
    await ctx.svc.store.clear_conv(uid)
    if conv.step is None:
        await reply(update, ctx, _("There is nothing to cancel."))
    else:
        await reply(update, ctx, _("Cancelled. Send /start when you want to continue."))


async def forget_cmd(update: Update, ctx: Ctx) -> None:
    """/forget: erase everything the project stores about the user, after a confirmation."""
    await reply(
        update,
        ctx,
        _(
            "This erases your profile, your questions and your helper record from our "
            "storage. Messages already posted in groups stay there, under a pseudonym. "
            "Erase everything?"
        ),
        keyboard(
            [
                [
                    (_("Yes, erase everything"), ForgetAnswer(answer="yes").pack()),
                    (_("Keep my data"), ForgetAnswer(answer="no").pack()),
                ]
            ]
        ),
    )


async def on_forget_button(update: Update, ctx: Ctx) -> None:
    """``pf:forget:yes|no``."""
    query = update.callback_query
    assert query is not None
    data = ForgetAnswer.parse(query.data)
    if data is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    await query.answer()
    if data.answer != "yes":
        await edit_or_send(update, ctx, _("Nothing was erased."))
        return
    uid = _uid(update)
    await erase_everything(ctx, uid)
    ctx.profile = None
    await edit_or_send(
        update,
        ctx,
        _("Done. I erased everything I stored about you. Send /start if you come back."),
    )


async def erase_everything(ctx: Ctx, uid: int) -> None:
    await erase_user(ctx.svc.store, ctx.svc.settings, ctx.bot.id, uid)


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("start", start, filters=private),
        CommandHandler("profile", profile_cmd, filters=private),
        CommandHandler("language", language_cmd, filters=private),
        CommandHandler("cancel", cancel_cmd, filters=private),
        CommandHandler("forget", forget_cmd, filters=private),
        CallbackQueryHandler(on_forget_button, pattern=ForgetAnswer.pattern()),
        CallbackQueryHandler(on_course_button, pattern=OnboardingCourse.pattern()),
        CallbackQueryHandler(on_onboarding_button, pattern=OnboardingChoice.pattern()),
        CallbackQueryHandler(on_profile_edit, pattern=ProfileEdit.pattern()),
        CallbackQueryHandler(on_language_button, pattern=LanguageChoice.pattern()),
    ]
