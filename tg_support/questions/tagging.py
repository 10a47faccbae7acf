"""A question's tags from its own text, with the asker's profile only as a prior.

Sources, in order: the question's hashtags; topic keywords in any of the bot's languages
(:data:`KEYWORDS`, matched on :func:`courses.normalize`d text: accent-free and casefolded);
the tags of the seed course catalog's terms named in the text (a tag of the catalog written
as a word, or a course the catalog recognises by name). The profile's courses come only
when the text names no topic: a statistics question from a Python learner is tagged
#statistics, not #python. Tags are slugs with hyphens, as ``core.tags.normalize_tags``
makes them for profiles and helper cards.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from tg_support.community.courses import MATCH_THRESHOLD, Catalog, normalize

MAX_TAGS = 10
_HASHTAG = re.compile(r"#(\w[\w-]{1,40})")

# tag -> words that name it (normalised: no accents, casefolded). Latin/Cyrillic words match
# as word prefixes ("estadistic" covers estadística/estadísticas); Devanagari, Arabic and
# Chinese ones anywhere in the text (no spaces between Chinese words).
KEYWORDS: dict[str, tuple[str, ...]] = {
    "statistics": (
        "statistic", "estadistic", "estatistic", "statistique", "статистик",
        "सांख्यिकी", "आँकड़", "الإحصاء", "احصاء", "إحصاء", "统计",
    ),
    "probability": (
        "probabilit", "probabilidad", "вероятност", "प्रायिकता", "संभावना", "الاحتمال", "احتمال", "概率",
    ),
    "python": ("python", "pandas", "numpy", "jupyter", "पायथन", "بايثون", "питон"),
    "machine-learning": (
        "machine learning", "aprendizaje automatico", "aprendizado de maquina",
        "apprentissage automatique", "машинн обучен", "машинное обучение", "मशीन लर्निंग",
        "تعلم الآلة", "التعلم الآلي", "机器学习",
    ),
    "deep-learning": ("deep learning", "neural network", "red neuronal", "redes neuronales",
                      "нейросет", "нейронн", "深度学习", "神经网络"),
    "sql": ("sql", "database", "base de datos", "bases de datos", "banco de dados",
            "base de donnees", "баз данных", "डेटाबेस", "قاعدة بيانات", "数据库"),
    "linear-algebra": ("linear algebra", "algebra lineal", "algebra linear", "algebre lineaire",
                       "линейн алгебр", "линейная алгебра", "रैखिक बीजगणित", "线性代数"),
    "calculus": ("calculus", "calculo diferencial", "calculo integral", "calcul differentiel", "derivative", "derivada",
                 "integral", "интеграл", "производн", "कलन", "微积分"),
    "javascript": ("javascript", "js ", "node.js", "typescript"),
    "writing": ("essay", "ensayo", "redaccion", "redacao", "dissertation", "эссе", "निबंध",
                "مقال", "论文", "作文"),
}  # fmt: skip


def _compile(words: Sequence[str]) -> re.Pattern[str]:
    parts = []
    for w in words:
        w = normalize(w) if w.isascii() else w
        parts.append(r"\b" + re.escape(w) if re.match(r"[a-zа-яё]", w) else re.escape(w))
    return re.compile("|".join(parts))


_PATTERNS = {tag: _compile(words) for tag, words in KEYWORDS.items()}


@lru_cache(maxsize=1)
def _catalog() -> tuple[Catalog, re.Pattern[str]]:
    catalog = Catalog.load()
    # Catalog tags spelled out as words ("sql", "algorithms"); one- and two-letter tags
    # ("r", "c", "ai") are left out: they are ordinary words too often.
    names = sorted({t for c in catalog for t in c.tags if len(t) > 2}, key=len, reverse=True)
    words = [n.replace("_", " ") for n in names]
    return catalog, re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b")


def _slug(tag: str) -> str:
    return re.sub(r"[\s_]+", "-", tag.strip().lower()).strip("-#")


def text_tags(text: str) -> list[str]:
    """The tags the text itself gives (hashtags, keywords, catalog terms and courses)."""
    found = [_slug(t) for t in _HASHTAG.findall(text)]
    norm = " " + normalize(text) + " "
    lowered = text.casefold()
    for tag, pattern in _PATTERNS.items():
        if pattern.search(norm) or pattern.search(lowered):
            found.append(tag)
    catalog, terms = _catalog()
    found.extend(_slug(m) for m in terms.findall(norm))
    best = catalog.search(text, limit=1)
    if best and best[0][1] >= MATCH_THRESHOLD:
        found.extend(_slug(t) for t in best[0][0].tags)
    return [t for t in dict.fromkeys(found) if t]


def question_tags(text: str, profile_tags: Sequence[str] = ()) -> list[str]:
    """The question's tags: from its text; the profile's only when the text names none."""
    tags = text_tags(text)
    if not tags:
        tags = [_slug(t) for t in profile_tags]
    return list(dict.fromkeys(t for t in tags if t))[:MAX_TAGS]
