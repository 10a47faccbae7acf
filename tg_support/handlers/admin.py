"""Broadcasts by group admins: /broadcast, /broadcasts, the preview and confirm buttons.

Only a registered group's administrator may broadcast: the groups in Redis, checked with
``getChatMember`` at /broadcast and again at confirmation. The conversation (audience →
filters → text) lives in ``store`` conversations under steps ``bc:*``; typed text reaches
:func:`on_text` through the private-chat router. Translation, preview, delivery and the
report are worker jobs (``workers/broadcast.py``); the data model is ``tg_support.broadcast``.

Callback data (language-neutral, ≤ 64 bytes): ``bc:aud:<kind>``, ``bc:fl:<lang>``,
``bc:fr:<region>``, ``bc:ft``, ``bc:fn``, ``bc:ed:<id>:<lang>``, ``bc:ok:<id>``,
``bc:at:<id>:<hours>``, ``bc:x:<id>``.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from tg_support.broadcast import broadcasts as bc
from tg_support.broadcast.texts import (
    BroadcastCancel,
    BroadcastReplaceText,
    BroadcastSchedule,
    BroadcastSendNow,
    audience_label,
    audience_summary,
    panel_markup,
    panel_text,
    send_preview,
    status_label,
)
from tg_support.core import callbacks, jobs, langid
from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import LOCALES, _, format_datetime, ngettext
from tg_support.core.labels import region_label
from tg_support.core.services import Ctx
from tg_support.core.store import Conversation
from tg_support.core.tags import normalize_tags
from tg_support.questions.routing import REGIONS
from tg_support.translation.delivery import entities_json, language_name

from .common import edit_or_send, grid, is_admin, keyboard, reply
from .steps import StepHandler

log = logging.getLogger(__name__)

SCHEDULE_HOURS = (1, 24)
MAX_ADMIN_CHECKS = 20


class BroadcastAudience(CallbackData, prefix="bc:aud"):
    """``bc:aud:<kind>``: who receives it, one of ``broadcasts.AUDIENCES``."""

    kind: str


class BroadcastFilterLanguage(CallbackData, prefix="bc:fl"):
    """``bc:fl:<lang>``: toggle a language filter."""

    lang: str


class BroadcastFilterRegion(CallbackData, prefix="bc:fr"):
    """``bc:fr:<region>``: toggle a region filter."""

    region: str


class BroadcastAskTags(CallbackData, prefix="bc:ft"):
    """``bc:ft``: the admin types course tags next."""


class BroadcastContinue(CallbackData, prefix="bc:fn"):
    """``bc:fn``: filters done; the admin types the announcement next."""


# The panel's buttons (send, schedule, cancel, replace a text) come from broadcast.texts.
PANEL_BUTTONS = (BroadcastSendNow, BroadcastSchedule, BroadcastCancel, BroadcastReplaceText)
BUTTONS = (
    BroadcastAudience, BroadcastFilterLanguage, BroadcastFilterRegion, BroadcastAskTags,
    BroadcastContinue, *PANEL_BUTTONS,
)  # fmt: skip


# --- the conversation -----------------------------------------------------------------------


async def can_broadcast(ctx: Ctx, uid: int) -> bool:
    """An administrator (per getChatMember) of at least one registered group."""
    groups = [g for g in await ctx.svc.store.list_groups() if g.active]
    groups.sort(key=lambda g: g.registered_by != uid)  # the ones they registered first
    for g in groups[:MAX_ADMIN_CHECKS]:
        if await is_admin(ctx, g.chat_id, uid):
            return True
    return False


def _store(ctx: Ctx) -> bc.Broadcasts:
    return bc.Broadcasts(ctx.svc.redis, ctx.svc.settings.redis_prefix)


async def broadcast_cmd(update: Update, ctx: Ctx) -> None:
    """/broadcast: choose the audience."""
    user = update.effective_user
    if user is None:
        return
    if not await can_broadcast(ctx, user.id):
        await reply(
            update,
            ctx,
            _(
                "Only administrators of a registered group can send broadcasts. Register "
                "your group with /register in it first."
            ),
        )
        return
    await ctx.svc.store.set_conv(user.id, Conversation(step="bc:aud", data={}))
    buttons = [(audience_label(k), BroadcastAudience(kind=k).pack()) for k in bc.AUDIENCES]
    await reply(
        update, ctx, _("Who should receive this announcement?"), keyboard([[b] for b in buttons])
    )


async def _show_filters(update: Update, ctx: Ctx, conv: Conversation, *, edit: bool) -> None:
    aud = bc.Audience.from_json(conv.data.get("aud"))
    count = len(await _store(ctx).resolve(aud, ctx.locale))
    langs = [
        (
            ("☑️ " if c in aud.langs else "⬜ ") + language_name(c),
            BroadcastFilterLanguage(lang=c).pack(),
        )
        for c in LOCALES
    ]
    regions = [
        (
            ("☑️ " if r in aud.regions else "⬜ ") + region_label(r),
            BroadcastFilterRegion(region=r).pack(),
        )
        for r in REGIONS
    ]
    text = "\n".join(
        [
            audience_summary(aud),
            ngettext("{count} recipient", "{count} recipients", count).format(count=count),
            "",
            _("Narrow it down by language, region or course if you like, then Continue."),
        ]
    )
    markup = keyboard(
        [
            *grid(langs, 4),
            *grid(regions, 3),
            [(_("Course tags…"), BroadcastAskTags().pack())],
            [(_("Continue"), BroadcastContinue().pack())],
        ]
    )
    if edit:
        await edit_or_send(update, ctx, text, markup)
    else:
        await reply(update, ctx, text, markup)


def _toggle(values: list[str], value: str) -> list[str]:
    return [v for v in values if v != value] if value in values else [*values, value]


async def on_button(update: Update, ctx: Ctx) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    data = callbacks.parse_any(query.data, *BUTTONS)
    if data is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if isinstance(data, PANEL_BUTTONS):
        await _on_broadcast_button(update, ctx, data)
        return
    valid = (
        (isinstance(data, BroadcastAudience) and data.kind in bc.AUDIENCES)
        or (isinstance(data, BroadcastFilterLanguage) and data.lang in LOCALES)
        or (isinstance(data, BroadcastFilterRegion) and data.region in REGIONS)
        or isinstance(data, (BroadcastAskTags, BroadcastContinue))
    )
    if not valid:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    conv = await ctx.svc.store.update_conv(user.id, lambda c: _press(c, data))
    if conv is None:
        await query.answer(_("This menu has expired. Send /broadcast to start again."))
        return
    await query.answer()
    if conv.step == "bc:tags":
        await reply(
            update, ctx, _("Type course tags separated by commas (for example: python, ml).")
        )
    elif conv.step == "bc:text":
        await reply(
            update,
            ctx,
            _(
                "Send the announcement as one text message. Formatting and links are kept; "
                "I will translate it for each audience language and show you a preview."
            ),
        )
    else:
        await _show_filters(update, ctx, conv, edit=True)


def _press(conv: Conversation, data: object) -> Conversation | None:
    """A (valid) menu button's change to the state; None when no broadcast is being set up.
    A compare-and-set may run it again on a newer state: it only changes ``conv``."""
    if not (conv.step or "").startswith("bc:"):
        return None
    aud = bc.Audience.from_json(conv.data.get("aud"))
    if isinstance(data, BroadcastAskTags):
        conv.step = "bc:tags"
        return conv
    if isinstance(data, BroadcastContinue):
        conv.step = "bc:text"
        return conv
    if isinstance(data, BroadcastAudience):
        aud = bc.Audience(kind=data.kind)
    elif isinstance(data, BroadcastFilterLanguage):
        aud.langs = _toggle(aud.langs, data.lang)
    elif isinstance(data, BroadcastFilterRegion):
        aud.regions = _toggle(aud.regions, data.region)
    conv.data["aud"] = aud.to_json()
    conv.step = "bc:filter"
    return conv


async def on_text(update: Update, ctx: Ctx, conv: Conversation) -> None:
    """Typed input during a ``bc:*`` step (routed here by ``handlers.private``)."""
    msg, user = update.message, update.effective_user
    if msg is None or user is None:
        return
    if not msg.text:
        await reply(update, ctx, _("Please send the announcement as text."))
        return
    if conv.step == "bc:tags":
        tags = normalize_tags(msg.text)
        new = await ctx.svc.store.update_conv(user.id, lambda c: _typed_tags(c, tags))
        if new is not None:
            await _show_filters(update, ctx, new, edit=False)
        return
    if len(msg.text) > bc.MAX_TEXT:
        await reply(
            update,
            ctx,
            _("That is too long ({length} characters). Please keep it under {limit}.").format(
                length=len(msg.text), limit=bc.MAX_TEXT
            ),
        )
        return
    store = _store(ctx)
    if conv.step == "bc:manual":
        bid, lang = str(conv.data.get("id", "")), str(conv.data.get("lang", ""))
        b = await store.get(bid)
        await ctx.svc.store.clear_conv(user.id)
        if b is None or b.status != "preview" or b.admin != user.id:
            await reply(update, ctx, _("This broadcast can no longer be changed."))
            return
        await store.set_text(bid, lang, msg.text, entities_json(msg.entities), "manual")
        counts = _lang_counts(await store.resolve(b.aud, b.src))
        await send_preview(ctx.bot, b, lang, (await store.texts(bid))[lang], counts.get(lang, 0))
        await ctx.bot.send_message(
            user.id, panel_text(bid, counts), reply_markup=panel_markup(bid)
        )
        return
    if conv.step != "bc:text":
        await reply(update, ctx, _("Please use the buttons above, or /cancel."))
        return
    aud = bc.Audience.from_json(conv.data.get("aud"))
    src = langid.detect(msg.text, langid.Priors(chosen=ctx.locale)).lang
    b = await store.create(user.id, ctx.locale, src, msg.text, entities_json(msg.entities), aud)
    await ctx.svc.store.clear_conv(user.id)
    await ctx.svc.submit(jobs.prepare_broadcast(b.bid))
    await reply(
        update,
        ctx,
        _("Broadcast #{number}: translating for each language; the preview follows.").format(
            number=b.bid
        ),
    )


def _typed_tags(conv: Conversation, tags: list[str]) -> Conversation | None:
    if conv.step != "bc:tags":
        return None
    aud = bc.Audience.from_json(conv.data.get("aud"))
    aud.tags = tags
    conv.data["aud"] = aud.to_json()
    conv.step = "bc:filter"
    return conv


def _lang_counts(recipients: list[tuple[int, str]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for _chat, lang in recipients:
        out[lang] = out.get(lang, 0) + 1
    return out


async def _on_broadcast_button(
    update: Update,
    ctx: Ctx,
    data: BroadcastSendNow | BroadcastSchedule | BroadcastCancel | BroadcastReplaceText,
) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    store = _store(ctx)
    b = await store.get(str(data.bid))
    if b is None or b.admin != user.id:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if isinstance(data, BroadcastCancel):
        if not await store.transition(b.bid, sorted(bc.OPEN), "cancelled"):
            await query.answer(_("This broadcast can no longer be cancelled."), show_alert=True)
            return
        c = await store.counts(b.bid)
        await query.answer()
        await reply(
            update,
            ctx,
            _("Broadcast #{number} cancelled. Delivered before it stopped: {count}.").format(
                number=b.bid, count=c.ok
            ),
        )
        return
    if b.status != "preview":
        await query.answer(_("This broadcast can no longer be changed."), show_alert=True)
        return
    if isinstance(data, BroadcastReplaceText):
        await ctx.svc.store.set_conv(
            user.id, Conversation(step="bc:manual", data={"id": b.bid, "lang": data.lang})
        )
        await query.answer()
        await reply(
            update,
            ctx,
            _("Send the {language} text to use instead.").format(language=language_name(data.lang)),
        )
        return
    if not await can_broadcast(ctx, user.id):
        await query.answer(
            _("You are no longer an administrator of a registered group."), show_alert=True
        )
        return
    if isinstance(data, BroadcastSendNow):
        if not await store.transition(b.bid, ["preview"], "queued"):
            await query.answer(_("This broadcast can no longer be changed."), show_alert=True)
            return
        await ctx.svc.submit(jobs.start_broadcast(b.bid))
        await query.answer()
        await edit_or_send(
            update,
            ctx,
            _("Broadcast #{number} is queued. I will show its progress here.").format(number=b.bid),
        )
        return
    if isinstance(data, BroadcastSchedule) and data.hours in SCHEDULE_HOURS:
        hours = data.hours
        if not await store.transition(b.bid, ["preview"], "scheduled"):
            await query.answer(_("This broadcast can no longer be changed."), show_alert=True)
            return
        at = time.time() + hours * 3600
        await store.update(b.bid, at=at)
        await ctx.svc.submit(jobs.start_broadcast(b.bid), delay=hours * 3600)
        await query.answer()
        when = format_datetime(datetime.fromtimestamp(at, tz=UTC), "short")
        await edit_or_send(
            update,
            ctx,
            _("Broadcast #{number} is scheduled for {time} (UTC).").format(number=b.bid, time=when),
            keyboard([[(_("Cancel"), BroadcastCancel(bid=int(b.bid)).pack())]]),
        )
        return
    await query.answer(_("This button is not valid."), show_alert=True)


async def broadcasts_cmd(update: Update, ctx: Ctx) -> None:
    """/broadcasts: the admin's recent broadcasts with their status."""
    user = update.effective_user
    if user is None:
        return
    store = _store(ctx)
    items = await store.for_admin(user.id)
    if not items:
        await reply(
            update, ctx, _("You have not sent any broadcasts yet. Send /broadcast to start.")
        )
        return
    lines = ["<b>" + _("Your broadcasts") + "</b>"]
    rows: list[list[tuple[str, str]]] = []
    for b in items:
        c = await store.counts(b.bid)
        when = format_datetime(datetime.fromtimestamp(b.created_at, tz=UTC), "short")
        line = f"#{b.bid} · {when} · {status_label(b.status)}"
        if b.total:
            line += " · " + _("{done} of {total} recipients").format(done=c.done, total=b.total)
        lines.append(line)
        if b.status in bc.OPEN:
            rows.append(
                [
                    (
                        _("Cancel #{number}").format(number=b.bid),
                        BroadcastCancel(bid=int(b.bid)).pack(),
                    )
                ]
            )
    await reply(update, ctx, "\n".join(lines), keyboard(rows) if rows else None)


async def on_step(update: Update, ctx: Ctx, conv: Conversation, text: str | None) -> None:
    await on_text(update, ctx, conv)


STEPS: dict[str, StepHandler] = {"bc:": on_step}


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("broadcast", broadcast_cmd, filters=private),
        CommandHandler("broadcasts", broadcasts_cmd, filters=private),
        CallbackQueryHandler(on_button, pattern=callbacks.pattern(*BUTTONS)),
    ]
