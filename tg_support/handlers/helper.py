"""Volunteer helpers: settings (/helper), /away, /back, /stats, /leaderboard, offers
(Accept / Pass), answering in private chat, and learners' ratings.

Stats and leaderboards (``{p}`` is the prefix):

===============================  ======  ===================================================
``{p}hstats:{uid}``              hash    answers, helpful, rated, solved, langs (JSON)
``{p}hdays:{uid}``               set     day numbers (UTC) with at least one answer
``{p}answered:{qid}``            list    helpers who answered the question, in order
``{p}rated:{qid}:{uid}``         string  set once the learner rated that helper's answer
``{p}lb:lang:{lang}``            zset    helpful answers per helper, by answer language
``{p}lb:group:{chat_id}``        zset    helpful answers per helper, by group
``{p}lb:optout``                 set     helpers who do not want to be listed
===============================  ======  ===================================================
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, cast

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from tg_support import reputation
from tg_support.core import callbacks
from tg_support.core.i18n import LANGUAGE_NAMES, LOCALES, _, ngettext, use_locale
from tg_support.core.services import Ctx
from tg_support.core.store import Profile, Store
from tg_support.helper_index import HelperIndex
from tg_support.matching import HelperCard
from tg_support.offers import TTL, OfferKeys
from tg_support.questions import topics
from tg_support.questions.store import Question, questions

from .common import edit_or_send, esc, grid, keyboard, reply

log = logging.getLogger(__name__)

LEVELS = ("native", "fluent", "basic")
CAPACITIES = (1, 2, 3, 5, 10)
DEFAULT_CAPACITY = 3
# Presets of available hours: weekday (0 = Monday) → ((start minute, end minute), ...).
Hours = dict[int, tuple[tuple[int, int], ...]]
_EVENING: tuple[tuple[int, int], ...] = ((18 * 60, 22 * 60),)
_DAYTIME: tuple[tuple[int, int], ...] = ((10 * 60, 18 * 60),)
_OFFICE: tuple[tuple[int, int], ...] = ((9 * 60, 17 * 60),)
_WEEKEND: tuple[tuple[int, int], ...] = ((9 * 60, 21 * 60),)
HOURS: dict[str, Hours] = {
    "any": {},
    "evenings": {
        0: _EVENING,
        1: _EVENING,
        2: _EVENING,
        3: _EVENING,
        4: _EVENING,
        5: _DAYTIME,
        6: _DAYTIME,
    },
    "office": {0: _OFFICE, 1: _OFFICE, 2: _OFFICE, 3: _OFFICE, 4: _OFFICE},
    "weekends": {5: _WEEKEND, 6: _WEEKEND},
}


def level_label(level: str) -> str:
    # Translators: how well a helper speaks a language (shown as "Español (native)").
    return {"native": _("native"), "fluent": _("fluent"), "basic": _("basic")}.get(level, level)


def hours_label(preset: str) -> str:
    return {
        "any": _("any time"),
        "evenings": _("weekday evenings and weekend days"),
        "office": _("weekdays 9:00–17:00"),
        "weekends": _("weekends"),
    }.get(preset, preset)


def badge_label(code: str) -> str:
    return {
        "first_answer": _("🌱 First answer"),
        "helpful_10": _("🌟 10 helpful answers"),
        "bilingual": _("🌍 Answers in two languages"),
        "week_streak": _("🔥 A week streak"),
        "solver_25": _("🏆 25 solved questions"),
    }.get(code, code)


def hstats_key(store: Store, uid: int) -> str:
    return f"{store.keys.p}hstats:{uid}"


def _hours_preset(card: HelperCard) -> str:
    for name, preset in HOURS.items():
        if dict(card.hours) == preset:
            return name
    return "any"


def default_card(profile: Profile) -> HelperCard:
    return HelperCard(
        user_id=profile.user_id,
        languages={profile.lang or "en": "native"},
        tags=frozenset(profile.courses + profile.platforms),
        tz=profile.tz or "UTC",
        hours={},
        capacity=DEFAULT_CAPACITY,
        open_load=0,
        reputation=reputation.NEW_HELPER,
        last_offered_at=0.0,
    )


async def ensure_card(ctx: Ctx, profile: Profile) -> HelperCard:
    """The helper's card, created from the profile the first time; tags follow the profile."""
    index = HelperIndex(ctx.svc.redis, prefix=ctx.svc.settings.redis_prefix)
    card = await index.get(profile.user_id)
    tags = frozenset(profile.courses + profile.platforms)
    if card is None:
        card = default_card(profile)
    elif card.tags != tags or card.tz != (profile.tz or card.tz):
        card = _replace(card, tags=tags, tz=profile.tz or card.tz)
    else:
        return card
    await index.upsert(card)
    return card


def _replace(card: HelperCard, **changes: Any) -> HelperCard:
    from dataclasses import replace

    return replace(card, **changes)


def _settings_text(card: HelperCard, profile: Profile) -> str:
    langs = ", ".join(
        f"{LANGUAGE_NAMES.get(code, code)} ({level_label(level)})"
        for code, level in card.languages.items()
    )
    return "\n".join(
        [
            "<b>" + _("Your helper settings") + "</b>",
            _("Languages: {languages}").format(languages=langs or _("none")),
            _("Courses and topics: {courses}").format(
                courses=esc(", ".join(sorted(card.tags))) or _("none")
            ),
            _("Available: {hours}").format(hours=hours_label(_hours_preset(card))),
            ngettext(
                "Capacity: {count} open question at a time",
                "Capacity: {count} open questions at a time",
                card.capacity,
            ).format(count=card.capacity),
            # Translators: a helper's status: on a break (away) or receiving questions.
            _("Status: {status}").format(status=_("away") if card.away else _("available")),
            _("Learners see: {who}").format(
                who=_("your first name") if profile.show_name else _("a pseudonym")
            ),
            "",
            _("Tap a language to change your level. Courses come from your /profile."),
        ]
    )


def _settings_markup(card: HelperCard, profile: Profile) -> Any:
    lang_buttons = [
        (
            LANGUAGE_NAMES[c]
            + (f" · {level_label(card.languages[c])}" if c in card.languages else " · —"),
            callbacks.pack("hp", "lang", c),
        )
        for c in LOCALES
    ]
    cap_row = [
        (("● " if n == card.capacity else "") + str(n), callbacks.pack("hp", "cap", n))
        for n in CAPACITIES
    ]
    hours_rows = [
        [
            (
                ("● " if _hours_preset(card) == h else "") + hours_label(h),
                callbacks.pack("hp", "hours", h),
            )
        ]
        for h in HOURS
    ]
    name_label = _("Show my first name: on") if profile.show_name else _("Show my first name: off")
    lb_label = _("Leaderboard: listed") if profile.leaderboard else _("Leaderboard: hidden")
    return keyboard(
        [
            *grid(lang_buttons),
            cap_row,
            *hours_rows,
            [(name_label, "hp:name:toggle"), (lb_label, "hp:lb:toggle")],
        ]
    )


async def helper_cmd(update: Update, ctx: Ctx) -> None:
    """/helper: volunteer settings (becomes a helper if the learner wants to)."""
    profile = ctx.profile
    if profile is None or not profile.onboarded:
        await reply(update, ctx, _("Hello! Let's set up your profile first; it takes a minute."))
        return
    if not profile.is_helper:
        profile.role = "both"
        await ctx.svc.store.save_profile(profile)
    card = await ensure_card(ctx, profile)
    await reply(update, ctx, _settings_text(card, profile), _settings_markup(card, profile))


async def on_helper_button(update: Update, ctx: Ctx) -> None:
    """``hp:*``: settings buttons; each edits the settings message in place."""
    query = update.callback_query
    assert query is not None
    parts = callbacks.parse(query.data)
    profile = ctx.profile
    if parts is None or len(parts) != 3 or profile is None or not profile.is_helper:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    index = HelperIndex(ctx.svc.redis, prefix=ctx.svc.settings.redis_prefix)
    card = await ensure_card(ctx, profile)
    _hp, kind, value = parts
    if kind == "open":  # from the onboarding summary: the settings as a new message
        await query.answer()
        await reply(update, ctx, _settings_text(card, profile), _settings_markup(card, profile))
        return
    if kind == "lang" and value in LOCALES:
        langs = dict(card.languages)
        cycle = [*LEVELS, None]
        current = langs.get(value)
        nxt = cycle[(cycle.index(current) + 1) % len(cycle)] if current in cycle else "native"
        if nxt is None:
            if len(langs) == 1:
                await query.answer(_("Keep at least one language."), show_alert=True)
                return
            langs.pop(value, None)
        else:
            langs[value] = nxt
        card = _replace(card, languages=langs)
    elif kind == "cap" and value.isdigit() and int(value) in CAPACITIES:
        card = _replace(card, capacity=int(value))
    elif kind == "hours" and value in HOURS:
        card = _replace(card, hours=HOURS[value])
    elif kind == "name" and value == "toggle":
        profile.show_name = not profile.show_name
        # The name is kept only while the helper wants it shown.
        profile.display_name = query.from_user.first_name[:64] if profile.show_name else None
        await ctx.svc.store.save_profile(profile)
    elif kind == "lb" and value == "toggle":
        profile.leaderboard = not profile.leaderboard
        await ctx.svc.store.save_profile(profile)
        optout = f"{ctx.svc.settings.redis_prefix}lb:optout"
        if profile.leaderboard:
            await ctx.svc.redis.srem(optout, profile.user_id)
        else:
            await ctx.svc.redis.sadd(optout, profile.user_id)
    else:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    await index.upsert(card)
    await query.answer()
    await edit_or_send(update, ctx, _settings_text(card, profile), _settings_markup(card, profile))


async def away_cmd(update: Update, ctx: Ctx) -> None:
    """/away: pause offers."""
    await _set_away(update, ctx, True)


async def back_cmd(update: Update, ctx: Ctx) -> None:
    """/back: resume offers."""
    await _set_away(update, ctx, False)


async def _set_away(update: Update, ctx: Ctx, away: bool) -> None:
    profile = ctx.profile
    if profile is None or not profile.is_helper:
        await reply(update, ctx, _("This is for volunteer helpers. Send /helper to become one."))
        return
    await ensure_card(ctx, profile)
    await HelperIndex(ctx.svc.redis, prefix=ctx.svc.settings.redis_prefix).set_away(
        profile.user_id, away
    )
    if away:
        await reply(
            update, ctx, _("Enjoy your break! I won't offer you questions until you send /back.")
        )
    else:
        await reply(update, ctx, _("Welcome back! I will offer you questions again."))


async def read_stats(store: Store, uid: int) -> reputation.HelperStats:
    raw = cast(dict[str, str], await store.redis.hgetall(hstats_key(store, uid)))
    days = {int(d) for d in await store.redis.smembers(f"{store.keys.p}hdays:{uid}")}
    try:
        langs = frozenset(json.loads(raw.get("langs") or "[]"))
    except json.JSONDecodeError:
        langs = frozenset()
    return reputation.HelperStats(
        answers=int(raw.get("answers") or 0),
        helpful=int(raw.get("helpful") or 0),
        rated=int(raw.get("rated") or 0),
        solved=int(raw.get("solved") or 0),
        languages=langs,
        streak_days=reputation.streak(days, int(time.time() // 86400)),
    )


async def stats_cmd(update: Update, ctx: Ctx) -> None:
    """/stats: answers, helpful ratings, reputation and badges."""
    profile = ctx.profile
    if profile is None or not profile.is_helper:
        await reply(update, ctx, _("This is for volunteer helpers. Send /helper to become one."))
        return
    s = await read_stats(ctx.svc.store, profile.user_id)
    rep = reputation.reputation(s.helpful, s.rated)
    lines = [
        "<b>" + _("Your contribution") + "</b>",
        ngettext("{count} answer", "{count} answers", s.answers).format(count=s.answers),
        ngettext("{count} rated helpful", "{count} rated helpful", s.helpful).format(
            count=s.helpful
        ),
        ngettext("{count} question solved", "{count} questions solved", s.solved).format(
            count=s.solved
        ),
        _("Reputation: {score} / 100").format(score=round(rep * 100)),
    ]
    earned = reputation.badges(s)
    lines.append(
        _("Badges: {badges}").format(
            badges=", ".join(badge_label(b) for b in earned) if earned else _("none yet")
        )
    )
    await reply(update, ctx, "\n".join(lines))


async def leaderboard_cmd(update: Update, ctx: Ctx) -> None:
    """/leaderboard: top helpers of this group (in a group) or of your language (private)."""
    chat = update.effective_chat
    store = ctx.svc.store
    if chat is not None and chat.type != "private":
        key = f"{store.keys.p}lb:group:{chat.id}"
        title = _("Top helpers in this group")
    else:
        lang = ctx.profile.lang if ctx.profile and ctx.profile.lang else ctx.locale
        key = f"{store.keys.p}lb:lang:{lang}"
        title = _("Top helpers in {language}").format(language=LANGUAGE_NAMES.get(lang, lang))
    optout = {int(x) for x in await store.redis.smembers(f"{store.keys.p}lb:optout")}
    rows = cast(list[tuple[str, float]], await store.redis.zrevrange(key, 0, 30, withscores=True))
    lines = ["<b>" + title + "</b>"]
    rank = 0
    for member, score in rows:
        uid = int(member)
        if uid in optout:
            continue
        rank += 1
        p = await store.get_profile(uid)
        name = await _display_name(ctx, uid, p)
        lines.append(
            ngettext(
                "{rank}. {name} — {count} helpful answer",
                "{rank}. {name} — {count} helpful answers",
                int(score),
            ).format(rank=rank, name=esc(name), count=int(score))
        )
        if rank >= 10:
            break
    if rank == 0:
        lines.append(_("No helpful answers yet. Be the first!"))
    await reply(update, ctx, "\n".join(lines))


async def _display_name(ctx: Ctx, uid: int, p: Profile | None) -> str:
    if p is not None and p.show_name and p.display_name:
        return p.display_name
    code = await topics.pseudonym_code(ctx.svc.store, "P", "public", uid)
    return _("Helper {code}").format(code=code)


# --- offers ---------------------------------------------------------------------------


async def on_offer_button(update: Update, ctx: Ctx) -> None:
    """``of:acc:<qid>`` / ``of:pass:<qid>``: the first Accept claims the question."""
    query = update.callback_query
    assert query is not None
    parts = callbacks.parse(query.data)
    store = ctx.svc.store
    keys = OfferKeys(store.keys.p)
    uid = query.from_user.id
    if parts is None or len(parts) != 3 or not parts[2].isdigit():
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    action, qid = parts[1], parts[2]
    if not await store.redis.sismember(keys.sent(qid), str(uid)):
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    q = await questions(store).get_question(qid)
    if q is None or q.status not in ("open", "answered"):
        await query.answer(_("This question is closed."), show_alert=True)
        return
    if action == "pass":
        await store.redis.sadd(keys.passed(qid), uid)
        await query.answer()
        await edit_or_send(
            update, ctx, _("OK, you passed on question #{number}. Thank you!").format(number=qid)
        )
        return
    if action != "acc":
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    index = HelperIndex(ctx.svc.redis, prefix=ctx.svc.settings.redis_prefix)
    # Capacity first (atomic in Redis), then the claim (SET NX: one winner); a loser gives
    # the load back. So "taken" is only ever said when someone really holds the question.
    if not await index.try_take_load(uid):
        await query.answer(
            _("You already have as many open questions as your capacity allows."), show_alert=True
        )
        return
    if not await store.redis.set(keys.claim(qid), uid, nx=True, ex=TTL):
        await index.release_load(uid)
        if await store.redis.get(keys.claim(qid)) == str(uid):
            await query.answer(_("You have already taken this question."))
            return
        await query.answer(_("Someone else has just taken this question."), show_alert=True)
        await edit_or_send(
            update,
            ctx,
            _("Question #{number} was taken by another helper. Thank you!").format(number=qid),
        )
        return
    await questions(store).update_question(qid, helper_id=uid)
    await store.redis.set(keys.helping(uid), qid, ex=TTL)
    # From now on what they type in private goes to this learner (until it ends, or /ask).
    conv = await store.get_conv(uid)
    if conv.step is not None and conv.step.startswith("ask"):
        await store.clear_conv(uid)
    await query.answer()
    await edit_or_send(
        update,
        ctx,
        _(
            "You took question #{number}. Write your answer here and I will pass it to the "
            "learner; you can also answer in the group's topic."
        ).format(number=qid)
        + "\n\n"
        + esc(q.text[:3500]),
    )
    await _mark_others_taken(ctx, q, uid)


async def _mark_others_taken(ctx: Ctx, q: Question, winner: int) -> None:
    store = ctx.svc.store
    offers = cast(dict[str, str], await store.redis.hgetall(OfferKeys(store.keys.p).msg(q.qid)))
    for helper, msg_id in offers.items():
        if int(helper) == winner:
            continue
        p = await store.get_profile(int(helper))
        with use_locale(p.lang if p and p.lang else "en"):
            text = _("Question #{number} was taken by another helper. Thank you!").format(
                number=q.qid
            )
        try:
            await ctx.bot.edit_message_text(text, int(helper), int(msg_id))
        except BadRequest as exc:
            log.info("could not mark an offer as taken: %s", exc.message)


async def helping_question(ctx: Ctx, uid: int) -> Question | None:
    """The question a helper is answering in private chat, if still open."""
    store = ctx.svc.store
    qid = await store.redis.get(OfferKeys(store.keys.p).helping(uid))
    q = await questions(store).get_question(str(qid)) if qid else None
    return q if q is not None and q.status in ("open", "answered") else None


async def record_answer(store: Store, q: Question, helper_id: int, lang: str) -> None:
    """Stats, streak days and the answered list; counted once per question and helper."""
    key = f"{store.keys.p}answered:{q.qid}"
    existing = [int(x) for x in await store.redis.lrange(key, 0, -1)]
    if helper_id in existing:
        return
    raw_langs = await store.redis.hget(hstats_key(store, helper_id), "langs")
    langs = set(json.loads(raw_langs or "[]"))
    langs.add(lang)
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.rpush(key, helper_id)
        pipe.expire(key, 90 * 24 * 3600)
        pipe.hincrby(hstats_key(store, helper_id), "answers", 1)
        pipe.hset(hstats_key(store, helper_id), "langs", json.dumps(sorted(langs)))
        pipe.sadd(f"{store.keys.p}hdays:{helper_id}", int(time.time() // 86400))
        await pipe.execute()


# --- ratings --------------------------------------------------------------------------


async def ask_for_ratings(ctx: Ctx, q: Question) -> None:
    """After "solved": one rating message per helper who answered (at most three)."""
    store = ctx.svc.store
    helpers = [int(x) for x in await store.redis.lrange(f"{store.keys.p}answered:{q.qid}", 0, 2)]
    for i, helper in enumerate(helpers):
        code = await topics.pseudonym_code(store, "H", q.qid, helper)
        hp = await store.get_profile(helper)
        who = (
            hp.display_name
            if hp and hp.show_name and hp.display_name
            else _("Helper {code}").format(code=code)
        )
        await ctx.bot.send_message(
            q.asker_id,
            _(
                "Was the answer from {helper} helpful? Your rating helps good helpers get recognised."
            ).format(helper=esc(who)),
            reply_markup=keyboard(
                [
                    [
                        (_("👍 Helpful"), callbacks.pack("rt", q.qid, i, "up")),
                        (_("👎 Not really"), callbacks.pack("rt", q.qid, i, "down")),
                    ]
                ]
            ),
        )


async def on_rating_button(update: Update, ctx: Ctx) -> None:
    """``rt:<qid>:<i>:up|down``: once per question and helper; updates reputation."""
    query = update.callback_query
    assert query is not None
    parts = callbacks.parse(query.data)
    store = ctx.svc.store
    if (
        parts is None
        or len(parts) != 4
        or not parts[1].isdigit()
        or not parts[2].isdigit()
        or parts[3] not in ("up", "down")
    ):
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    qid, i, vote = parts[1], int(parts[2]), parts[3]
    q = await questions(store).get_question(qid)
    if q is None or q.asker_id != query.from_user.id:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    helper_raw = await store.redis.lindex(f"{store.keys.p}answered:{qid}", i)
    if helper_raw is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    helper = int(helper_raw)
    if not await store.redis.set(
        f"{store.keys.p}rated:{qid}:{helper}", vote, nx=True, ex=365 * 24 * 3600
    ):
        await query.answer(_("You already rated this answer. Thank you!"))
        return
    await apply_rating(ctx, q, helper, vote == "up")
    await query.answer()
    await edit_or_send(update, ctx, _("Thank you for your feedback!"))


async def apply_rating(ctx: Ctx, q: Question, helper: int, helpful: bool) -> float:
    store = ctx.svc.store
    key = hstats_key(store, helper)
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(key, "rated", 1)
        if helpful:
            pipe.hincrby(key, "helpful", 1)
            pipe.zincrby(f"{store.keys.p}lb:lang:{q.lang}", 1, helper)
            if q.group_id is not None:
                pipe.zincrby(f"{store.keys.p}lb:group:{q.group_id}", 1, helper)
        await pipe.execute()
    s = await read_stats(store, helper)
    rep = reputation.reputation(s.helpful, s.rated)
    index = HelperIndex(ctx.svc.redis, prefix=ctx.svc.settings.redis_prefix)
    if await index.get(helper) is not None:
        await index.set_reputation(helper, rep)
    return rep


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("helper", helper_cmd, filters=private),
        CommandHandler("away", away_cmd, filters=private),
        CommandHandler("back", back_cmd, filters=private),
        CommandHandler("stats", stats_cmd, filters=private),
        CommandHandler("leaderboard", leaderboard_cmd),
        CallbackQueryHandler(on_helper_button, pattern=r"^hp:"),
        CallbackQueryHandler(on_offer_button, pattern=r"^of:"),
        CallbackQueryHandler(on_rating_button, pattern=r"^rt:"),
    ]
