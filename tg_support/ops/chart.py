"""The /health chart: a PNG drawn with matplotlib (Agg), labels in the current locale.

matplotlib costs about a second to import, so it is imported here, on the first chart, and
never by the bot's start-up path. Glyphs outside DejaVu Sans (Chinese, Devanagari, Arabic)
come from Noto fonts when installed (the Docker image installs them); matplotlib does not
shape Arabic, so Arabic labels read as separate letters: the caption carries the same
numbers as text.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import format_percent

from tg_support.core.i18n import LANGUAGE_NAMES, _, get_locale
from tg_support.ops.stats import Window, median

FONTS = ["DejaVu Sans", "Noto Sans CJK SC", "Noto Sans Devanagari", "Noto Sans Arabic"]
PALETTE = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]


@dataclass(frozen=True)
class HelperLoad:
    load: int
    capacity: int
    helpers: int


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    # One warning per missing fallback font on every chart is noise, not news.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = FONTS
    return plt


def _day(first_day: int, i: int) -> date:
    return date(1970, 1, 1) + timedelta(days=first_day + i)


def _week_hours(days: list[list[int]]) -> float:
    m = median([x for day in days for x in day])
    return 0.0 if m is None else m / 3600


def render(window: Window, load: HelperLoad, title: str) -> bytes:
    """The chart as PNG bytes, in the current locale (call it in a thread: ~0.2 s)."""
    plt = _pyplot()
    locale = get_locale()
    days = len(window.asked)
    labels = [format_skeleton("MMMd", _day(window.first_day, i), locale=locale) for i in range(days)]
    fig = plt.figure(figsize=(9, 7.5), dpi=100)
    try:
        grid = fig.add_gridspec(3, 2, height_ratios=[1.3, 1, 0.45], hspace=0.55, wspace=0.3)
        fig.suptitle(_("Community health: {group}").format(group=title), fontsize=14)

        ax = fig.add_subplot(grid[0, :])
        bottom = [0] * days
        for n, lang in enumerate(window.languages()):
            counts = [d.get(lang, 0) for d in window.asked]
            ax.bar(range(days), counts, bottom=bottom, color=PALETTE[n % len(PALETTE)],
                   label=LANGUAGE_NAMES.get(lang, lang))  # fmt: skip
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        ax.set_title(_("Questions per day by language, last 4 weeks"), fontsize=11)
        ax.set_xticks(range(0, days, 7), [labels[i] for i in range(0, days, 7)])
        ax.set_xlim(-0.6, days - 0.4)
        ax.yaxis.get_major_locator().set_params(integer=True)
        if window.languages():
            ax.legend(loc="upper left", fontsize=8, ncols=4)

        weeks = [labels[i] for i in range(0, days, 7)]
        x = list(range(len(weeks)))
        ax = fig.add_subplot(grid[1, 0])
        first = [_week_hours(window.first_answer_days[i : i + 7]) for i in range(0, days, 7)]
        solved = [_week_hours(window.solve_days[i : i + 7]) for i in range(0, days, 7)]
        ax.bar([i - 0.2 for i in x], first, width=0.4, color=PALETTE[0], label=_("first answer"))
        ax.bar([i + 0.2 for i in x], solved, width=0.4, color=PALETTE[2], label=_("solved"))
        ax.set_title(_("Median hours to…"), fontsize=11)
        ax.set_xticks(x, weeks)
        ax.legend(fontsize=8)

        ax = fig.add_subplot(grid[1, 1])
        sol = [sum(window.solved[i : i + 7]) for i in range(0, days, 7)]
        cls = [sum(window.closed[i : i + 7]) for i in range(0, days, 7)]
        ax.bar(x, sol, color=PALETTE[2], label=_("solved"))
        ax.bar(x, cls, bottom=sol, color=PALETTE[7], label=_("closed unsolved"))
        ax.set_title(_("Questions ended per week"), fontsize=11)
        ax.set_xticks(x, weeks)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8)

        ax = fig.add_subplot(grid[2, :])
        ax.barh([0], [max(load.capacity, 1)], color="#E5E5E5")
        ax.barh([0], [load.load], color=PALETTE[1])
        ax.set_yticks([])
        ax.set_title(
            _("Helpers' load: {load} open questions for a capacity of {capacity}").format(
                load=load.load, capacity=load.capacity
            ),
            fontsize=11,
        )
        rate = window.solved_rate
        fig.text(
            0.5, 0.015,
            _("Unanswered now: {unanswered} · Solved rate: {rate}").format(
                unanswered=window.unanswered,
                rate="—" if rate is None else format_percent(rate, locale=locale),
            ),
            ha="center", fontsize=11,
        )  # fmt: skip
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)
