"""A group's health: its counters gathered (a few Redis round trips, whatever the number of
questions), the caption in the reader's locale, and the chart (``chart``, in a thread)."""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass
from datetime import timedelta

from babel.dates import format_timedelta
from babel.numbers import format_percent

from tg_support.core.i18n import _, get_locale, ngettext
from tg_support.core.store import Group, Store
from tg_support.helpers.index import HelperIndex
from tg_support.ops.chart import HelperLoad
from tg_support.ops.stats import HealthStats, Window, median

WEEKS = 4


@dataclass(frozen=True)
class Health:
    group: Group
    window: Window
    load: HelperLoad


async def gather(store: Store, group: Group, now: float | None = None) -> Health:
    window = await store.repo(HealthStats).window(group.chat_id, WEEKS * 7, now)
    load = HelperLoad(*await store.repo(HelperIndex).load(group.languages))
    return Health(group, window, load)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return _("no data yet")
    return format_timedelta(
        timedelta(seconds=seconds), threshold=1.5, format="long", locale=get_locale()
    )


def _title(group: Group) -> str:
    return group.title or str(group.chat_id)


def summary(h: Health) -> str:
    """The caption (HTML, well under Telegram's 1024 characters) in the current locale."""
    w = h.window
    rate = w.solved_rate
    lines = [
        "<b>" + html.escape(_("Community health: {group}").format(group=_title(h.group))) + "</b>",
        ngettext(
            "Last 4 weeks: {count} question, {solved} solved, {closed} closed without a solution.",
            "Last 4 weeks: {count} questions, {solved} solved, {closed} closed without a solution.",
            w.total_asked,
        ).format(count=w.total_asked, solved=sum(w.solved), closed=sum(w.closed)),
        _("Unanswered now: {count}").format(count=w.unanswered),
        _("Median time to the first answer: {duration}").format(
            duration=_duration(median(w.first_answer_seconds))
        ),
        _("Median time to solved: {duration}").format(duration=_duration(median(w.solve_seconds))),
        _("Solved rate: {rate}").format(
            rate="—" if rate is None else format_percent(rate, locale=get_locale())
        ),
        _("Study circles opened here: {circles}. Peer-review swaps started (all groups): {swaps}.").format(
            circles=w.circles, swaps=w.swaps
        ),
        ngettext(
            "Helpers: {load} open questions for a capacity of {capacity} ({count} helper).",
            "Helpers: {load} open questions for a capacity of {capacity} ({count} helpers).",
            h.load.helpers,
        ).format(load=h.load.load, capacity=h.load.capacity, count=h.load.helpers),
    ]
    return "\n".join(lines)


async def render(h: Health) -> bytes:
    """The chart in the current locale, drawn in a thread (matplotlib is synchronous)."""
    from tg_support.ops import chart

    # (to_thread copies the context: the locale follows)
    return await asyncio.to_thread(chart.render, h.window, h.load, _title(h.group))
