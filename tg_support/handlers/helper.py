"""Volunteer helpers: settings (/helper), /away, /back, /stats, /leaderboard, offers
(Accept / Pass), answering in private chat, and learners' ratings.

Their keys are owned by ``helpers.stats`` and ``helpers.offers``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from tg_support.community.review_store import ReviewerRecord, ReviewStore
from tg_support.core import callbacks
from tg_support.core.i18n import LANGUAGE_NAMES, LOCALES, _, ngettext, use_locale
from tg_support.core.services import Ctx
from tg_support.core.store import Profile
from tg_support.helpers import reputation
from tg_support.helpers.index import HelperIndex
from tg_support.helpers.matching import HelperCard
from tg_support.helpers.membership import Membership
from tg_support.helpers.offers import TTL, OfferAction, OfferKeys
from tg_support.helpers.ratings import RatingVote, apply_rating, thank_you_markup
from tg_support.helpers.registry import (
    CAPACITIES,
    HELPER_BUTTONS,
    HOURS,
    LEVELS,
    HelperCapacity,
    HelperHours,
    HelperLanguage,
    HelperOpen,
    HelperToggle,
    ensure_card,
    hours_preset,
    with_changes,
)
from tg_support.helpers.stats import HelperStatsStore
from tg_support.moderation.actions import refusal
from tg_support.moderation.sanctions import Sanctions
from tg_support.questions import topics
from tg_support.questions.store import Question, questions

from .common import edit_or_send, esc, grid, keyboard, reply

log = logging.getLogger(__name__)


def _index(ctx: Ctx) -> HelperIndex:
    return ctx.svc.store.repo(HelperIndex)


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
        "reviewer_5": _("📝 5 peer reviews given"),
    }.get(code, code)


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
            _("Available: {hours}").format(hours=hours_label(hours_preset(card))),
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
            HelperLanguage(lang=c).pack(),
        )
        for c in LOCALES
    ]
    cap_row = [
        (("● " if n == card.capacity else "") + str(n), HelperCapacity(capacity=n).pack())
        for n in CAPACITIES
    ]
    hours_rows = [
        [
            (
                ("● " if hours_preset(card) == h else "") + hours_label(h),
                HelperHours(preset=h).pack(),
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
            [
                (name_label, HelperToggle(setting="name").pack()),
                (lb_label, HelperToggle(setting="lb").pack()),
            ],
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
    card = await ensure_card(_index(ctx), profile)
    await reply(update, ctx, _settings_text(card, profile), _settings_markup(card, profile))


async def on_helper_button(update: Update, ctx: Ctx) -> None:
    """``hp:*``: settings buttons; each edits the settings message in place."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse_any(query.data, *HELPER_BUTTONS)
    profile = ctx.profile
    if data is None or profile is None or not profile.is_helper:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    index = _index(ctx)
    card = await ensure_card(_index(ctx), profile)
    if isinstance(data, HelperOpen):  # from the onboarding summary: a new settings message
        await query.answer()
        await reply(update, ctx, _settings_text(card, profile), _settings_markup(card, profile))
        return
    change = _settings_change(data)
    if change is not None:
        changed = await index.update_settings(profile.user_id, change)
        if changed is None:  # only the language cycle declines: the last language stays
            await query.answer(_("Keep at least one language."), show_alert=True)
            return
        card = changed
    elif isinstance(data, HelperToggle) and data.setting == "name":
        profile.show_name = not profile.show_name
        # The name is kept only while the helper wants it shown.
        profile.display_name = query.from_user.first_name[:64] if profile.show_name else None
        await ctx.svc.store.save_profile(profile)
    elif isinstance(data, HelperToggle) and data.setting == "lb":
        profile.leaderboard = not profile.leaderboard
        await ctx.svc.store.save_profile(profile)
        await ctx.svc.store.repo(HelperStatsStore).set_listed(profile.user_id, profile.leaderboard)
    else:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    await query.answer()
    await edit_or_send(update, ctx, _settings_text(card, profile), _settings_markup(card, profile))


def _settings_change(data: object) -> Callable[[HelperCard], HelperCard | None] | None:
    """What a settings button does to the card (applied by a compare-and-set on the
    settings alone: offers change the load meanwhile); None for other buttons."""
    if isinstance(data, HelperLanguage) and data.lang in LOCALES:
        lang = data.lang

        def cycle_level(card: HelperCard) -> HelperCard | None:
            langs = dict(card.languages)
            cycle = [*LEVELS, None]
            current = langs.get(lang)
            nxt = cycle[(cycle.index(current) + 1) % len(cycle)] if current in cycle else "native"
            if nxt is None:
                if len(langs) == 1:
                    return None
                langs.pop(lang, None)
            else:
                langs[lang] = nxt
            return with_changes(card, languages=langs)

        return cycle_level
    if isinstance(data, HelperCapacity) and data.capacity in CAPACITIES:
        capacity = data.capacity
        return lambda card: with_changes(card, capacity=capacity)
    if isinstance(data, HelperHours) and data.preset in HOURS:
        hours = HOURS[data.preset]
        return lambda card: with_changes(card, hours=hours)
    return None


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
    await ensure_card(_index(ctx), profile)
    await _index(ctx).set_away(
        profile.user_id, away
    )
    if away:
        await reply(
            update, ctx, _("Enjoy your break! I won't offer you questions until you send /back.")
        )
    else:
        await reply(update, ctx, _("Welcome back! I will offer you questions again."))


async def stats_cmd(update: Update, ctx: Ctx) -> None:
    """/stats: answers, helpful ratings, reputation and badges."""
    profile = ctx.profile
    record = await ctx.svc.store.repo(ReviewStore).record(profile.user_id) if profile else None
    if profile is None or (not profile.is_helper and not (record and (record.given or record.noshow))):
        await reply(update, ctx, _("This is for volunteer helpers. Send /helper to become one."))
        return
    s = await ctx.svc.store.repo(HelperStatsStore).read(profile.user_id)
    rep = reputation.reputation(s.helpful, s.rated)
    review_lines = _review_lines(s, record) if record is not None else []
    if not profile.is_helper:
        lines = ["<b>" + _("Your contribution") + "</b>", *review_lines]
        await reply(update, ctx, "\n".join(lines))
        return
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
        *review_lines,
    ]
    earned = reputation.badges(s)
    lines.append(
        _("Badges: {badges}").format(
            badges=", ".join(badge_label(b) for b in earned) if earned else _("none yet")
        )
    )
    await reply(update, ctx, "\n".join(lines))


def _review_lines(s: reputation.HelperStats, record: ReviewerRecord) -> list[str]:
    """Peer reviews given in review swaps (and, once there is a record, how they went)."""
    if not s.reviews and not record.given and not record.noshow:
        return []
    lines = [
        ngettext("{count} peer review given", "{count} peer reviews given", s.reviews).format(
            count=s.reviews
        )
    ]
    if record.rated or record.noshow:
        lines.append(
            _("Reviewer reputation: {score} / 100").format(score=round(record.score * 100))
        )
    return lines


async def leaderboard_cmd(update: Update, ctx: Ctx) -> None:
    """/leaderboard: top helpers of this group (in a group) or of your language (private)."""
    chat = update.effective_chat
    store = ctx.svc.store
    stats = store.repo(HelperStatsStore)
    if chat is not None and chat.type != "private":
        key = stats.keys.board_group(chat.id)
        title = _("Top helpers in this group")
    else:
        lang = ctx.profile.lang if ctx.profile and ctx.profile.lang else ctx.locale
        key = stats.keys.board_lang(lang)
        title = _("Top helpers in {language}").format(language=LANGUAGE_NAMES.get(lang, lang))
    lines = ["<b>" + title + "</b>"]
    rank = 0
    for uid, score in await stats.board(key):
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
    return await topics.helper_label(ctx.svc.store, uid)


# --- offers ---------------------------------------------------------------------------


async def on_offer_button(update: Update, ctx: Ctx) -> None:
    """``of:acc:<qid>`` / ``of:pass:<qid>``: the first Accept claims the question."""
    query = update.callback_query
    assert query is not None
    data = OfferAction.parse(query.data)
    store = ctx.svc.store
    keys = OfferKeys(store.keys.p)
    uid = query.from_user.id
    if data is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    action, qid = data.action, str(data.qid)
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
    standing = await store.repo(Sanctions).standing(uid)
    if standing.restricted or standing.shadow:
        # An offer sent before the sanction: a shadow-banned helper sees it taken.
        await query.answer(
            refusal(standing.removed, standing.muted_until)
            if standing.restricted
            else _("Someone else has just taken this question."),
            show_alert=True,
        )
        return
    index = _index(ctx)
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
    # Point to the group's topic only when they can write there (issue 20: a helper was sent
    # to a group she was not in).
    in_group = q.group_id is not None and await store.repo(Membership).is_member(
        ctx.bot, q.group_id, uid
    )
    if in_group:
        took = _(
            "You took question #{number}. Write your answer here and I will pass it to the "
            "learner; you can also answer in the group's topic."
        ).format(number=qid)
    else:
        took = _(
            "You took question #{number}. Write your answer here and I will pass it to the "
            "learner."
        ).format(number=qid)
    await edit_or_send(update, ctx, took + "\n\n" + esc(q.text[:3500]))
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


async def on_rating_button(update: Update, ctx: Ctx) -> None:
    """``rt:<qid>:<i>:up|down``: once per question and helper; updates reputation."""
    query = update.callback_query
    assert query is not None
    data = RatingVote.parse(query.data)
    store = ctx.svc.store
    if data is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    qid, i, vote = str(data.qid), data.index, data.vote
    q = await questions(store).get_question(qid)
    if q is None or q.asker_id != query.from_user.id:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    stats = store.repo(HelperStatsStore)
    helper = await stats.answerer_at(qid, i)
    if helper is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if not await stats.mark_rated(qid, helper, vote):
        await query.answer(_("You already rated this answer. Thank you!"))
        return
    await apply_rating(store, q, helper, vote == "up")
    await query.answer()
    await edit_or_send(update, ctx, _("Thank you for your feedback!"), thank_you_markup(qid, i))


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("helper", helper_cmd, filters=private),
        CommandHandler("away", away_cmd, filters=private),
        CommandHandler("back", back_cmd, filters=private),
        CommandHandler("stats", stats_cmd, filters=private),
        CommandHandler("leaderboard", leaderboard_cmd),
        CallbackQueryHandler(on_helper_button, pattern=callbacks.pattern(*HELPER_BUTTONS)),
        CallbackQueryHandler(on_offer_button, pattern=OfferAction.pattern()),
        CallbackQueryHandler(on_rating_button, pattern=RatingVote.pattern()),
    ]
