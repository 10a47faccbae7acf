"""Entity protection around translation: every protected span survives, offsets exact (UTF-16)."""

from __future__ import annotations

import pytest
from telegram import MessageEntity

from tg_support.core.textsplit import u16len
from tg_support.translation.argos import MAX_SLOTS, TooManySlots, protect, restore


def spans(text: str, entities: list[MessageEntity]) -> list[tuple[str, str]]:
    """(type, covered text) for each entity, reading offsets as Telegram does (UTF-16)."""
    raw = text.encode("utf-16-le")
    return [
        (e.type, raw[2 * e.offset : 2 * (e.offset + e.length)].decode("utf-16-le"))
        for e in entities
    ]


def test_detected_spans_become_placeholders_and_come_back_in_a_new_order() -> None:
    text = "See https://example.org/a?x=1 and ask @john_helps by 10:30 😀"
    masked, slots = protect(text)
    assert masked == "See ⟦0⟧ and ask ⟦1⟧ by ⟦2⟧"
    assert [s.text for s in slots] == ["https://example.org/a?x=1", "@john_helps", "10:30 😀"]
    out, ents = restore("Pregunta a ⟦1⟧ antes de ⟦2⟧, mira ⟦0⟧", slots)
    assert out == "Pregunta a @john_helps antes de 10:30 😀, mira https://example.org/a?x=1"
    assert spans(out, ents) == [("mention", "@john_helps"), ("url", "https://example.org/a?x=1")]


def test_given_entities_keep_their_type_and_extras_with_utf16_offsets() -> None:
    text = "😀 Run `pip install rq` then read the docs #rq"
    code_at = u16len("😀 Run ")
    link_at = u16len("😀 Run `pip install rq` then read the ")
    entities = [
        MessageEntity("code", code_at, u16len("`pip install rq`")),
        MessageEntity("text_link", link_at, 4, url="https://python-rq.org"),
    ]
    masked, slots = protect(text, entities)
    assert masked == "⟦0⟧ Run ⟦1⟧ then read the ⟦2⟧ ⟦3⟧"
    out, ents = restore("🙂 ⟦0⟧ Ejecuta ⟦1⟧ y lee la ⟦2⟧ ⟦3⟧", slots)
    assert out == "🙂 😀 Ejecuta `pip install rq` y lee la docs #rq"
    got = spans(out, ents)
    assert got == [("code", "`pip install rq`"), ("text_link", "docs"), ("hashtag", "#rq")]
    assert next(e for e in ents if e.type == "text_link").url == "https://python-rq.org"


def test_a_dropped_placeholder_is_appended_and_a_stray_one_removed() -> None:
    masked, slots = protect("Write to help@mooc.org or @ana_admin")
    assert masked == "Write to ⟦0⟧ or ⟦1⟧"
    out, ents = restore("Escribe a ⟦0⟧ ⟦7⟧", slots)
    assert out == "Escribe a help@mooc.org @ana_admin"
    assert [t for t, _ in spans(out, ents)] == ["email", "mention"]


def test_rtl_text_keeps_links_and_numbers() -> None:
    text = "الموعد النهائي 15 مارس، التفاصيل في https://mooc.org/ar"
    masked, slots = protect(text)
    assert "⟦0⟧" in masked and "⟦1⟧" in masked and "https" not in masked
    out, ents = restore(masked, slots)
    assert out == text
    assert spans(out, ents) == [("url", "https://mooc.org/ar")]


def test_too_many_spans_refuse_translation() -> None:
    text = " x ".join(f"@user_{i:03d}" for i in range(MAX_SLOTS + 1))
    with pytest.raises(TooManySlots):
        protect(text)


# --- issue 16: what passes through untranslated, and glossary terms ------------------------

from tg_support.translation.protect import Term  # noqa: E402


def masked_kinds(text: str, terms: list[Term] | None = None) -> tuple[str, list[tuple[str, str]]]:
    masked, slots = protect(text, (), terms or [])
    return masked, [(s.kind, s.text) for s in slots]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Solve x^2 + 3x = 0 first", "x^2 + 3x = 0"),
        ("then f(x) = 2x + 1 is linear", "f(x) = 2x + 1"),
        ("Use $E = mc^2$ here", "$E = mc^2$"),
        ("the bound \\(a \\le b\\) holds", "\\(a \\le b\\)"),
        ("stop when loss < 0.01 please", "loss < 0.01"),
    ],
)
def test_formulas_pass_through_whole(text: str, span: str) -> None:
    masked, kinds = masked_kinds(text)
    assert kinds == [("formula", span)]
    assert restore(masked, protect(text)[1])[0] == text


def test_hyphenated_words_and_fractions_of_prose_are_not_formulas() -> None:
    masked, kinds = masked_kinds("my e-mail and/or the peer-review form, week 3-4")
    assert "e-mail" in masked and "and/or" in masked and "peer-review" in masked
    assert all(k == "number" for k, _ in kinds)
    # A word with accents before a formula keeps its letters (no cut inside the word).
    masked, kinds = masked_kinds("la pérdida = 0.5 ahora")
    assert masked.startswith("la pérdida = ") and kinds == [("number", "0.5")]


def test_code_blocks_urls_mentions_and_hashtags_pass_through() -> None:
    text = "Run this:\n```\nfor i in range(3):\n    print(i)\n```\nsee https://x.org/a @ana_admin #python"
    masked, kinds = masked_kinds(text)
    assert masked == "Run this:\n⟦0⟧\nsee ⟦1⟧ ⟦2⟧ ⟦3⟧"
    assert [k for k, _ in kinds] == ["code", "url", "mention", "hashtag"]
    assert restore("Ejecuta esto:\n⟦0⟧\nmira ⟦1⟧ ⟦2⟧ ⟦3⟧", protect(text)[1])[0] == (
        "Ejecuta esto:\n```\nfor i in range(3):\n    print(i)\n```\nmira https://x.org/a "
        "@ana_admin #python"
    )


def test_glossary_terms_come_back_as_the_admins_translation() -> None:
    terms = [Term("peer review", "revisión por pares"), Term("peer review form", "formulario")]
    masked, slots = protect("Is the Peer  Review due? The peer review form is late.", (), terms)
    assert masked == "Is the ⟦0⟧ due? The ⟦1⟧ is late."
    out, ents = restore("¿Vence la ⟦0⟧? El ⟦1⟧ llega tarde.", slots)
    assert out == "¿Vence la revisión por pares? El formulario llega tarde."
    assert ents == []
    # Whole words only: no term inside a longer word, a mention or a link.
    masked, slots = protect("peer reviewers at https://x.org/peer review @peer_review", (), terms)
    assert masked == "peer reviewers at ⟦0⟧ review ⟦1⟧"
    assert [s.kind for s in slots] == ["url", "mention"]


def test_course_titles_pass_through_as_written_and_win_over_their_numbers() -> None:
    titles = [Term("Algorithms, Part 2", "Algorithms, Part 2", case=True),
              Term("Machine Learning", "Machine Learning", case=True)]  # fmt: skip
    masked, kinds = masked_kinds("Week 3 of Algorithms, Part 2 and Machine Learning", titles)
    assert masked == "Week ⟦0⟧ of ⟦1⟧ and ⟦2⟧"
    assert kinds == [("number", "3"), ("term", "Algorithms, Part 2"), ("term", "Machine Learning")]
    # Titles match as written: "machine learning" in running text is translated.
    assert masked_kinds("I like machine learning", titles)[1] == []
