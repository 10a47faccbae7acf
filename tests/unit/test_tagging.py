from tg_support.questions.tagging import question_tags, text_tags


def test_keywords_in_any_language_name_the_topic() -> None:
    for text in (
        "¿Cómo calculo la desviación estándar en estadística?",
        "Não entendo a estatística da semana 2",
        "मुझे सांख्यिकी में माध्य समझ नहीं आता",
        "统计学的方差怎么算？",
        "Je ne comprends pas la statistique bayésienne",
        "Помогите со статистикой",
    ):
        assert "statistics" in text_tags(text), text


def test_the_profile_is_only_a_prior() -> None:
    profile = ["python", "machine-learning"]
    assert question_tags("Una duda de estadística: la varianza", profile) == ["statistics"]
    assert question_tags("No encuentro el botón de enviar la tarea", profile) == profile


def test_hashtags_and_catalog_terms() -> None:
    assert question_tags("#week3 a question about SQL joins")[:2] == ["week3", "sql"]


def test_shorten_cuts_at_a_word_boundary() -> None:
    from tg_support.core.textsplit import shorten

    assert shorten("short  text\n", 80) == "short text"
    assert shorten("alpha beta gamma delta", 15) == "alpha beta…"
    assert shorten("x" * 30, 10) == "x" * 9 + "…"
    assert len(shorten("统计" * 50, 20)) == 20
