"""Course catalog: URL parsing per platform, the seed catalog, fuzzy search, add and merge."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from tg_support.community.courses import (
    MATCH_THRESHOLD,
    Catalog,
    Course,
    normalize,
    parse_course_url,
    title_from_slug,
)


@pytest.fixture(scope="module")
def seed() -> Catalog:
    return Catalog.load()


def top(catalog: Catalog, query: str, extra: tuple[str, ...] = ()) -> tuple[str, float]:
    results = catalog.search(query, extra_queries=extra)
    assert results, query
    return results[0][0].cid, results[0][1]


def cid(course: Course | None) -> str | None:
    return None if course is None else course.cid


# -- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Coursera: courses, programs, locale prefixes and subdomains, in-course pages, queries
        ("https://www.coursera.org/learn/machine-learning", ("coursera", "machine-learning")),
        ("look: coursera.org/learn/Machine-Learning/?utm_source=tg#x", ("coursera", "machine-learning")),
        ("https://es.coursera.org/learn/python-data/home/week/1", ("coursera", "python-data")),
        ("https://www.coursera.org/pt-BR/learn/crypto", ("coursera", "crypto")),
        ("https://www.coursera.org/specializations/deep-learning?x=1", ("coursera", "specializations/deep-learning")),
        ("https://www.coursera.org/professional-certificates/google-data-analytics/",
         ("coursera", "professional-certificates/google-data-analytics")),
        ("https://www.coursera.org/lecture/machine-learning/welcome-RKFpn", ("coursera", "machine-learning")),
        ("https://www.coursera.org/programs/acme-learning/learn/python?source=search", ("coursera", "python")),
        # edX: new /learn/<subject>/<org>-<slug>, old /course/, programs, run ids
        ("https://www.edx.org/learn/computer-science/harvard-university-cs50-s-introduction-to-computer-science",
         ("edx", "harvard-university-cs50-s-introduction-to-computer-science")),
        ("https://www.edx.org/es/learn/python/harvard-university-cs50-s-introduction-to-programming-with-python?index=product",
         ("edx", "harvard-university-cs50-s-introduction-to-programming-with-python")),
        ("https://www.edx.org/course/introduction-computer-science-harvardx-cs50x",
         ("edx", "introduction-computer-science-harvardx-cs50x")),
        ("https://www.edx.org/professional-certificate/harvardx-data-science",
         ("edx", "professional-certificate/harvardx-data-science")),
        ("https://www.edx.org/certificates/professional-certificate/harvardx-data-science",
         ("edx", "professional-certificate/harvardx-data-science")),
        ("https://courses.edx.org/courses/course-v1:HarvardX+CS50+X/courseware/abc/",
         ("edx", "harvardx+cs50")),
        ("https://learning.edx.org/course/course-v1:MITx+6.00.1x+2T2024/block-v1:MITx+6.00.1x+2T2024+type@sequential",
         ("edx", "mitx+6.00.1x")),
        ("https://www.edx.org/learn/python", None),  # a subject page, not a course
        # Udemy, FutureLearn, Khan Academy
        ("https://www.udemy.com/course/100-days-of-code/", ("udemy", "100-days-of-code")),
        ("https://acme.udemy.com/course/automate/learn/lecture/123#overview", ("udemy", "automate")),
        ("https://www.udemy.com/courses/development/", None),  # a category listing
        ("https://www.futurelearn.com/courses/understanding-ielts/9/steps/1", ("futurelearn", "understanding-ielts")),
        ("https://www.futurelearn.com/experttracks/english-for-work", ("futurelearn", "experttracks/english-for-work")),
        ("https://www.khanacademy.org/math/statistics-probability/summarizing-quantitative-data",
         ("khan", "math/statistics-probability")),
        ("https://es.khanacademy.org/computing/computer-programming", ("khan", "computing/computer-programming")),
        ("https://www.khanacademy.org/profile/me/courses", None),
        # Class Central, Udacity, NPTEL / SWAYAM, Stepik, OpenLearning, MIT OCW, China, Russia, France
        ("https://www.classcentral.com/course/machine-learning-835", ("classcentral", "machine-learning-835")),
        ("https://www.udacity.com/course/intro-to-machine-learning--ud120", ("udacity", "intro-to-machine-learning--ud120")),
        ("https://onlinecourses.nptel.ac.in/noc24_cs45/preview", ("nptel", "noc24_cs45")),
        ("https://nptel.ac.in/courses/106106145", ("nptel", "106106145")),
        ("https://onlinecourses.swayam2.ac.in/cec24_ge12/preview", ("swayam", "cec24_ge12")),
        ("https://swayam.gov.in/nd1_noc20_cs62/preview", ("nptel", "noc20_cs62")),
        ("https://stepik.org/course/58852/promo", ("stepik", "58852")),
        ("stepik.org/67", ("stepik", "67")),
        ("https://www.openlearning.com/courses/intro-to-ux", ("openlearning", "intro-to-ux")),
        ("https://www.openlearning.com/unswcourses/courses/data-science/", ("openlearning", "unswcourses/data-science")),
        ("https://ocw.mit.edu/courses/18-06-linear-algebra-spring-2010/", ("mitocw", "18-06-linear-algebra-spring-2010")),
        ("http://ocw.mit.edu/courses/mathematics/18-06-linear-algebra-spring-2010/index.htm",
         ("mitocw", "18-06-linear-algebra-spring-2010")),
        ("https://www.icourse163.org/course/BIT-268001?tid=1", ("icourse163", "bit-268001")),
        ("https://openedu.ru/course/spbu/PYTHON/", ("openedu", "spbu/python")),
        ("https://www.fun-mooc.fr/fr/cours/python-3-des-fondamentaux-aux-concepts-avances-du-langage/",
         ("fun", "python-3-des-fondamentaux-aux-concepts-avances-du-langage")),
        # Free text around links; punctuation that ends a sentence is not part of the slug
        ("Anyone doing (https://www.coursera.org/learn/crypto)?", ("coursera", "crypto")),
        ("I'm on coursera.org/learn/stanford-statistics.", ("coursera", "stanford-statistics")),
        ("first udemy.com/course/automate then coursera.org/learn/crypto", ("udemy", "automate")),
        ("https://www.udemy.com/course/python-%E5%85%A5%E9%97%A8/", ("udemy", "python-入门")),
        ("notcoursera.org/learn/fake", None),
        ("https://evil.example/coursera.org/learn/fake", None),
        ("I love coursera and edx!", None),
        ("", None),
    ],
)  # fmt: skip
def test_parse_course_url(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_course_url(text) == expected


def test_title_from_slug() -> None:
    assert title_from_slug("coursera", "learning-how-to-learn") == "Learning How to Learn"
    assert (
        title_from_slug("udacity", "intro-to-machine-learning--ud120")
        == "Intro to Machine Learning"
    )
    assert title_from_slug("classcentral", "machine-learning-835") == "Machine Learning"
    assert (
        title_from_slug("coursera", "specializations/deep-learning")
        == "Deep Learning Specialization"
    )
    assert title_from_slug("khan", "math/statistics-probability") == "Statistics Probability"
    assert title_from_slug("edx", "harvardx+cs50") == "edX course harvardx+cs50"
    assert title_from_slug("stepik", "67") == "Stepik course 67"
    assert (
        title_from_slug("mitocw", "6-006-introduction-to-algorithms")
        == "6 006 Introduction to Algorithms"
    )


# -- seed catalog ----------------------------------------------------------------------------

# How each platform's canonical link looks, to check that every seed slug is one parse gives.
_LINK = {
    "coursera": "https://www.coursera.org/{}",
    "edx": "https://www.edx.org/{}",
    "udemy": "https://www.udemy.com/course/{}/",
    "futurelearn": "https://www.futurelearn.com/courses/{}",
    "khan": "https://www.khanacademy.org/{}",
    "udacity": "https://www.udacity.com/course/{}",
    "stepik": "https://stepik.org/course/{}/promo",
    "mitocw": "https://ocw.mit.edu/courses/{}/",
    "icourse163": "https://www.icourse163.org/course/{}",
}


def test_seed_catalog_is_large_and_parseable(seed: Catalog) -> None:
    courses = list(seed)
    assert len(courses) >= 60
    assert len({c.platform for c in courses}) >= 8
    for course in courses:
        assert course.cid == f"{course.platform}:{course.slug}"
        assert course.title and course.tags, course.cid
        path = course.slug
        if course.platform == "coursera" and "/" not in path:
            path = f"learn/{path}"
        if course.platform == "edx" and "/" not in path:
            path = f"learn/any-subject/{path}"
        assert parse_course_url(_LINK[course.platform].format(path)) == (
            course.platform,
            course.slug,
        )
    tags = {t for c in courses for t in c.tags}
    assert {
        "machine_learning",
        "python",
        "statistics",
        "algorithms",
        "sql",
        "web",
        "finance",
        "english",
    } <= tags


def test_dump_load_round_trip(seed: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(seed.dump(), "utf-8")
    again = Catalog.load(path)
    assert list(again) == sorted(seed, key=lambda c: c.cid)
    assert again.dump() == seed.dump()


# -- by_url ----------------------------------------------------------------------------------


def test_by_url_known_and_old_forms(seed: Catalog) -> None:
    cs50 = "edx:harvard-university-cs50-s-introduction-to-computer-science"
    old_form = "https://www.edx.org/course/introduction-computer-science-harvardx-cs50x"
    assert cid(seed.by_url(old_form)) == cs50
    assert cid(seed.by_url("https://courses.edx.org/courses/course-v1:HarvardX+CS50+X/")) == cs50
    ml = seed.by_url("join us! https://www.coursera.org/learn/machine-learning?x=1")
    assert ml is not None and ml.title.startswith("Supervised Machine Learning")
    assert seed.by_url("no link here") is None


def test_by_url_unknown_is_provisional_and_not_added(seed: Catalog) -> None:
    course = seed.by_url("https://www.coursera.org/learn/the-art-of-negotiation/")
    assert course == Course(
        cid="coursera:the-art-of-negotiation",
        platform="coursera",
        slug="the-art-of-negotiation",
        title="The Art of Negotiation",
    )
    assert seed.by_id("coursera:the-art-of-negotiation") is None


# -- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ML Andrew Ng", "coursera:machine-learning"),
        ("aprendizaje automático coursera", "coursera:machine-learning"),
        ("машинное обучение курс", "coursera:machine-learning"),
        ("मशीन लर्निंग", "coursera:machine-learning"),
        ("تعلم الآلة", "coursera:machine-learning"),
        ("吴恩达 机器学习", "coursera:machine-learning"),
        ("machin lerning", "coursera:machine-learning"),
        ("cs50", "edx:harvard-university-cs50-s-introduction-to-computer-science"),
        ("CS 50", "edx:harvard-university-cs50-s-introduction-to-computer-science"),
        ("cs50 python", "edx:harvard-university-cs50-s-introduction-to-programming-with-python"),
        ("learning how to learn", "coursera:learning-how-to-learn"),
        ("Learning how to lern", "coursera:learning-how-to-learn"),
        ("aprender a aprender", "coursera:aprendiendo-a-aprender"),
        ("python for everybody", "coursera:python"),
        ("pyton for everybody", "coursera:python"),
        ("Algorithms part 1 princeton", "coursera:algorithms-part1"),
        ("nand2tetris", "coursera:build-a-computer"),
        ("IBM data science", "coursera:professional-certificates/ibm-data-science"),
        ("google data analytics", "coursera:professional-certificates/google-data-analytics"),
        ("automate boring stuff", "udemy:automate"),
        ("stat 110", "edx:harvard-university-introduction-to-probability"),
        ("поколение питон", "stepik:58852"),
        ("science of well being", "coursera:the-science-of-well-being"),
        ("financial markets yale", "coursera:financial-markets-global"),
    ],
)
def test_search_finds(seed: Catalog, query: str, expected: str) -> None:
    cid, score = top(seed, query)
    assert cid == expected
    assert score >= MATCH_THRESHOLD


@pytest.mark.parametrize(
    "query",
    [
        "qwertyuiop asdf",
        "hello how do i reset my password",
        "i need help with week 3 quiz",
        "how do I get a certificate",
        "gardening for beginners",
        "pottery and ceramics",
        "medieval french poetry",
        "banana bread recipe",
        "I am stuck",
        "thanks!",
        "ok",
        "🙂🙂🙂",
        "coursera",  # only a platform word: nothing left to match
    ],
)
def test_garbage_matches_nothing_well(seed: Catalog, query: str) -> None:
    assert all(score < MATCH_THRESHOLD for _, score in seed.search(query, limit=10))


def test_extra_queries_bring_the_pivot_translation(seed: Catalog) -> None:
    alone = seed.search("apprentissage profond")
    assert not alone or alone[0][1] < MATCH_THRESHOLD  # no French alias for Deep Learning
    cid, score = top(seed, "apprentissage profond", ("deep learning",))
    assert cid in {
        "coursera:specializations/deep-learning",
        "coursera:neural-networks-deep-learning",
    }
    assert score >= MATCH_THRESHOLD


def test_search_is_deterministic_and_limited(seed: Catalog) -> None:
    first = seed.search("python", limit=7)
    assert len(first) == 7
    assert [s for _, s in first] == sorted((s for _, s in first), reverse=True)
    assert len({c.cid for c, _ in first}) == 7
    assert Catalog(reversed(list(seed))).search("python", limit=7) == first
    assert seed.search("python", limit=0) == []
    assert seed.search("   ") == []


def test_normalize() -> None:
    assert normalize("Aprendizaje Automático — Coursera!") == "aprendizaje automatico"
    assert normalize("Курс: Машинное обучение (ёлка)") == "машинное обучение елка"
    assert normalize("机器学习课程") == "机器学习"
    assert normalize("مقرر تَعَلُّم الآلة") == "تعلم الالة"
    assert normalize("मशीन लर्निंग कोर्स") == "मशीन लर्निंग"  # vowel signs stay


# -- add / merge -----------------------------------------------------------------------------


def test_add_then_found_by_name_and_url() -> None:
    catalog = Catalog.load()
    provisional = catalog.by_url("https://www.coursera.org/learn/negotiation-skills")
    assert provisional is not None
    catalog.add(replace(provisional, title="Successful Negotiation", aliases=("negociación",)))
    assert catalog.by_url("coursera.org/learn/negotiation-skills") == catalog.by_id(
        "coursera:negotiation-skills"
    )
    assert top(catalog, "successful negotiation")[0] == "coursera:negotiation-skills"
    assert top(catalog, "negociacion")[0] == "coursera:negotiation-skills"
    # Replacing an entry replaces its names too
    catalog.add(
        Course("coursera:negotiation-skills", "coursera", "negotiation-skills", "Win-Win Deals")
    )
    assert all(
        c.cid != "coursera:negotiation-skills" for c, _ in catalog.search("successful negotiation")
    )


def test_merge_moves_names_ids_and_links() -> None:
    catalog = Catalog.load()
    size = len(catalog)
    dup = catalog.add(
        Course(
            "other:ng-ml",
            "other",
            "ng-ml",
            "Andrew's ML class",
            aliases=("ml ng",),
            tags=("ml_math",),
        )
    )
    dup2 = catalog.add(Course("udemy:ml-ng-copy", "udemy", "ml-ng-copy", "Copied ML notes"))
    assert catalog.merge("other:ng-ml", dup2.cid) == {"udemy:ml-ng-copy": "other:ng-ml"}
    mapping = catalog.merge("coursera:machine-learning", dup.cid)
    # Chained: what was merged into the dropped entry now points at the kept one as well
    assert mapping == {
        "other:ng-ml": "coursera:machine-learning",
        "udemy:ml-ng-copy": "coursera:machine-learning",
    }
    assert len(catalog) == size
    kept = catalog.by_id("coursera:machine-learning")
    assert kept is not None
    assert {"Andrew's ML class", "ml ng", "Copied ML notes"} <= set(kept.aliases)
    assert "ml_math" in kept.tags and "machine_learning" in kept.tags
    assert catalog.by_id("other:ng-ml") == kept
    assert catalog.by_url("https://www.udemy.com/course/ml-ng-copy/") == kept
    assert top(catalog, "Andrew's ML class")[0] == "coursera:machine-learning"
    assert all(c.cid not in mapping for c, _ in catalog.search("copied ml notes", limit=10))
    with pytest.raises(KeyError):
        catalog.merge("coursera:machine-learning", "other:ng-ml")  # gone; only an alias now
    with pytest.raises(ValueError):
        catalog.add(Course("other:ng-ml", "other", "ng-ml", "again"))


# -- speed -----------------------------------------------------------------------------------


def _big_catalog(n: int, seed_catalog: Catalog) -> Catalog:
    """``n`` courses: the seed plus synthetic ones over a Zipf-like vocabulary."""
    rng = random.Random(7)
    common = ["introduction", "to", "and", "of", "for", "the", "with", "data", "science"]
    vocab = [f"{rng.choice('bcdfgklmnprstvz')}{rng.choice('aeiou')}{rng.choice('lmnrst')}"
             f"{rng.choice('aeiou')}{rng.choice('bcdgkmnprstx')}{i}" for i in range(3000)]  # fmt: skip
    weights = [1 / (i + 1) for i in range(len(vocab))]
    courses = list(seed_catalog)
    for i in range(n - len(courses)):
        words = rng.choices(vocab, weights, k=rng.randint(2, 5)) + rng.sample(common, 2)
        rng.shuffle(words)
        aliases = tuple(
            " ".join(rng.choices(vocab, weights, k=2)) for _ in range(rng.randint(0, 2))
        )
        courses.append(
            Course(f"other:c{i}", "other", f"c{i}", " ".join(words).title(), "Univ", aliases)
        )
    return Catalog(courses)


def test_search_10k_courses_finds_the_seed_entries(seed: Catalog) -> None:
    # Correctness at size only: a wall-clock bound here failed under CI load (speed belongs
    # in bench/, measured side by side).
    catalog = _big_catalog(10_000, seed)
    assert len(catalog) == 10_000
    for query in ["ML Andrew Ng", "learning how to learn", "cs50", "introduction to data science",
                  "aprendizaje automático coursera", "qwertyuiop asdf", "machin lerning"]:  # fmt: skip
        results = catalog.search(query)
        if query in ("ML Andrew Ng", "machin lerning", "aprendizaje automático coursera"):
            assert results[0][0].cid == "coursera:machine-learning"


def test_replacing_entries_many_times_rebuilds_the_index() -> None:
    catalog = Catalog.load()
    for i in range(1200):  # each replacement leaves the old names behind until a rebuild
        catalog.add(Course("other:x", "other", "x", f"Temporary title {i}", aliases=(f"t{i}",)))
    assert catalog._index.dead <= 1000
    assert top(catalog, "temporary title 1199") == ("other:x", 100.0)
    assert top(catalog, "ML Andrew Ng")[0] == "coursera:machine-learning"
