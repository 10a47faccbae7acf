"""How suggested answers are labelled (questions.faq.rendered), with the real catalogs:
translated into the reader's language and said so (the original kept for the toggle), or
shown as written and marked with the language it was written in; never presented as the
question's language. The translation itself is a worker's (tests/e2e/test_trust.py)."""

from __future__ import annotations

from tg_support.core.i18n import use_locale
from tg_support.questions.faq import Shown, rendered
from tg_support.questions.store import Question

ASKED = Question(qid="4", asker_id=1, text="¿Cuándo vence la tarea?", lang="es", status="solved",
                 answer="The assignment is due on Friday.", answer_lang="en", helper_id=7)  # fmt: skip


def test_a_translated_answer_keeps_its_original_for_the_toggle() -> None:
    s = Shown(ASKED, ASKED.text, "La tarea vence el viernes.", "en", translated=True,
              answer_translated=True)  # fmt: skip
    with use_locale("es"):
        shown = rendered([s], False, "es")
    assert shown.translated and shown.src_lang == "en"
    assert "La tarea vence el viernes." in shown.text and "Friday" not in shown.text
    assert "The assignment is due on Friday." in shown.original and "viernes" not in shown.original
    assert shown.text.startswith("Antes de")  # the list itself is in the reader's language
    assert shown.entities[0].type == "bold"  # the numbers


def test_an_answer_not_translated_in_time_is_marked_with_its_language() -> None:
    s = Shown(ASKED, ASKED.text, str(ASKED.answer), "en")
    with use_locale("es"):
        shown = rendered([s], False, "es")
    assert not shown.translated
    assert "→ Original (English): The assignment is due on Friday." in shown.text


def test_one_answer_offered_first_is_marked_the_same_way() -> None:
    s = Shown(ASKED, ASKED.text, str(ASKED.answer), "en")
    with use_locale("en"):
        shown = rendered([s], True, "hi")
    assert "💡 Original (English): The assignment is due on Friday." in shown.text


def test_an_answer_in_the_readers_language_is_left_alone() -> None:
    same = Question(qid="5", asker_id=1, text="When is it due?", lang="en", status="solved",
                    answer="On Friday.", answer_lang="en")  # fmt: skip
    with use_locale("en"):
        shown = rendered([Shown(same, same.text, "On Friday.", "en")], False, "en")
    assert "   → On Friday." in shown.text and not shown.translated
