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
