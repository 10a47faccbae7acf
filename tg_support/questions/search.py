"""Similar-question search: a multilingual inverted index in plain Redis, BM25 scored in Python.

Before a new question goes to volunteers the bot shows up to three similar solved questions.
Each solved question is indexed under its own language and, once a translation worker has
made one, under an English *pivot* translation, so a Spanish question can be found from a
Hindi query whose pivot translation is English.

No RediSearch: postings are sorted sets, scoring happens in Python over a bounded candidate
set (at most :data:`POSTINGS_CAP` postings per query term), so the cost of a query grows with
the postings it reads, not with the number of indexed questions.

Key patterns (``{p}`` is the prefix given to :class:`SearchIndex`, ``Settings.redis_prefix``):

=================================  =====  ========================================================
``{p}search:t:{lang}:{term}``      zset   postings of a term in the ``lang`` field: member
                                          ``{qid}|{tf}|{dl}`` (term frequency, field length),
                                          score ``tf / dl`` (densest postings read first)
``{p}search:d:{qid}``              hash   an indexed question: ``lang``, ``pivot_lang``,
                                          ``fields`` (JSON ``{lang: {term: tf}}``, what to undo
                                          on remove/re-add), ``tags`` (JSON list)
``{p}search:stats``                hash   ``n:{lang}`` questions with a ``lang`` field,
                                          ``len:{lang}`` their total length in tokens (BM25
                                          ``N`` and average field length)
``{p}search:v:{lang}:{bucket}``    zset   vocabulary for typo tolerance: terms of the ``lang``
                                          field starting with ``bucket`` (their first two
                                          characters), score = document frequency
=================================  =====  ========================================================

A question has one field per language: its own (``lang``) and the pivot's (``pivot_lang``,
normally ``en``; ignored when equal to ``lang``). An English question and the English pivot of
a French one therefore share the ``en`` postings, and :attr:`Hit.lang` says which field
matched best.

Tokenization (:func:`tokenize`, pure): NFKC + lowercase; Latin-script tokens lose their
accents ("día" = "dia"), Cyrillic ``ё`` becomes ``е``; per-language stop words (small
hand-written lists) and a light suffix stripper (:func:`_stem`: plurals and common verb and
noun endings for en/es/pt/fr/de, case endings for ru/uk, a few Hindi suffixes, Arabic
article/conjunction prefixes and pronoun/plural suffixes); Arabic loses diacritics and
tatweel and its alef/yeh/teh-marbuta forms are unified; Chinese (any Han run, whatever the
language) becomes character bigrams after splitting at particles (的, 了, 吗...); Devanagari
stays whole words; romanized Hindi is Latin text with Hindi and English stop words.
Latin/Cyrillic tokens in a non-Latin language (e.g. "Python" in a Chinese question) get the
English rules.

Typo tolerance: a query term of 4+ characters that no question contains is replaced by the
closest vocabulary term sharing its first two characters (Damerau-Levenshtein distance 1, or
2 for terms of 7+ characters), read from ``{p}search:v:*`` (at most :data:`VOCAB_CAP` terms
per bucket) at a discount of :data:`TYPO_WEIGHT`.

Scores are BM25 (k1 = 1.2, b = 0.75) divided by the query's total IDF, i.e. roughly the
fraction of the query's information that the question matches (1.0 for a question that
contains every query term once at average length). With a pivot the two legs (own language,
pivot language) are scored separately and combined as ``max + PIVOT_BONUS * min``.

Redis I/O: :meth:`SearchIndex.add` / :meth:`SearchIndex.remove` read the question's hash
under WATCH and write everything in one MULTI (re-adding replaces atomically). A query is
three pipelined round trips (+1 when a typo is corrected): (1) stats and the df of every
query term; (2) the densest :data:`POSTINGS_CAP` postings of each known term, whose members
carry tf and field length, so approximate BM25 needs no further reads; (3) the term
frequencies (and tags) of the best :data:`RESCORE` candidates, scored exactly. Query cost is
thus bounded by ``query terms x POSTINGS_CAP + RESCORE``, whatever the index size.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from tg_support.questions.tokenize import (
    LATIN_LANGS,
    tokenize,
)
from tg_support.questions.tokenize import (
    distance as _distance,
)
from tg_support.questions.tokenize import (
    is_latin as _is_latin,
)
from tg_support.questions.tokenize import (
    max_typos as _max_typos,
)
from tg_support.questions.tokenize import (
    typo_eligible as _typo_eligible,
)

__all__ = [
    "MIN_SCORE",
    "POSTINGS_CAP",
    "Hit",
    "SearchIndex",
    "tokenize",
]

#: Postings read per query term (the densest first, ``tf / dl``). Terms with more postings
#: than this are common, hence low-IDF: the questions they add are only candidates if a
#: rarer term brings them in. Bounds a query's cost at ``terms x POSTINGS_CAP`` postings.
POSTINGS_CAP = 200
#: Candidates rescored exactly (from their term frequencies in ``{p}search:d:{qid}``).
RESCORE = 30
#: Vocabulary terms read per two-letter bucket when a query term needs typo correction.
VOCAB_CAP = 300
#: Default minimum normalized score of a hit (tuned on tests/data/search_dev.jsonl).
MIN_SCORE = 0.22
#: Weight of a typo-corrected query term.
TYPO_WEIGHT = 0.7
#: How much the weaker leg (own language vs pivot) adds to the stronger one.
PIVOT_BONUS = 0.3
K1 = 1.2
B = 0.75


@dataclass(frozen=True)
class Hit:
    qid: str
    score: float
    lang: str  # the field that matched best: the question's own language or the pivot's


def _idf(n_docs: int, df: int) -> float:
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


# The statistics fields (ARGV) of the stats hash (KEYS[1]), then the size of each postings
# set (KEYS[2:]): one EVALSHA instead of a pipeline of 1 + one per query term, which costs
# redis-py several times the CPU.
_STATS_AND_DF = """
local out = redis.call('HMGET', KEYS[1], unpack(ARGV))
for i = 2, #KEYS do out[#out + 1] = redis.call('ZCARD', KEYS[i]) end
return out
"""


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# --------------------------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------------------------


class SearchIndex:
    """Add/remove solved questions and find similar ones. Safe for concurrent writers."""

    def __init__(self, redis: Redis, prefix: str = "tgs:") -> None:
        self.r = redis
        self.p = f"{prefix}search:"

    # keys
    def _term_key(self, lang: str, term: str) -> str:
        return f"{self.p}t:{lang}:{term}"

    def _doc_key(self, qid: str) -> str:
        return f"{self.p}d:{qid}"

    def _vocab_key(self, lang: str, term: str) -> str:
        return f"{self.p}v:{lang}:{term[:2]}"

    @property
    def _stats_key(self) -> str:
        return f"{self.p}stats"

    # writes
    async def add(
        self,
        qid: str,
        text: str,
        lang: str,
        *,
        pivot_text: str | None = None,
        pivot_lang: str = "en",
        tags: Sequence[str] = (),
    ) -> None:
        """Index (or re-index: replaces whatever was there) question ``qid``."""
        lang = lang.lower()
        pivot_lang = pivot_lang.lower()
        fields: dict[str, dict[str, int]] = {}
        own = Counter(tokenize(text, lang))
        if own:
            fields[lang] = dict(own)
        if pivot_text and pivot_lang != lang:
            piv = Counter(tokenize(pivot_text, pivot_lang))
            if piv:
                fields[pivot_lang] = dict(piv)
        doc = {
            "lang": lang,
            "pivot_lang": pivot_lang if pivot_lang in fields and pivot_lang != lang else "",
            "fields": json.dumps(fields, ensure_ascii=False, separators=(",", ":")),
            "tags": json.dumps(list(tags), ensure_ascii=False),
        }
        await self._replace(qid, doc, fields)

    async def remove(self, qid: str) -> None:
        """Drop ``qid`` from the index (no-op when absent)."""
        await self._replace(qid, None, {})

    async def _replace(
        self, qid: str, doc: dict[str, str] | None, fields: dict[str, dict[str, int]]
    ) -> None:
        dkey = self._doc_key(qid)
        async with self.r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(dkey)
                    old_raw = await pipe.hget(dkey, "fields")
                    old: dict[str, dict[str, int]] = json.loads(_s(old_raw)) if old_raw else {}
                    pipe.multi()  # type: ignore[no-untyped-call]
                    self._unindex(pipe, qid, old)
                    pipe.delete(dkey)
                    if doc is not None:
                        self._index(pipe, qid, fields)
                        mapping: dict[Any, Any] = dict(doc)
                        pipe.hset(dkey, mapping=mapping)
                    await pipe.execute()
                    return
                except WatchError:
                    continue

    def _index(self, pipe: Any, qid: str, fields: dict[str, dict[str, int]]) -> None:
        for flang, terms in fields.items():
            dl = sum(terms.values())
            for term, tf in terms.items():
                pipe.zadd(self._term_key(flang, term), {f"{qid}|{tf}|{dl}": tf / dl})
                pipe.zincrby(self._vocab_key(flang, term), 1, term)
            pipe.hincrby(self._stats_key, f"n:{flang}", 1)
            pipe.hincrby(self._stats_key, f"len:{flang}", dl)

    def _unindex(self, pipe: Any, qid: str, fields: dict[str, dict[str, int]]) -> None:
        vocab_keys: set[str] = set()
        for flang, terms in fields.items():
            dl = sum(terms.values())
            for term, tf in terms.items():
                pipe.zrem(self._term_key(flang, term), f"{qid}|{tf}|{dl}")
                vkey = self._vocab_key(flang, term)
                pipe.zincrby(vkey, -1, term)
                vocab_keys.add(vkey)
            pipe.hincrby(self._stats_key, f"n:{flang}", -1)
            pipe.hincrby(self._stats_key, f"len:{flang}", -dl)
        for vkey in vocab_keys:
            pipe.zremrangebyscore(vkey, "-inf", 0)

    # reads
    async def query(
        self,
        text: str,
        lang: str,
        *,
        k: int = 3,
        pivot_text: str | None = None,
        exclude: Collection[str] = (),
        min_score: float = MIN_SCORE,
        pivot_lang: str = "en",
        tags: Collection[str] = (),
    ) -> list[Hit]:
        """Up to ``k`` questions similar to ``text`` (in ``lang``), best first.

        ``pivot_text`` (the query translated to ``pivot_lang``) also searches the pivot
        field, which every question with a pivot translation has: that is what makes the
        search cross-lingual. ``tags``: keep only questions with at least one of these tags.
        """
        q = _Query.parse(text, lang.lower(), pivot_text, pivot_lang.lower())
        if not q.legs or k <= 0:
            return []
        await self._read_stats(q)  # round trip 1
        if not any(q.n_docs.values()):
            return []  # nothing indexed in these fields yet: no postings, no typo vocabulary
        postings = await self._read_postings(q)  # round trip 2 (+1 to correct typos)
        top = q.candidates(postings, set(exclude), max(RESCORE, 5 * k))
        if not top:
            return []
        docs = await self._read_docs(top)  # round trip 3
        return q.results(top, docs, set(tags), min_score, k)

    async def _read_stats(self, q: _Query) -> None:
        """Phase 1 into ``q``, one script call: N and total length per field, df per term."""
        stat_fields = [f"{x}:{fl}" for fl in q.legs for x in ("n", "len")]
        terms = [(fl, t) for fl, ts in q.legs.items() for t in ts]
        res = await self.r.register_script(_STATS_AND_DF)(
            keys=[self._stats_key, *(self._term_key(fl, t) for fl, t in terms)], args=stat_fields
        )
        stats = [int(_s(v)) if v is not None else 0 for v in res[: len(stat_fields)]]
        for i, fl in enumerate(q.legs):
            q.n_docs[fl] = stats[2 * i]
            q.avgdl[fl] = stats[2 * i + 1] / max(1, stats[2 * i])
        q.df.update(zip(terms, map(int, res[len(stat_fields) :]), strict=True))

    async def _read_postings(self, q: _Query) -> dict[_Term, list[Any]]:
        """Phase 2: the densest postings of each known term, or of its typo correction."""
        terms = [(fl, t) for fl, ts in q.legs.items() for t in ts]
        known = [key for key in terms if q.df[key]]
        unknown = [key for key in terms if not q.df[key] and _typo_eligible(key[1])]
        pipe = self.r.pipeline(transaction=False)
        for fl, t in known:
            pipe.zrevrange(self._term_key(fl, t), 0, POSTINGS_CAP - 1)
        for fl, t in unknown:  # the vocabulary that a typo's correction is picked from
            pipe.zrevrange(self._vocab_key(fl, t), 0, VOCAB_CAP - 1)
        res = await pipe.execute()
        postings = dict(zip(known, res[: len(known)], strict=True))
        q.match.update((key, (key[1], 1.0)) for key in known)
        fixes = _pick_corrections(unknown, res[len(known) :])
        if fixes:
            pipe = self.r.pipeline(transaction=False)
            for (fl, _), cand in fixes.items():
                pipe.zcard(self._term_key(fl, cand))
                pipe.zrevrange(self._term_key(fl, cand), 0, POSTINGS_CAP - 1)
            res = await pipe.execute()
            for j, (key, cand) in enumerate(fixes.items()):
                q.df[(key[0], cand)] = int(res[2 * j])
                postings[key] = res[2 * j + 1]
                q.match[key] = (cand, TYPO_WEIGHT)
        return postings

    async def _read_docs(self, qids: list[str]) -> list[Any]:
        """Phase 3: the term frequencies (``fields``) and ``tags`` of each candidate."""
        pipe = self.r.pipeline(transaction=False)
        for qid in qids:
            pipe.hmget(self._doc_key(qid), ["fields", "tags"])
        return list(await pipe.execute())


_Term = tuple[str, str]  # a query term: (field language, term)


@dataclass
class _Query:
    """A query's terms per field (leg), and what phases 1 and 2 read about them."""

    legs: dict[str, list[str]]  # field language -> the query's distinct terms
    n_docs: dict[str, int] = field(default_factory=dict)  # questions with the field (BM25 N)
    avgdl: dict[str, float] = field(default_factory=dict)  # their average length in tokens
    df: dict[_Term, int] = field(default_factory=dict)  # of query terms and typo corrections
    # query term -> (indexed term it matches, weight: 1, or TYPO_WEIGHT for a correction)
    match: dict[_Term, tuple[str, float]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, lang: str, pivot_text: str | None, pivot_lang: str) -> _Query:
        """The query's distinct terms in its own language's field, and in the pivot's."""
        legs: dict[str, list[str]] = {}
        own = list(dict.fromkeys(tokenize(text, lang)))
        if own:
            legs[lang] = own
        if pivot_text and pivot_lang != lang:
            piv = list(dict.fromkeys(tokenize(pivot_text, pivot_lang)))
            if piv:
                legs[pivot_lang] = piv
        elif pivot_lang == "en" and lang not in LATIN_LANGS and any(map(_is_latin, own)):
            # Code-switching: Latin words in a Hindi/Russian/Chinese/Arabic question are mostly
            # English ("mera quiz submit nahi hua", "Python 报错"); without a pivot they are
            # looked up in the English field too (the other words count as unmatched there).
            legs[pivot_lang] = own
        return cls(legs)

    def candidates(
        self, postings: dict[_Term, list[Any]], exclude: set[str], limit: int
    ) -> list[str]:
        """The ``limit`` best questions by approximate BM25 over the postings read."""
        approx: dict[str, float] = {}
        for (fl, t), members in postings.items():
            cand, w = self.match[(fl, t)]
            idf = _idf(self.n_docs[fl], self.df[(fl, cand)]) * w
            avgdl = self.avgdl[fl]
            for m in members:  # tf and dl are in the member: no further reads
                qid, tf_s, dl_s = _s(m).rsplit("|", 2)
                if qid not in exclude:
                    approx[qid] = approx.get(qid, 0.0) + _bm25(idf, int(tf_s), int(dl_s), avgdl)
        return sorted(approx, key=lambda q: (-approx[q], q))[:limit]

    def leg_scores(
        self, fields: dict[str, dict[str, int]], norms: dict[str, float]
    ) -> list[tuple[float, str]]:
        """Exact BM25 of a question per leg, over the leg's total IDF: (score, field)."""
        per: list[tuple[float, str]] = []
        for fl, terms in self.legs.items():
            tfs = fields.get(fl)
            if not tfs or not norms[fl]:
                continue
            dl = sum(tfs.values())
            score = 0.0
            for t in terms:
                cand, w = self.match.get((fl, t), (t, 0.0))
                tf = tfs.get(cand, 0)
                if tf and w:
                    idf = _idf(self.n_docs[fl], self.df[(fl, cand)]) * w
                    score += _bm25(idf, tf, dl, self.avgdl[fl])
            if score:
                per.append((score / norms[fl], fl))
        return per

    @staticmethod
    def merge_legs(per: list[tuple[float, str]]) -> tuple[float, str]:
        """Best leg + :data:`PIVOT_BONUS` x the other legs' scores, and the best leg's field."""
        per.sort(reverse=True)
        return per[0][0] + PIVOT_BONUS * sum(x for x, _ in per[1:]), per[0][1]

    def results(
        self, top: list[str], docs: list[Any], tags: set[str], min_score: float, k: int
    ) -> list[Hit]:
        """The ``k`` best candidates by exact score, with a tag wanted, over ``min_score``."""
        # a posting cut off by POSTINGS_CAP still counts here: the fields hold every term
        norms = {
            fl: sum(_idf(self.n_docs[fl], self.df[(fl, t)]) for t in terms)
            for fl, terms in self.legs.items()
        }
        combined: list[tuple[float, str, str]] = []
        for qid, (fields_raw, tags_raw) in zip(top, docs, strict=True):
            if fields_raw is None:  # removed meanwhile
                continue
            if tags and not tags & set(json.loads(_s(tags_raw or "[]"))):
                continue
            per = self.leg_scores(json.loads(_s(fields_raw)), norms)
            if per:
                total, fl = self.merge_legs(per)
                if total >= min_score:
                    combined.append((total, qid, fl))
        combined.sort(key=lambda x: (-x[0], x[1]))
        return [Hit(qid, round(score, 4), fl) for score, qid, fl in combined[:k]]


def _bm25(idf: float, tf: int, dl: int, avgdl: float) -> float:
    return idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / max(avgdl, 1.0)))


def _pick_corrections(
    unknown: list[tuple[str, str]], buckets: list[Any]
) -> dict[tuple[str, str], str]:
    """The closest vocabulary term for each unknown term (ties: the most frequent)."""
    fixes: dict[tuple[str, str], str] = {}
    for (fl, term), bucket in zip(unknown, buckets, strict=True):
        limit = _max_typos(term)
        best: tuple[int, int, str] | None = None
        for rank, cand_raw in enumerate(bucket):  # ranked by df, most frequent first
            cand = _s(cand_raw)
            d = _distance(term, cand, limit)
            if d <= limit and (best is None or (d, rank) < best[:2]):
                best = (d, rank, cand)
        if best is not None:
            fixes[(fl, term)] = best[2]
    return fixes
