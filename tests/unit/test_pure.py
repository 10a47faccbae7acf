"""Pure modules: routing, text splitting with entities, time zones, reputation, config
(callback data: test_callbacks.py)."""

from __future__ import annotations

import pytest
from telegram import MessageEntity

from tg_support.config import ConfigError, load_settings
from tg_support.core import textsplit
from tg_support.core.timezones import parse_timezone, utc_offset_label
from tg_support.helpers import reputation
from tg_support.questions.routing import GroupCard, choose_group


def g(chat_id: int, langs: str, region: str = "international", tags: str = "") -> GroupCard:
    return GroupCard(
        chat_id, frozenset(langs.split(",")), region, frozenset(filter(None, tags.split(",")))
    )


class TestRouting:
    groups = [
        g(-101, "es", "americas"),
        g(-102, "es", "europe", "ml,python"),
        g(-103, "en"),
        g(-104, "*"),
    ]

    def test_language_first_then_tags(self) -> None:
        assert choose_group("es", ["ml"], self.groups).chat_id == -102  # type: ignore[union-attr]
        assert choose_group("en", ["ml"], self.groups).chat_id == -103  # type: ignore[union-attr]

    def test_region_breaks_ties(self) -> None:
        card = choose_group("es", [], self.groups, region="americas")
        assert card is not None and card.chat_id == -101

    def test_untagged_general_group_beats_unrelated_tags(self) -> None:
        card = choose_group("es", ["statistics"], self.groups)
        assert card is not None and card.chat_id == -101

    def test_falls_back_to_international(self) -> None:
        card = choose_group("hi", [], self.groups)
        assert card is not None and card.chat_id == -104

    def test_no_group_at_all(self) -> None:
        assert choose_group("hi", [], [g(-1, "es")]) is None
        assert choose_group("es", [], [g(-1, "es")], exclude=[-1]) is None


class TestTextSplit:
    def test_u16_offsets_count_astral_characters_twice(self) -> None:
        assert textsplit.u16len("a😀b") == 4

    def test_prefix_shifts_entities_in_utf16(self) -> None:
        text, ents = textsplit.prefix("😀 ", [], "see code", [MessageEntity("code", 4, 4)])
        assert text == "😀 see code"
        assert ents[0].offset == 7 and ents[0].length == 4

    def test_split_at_words_without_breaking_entities(self) -> None:
        words = ("word " * 900).strip()  # 4499 characters
        text = words + " https://example.org/x end"
        url_at = textsplit.u16len(words) + 1
        parts = textsplit.split(text, [MessageEntity("url", url_at, 21)], limit=4096)
        assert len(parts) == 2
        assert all(textsplit.u16len(t) <= 4096 for t, _ in parts)
        assert not parts[0][0].endswith("wor") and parts[0][0].endswith("word")
        rejoined = " ".join(t for t, _ in parts)
        assert rejoined.split() == text.split()
        ents = parts[1][1]
        assert len(ents) == 1
        assert (
            parts[1][0][ents[0].offset : ents[0].offset + ents[0].length] == "https://example.org/x"
        )

    def test_entity_straddling_the_cut_moves_to_next_part(self) -> None:
        text = "a" * 50 + " " + "b" * 30
        parts = textsplit.split(text, [MessageEntity("bold", 45, 36)], limit=60)
        assert parts[0] == ("a" * 45, [])
        text1, ents1 = parts[1]
        assert text1 == "a" * 5 + " " + "b" * 30
        assert [(e.type, e.offset, e.length) for e in ents1] == [("bold", 0, 36)]


class TestTimezones:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("+5:30", "UTC+05:30"),
            ("UTC-3", "UTC-03:00"),
            ("gmt+0545", "UTC+05:45"),
            ("Kolkata", "Asia/Kolkata"),
            ("mumbai", "Asia/Kolkata"),
            ("são paulo", "America/Sao_Paulo"),
            ("Europe/Madrid", "Europe/Madrid"),
            ("UTC", "UTC"),
            ("上海", "Asia/Shanghai"),
            ("दिल्ली", "Asia/Kolkata"),
            ("चेन्नई", "Asia/Kolkata"),
            ("Москва", "Europe/Moscow"),
            ("القاهرة", "Africa/Cairo"),
            ("+15", None),
            ("Atlantis", None),
            ("", None),
        ],
    )
    def test_parse(self, text: str, expected: str | None) -> None:
        assert parse_timezone(text) == expected

    def test_offset_label(self) -> None:
        assert utc_offset_label("Asia/Kolkata") == "UTC+05:30"
        assert utc_offset_label("UTC-03:00") == "UTC-03:00"


def test_course_tags_split_on_full_width_separators() -> None:
    from tg_support.core.tags import normalize_tags

    assert normalize_tags("机器学习，Python、统计") == ["机器学习", "python", "统计"]
    assert normalize_tags("मशीन लर्निंग, पायथन") == ["मशीन-लर्निंग", "पायथन"]
    assert normalize_tags("Machine Learning; #Python\nML") == ["machine-learning", "python", "ml"]


class TestReputation:
    def test_wilson_prefers_evidence(self) -> None:
        assert reputation.wilson_lower_bound(9, 10) > reputation.wilson_lower_bound(1, 1)
        assert reputation.wilson_lower_bound(0, 0) == 0.0
        assert round(reputation.wilson_lower_bound(9, 10), 3) == 0.596  # hand-computed

    def test_new_helpers_sit_at_the_prior(self) -> None:
        assert reputation.reputation(0, 0) == reputation.NEW_HELPER
        assert reputation.reputation(50, 50) > 0.9
        assert reputation.reputation(0, 20) < 0.1

    def test_badges_and_streak(self) -> None:
        s = reputation.HelperStats(
            answers=12, helpful=10, languages=frozenset({"es", "hi"}), streak_days=7
        )
        assert reputation.badges(s) == ["first_answer", "helpful_10", "bilingual", "week_streak"]
        assert reputation.streak([10, 11, 12, 13], today=14) == 4
        assert reputation.streak([10, 12], today=14) == 0


class TestConfig:
    def test_malformed_values_name_the_variable_and_hide_the_token(self) -> None:
        with pytest.raises(ConfigError) as err:
            load_settings(telegram_bot_token="not-a-token-secret123")
        assert "TELEGRAM_BOT_TOKEN" in str(err.value)
        assert "secret123" not in str(err.value)
        with pytest.raises(ConfigError, match="REDIS_URL"):
            load_settings(redis_url="http://x")
        with pytest.raises(ConfigError, match="DEFAULT_LOCALE"):
            load_settings(default_locale="xx")

    def test_api_url_gets_the_bot_path(self) -> None:
        s = load_settings(telegram_api_url="http://127.0.0.1:8081/")
        assert s.bot_api_base_url == "http://127.0.0.1:8081/bot"
        assert s.bot_file_base_url == "http://127.0.0.1:8081/file/bot"
        assert "123456" not in repr(load_settings(telegram_bot_token="123456:ABCDEFGHIJKLMNOP"))
