"""Pure parts of issue 19: routing by the learner's region, the reopen time limit."""

from __future__ import annotations

import time

from tg_support.questions.regions import LEARNER_REGIONS, RegionChoice, valid_choice
from tg_support.questions.reopen import REOPEN_DAYS, can_reopen
from tg_support.questions.routing import GroupCard, choose_group
from tg_support.questions.store import Question


def g(chat_id: int, langs: str, region: str, tags: str = "") -> GroupCard:
    return GroupCard(
        chat_id, frozenset(langs.split(",")), region, frozenset(filter(None, tags.split(",")))
    )


SPANISH = [g(-1, "es", "europe"), g(-2, "es", "americas"), g(-3, "en", "asia"), g(-4, "*", "africa")]


def chosen(lang: str, region: str | None, groups: list[GroupCard] = SPANISH) -> int | None:
    card = choose_group(lang, [], groups, region=region)
    return card.chat_id if card else None


def test_the_learners_region_wins_among_groups_of_their_language() -> None:
    assert chosen("es", "europe") == -1
    assert chosen("es", "americas") == -2
    # Reversed order of the list: still the region, not the position.
    assert chosen("es", "europe", SPANISH[::-1]) == -1


def test_without_a_group_of_the_region_language_alone_decides() -> None:
    assert chosen("es", "asia") == chosen("es", None) in (-1, -2)
    # A group of the region that does not speak the language is never chosen.
    assert chosen("en", "europe") == -3
    # Nor does the region pull a question away from its language to the international group.
    assert chosen("es", "africa") in (-1, -2)
    assert chosen("hi", "africa") == -4


def test_course_tags_still_come_before_the_region() -> None:
    groups = [g(-1, "es", "europe"), g(-2, "es", "americas", "python")]
    assert choose_group("es", ["python"], groups, region="europe").chat_id == -2  # type: ignore[union-attr]


def test_region_choices_are_the_groups_regions_but_international() -> None:
    assert "international" not in LEARNER_REGIONS and "europe" in LEARNER_REGIONS
    assert all(valid_choice(r) for r in LEARNER_REGIONS)
    assert valid_choice("open") and valid_choice("none")
    assert not valid_choice("international") and not valid_choice("mars")
    assert RegionChoice.parse("pf:rg:middle-east") == RegionChoice(region="middle-east")


def question(status: str, age_days: float) -> Question:
    return Question(
        qid="1", asker_id=7, text="t", lang="es", status=status,
        updated_at=time.time() - age_days * 24 * 3600,
    )  # fmt: skip


def test_reopen_only_ended_questions_within_the_limit() -> None:
    assert can_reopen(question("solved", 1)) and can_reopen(question("closed", REOPEN_DAYS - 1))
    assert not can_reopen(question("solved", REOPEN_DAYS + 1))
    assert not can_reopen(question("open", 1)) and not can_reopen(question("draft", 1))
