"""The spam gate before the groups (tg_support.moderation.gate): pure, no Redis or Telegram."""

from __future__ import annotations

import random
import time

import pytest

from bench.gate import DATA, FILES, Row, generate_junk, load
from tg_support.moderation.gate import (
    BURST,
    DAY,
    FEW_WORDS,
    INVISIBLE_CHARS,
    KEYBOARD_MASH,
    LINK_FLOOD,
    MOSTLY_MARKUP,
    NO_LETTERS,
    NOISE,
    OK,
    REASONS,
    REPEAT,
    TOO_SHORT,
    UNKNOWN_WORDS,
    GateContext,
    Verdict,
    assess,
    fingerprint,
)

NEWCOMER = GateContext()  # first question of a brand-new account: the strictest context
OLD_HAND = GateContext(
    first_question=False,
    account_age_s=200 * DAY,
    questions_last_day=3,
    recent_fingerprints=frozenset({fingerprint("How do I merge two dataframes?")}),
)


def rows(name: str) -> list[Row]:
    return load(DATA / name)


# -- labelled files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_files_are_big_enough_and_well_formed(name: str) -> None:
    data = rows(name)
    labels = {r.label for r in data}
    assert labels == {"pass", "rephrase", "hold"}
    assert len(data) >= (400 if name == "gate_dev.tsv" else 200)


@pytest.mark.parametrize("name", FILES)
def test_every_real_question_passes(name: str) -> None:
    offenders = [
        f"line {r.line}: {v.reason} [{v.detail}] {r.text[:80]!r}"
        for r in rows(name)
        if r.label == "pass" and (v := assess(r.text, NEWCOMER)).blocked
    ]
    assert not offenders, "real questions blocked:\n" + "\n".join(offenders)


@pytest.mark.parametrize("name", FILES)
def test_at_least_95_percent_of_junk_is_blocked(name: str) -> None:
    junk = [r for r in rows(name) if r.label != "pass"]
    missed = [r for r in junk if not assess(r.text, NEWCOMER).blocked]
    share = 1 - len(missed) / len(junk)
    listing = "\n".join(f"line {r.line}: {r.text[:60]!r}" for r in missed)
    assert share >= 0.95, f"{share:.1%} of junk blocked; let through:\n{listing}"


def test_generated_junk_is_mostly_blocked() -> None:
    junk = generate_junk(450, seed=11)
    caught = sum(assess(text, NEWCOMER).blocked for _, text in junk)
    assert caught / len(junk) >= 0.85


# -- reasons ----------------------------------------------------------------------------------


def verdict(text: str, ctx: GateContext = NEWCOMER) -> Verdict:
    return assess(text, ctx)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "?!?!", "😀😀😀", "12345 678", "👍", "<b><i></i></b>", "**__~~**", "\u200b\u200b"],
)
def test_no_letters(text: str) -> None:
    assert verdict(text) == Verdict("rephrase", NO_LETTERS, verdict(text).detail)


@pytest.mark.parametrize("text", ["hi", "ok", "help", "lol?", "嗯", "https://example.com", "C#"])
def test_too_short(text: str) -> None:
    v = verdict(text)
    assert (v.action, v.reason) == ("rephrase", TOO_SHORT), v


@pytest.mark.parametrize(
    "text",
    [
        "asdfghjkl",
        "qwertyqwerty",
        "jjjjjjjj",
        "ывапролдж",
        "фывапролджэ йцукен",
        "lkjhgfdsa poiuytrewq",
        "sdkfjhsdkjfh skdjfhskdf",
        "aSdFgHjKl",
        "x7Gk2pQ9zL4mN8vB",
        "ㅁㄴㅇㄹㅁㄴㅇㄹㅁㄴㅇㄹ",
        "ضصثقفغعهخ",
        "hahahahahahaha",
        "spam spam spam spam spam",
        # letters no language writes (gate_words.letter_fit far below any profile)
        "srzbacz ubaerjqkwy dkqjzvh",
        "qmycovezgase ayjyyln xqwzvtk",
        "пврлдж ыфвкщз хцйжэ",
    ],
)
def test_keyboard_mash(text: str) -> None:
    v = verdict(text)
    assert (v.action, v.reason) == ("rephrase", KEYBOARD_MASH), v
    assert verdict(text, OLD_HAND).action == "rephrase"  # whoever types it


@pytest.mark.parametrize(
    "text",
    [
        "ᚠꕥⵣᐁᎠ ᚢᚦ ꕤꕢ",  # letters of many scripts
        "Ωя中ß𝔸ٸ৳ሴ",
        "Z̸̡̛̜͖̝̭̘̳̑̈́̍̃ǎ̷̡̛̞̦̺̮̼̆̎l̶̢̡̪̫̟̀̐̈́g̴̛̛̪̹̥̓̍̽ơ̷̯̜̦̇̒͆",  # zalgo
        "龘靐齉麤爨驫",  # rare Han characters only
        "ab\ue000\ue001\ue002\ue003cd",  # private use code points
    ],
)
def test_noise(text: str) -> None:
    v = verdict(text)
    assert (v.action, v.reason) == ("rephrase", NOISE), v


@pytest.mark.parametrize(
    "text",
    [
        "a\u200bs\u200bd\u200bf\u200bg\u200bh",
        "\u202ehow\u202e do\u202e I\u202e pass\u202e the quiz?",
        "h\u2060e\u2060l\u2060p\u2060 me\u2060 please",
    ],
)
def test_invisible_characters_stuffed_in(text: str) -> None:
    v = verdict(text)
    assert (v.action, v.reason) == ("rephrase", INVISIBLE_CHARS), v


@pytest.mark.parametrize(
    "text",
    [
        "Why is my loss NaN?\u200b",  # one zero-width space pasted from a web page
        "می\u200cخواهم پایتون یاد بگیرم، از کجا شروع کنم؟",  # ZWNJ inside Persian words
        "👨\u200d💻 how do I start with Python?",  # emoji ZWJ sequence
        "ສະບາຍດີ\u200bຂ້ອຍ\u200bມີ\u200bຄຳຖາມ\u200bກ່ຽວກັບ Python",  # ZWSP word breaks in Lao
        "\u200fما هو Python؟",  # RLM typed by an Arabic keyboard
    ],
)
def test_legitimate_invisible_characters_pass(text: str) -> None:
    assert verdict(text).action == "pass", verdict(text)


# -- never block real short questions ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "¿Qué es pandas?",
        "O que é Git?",
        "C'est quoi Git ?",
        "Что такое SQL?",
        "什么是递归？",
        "ما هو Python؟",
        "पायथन क्या है?",
        "Why NaN?",
        "SQL JOIN?",
        "C++ vs C#?",
        "why does `x = [1,2][3]` fail?",
        "Is https://www.coursera.org/learn/machine-learning still free?",
        "再帰とは？",
        "재귀가 뭐예요?",
        "Python คืออะไร",
        "Ninawezaje kupata cheti?",
        "why 0.1+0.2?",
        "postgresql vs mysql?",
        "Ի՞նչ է ֆոտոսինթեզը",  # the Armenian question mark sits on the stressed vowel
        "Γιατί ο ουρανός είναι μπλε;",  # the Greek one looks like a semicolon
    ],
)
def test_short_real_questions_pass(text: str) -> None:
    v = verdict(text)
    assert v == Verdict("pass", OK, v.detail), v


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("help pls", FEW_WORDS),
        ("pls help w/ numpy 🙏", FEW_WORDS),
        ("Помогите срочно", FEW_WORDS),
        ("मदद चाहिए", FEW_WORDS),
        ("hello", FEW_WORDS),
        ("**Week 3** `quiz` *closed* > again", MOSTLY_MARKUP),
        ("# heading > quote *bold* ~~strike~~", MOSTLY_MARKUP),
        ("postgresql mysql sqlalchemy psycopg", UNKNOWN_WORDS),
        ("eajhadso dlghopj wriiemyfe bopulke", UNKNOWN_WORDS),
    ],
)
def test_a_newcomer_confirms_a_question_without_a_question_mark_that_is_hardly_one(
    text: str, reason: str
) -> None:
    """Not sent back: the asker posts it with one tap, or sends a longer version."""
    v = verdict(text)
    assert (v.action, v.reason) == ("confirm", reason), v
    assert not v.blocked
    assert verdict(text + "?").action == "pass"
    assert verdict(text, OLD_HAND).action == "pass"  # only newcomers are asked


@pytest.mark.parametrize(
    "text",
    [
        "need help with week 3 quiz",  # four words
        "Pythonのインストール方法を教えてください",  # no spaces between words: not counted
        "帮帮我",
        "用train_test_split划分数据集后准确率变低了",  # an identifier is no formatting
        "Python necə quraşdırılır kompüterimdə",  # Azerbaijani: ə is in no profile
        "Nola instalatu dezaket Python ordenagailuan",  # Basque: no profile either
        "Mwen pa konprann devwa semèn sa a",  # Haitian Creole
        "подскажите, как сделать сводную таблицу в экселе",
    ],
)
def test_real_questions_without_a_question_mark_pass(text: str) -> None:
    v = verdict(text)
    assert v.action == "pass", v


@pytest.mark.parametrize("text", ["ẕ트ﾣめ", "⼣ᏽඒ", "ꎬよ㞓ᓣ"])
def test_a_few_letters_of_many_scripts_are_noise(text: str) -> None:
    v = verdict(text)
    assert (v.action, v.reason) == ("rephrase", NOISE), v


@pytest.mark.parametrize(
    "text",
    [
        "What is `x[i][j]`?",
        "How do I print {name} with format()?",
        "¿Qué significa %s en Python?",
        "**Why** does my code fail?",
        "Как работает __init__ в Python?",
        "What does **kwargs do?",
        "is a > b always true when a = b + 1?",
        "> the deadline is friday\nis that true?",
        "क्या मैं {name} का उपयोग करूँ?",
        "ما هو الـAPI؟",  # the article before a foreign word, with a tatweel
        "شرح بالPython من فضلك",  # ... and without
        "שאלה על הPython",  # a Hebrew prefix glued to a foreign word
        "Python-ات كثيرة",
        "\u200fمتى الموعد النهائي؟",
    ],
)
def test_real_questions_with_markup_code_and_mixed_directions_pass(text: str) -> None:
    v = verdict(text)
    assert not v.blocked, v
    assert verdict(text, OLD_HAND).action == "pass"


@pytest.mark.parametrize(
    "text",
    [
        "||spoiler|| ||spoiler|| [x](tg://user?id=1) \\",
        "![img](x) __u__ __u__ # heading ~~s~~",
        "{name} {number!r}",
        "%n {0} %(x)s {0}",
        "${jndi:ldap://x/a} {{",
        "<script>alert(1)</script> <b>bold <b>bold",
        "```pre --- [link](http://x.y)",
    ],
)
def test_markup_and_placeholders_with_hardly_a_word(text: str) -> None:
    v = verdict(text)
    assert (v.action, v.reason) == ("rephrase", NO_LETTERS), v


@pytest.mark.parametrize(
    "text",
    [
        "مرحبا بالعالمquestion?",  # right-to-left words pasted onto a left-to-right one
        "שלום עולםمرحبا بالعالم",  # Hebrew and Arabic in one word
        "\u202bמרחבא שלום עולם\u202bquestion?",
    ],
)
def test_pasted_together_directions_are_noise(text: str) -> None:
    v = verdict(text)
    assert (v.action, v.reason) == ("rephrase", NOISE), v


@pytest.mark.parametrize(
    "text",
    ["\u202ewhy does my quiz fail?", "\u061cquestion?", "\u2067\u2067how do I submit?"],
)
def test_bidi_overrides_and_right_to_left_controls_without_such_text(text: str) -> None:
    v = verdict(text)
    assert (v.action, v.reason) == ("rephrase", INVISIBLE_CHARS), v


# -- context: links and repeats ---------------------------------------------------------------

LINKY = (
    "Compare these three: https://example.org/a https://example.org/b https://example.org/c "
    "which one?"
)


def test_a_first_question_that_is_mostly_links_is_held() -> None:
    v = verdict(LINKY, NEWCOMER)
    assert (v.action, v.reason) == ("hold", LINK_FLOOD), v
    v = verdict("https://a.example/1 https://b.example/2 https://c.example/3", NEWCOMER)
    assert (v.action, v.reason) == ("hold", LINK_FLOOD), v


def test_the_same_links_from_an_old_account_with_prior_questions_pass() -> None:
    assert verdict(LINKY, OLD_HAND).action == "pass"


def test_a_day_old_account_that_already_asked_is_between() -> None:
    regular = GateContext(first_question=False, account_age_s=2 * DAY, questions_last_day=1)
    assert verdict(LINKY, regular).action == "pass"  # 3 links: below the regular bar (4)
    five = " ".join(f"https://spam.example/{i}" for i in range(5)) + " look"
    assert verdict(five, regular).reason == LINK_FLOOD


def test_one_or_two_links_in_a_real_first_question_pass() -> None:
    two = (
        "Compare https://pandas.pydata.org and https://pola.rs — which one should a beginner learn?"
    )
    assert verdict(two, NEWCOMER).action == "pass"


def test_a_repeat_is_held_only_when_the_sender_asked_it_recently() -> None:
    text = "how do I merge two DataFrames??"
    assert verdict(text, NEWCOMER).action == "pass"
    v = verdict(text, OLD_HAND)
    assert (v.action, v.reason) == ("hold", REPEAT), v
    assert verdict("How do I pivot a DataFrame?", OLD_HAND).action == "pass"


def test_a_burst_from_a_new_account_is_held() -> None:
    busy = GateContext(first_question=False, account_age_s=3600, questions_last_day=12)
    v = verdict("How do I pivot a DataFrame?", busy)
    assert (v.action, v.reason) == ("hold", BURST), v
    old_busy = GateContext(first_question=False, account_age_s=90 * DAY, questions_last_day=12)
    assert verdict("How do I pivot a DataFrame?", old_busy).action == "pass"


def test_reasons_map_to_their_actions() -> None:
    for reason, action in REASONS.items():
        assert action in ("pass", "confirm", "rephrase", "hold"), reason
    assert REASONS[LINK_FLOOD] == REASONS[REPEAT] == "hold"
    assert REASONS[FEW_WORDS] == REASONS[MOSTLY_MARKUP] == REASONS[UNKNOWN_WORDS] == "confirm"


# -- fingerprint ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("What is SQL?", "what  is sql??"),
        ("What is SQL?", "ＷＨＡＴ ＩＳ ＳＱＬ"),
        ("Week 3 quiz, question 5?", "week 4 quiz question 6"),
        ("¿Qué es pandas?", "qué es PANDAS"),
        ("什么是递归？", "什么是递归?"),
        ("how do I\u200b merge?", "how do I merge"),
        ("line one\nline two", "line one line two"),
    ],
)
def test_fingerprint_ignores_trivial_variations(a: str, b: str) -> None:
    assert fingerprint(a) == fingerprint(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("What is SQL?", "What is NoSQL?"),
        ("How do I merge two DataFrames?", "How do I pivot a DataFrame?"),
        ("什么是递归？", "什么是循环？"),
        ("Что такое SQL?", "Что такое Git?"),
    ],
)
def test_fingerprint_tells_different_questions_apart(a: str, b: str) -> None:
    assert fingerprint(a) != fingerprint(b)


def test_fingerprint_is_short_and_stable() -> None:
    fp = fingerprint("What is SQL?")
    assert len(fp) == 16 and int(fp, 16) >= 0
    assert fp == fingerprint("What is SQL?")


# -- cost -------------------------------------------------------------------------------------


def test_ten_thousand_random_characters_are_judged_quickly() -> None:
    rng = random.Random(5)
    texts = [
        "".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(10_000)),
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(10_000)),
        ("Why does my model overfit? " * 400)[:10_000],
    ]
    for text in texts:
        assess(text, NEWCOMER)  # warm the character caches as a running bot would have
        start = time.process_time()
        v = assess(text, NEWCOMER)
        elapsed = time.process_time() - start
        assert elapsed < 0.05, (elapsed, v)
