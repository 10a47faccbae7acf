"""Issue 16's stores against a real Redis: the glossary, "translation looks wrong" flags and
the FAQ's count of learners helped, with what /forget and /export need from them."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from tg_support.core.store import Store
from tg_support.questions.faq import MIN_HELPED, FaqStore
from tg_support.questions.store import questions
from tg_support.translation.flags import FlagStore
from tg_support.translation.glossary import MAX_TERMS, GlossaryStore, parse_entry
from tg_support.translation.protect import Term


async def test_glossary_per_group_and_language(r: aioredis.Redis) -> None:
    g = GlossaryStore(r, "t:")
    assert parse_entry("peer  review = revisión por pares") == ("peer review", "revisión por pares")
    assert parse_entry("quiz → प्रश्नोत्तरी") == ("quiz", "प्रश्नोत्तरी")
    assert parse_entry("no separator") is None and parse_entry(" = x") is None
    assert await g.put(-100, "es", "peer review", "revisión por pares")
    assert await g.put(-100, "es", "Peer Review", "evaluación entre pares")  # replaces
    assert await g.put(-100, "hi", "quiz", "प्रश्नोत्तरी")
    assert await g.terms(-100, "es") == [Term("Peer Review", "evaluación entre pares")]
    assert await g.terms(-200, "es") == []  # another group's glossary is its own
    assert set(await g.by_language(-100, ["es", "hi", "fr"])) == {"es", "hi"}
    assert await g.remove(-100, "es", "PEER review") and not await g.remove(-100, "es", "x")
    assert await g.terms(-100, "es") == []
    for i in range(MAX_TERMS):
        assert await g.put(-100, "fr", f"term {i}", "x")
    assert not await g.put(-100, "fr", "one more", "x")
    assert await g.put(-100, "fr", "term 3", "y")  # replacing still works when full
    assert await g.export_user(1) == {}


async def test_flags_once_per_reader_worst_pairs_and_erasure(r: aioredis.Redis) -> None:
    flags = FlagStore(r, "t:")
    for score in (0.9, 0.8, 0.4, 0.9):
        await flags.count_delivery("es", "hi", score)
    await flags.count_delivery("en", "es", 0.95)

    def record(text: str, src: str = "es", dst: str = "hi", score: float = 0.4) -> dict[str, object]:
        return {"src_lang": src, "dst_lang": dst, "original": text, "translation": "t",
                "score": score, "model_version": "abc123"}  # fmt: skip

    assert await flags.flag(1, 10, record("uno"))
    assert not await flags.flag(1, 10, record("uno"))  # the same reader twice: one flag
    assert await flags.flag(1, 11, record("uno"))
    assert await flags.flag(2, 10, record("dos", "en", "es", 0.9))
    worst = await flags.worst_pairs()
    assert [(w.src, w.dst, w.flags, w.delivered) for w in worst] == [
        ("es", "hi", 2, 4), ("en", "es", 1, 1)
    ]  # fmt: skip
    assert round(worst[0].flagged_score, 2) == 0.4 and round(worst[0].mean_score, 2) == 0.75
    assert (await flags.flagged("es", "hi"))[0]["version"] == "abc123"
    assert await flags.negatives() == {("es", "hi"): ["uno"], ("en", "es"): ["dos"]}
    exported = await flags.export_user(10)
    assert [f["message"] for f in exported["translations_flagged"]] == [1, 2]
    json.dumps(exported)
    await flags.erase_user(10)
    assert await flags.export_user(10) == {"translations_flagged": []}
    assert not await r.sismember("t:tr:flag:by:1", "10") and await r.sismember("t:tr:flag:by:1", "11")
    assert not [k async for k in r.scan_iter("t:*") if str(k).endswith(":10")]


async def test_an_answer_joins_the_faq_at_three_learners_and_leaves_on_erasure(
    r: aioredis.Redis,
) -> None:
    store = Store(r, "t:")
    q = await questions(store).new_question(1, "¿Cómo obtengo el certificado?", "es", [])
    await questions(store).update_question(q.qid, status="solved", group_id=-100)
    q = await questions(store).get_question(q.qid)
    assert q is not None
    faq = FaqStore(r, "t:")
    assert await faq.record_helped(q, 2) == 2  # the asker and the first learner it helped
    assert await faq.record_helped(q, 2) == 2  # a learner counts once
    assert await faq.entries(-100) == []
    assert await faq.record_helped(q, 3) == MIN_HELPED == 3
    assert await faq.entries(-100) == [(q.qid, 3)]
    assert await faq.export_user(3) == {"helped_by_answers_to": [int(q.qid)]}
    await faq.erase_user(3)
    assert await faq.export_user(3) == {"helped_by_answers_to": []}
    assert await faq.entries(-100) == []  # below the minimum again
    assert await faq.helped(q.qid) == 2
