"""Deadlines as learners type them (``community.review_dates``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tg_support.community.review_dates import in_days, moment_label, parse_deadline
from tg_support.core.timezones import to_tzinfo

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
TZ = to_tzinfo("UTC+01:00")


@pytest.mark.parametrize(
    ("locale", "typed", "expected"),
    [
        ("en", "2025-06-20", (2025, 6, 20, 23, 59)),
        ("en", "2025-06-20 18:00", (2025, 6, 20, 18, 0)),
        ("en", "20/6", (2025, 6, 20, 23, 59)),
        ("en", "6/20 6pm", (2025, 6, 20, 18, 0)),
        ("en", "June 20, 11:30pm", (2025, 6, 20, 23, 30)),
        ("en", "Jun 5", (2026, 6, 5, 23, 59)),  # already past this year: next year's
        ("es", "20 de junio a las 18:30", (2025, 6, 20, 18, 30)),
        ("es", "20.06 18.30", (2025, 6, 20, 18, 30)),
        ("pt", "20 de jun.", (2025, 6, 20, 23, 59)),
        ("fr", "20 sept. 14h", (2025, 9, 20, 14, 0)),
        ("ru", "20 июня 18:00", (2025, 6, 20, 18, 0)),
        ("hi", "२० जून १८:००", (2025, 6, 20, 18, 0)),
        ("ar", "٢٠/٦", (2025, 6, 20, 23, 59)),
        ("ar", "20 يونيو", (2025, 6, 20, 23, 59)),
        ("zh", "6月20日", (2025, 6, 20, 23, 59)),
    ],
)
def test_deadlines_in_many_shapes(locale: str, typed: str, expected: tuple[int, ...]) -> None:
    when = parse_deadline(typed, TZ, NOW, locale)
    assert when is not None, typed
    assert (when.year, when.month, when.day, when.hour, when.minute) == expected
    assert when.utcoffset() == TZ.utcoffset(None)


@pytest.mark.parametrize("typed", ["", "soon", "31/02", "2025-13-01", "25:00 June 3", "x" * 500])
def test_what_is_not_a_date(typed: str) -> None:
    assert parse_deadline(typed, TZ, NOW, "en") is None


def test_quick_days_end_that_day_and_labels_are_localized() -> None:
    when = in_days(2, TZ, NOW)
    assert (when.day, when.hour, when.minute) == (12, 23, 59)
    assert moment_label(when, "es") == "jue, 12 jun, 23:59"
    assert "23:59" in moment_label(when, "ru")
