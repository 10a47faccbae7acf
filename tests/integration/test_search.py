"""The similar-question index against a real Redis (the suite's ``redis_url`` fixture).

Every test starts and ends with that database flushed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from tg_support.questions.search import Hit, SearchIndex, tokenize

PREFIX = "tgs:test:"
DEV = Path(__file__).resolve().parents[1] / "data" / "search_dev.jsonl"


@pytest.fixture
def index(r: aioredis.Redis) -> SearchIndex:
    return SearchIndex(r, prefix=PREFIX)


# ---------------------------------------------------------------------------- tokenization


def test_latin_accents_folded_and_stop_words_dropped() -> None:
    assert tokenize("¿Cuál es el día límite?", "es") == tokenize("cual es el dia limite", "es")
    assert "dia" in tokenize("Día", "es")
    assert tokenize("the of and", "en") == []
    assert tokenize("Évaluation par les pairs", "fr") == tokenize("evaluation pairs", "fr")


def test_light_stemming_conflates_plurals_and_verb_forms() -> None:
    assert tokenize("certificates", "en") == tokenize("certificate", "en")
    assert tokenize("grading graded grade", "en") == ["grad"] * 3
    assert tokenize("quizzes", "en") == tokenize("quiz", "en")
    assert tokenize("certificados", "es") == tokenize("certificado", "es")
    assert tokenize("certificats", "fr") == tokenize("certificat", "fr")
    assert tokenize("сертификаты", "ru") == tokenize("сертификат", "ru")


def test_cyrillic_yo_folded() -> None:
    assert tokenize("ёлка", "ru") == tokenize("елка", "ru")


def test_chinese_bigrams_split_at_particles() -> None:
    assert tokenize("作业提交", "zh") == ["作业", "业提", "提交"]
    # 的/了/吗 split runs, question words (怎么办) are dropped, Latin words kept
    toks = tokenize("我的作业提交不了，怎么办？Python报错", "zh")
    assert toks == ["作业", "业提", "提交", "交不", "python", "报错"]
    assert tokenize("证", "zh") == ["证"]


def test_arabic_normalization() -> None:
    # diacritics, tatweel, alef forms, teh marbuta, the article
    assert tokenize("الشَّهـادة", "ar") == tokenize("شهاده", "ar")
    assert tokenize("أحصل", "ar") == tokenize("احصل", "ar") == tokenize("إحصل", "ar")
    assert tokenize("في من على", "ar") == []


def test_hindi_devanagari_words_stay_whole() -> None:
    toks = tokenize("मेरा सर्टिफिकेट नहीं मिला", "hi")
    assert "सर्टिफिकेट" in toks  # matras and virama do not split the word
    assert "नहीं" not in toks and "मेरा" not in toks
    # romanized Hindi: Latin tokens with Hindi stop words
    assert tokenize("mera quiz submit nahi ho raha", "hi") == ["quiz", "submit"]


# ---------------------------------------------------------------------------- index semantics


async def keys(r: aioredis.Redis, pattern: str = "*") -> list[str]:
    return sorted([k async for k in r.scan_iter(match=pattern)])


async def test_add_query_remove(index: SearchIndex, r: aioredis.Redis) -> None:
    await index.add("q1", "How many times can I retake the quiz?", "en")
    await index.add("q2", "The name on my certificate is misspelled", "en")
    hits = await index.query("quiz retake attempts", "en")
    assert hits and hits[0] == Hit("q1", hits[0].score, "en")
    assert all(k.startswith(f"{PREFIX}search:") for k in await keys(r))

    await index.remove("q1")
    assert [h.qid for h in await index.query("quiz retake attempts", "en")] == []
    await index.remove("q1")  # no-op
    await index.remove("q2")
    # nothing left but the (zeroed) stats
    assert await keys(r) == [f"{PREFIX}search:stats"]
    assert set((await r.hgetall(f"{PREFIX}search:stats")).values()) == {"0"}


async def test_re_add_replaces(index: SearchIndex, r: aioredis.Redis) -> None:
    await index.add("q1", "video not loading black screen", "en")
    await index.add("q1", "certificate name misspelled", "en")
    await index.add("q1", "certificate name misspelled", "en")
    assert await index.query("video black screen", "en") == []
    assert [h.qid for h in await index.query("misspelled certificate", "en")] == ["q1"]
    assert await r.hget(f"{PREFIX}search:stats", "n:en") == "1"
    assert await keys(r, f"{PREFIX}search:t:en:video") == []


async def test_exclude_k_and_min_score(index: SearchIndex) -> None:
    for i in range(5):
        await index.add(f"q{i}", f"peer review grade appeal number{i}", "en")
    hits = await index.query("peer review grade appeal", "en", k=10)
    assert len(hits) == 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(await index.query("peer review grade appeal", "en")) == 3
    excluded = await index.query("peer review grade appeal", "en", k=10, exclude={"q0", "q3"})
    assert {h.qid for h in excluded} == {"q1", "q2", "q4"}
    assert await index.query("peer review grade appeal", "en", min_score=5.0) == []
    assert await index.query("pizza toppings", "en") == []
    assert await index.query("", "en") == []


async def test_cross_lingual_through_pivot(index: SearchIndex) -> None:
    await index.add(
        "es1",
        "¿Cómo cancelo mi suscripción y pido el reembolso?",
        "es",
        pivot_text="How do I cancel my subscription and request a refund?",
    )
    await index.add(
        "ru1", "Не могу войти в аккаунт", "ru", pivot_text="I can't log into my account"
    )
    query = "मैं अपनी सदस्यता रद्द करके पैसे वापस कैसे पाऊँ?"
    assert await index.query(query, "hi") == []  # nothing shared without a translation
    hits = await index.query(
        query, "hi", pivot_text="How can I cancel my subscription and get a refund?"
    )
    assert hits[0].qid == "es1" and hits[0].lang == "en"
    # an English question needs no pivot: it is in the pivot language already
    assert (await index.query("refund after cancelling subscription", "en"))[0].qid == "es1"
    # same language: matched on the own field
    hits = await index.query("quiero el reembolso de la suscripcion", "es")
    assert hits[0] == Hit("es1", hits[0].score, "es")


async def test_code_switching_hits_english_field(index: SearchIndex) -> None:
    await index.add("en1", "My payment went through but the course is still not unlocked", "en")
    await index.add("en2", "How do I change the interface language?", "en")
    await index.add("en3", "Quiz retake waiting period", "en")
    hits = await index.query("payment ho gaya lekin course unlock nahi hua", "hi")
    assert hits and hits[0].qid == "en1" and hits[0].lang == "en"


async def test_typo_tolerance(index: SearchIndex) -> None:
    await index.add("q1", "I have not received my certificate yet", "en")
    await index.add("q2", "Lecture videos are not loading", "en")
    hits = await index.query("recieved no certifcate", "en")
    assert hits and hits[0].qid == "q1"
    exact = await index.query("received no certificate", "en")
    assert hits[0].score < exact[0].score  # corrected terms are discounted


async def test_tags_filter(index: SearchIndex) -> None:
    await index.add("a", "quiz deadline extension", "en", tags=["course:ml"])
    await index.add("b", "quiz deadline extension please", "en", tags=["course:py"])
    assert [
        h.qid for h in await index.query("quiz deadline extension", "en", tags={"course:py"})
    ] == ["b"]
    assert len(await index.query("quiz deadline extension", "en")) == 2


async def test_bytes_client(redis_url: str) -> None:
    conn = aioredis.Redis.from_url(redis_url, decode_responses=False)
    await conn.flushdb()
    try:
        idx = SearchIndex(conn, prefix=PREFIX)
        await idx.add(
            "q1", "证书上可以显示我的中文名字吗", "zh", pivot_text="Chinese name on certificate"
        )
        await idx.add(
            "q1", "证书上可以显示我的中文名字吗", "zh", pivot_text="Chinese name on certificate"
        )
        assert [h.qid for h in await idx.query("证书能不能用中文名字", "zh")] == ["q1"]
        await idx.remove("q1")
        assert await idx.query("证书中文名字", "zh") == []
    finally:
        await conn.flushdb()
        await conn.aclose()


# ---------------------------------------------------------------------------- dev-set recall


async def test_dev_set_recall(index: SearchIndex) -> None:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
    docs = [x for x in rows if x["type"] == "doc"]
    queries = [x for x in rows if x["type"] == "query"]
    assert len(docs) >= 60
    for d in docs:
        await index.add(d["qid"], d["text"], d["lang"], pivot_text=d["pivot"])

    async def recall_at_3(kind: str, use_pivot: bool) -> float:
        sel = [q for q in queries if q["kind"] == kind]
        found = 0
        for q in sel:
            hits = await index.query(
                q["query"], q["lang"], pivot_text=q["pivot"] if use_pivot else None
            )
            found += any(h.qid in q["expected"] for h in hits)
        return found / len(sel)

    same = await recall_at_3("same", use_pivot=False)
    cross = await recall_at_3("cross", use_pivot=True)
    assert same >= 0.8, same
    assert cross >= 0.8, cross
    negatives = [q for q in queries if q["kind"] == "none"]
    false_hits = [
        q for q in negatives if await index.query(q["query"], q["lang"], pivot_text=q["pivot"])
    ]
    assert len(false_hits) <= len(negatives) // 4, false_hits
