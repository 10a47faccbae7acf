"""The community's pure pieces: dates as people type them, the pathway's stages, the course
picker's parsing, deadline reminder times, check-in slots, bridges and routing tags."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tg_support.community.circle_plan import bridge_from_pairs, checkin_slot, utc_offset_min
from tg_support.community.courses import Catalog, route_tags, slugify
from tg_support.community.dates import (
    format_day,
    format_when,
    next_weekly,
    parse_date,
    parse_due,
    parse_time,
)
from tg_support.community.deadlines import REMIND_HOURS, fits, reminder_delays, reminder_text
from tg_support.community.pathway import Progress, next_stage, stages
from tg_support.community.picker import Pick, split_queries

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("2027-01-12", "en", date(2027, 1, 12)),
        ("12/01/2027", "es", date(2027, 1, 12)),
        ("12/01/2027", "en", date(2027, 12, 1)),  # month first in English
        ("1/20/2027", "es", date(2027, 1, 20)),  # a day above 12 cannot be a month
        ("12.01.", "ru", date(2027, 1, 12)),
        ("2027/1/12", "zh", date(2027, 1, 12)),
        ("12 January", "en", date(2027, 1, 12)),  # the nearest 12 January
        ("January 12th", "en", date(2027, 1, 12)),
        ("12 de enero de 2027", "es", date(2027, 1, 12)),
        ("12 janvier", "fr", date(2027, 1, 12)),
        ("5 févr.", "fr", date(2027, 2, 5)),
        ("12 января", "ru", date(2027, 1, 12)),
        ("12 जनवरी", "hi", date(2027, 1, 12)),
        ("12 يناير", "ar", date(2027, 1, 12)),
        ("1月12日", "zh", date(2027, 1, 12)),
        ("2027年1月12日", "zh", date(2027, 1, 12)),
        ("3 December", "en", date(2026, 12, 3)),  # yesterday, not next year
        ("30 February", "en", None),
        ("Machine Learning", "en", None),
        ("12", "en", None),
        ("", "en", None),
    ],
)
def test_dates_people_type(text: str, locale: str, expected: date | None) -> None:
    assert parse_date(text, locale, TODAY) == expected


def test_times_and_due_moments() -> None:
    assert parse_time("23:59") == time(23, 59)
    assert parse_time("11pm") == time(23, 0)
    assert parse_time("11:30 p.m.") == time(23, 30)
    assert parse_time("23h59") == time(23, 59)
    assert parse_time("12:00:30") == time(12, 0, 30)
    assert parse_time("13pm") is None and parse_time("25:00") is None and parse_time("7") is None

    due = parse_due("2027-01-20 23:59", "en", TODAY, "Europe/Madrid")
    assert due is not None and due.tz == "Europe/Madrid"
    assert due.at == datetime(2027, 1, 20, 22, 59, tzinfo=UTC)
    due = parse_due("20/01 18:00 UTC", "es", TODAY, "Asia/Kolkata")  # a zone ends the text
    assert due is not None and due.tz == "UTC" and due.at == datetime(2027, 1, 20, 18, tzinfo=UTC)
    due = parse_due("2027-01-20 11:30 pm New York", "en", TODAY, "UTC")
    assert due is not None and due.tz == "America/New_York" and due.at.hour == 23
    due = parse_due("12 January", "en", TODAY, "UTC+05:30")  # no time: the end of the day
    assert due is not None and (due.at.hour, due.at.minute) == (23, 59)
    due = parse_due("2027-03-28T02:30", "en", TODAY, "Europe/Madrid")  # a DST gap resolves
    assert due is not None
    assert parse_due("soon", "en", TODAY, "UTC") is None


def test_moments_are_written_in_the_readers_locale_and_zone() -> None:
    moment = datetime(2027, 1, 20, 18, 30, tzinfo=UTC).timestamp()
    assert format_when(moment, "Asia/Kolkata", "en") == "Thursday, January 21, 2027, 12:00\u202fAM"
    assert format_when(moment, "Europe/Madrid", "es") == "miércoles, 20 de enero de 2027, 19:30"
    assert "2027" in format_when(moment, "America/New_York", "zh")
    assert format_day(date(2027, 1, 12), "ru") == "12 янв. 2027\u202fг."


def test_next_weekly_slot() -> None:
    friday = datetime(2026, 12, 4, 12, 0, tzinfo=UTC).timestamp()
    sunday_17 = datetime(2026, 12, 6, 17, 0, tzinfo=UTC).timestamp()
    assert next_weekly(friday, 6, 17 * 60) == sunday_17
    assert next_weekly(sunday_17, 6, 17 * 60) == sunday_17 + 7 * 86400  # strictly after


def test_pathway_stages() -> None:
    assert next_stage(Progress()) == "goals"
    p = Progress(goal="Get a data job", courses=1, circles=1, asked=2)
    assert stages(p) == [
        ("goals", True), ("platforms", True), ("community", True), ("collaborate", True),
        ("reflect", False),
    ]  # fmt: skip
    assert next_stage(p) == "reflect"
    assert next_stage(Progress(goal="x", platforms=1, introduced=True, reviews=1, reflections=1)) is None
    assert next_stage(Progress(goal="x", platforms=2)) == "community"


def test_picker_splits_queries_and_keeps_links_whole() -> None:
    assert split_queries("Machine Learning, Python; Statistics") == ["Machine Learning", "Python", "Statistics"]
    link = "see https://www.coursera.org/learn/machine-learning, it's great"
    assert split_queries(link) == [link]
    assert split_queries(" , ") == []
    assert len(split_queries(",".join(f"c{i}" for i in range(20)))) == 6
    pick = Pick(query="ML", cids=["coursera:machine-learning"], rest=["Python"], link=False)
    assert Pick.from_json(pick.to_json()) == pick
    assert Pick.from_json({"query": 3}) is None and Pick.from_json("x") is None


def test_deadline_reminders() -> None:
    assert REMIND_HOURS == (48, 2)
    now = 1_000_000.0
    assert reminder_delays(now + 50 * 3600, now) == {48: 7200.0, 2: 48 * 3600.0}
    assert reminder_delays(now + 3 * 3600, now) == {2: 3600.0}
    assert reminder_delays(now + 3600, now) == {}
    assert fits(None, date(2027, 1, 12)) and fits(date(2027, 1, 12), None)
    assert fits(date(2027, 1, 12), date(2027, 1, 20)) and not fits(date(2027, 1, 1), date(2027, 2, 1))
    due = datetime(2027, 1, 20, 18, 30, tzinfo=UTC).timestamp()
    text = reminder_text("Quiz <3>", "ML & co", due, "Asia/Kolkata", "en", 48)
    assert "in 2 days" in text and "Quiz &lt;3&gt;" in text and "ML &amp; co" in text
    assert "Thursday, January 21, 2027, 12:00\u202fAM" in text
    assert "через 2 часа" in reminder_text("Q", "C", due, "Europe/Moscow", "ru", 2)


def test_check_in_slot_bridges_and_offsets() -> None:
    assert checkin_slot([330, 330, 330]) == (6, 18 * 60 - 330)
    assert checkin_slot([540]) == (6, 18 * 60 - 540)
    assert checkin_slot([-480]) == (0, 2 * 60)  # Los Angeles: Monday 02:00 UTC
    bridge = bridge_from_pairs(["es-en", "en-es", "hi-en", "en-hi", "fr-en"])
    assert bridge("es", "hi") and bridge("hi", "es")  # through English both ways
    assert not bridge("fr", "es")  # English to French is missing
    winter = datetime(2026, 12, 4, tzinfo=UTC).timestamp()
    summer = datetime(2027, 7, 1, tzinfo=UTC).timestamp()
    assert utc_offset_min("Europe/Madrid", winter) == 60 and utc_offset_min("Europe/Madrid", summer) == 120
    assert utc_offset_min("UTC+05:30", winter) == 330 and utc_offset_min(None, winter) == 0


def test_courses_route_tags_and_slugs() -> None:
    ml = Catalog.load().by_id("coursera:machine-learning")
    assert ml is not None
    assert route_tags(ml)[:2] == ["machine-learning", "python"]
    assert slugify("Aprendizaje Automático con Python") == "aprendizaje-automatico-con-python"
    assert slugify("???") == "course"  # nothing left to slug: a placeholder, never empty
    assert ZoneInfo("Europe/Madrid")  # the zone database the tests rely on is present
