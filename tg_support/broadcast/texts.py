"""What admins read about their broadcasts, in their locale: labels, progress and the
report, and the per-language previews with the confirm panel (sent by the bot and by the
``prepare`` job alike)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from babel.dates import format_timedelta
from redis.asyncio import Redis
from telegram import Bot, InlineKeyboardMarkup, Message, MessageEntity

from tg_support.broadcast import broadcasts as bc
from tg_support.core.callbacks import CallbackData
from tg_support.core.i18n import _, get_locale, ngettext, use_locale
from tg_support.core.labels import region_label
from tg_support.core.messages import keyboard, send_parts
from tg_support.core.sending import send_once
from tg_support.translation.delivery import language_name


def audience_label(kind: str) -> str:
    labels = {
        "learners": _("All learners"),
        "helpers": _("Volunteer helpers"),
        "groups": _("Registered groups"),
        "all": _("Everyone (learners, helpers and groups)"),
    }
    return labels.get(kind, kind)


def status_label(status: str) -> str:
    labels = {
        "draft": _("draft"),
        "translating": _("translating"),
        "preview": _("waiting for your confirmation"),
        "queued": _("queued"),
        "scheduled": _("scheduled"),
        "running": _("sending"),
        "done": _("finished"),
        "cancelled": _("cancelled"),
    }
    return labels.get(status, status)


def how_label(how: str) -> str:
    labels = {
        "original": _("original text"),
        "machine": _("machine translation"),
        "manual": _("your text"),
        "untranslated": _("not translated (no model): the original will be sent"),
    }
    return labels.get(how, how)


def duration(seconds: float) -> str:
    return format_timedelta(
        timedelta(seconds=max(1.0, seconds)), granularity="second", locale=get_locale()
    )


def audience_summary(aud: bc.Audience) -> str:
    lines = [_("Audience: {audience}").format(audience=audience_label(aud.kind))]
    if aud.langs:
        lines.append(
            _("Languages: {languages}").format(
                languages=", ".join(language_name(x) for x in aud.langs)
            )
        )
    if aud.regions:
        lines.append(
            _("Regions: {regions}").format(regions=", ".join(region_label(r) for r in aud.regions))
        )
    if aud.tags:
        lines.append(_("Courses and topics: {courses}").format(courses=", ".join(aud.tags)))
    return "\n".join(lines)


def progress_text(b: bc.Broadcast, c: bc.Counts, elapsed: float) -> str:
    """The progress message, in the admin's locale (set by the caller)."""
    total = b.total
    pct = 100 if total <= 0 else int(100 * c.done / total)
    lines = [
        "📣 <b>" + _("Broadcast #{number}").format(number=b.bid) + "</b>",
        f"{bc.bar(c.done, total)} {pct}%",
        _("{done} of {total} recipients").format(done=c.done, total=total),
        _("Delivered: {ok} · blocked the bot: {blocked} · failed: {failed}").format(
            ok=c.ok, blocked=c.blocked, failed=c.failed
        ),
    ]
    eta = bc.eta_seconds(c.done, total, elapsed)
    if b.status == "done":
        lines.append(_("Finished."))
    elif eta is not None and eta > 0:
        lines.append(_("About {duration} left").format(duration=duration(eta)))
    return "\n".join(lines)


def report_text(b: bc.Broadcast, c: bc.Counts) -> str:
    lines = [
        "✅ <b>" + _("Broadcast #{number} finished").format(number=b.bid) + "</b>",
        _("Delivered: {count}").format(count=c.ok),
        _("Blocked the bot: {count}").format(count=c.blocked),
        _("Failed: {count}").format(count=c.failed),
    ]
    for reason, n in sorted(c.reasons.items(), key=lambda kv: -kv[1]):
        lines.append(f"  • {reason}: {n}")
    if c.unknown:
        lines.append(
            _("Unconfirmed (a worker stopped while sending; not sent again): {count}").format(
                count=c.unknown
            )
        )
    took = (b.finished_at or time.time()) - (b.started_at or time.time())
    lines.append(_("Duration: {duration}").format(duration=duration(took)))
    return "\n".join(lines)


class BroadcastSendNow(CallbackData, prefix="bc:ok"):
    """``bc:ok:<id>``: send the previewed broadcast now."""

    bid: int


class BroadcastSchedule(CallbackData, prefix="bc:at"):
    """``bc:at:<id>:<hours>``: send it in so many hours."""

    bid: int
    hours: int


class BroadcastCancel(CallbackData, prefix="bc:x"):
    """``bc:x:<id>``: cancel a broadcast not finished yet."""

    bid: int


class BroadcastReplaceText(CallbackData, prefix="bc:ed"):
    """``bc:ed:<id>:<lang>``: the admin types the text for one language themselves."""

    bid: int
    lang: str


def panel_markup(bid: str) -> InlineKeyboardMarkup:
    n = int(bid)
    return keyboard(
        [
            [(_("Send now"), BroadcastSendNow(bid=n).pack())],
            [
                (_("In 1 hour"), BroadcastSchedule(bid=n, hours=1).pack()),
                (_("In 24 hours"), BroadcastSchedule(bid=n, hours=24).pack()),
            ],
            [(_("Cancel"), BroadcastCancel(bid=n).pack())],
        ]
    )


def panel_text(bid: str, counts: dict[str, int]) -> str:
    total = sum(counts.values())
    lines = [
        "<b>" + _("Broadcast #{number}").format(number=bid) + "</b>",
        ngettext("{count} recipient", "{count} recipients", total).format(count=total),
    ]
    for lang, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        lines.append(f"  • {language_name(lang)}: {n}")
    lines.append(_("Check every language above, then send now or schedule it."))
    return "\n".join(lines)


async def send_preview(bot: Bot, b: bc.Broadcast, lang: str, tx: dict[str, Any], n: int) -> Message:
    head = "🌐 {language} · {how} · {recipients}".format(
        language=language_name(lang),
        how=how_label(str(tx.get("how", ""))),
        recipients=ngettext("{count} recipient", "{count} recipients", n).format(count=n),
    )
    ents = [MessageEntity.de_json(e, None) for e in tx.get("entities") or []]
    replace = BroadcastReplaceText(bid=int(b.bid), lang=lang).pack()
    markup = keyboard([[(_("✏️ Replace this text"), replace)]])
    sent = await send_parts(bot, b.admin, head + "\n\n", str(tx["text"]), ents, markup=markup)
    return sent[-1]


async def send_previews(
    bot: Bot, redis: Redis, prefix: str, store: bc.Broadcasts, bid: str, counts: dict[str, int]
) -> None:
    """One message per language, then the confirm panel (idempotent: ``send_once``)."""
    b = await store.get(bid)
    if b is None:
        return
    texts = await store.texts(bid)
    with use_locale(b.locale):
        for lang in sorted(texts, key=lambda x: (x != b.src, x)):
            tx = texts[lang]

            async def pv(lang: str = lang, tx: dict[str, Any] = tx) -> Message:
                return await send_preview(bot, b, lang, tx, counts.get(lang, 0))

            await send_once(redis, prefix, f"bc:{bid}:pv:{lang}", pv)

        async def panel() -> Message:
            return await bot.send_message(
                b.admin, panel_text(bid, counts), reply_markup=panel_markup(bid)
            )

        await send_once(redis, prefix, f"bc:{bid}:panel", panel)
