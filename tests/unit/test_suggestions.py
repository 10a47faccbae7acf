"""How suggested answers are labelled (questions.suggestions.render), with the real
catalogs: translated into the reader's language and said so, or shown as written and
marked with the language it was written in; never presented as the question's language."""

from __future__ import annotations

from tg_support.core.i18n import use_locale
from tg_support.questions.store import Question
from tg_support.questions.suggestions import answer_language, render

ASKED = Question(qid="4", asker_id=1, text="¿Cuándo vence la tarea?", lang="es", status="solved",
                 answer="The assignment is due on Friday.", answer_lang="en", helper_id=7)  # fmt: skip


async def test_an_answer_in_another_language_is_translated_for_the_reader() -> None:
    asked: list[tuple[str, str, str, int]] = []

    async def translate(text: str, src: str, dst: str, owner: int) -> str | None:
        asked.append((text, src, dst, owner))
        return "La tarea vence el viernes."

    with use_locale("es"):
        shown = await render([ASKED], "es", translate)
    # From the language John wrote in, not the question's; the cache entry is his.
    assert asked == [("The assignment is due on Friday.", "en", "es", 7)]
    assert shown.translated and shown.src_lang == "en"
    assert "🌐 La tarea vence el viernes." in shown.text and "Friday" not in shown.text
    assert "The assignment is due on Friday." in shown.original and "viernes" not in shown.original
    assert shown.text.startswith("Antes de")  # the list itself is in the reader's language
    assert shown.entities[0].type == "bold"  # the numbers


async def test_an_answer_not_translated_in_time_is_marked_with_its_language() -> None:
    async def late(text: str, src: str, dst: str, owner: int) -> str | None:
        return None

    with use_locale("es"):
        shown = await render([ASKED], "es", late)
    assert not shown.translated
    assert "→ Original (English): The assignment is due on Friday." in shown.text


async def test_an_answer_in_the_readers_language_is_left_alone() -> None:
    async def never(text: str, src: str, dst: str, owner: int) -> str | None:
        raise AssertionError("nothing to translate")

    same = Question(qid="5", asker_id=1, text="When is it due?", lang="en", status="solved",
                    answer="On Friday.", answer_lang="en")  # fmt: skip
    with use_locale("en"):
        shown = await render([same], "en", never)
    assert "   → On Friday." in shown.text and not shown.translated
    # An answer stored before answer_lang existed counts as the question's language.
    old = Question(qid="6", asker_id=1, text="x", lang="es", answer="y")
    assert answer_language(old) == "es"
