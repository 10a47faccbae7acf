"""Course catalog: course links found in free text, a seed catalog, fuzzy title search. Pure.

Identity
--------
A course is ``cid = "{platform}:{slug}"``, where ``(platform, slug)`` is what
:func:`parse_course_url` returns for its canonical link. Slugs are lower-cased, percent-decoded,
without query, fragment or trailing slash. Links to something other than a single course carry
their kind in the slug (``coursera:specializations/deep-learning``,
``edx:professional-certificate/harvardx-data-science``); Khan Academy slugs are the
``domain/subject`` path (``khan:math/statistics-probability``); edX run URLs
(``course-v1:HarvardX+CS50+X``) drop the run (``edx:harvardx+cs50``) so every run is one course.
A course may answer to other ids too (:attr:`Course.also`: an old URL form, a merged duplicate),
and :meth:`Catalog.by_id` / :meth:`Catalog.by_url` follow them.

Search
------
:meth:`Catalog.search` scores the query against every course's title, ``title + provider`` and
aliases with :func:`rapidfuzz.fuzz.WRatio` (0-100) after :func:`normalize` (casefold, Latin /
Cyrillic / Greek accents and Arabic harakat dropped, punctuation to spaces, platform and
"course" words dropped in the bot's languages), keeping each course's best choice. A course's
score is the best over the query and ``extra_queries`` (the caller passes the query's pivot
English translation, so "apprentissage profond" finds "Deep Learning" without a French alias).
Scores at or above :data:`MATCH_THRESHOLD` are good matches; below it the caller should offer
to create an entry. The choice list is built incrementally, so a search costs one
:func:`rapidfuzz.process.extract` pass per query string (a 10,000-course catalog: a few ms).
"""

from __future__ import annotations

import heapq
import json
import math
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from rapidfuzz import fuzz, process

__all__ = [
    "MATCH_THRESHOLD",
    "PLATFORMS",
    "Catalog",
    "Course",
    "normalize",
    "parse_course_url",
    "route_tags",
    "slugify",
    "title_from_slug",
]

#: A search score (0-100) at or above this is a good match. Calibrated on the seed catalog
#: (tests/unit/test_courses.py): an abbreviation or translated alias scores 86-100, a title
#: typed with a typo or a missing word 86-95, unrelated chat and keyboard mashing below 75.
MATCH_THRESHOLD = 88.0
#: Names scored with WRatio per query string (picked by the term index, see ``_Index``).
CANDIDATES = 200
#: Postings read per query term; after the rarest term, a term on more names than this (a
#: function word, "introduction") is skipped: it adds cost, not candidates.
POSTINGS_CAP = 2000

#: Display names of the platforms :func:`parse_course_url` knows, plus "other".
PLATFORMS: dict[str, str] = {
    "coursera": "Coursera",
    "edx": "edX",
    "udemy": "Udemy",
    "futurelearn": "FutureLearn",
    "khan": "Khan Academy",
    "classcentral": "Class Central",
    "udacity": "Udacity",
    "nptel": "NPTEL",
    "swayam": "SWAYAM",
    "stepik": "Stepik",
    "openlearning": "OpenLearning",
    "mitocw": "MIT OpenCourseWare",
    "icourse163": "iCourse163",
    "openedu": "Открытое образование",
    "fun": "FUN MOOC",
    "other": "other",
}


@dataclass(frozen=True)
class Course:
    """One catalog entry; ``also`` lists other cids (old URL forms, merged duplicates) that mean it."""

    cid: str
    platform: str
    slug: str
    title: str
    provider: str = ""
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    also: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by the seed file (``cid`` is implied by platform and slug)."""
        out: dict[str, Any] = {"platform": self.platform, "slug": self.slug, "title": self.title}
        for key in ("provider", "aliases", "tags", "also"):
            value = getattr(self, key)
            if value:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Course:
        """Inverse of :meth:`to_dict`."""
        platform, slug = str(data["platform"]), str(data["slug"])
        return cls(
            cid=f"{platform}:{slug}",
            platform=platform,
            slug=slug,
            title=str(data["title"]),
            provider=str(data.get("provider", "")),
            aliases=tuple(data.get("aliases", ())),
            tags=tuple(data.get("tags", ())),
            also=tuple(data.get("also", ())),
        )


# --------------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------------

# Not preceded by a host or path character, so "notcoursera.org" and "evil.com/coursera.org"
# don't count; the scheme and any subdomains (www., es., learning., a Udemy Business tenant)
# are optional.
_HOST = r"(?<![\w.@/-])(?:https?:)?(?://)?(?:[a-z0-9-]+\.)*"
_LOC = r"(?:/[a-z]{2}(?:-[a-z]{2,4})?)?"  # a locale path prefix: /es, /pt-br, /zh-hans
# Stops at ? # / and whitespace; dots only inside (a sentence's full stop is not the slug's).
_SLUG = r"([\w%-]+(?:\.[\w%-]+)*)"
_KHAN_DOMAINS = (
    "math|science|computing|economics-finance-domain|humanities|arts-humanities|ela"
    "|reading-vocabulary|test-prep|college-careers-more|life-skills|partner-content"
)
_KIND_PREFIX = {
    "learn": "",
    "lecture": "",
    "course": "",
    "courses": "",
    "cours": "",
    "classroom": "",
}

# (platform, domain that must occur in the text, slug shape, pattern). Shapes: "plain" (group
# 1), "kind" (a link kind, then the slug), "run" (edX org and code), "path" (two segments),
# "org" (an optional organisation, then the slug). On equal start positions the earlier pattern
# wins: an edX run URL on learning.edx.org/course/ also fits the /course/ form.
_URL_PATTERNS: list[tuple[str, str, str, re.Pattern[str]]] = [
    (p, d, shape, re.compile(_HOST + rx, re.IGNORECASE))
    for p, d, shape, rx in [
        ("coursera", "coursera.org", "kind", r"coursera\.org" + _LOC + r"(?:/programs/[\w-]+)?"
         r"/(learn|lecture|specializations|professional-certificates|projects)/" + _SLUG),
        ("edx", "edx.org", "run", r"edx\.org/courses?/course-v1:([\w.-]+)(?:\+|%2b)([\w.-]+)"),
        ("edx", "edx.org", "plain", r"edx\.org" + _LOC + r"/learn/[\w-]+/" + _SLUG),
        ("edx", "edx.org", "kind", r"edx\.org" + _LOC + r"/(course)/" + _SLUG),
        ("edx", "edx.org", "kind", r"edx\.org" + _LOC + r"/(?:certificates/)?"
         r"(professional-certificate|xseries|micromasters|masters|bachelors)/" + _SLUG),
        ("udemy", "udemy.com", "plain", r"udemy\.com" + _LOC + r"/course/" + _SLUG),
        ("futurelearn", "futurelearn.com", "kind", r"futurelearn\.com" + _LOC
         + r"/(courses|programs|experttracks|microcredentials|degrees)/" + _SLUG),
        ("khan", "khanacademy.org", "path", r"khanacademy\.org/(" + _KHAN_DOMAINS + r")/([\w-]+)"),
        ("classcentral", "classcentral.com", "kind", r"classcentral\.com" + _LOC
         + r"/(course|classroom)/" + _SLUG),
        ("udacity", "udacity.com", "plain", r"udacity\.com/course/" + _SLUG),
        ("nptel", "nptel", "plain", r"nptel\.ac\.in/(?:noc/)?courses/(\d{3,})"),
        # SWAYAM run codes: NPTEL's start with "noc" (NPTEL runs on SWAYAM), the other
        # national coordinators' (cec, aic, ntr, imb...) do not; the platform follows the code.
        ("swayam", "nptel", "plain", r"onlinecourses\.nptel\.ac\.in/([a-z]{2,5}\d{2}_[a-z]{1,4}\d+)"),
        ("swayam", "swayam", "plain", r"onlinecourses\.swayam2\.ac\.in/([a-z]{2,5}\d{2}_[a-z]{1,4}\d+)"),
        ("swayam", "swayam", "plain", r"swayam\.gov\.in/nd\d_([a-z]{2,5}\d{2}_[a-z]{1,4}\d+)"),
        ("stepik", "stepik.org", "plain", r"stepik\.org" + _LOC + r"/course/(\d+)"),
        ("stepik", "stepik.org", "plain", r"stepik\.org/(\d+)(?![\w.-])"),
        ("openlearning", "openlearning.com", "org", r"openlearning\.com/(?:([\w-]+)/)?courses/" + _SLUG),
        # Old OCW URLs put a department first ("mathematics/18-06-..."): it has no digit,
        # the course number that follows does.
        ("mitocw", "ocw.mit.edu", "plain", r"ocw\.mit\.edu/courses/(?:[a-z-]+/(?=[\w-]*\d))?" + _SLUG),
        ("icourse163", "icourse163.org", "plain", r"icourse163\.org/(?:learn|course)/([a-z]+-\d+)"),
        ("openedu", "openedu.ru", "path", r"openedu\.ru/course/([\w-]+)/([\w-]+)"),
        ("fun", "fun-mooc.fr", "kind", r"fun-mooc\.fr" + _LOC + r"/(cours|courses)/" + _SLUG),
    ]
]  # fmt: skip


def _slug_of(shape: str, m: re.Match[str]) -> str:
    g = m.groups()
    if shape == "kind":
        return _KIND_PREFIX.get(g[0].lower(), f"{g[0]}/") + g[1]
    if shape == "run":
        return f"{g[0]}+{g[1]}"  # org+code without the run: every run is one course
    if shape == "path":
        return f"{g[0]}/{g[1]}"
    if shape == "org":
        return f"{g[0]}/{g[1]}" if g[0] else g[1]
    return g[0]


def parse_course_url(text: str) -> tuple[str, str] | None:
    """The ``(platform, slug)`` of the first course link in ``text``, or None when there is none."""
    low = text.lower()
    best: tuple[int, int, str, str, re.Match[str]] | None = None
    for order, (platform, domain, shape, pattern) in enumerate(_URL_PATTERNS):
        if domain not in low:
            continue
        m = pattern.search(text)
        if m and (best is None or (m.start(), order) < best[:2]):
            best = (m.start(), order, platform, shape, m)
    if best is None:
        return None
    _, _, platform, shape, m = best
    slug = unquote(_slug_of(shape, m)).lower().rstrip("/")
    if platform == "swayam" and slug.startswith("noc"):
        platform = "nptel"
    return platform, slug


_SMALL_WORDS_TEXT = (
    "a an and as at by for from in into of on or the to with vs de del la el los las y e o da do "
    "des du et le les en"
)
_SMALL_WORDS = frozenset(_SMALL_WORDS_TEXT.split())
_KIND_LABEL = {
    "specializations": "Specialization",
    "professional-certificates": "Professional Certificate",
    "professional-certificate": "Professional Certificate",
    "projects": "Project",
    "xseries": "XSeries",
    "micromasters": "MicroMasters",
    "masters": "Master's",
    "bachelors": "Bachelor's",
    "programs": "Program",
    "experttracks": "ExpertTrack",
    "microcredentials": "Microcredential",
    "degrees": "Degree",
}
_OPAQUE = frozenset({"stepik", "nptel", "swayam", "icourse163", "openedu"})


def title_from_slug(platform: str, slug: str) -> str:
    """A readable provisional title for a course known only by its URL."""
    label = PLATFORMS.get(platform, platform)
    if platform in _OPAQUE or (platform == "edx" and "+" in slug):
        return f"{label} course {slug}"
    kind, _, last = slug.rpartition("/")
    if platform == "khan":
        kind = ""  # the domain ("math") says less than the subject does
    last = re.sub(r"--[a-z]+\d+$", "", last)  # Udacity's "--ud120" catalog suffix
    if platform == "classcentral":
        last = re.sub(r"-\d+$", "", last)  # Class Central's numeric id
    words = [w for w in re.split(r"[-_\s]+", last) if w]
    out: list[str] = []
    for i, word in enumerate(words):
        if any(c.isdigit() for c in word) and any(c.isalpha() for c in word) and len(word) <= 6:
            out.append(word.upper())  # course codes: CS50, 6.006, UD120
        elif i and word in _SMALL_WORDS:
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    title = " ".join(out) or slug
    suffix = _KIND_LABEL.get(kind.split("/")[-1], "")
    return f"{title} {suffix}" if suffix else title


def route_tags(course: Course) -> list[str]:
    """Tags for routing and helper matching, shaped like the topic tags people type
    (``core.tags.normalize_tags``: lower case, hyphens): the course's tags, then its slug's
    last part ("machine-learning"), which groups registered with free tags often use."""
    out: list[str] = []
    last = re.sub(r"--[a-z]+\d+$", "", course.slug.rsplit("/", 1)[-1])
    for tag in (*course.tags, last):
        shaped = re.sub(r"[\s_]+", "-", tag.strip().lower()).strip("-#")
        if shaped and not shaped.isdigit() and shaped not in out:
            out.append(shaped[:40])
    return out


def slugify(title: str) -> str:
    """A slug for an entry typed by hand (platform "other"): its normalised words, hyphenated."""
    words = normalize(title).split() or re.findall(r"\w+", title.casefold())
    return "-".join(words)[:60].strip("-") or "course"


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

# Platform names and "course" in the bot's languages say nothing about which course is meant.
_DROP_WORDS_TEXT = """
    coursera edx udemy futurelearn khan khanacademy academy udacity stepik nptel swayam
    openlearning classcentral mooc moocs online course courses curso cursos cours kurs
    курс курса курсы курсе курсу курсов онлайн कोर्स पाठ्यक्रम ऑनलाइन دورة الدورة دورات مقرر
"""
_DROP_WORDS = frozenset(_DROP_WORDS_TEXT.split())
_DROP_CJK = re.compile("课程|慕课|网课|在线")
# Accents of Latin, Greek and Cyrillic letters after NFKD (so "automático" = "automatico",
# "ё" = "е"), Arabic harakat and tatweel; Indic vowel signs are letters, not accents: kept.
_MARKS = re.compile("[\u0300-\u036f\u064b-\u065f\u0670\u0640]")
# Separators: anything that is neither a word character nor a combining mark of a script
# whose words contain them (Devanagari and other Brahmic scripts, Thai).
_SEPARATORS = re.compile(r"[^\w\u0900-\u0dff\u0e00-\u0e7f]+|_")


def normalize(text: str) -> str:
    """Casefolded, accent-free, punctuation-free text without platform or "course" words."""
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    text = unicodedata.normalize("NFC", text).casefold()
    text = _DROP_CJK.sub(" ", text)
    return " ".join(w for w in _SEPARATORS.split(text) if w and w not in _DROP_WORDS)


# --------------------------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------------------------


_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _terms(norm: str) -> list[str]:
    """Index terms of a normalised string: its words, plus character bigrams of CJK words."""
    out: list[str] = []
    for word in norm.split():
        out.append(word)
        if len(word) > 2 and _CJK.search(word):
            # Chinese and Japanese titles are unsegmented: "机器学习" must be found inside
            # "吴恩达机器学习", so their bigrams are terms too.
            out.extend(word[i : i + 2] for i in range(len(word) - 1))
    return out


class _Index:
    """Every course's names, normalised, for rapidfuzz, with a term index to pick candidates.

    Scoring all names with WRatio costs about 3 us each (~80 ms for 10,000 courses with
    aliases), so a query first picks :data:`CANDIDATES` names from the term index (exact terms,
    plus prefixes and near spellings of the query's words, IDF-weighted, favouring short names)
    and from one cheap whole-string ``fuzz.ratio`` pass, and WRatio scores only those.
    """

    def __init__(self) -> None:
        self.strings: list[str | None] = []  # " name " padded; None once its course is removed
        self.owner: list[str] = []
        self.inv_len: list[float] = []
        self.slots: dict[str, list[int]] = {}
        self.postings: dict[str, list[int]] = {}
        self.by_initial: dict[str, list[str]] = {}  # vocabulary by first character
        self.dead = 0  # names of removed or replaced courses still in the lists

    def add(self, course: Course) -> None:
        seen: set[str] = set()
        slots = self.slots.setdefault(course.cid, [])
        for text in (course.title, f"{course.title} {course.provider}", *course.aliases):
            norm = normalize(text)
            if not norm or norm in seen:
                continue
            seen.add(norm)
            i = len(self.strings)
            slots.append(i)
            self.strings.append(f" {norm} ")
            self.owner.append(course.cid)
            terms = set(_terms(norm))
            self.inv_len.append(1.0 / math.sqrt(len(terms)))
            for term in terms:
                plist = self.postings.get(term)
                if plist is None:
                    plist = self.postings[term] = []
                    self.by_initial.setdefault(term[0], []).append(term)
                plist.append(i)

    def remove(self, cid: str) -> None:
        for i in self.slots.pop(cid, ()):
            self.strings[i] = None  # rapidfuzz skips None; scores() skips it too
            self.dead += 1

    def _candidates(self, norm: str) -> list[int]:
        matched: dict[str, float] = {}  # index term -> how well it matches a query term
        for term in dict.fromkeys(_terms(norm)):
            if term in self.postings:
                matched[term] = 1.0
            if len(term) >= 4:
                bucket = self.by_initial.get(term[0], [])
                for word in bucket:
                    if word.startswith(term) and word != term:
                        matched.setdefault(word, 0.8)  # "crypto" -> "cryptography"
                if term not in self.postings:  # a typo: "lerning"
                    for word, sim, _ in process.extract(
                        term, bucket, scorer=fuzz.ratio, score_cutoff=75, limit=5
                    ):
                        matched[word] = max(matched.get(word, 0.0), sim / 100)
        weights: dict[int, float] = {}
        n = len(self.strings) + 1
        by_rarity = sorted(matched.items(), key=lambda kv: (len(self.postings[kv[0]]), kv[0]))
        for rank, (word, sim) in enumerate(by_rarity):
            plist = self.postings[word]
            if rank and len(plist) > POSTINGS_CAP:
                break  # "to", "introduction": rarer terms already chose; WRatio still sees them
            w = sim * math.log(n / len(plist))
            for i in plist[:POSTINGS_CAP]:
                weights[i] = weights.get(i, 0.0) + w
        inv_len = self.inv_len
        ranked = {i: w * inv_len[i] for i, w in weights.items()}
        picked = heapq.nlargest(CANDIDATES, ranked, key=ranked.__getitem__)
        # Whole-string likeness catches what words miss: "cs 50" for "cs50", joined words.
        whole = process.extract(norm, self.strings, scorer=fuzz.ratio, limit=20, score_cutoff=50)
        return list(dict.fromkeys([*picked, *(i for _, _, i in whole)]))

    def scores(self, norm: str) -> dict[str, float]:
        """Each candidate course's best WRatio over its names, for a normalised query."""
        found: dict[str, float] = {}
        if not norm:
            return found
        # Spaces around query and names make a substring match stop at word ends: "art" is not
        # a good match for "Algorithms, Part I".
        padded = f" {norm} "
        for i in self._candidates(norm):
            text = self.strings[i]
            if text is None:
                continue
            score = fuzz.WRatio(padded, text)
            cid = self.owner[i]
            if score > found.get(cid, -1.0):
                found[cid] = score
        return found


class Catalog:
    """Courses by id, by URL and by fuzzy name; add and merge entries. Not thread-safe."""

    def __init__(self, courses: Iterable[Course] = ()) -> None:
        self._courses: dict[str, Course] = {}
        self._alias_of: dict[str, str] = {}  # an `also` cid -> the course's cid
        self._index = _Index()
        for course in courses:
            self.add(course)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Catalog:
        """The catalog in ``path`` (JSON as written by :meth:`dump`), by default the seed one."""
        if path is None:
            raw = resources.files(__package__).joinpath("data/courses.json").read_text("utf-8")
        else:
            raw = Path(path).read_text("utf-8")
        data = json.loads(raw)
        return cls(Course.from_dict(item) for item in data["courses"])

    def dump(self) -> str:
        """The catalog as JSON (the seed file's format)."""
        # One course a line: the seed file diffs and reviews line by line.
        lines = [
            json.dumps(c.to_dict(), ensure_ascii=False)
            for c in sorted(self._courses.values(), key=lambda c: c.cid)
        ]
        return '{"courses": [\n' + ",\n".join(lines) + "\n]}\n"

    def __len__(self) -> int:
        return len(self._courses)

    def __iter__(self) -> Iterator[Course]:
        return iter(list(self._courses.values()))

    def __contains__(self, cid: object) -> bool:
        return isinstance(cid, str) and self.by_id(cid) is not None

    def by_id(self, cid: str) -> Course | None:
        """The course with this id or one of its ``also`` ids."""
        course = self._courses.get(cid)
        if course is None and cid in self._alias_of:
            course = self._courses.get(self._alias_of[cid])
        return course

    def by_url(self, text: str) -> Course | None:
        """The course linked in ``text``: the catalog's entry, else a provisional one (not added).

        The provisional course has the URL's id and a title made from its slug; the caller may
        :meth:`add` it once the learner confirms. None when ``text`` links no course.
        """
        parsed = parse_course_url(text)
        if parsed is None:
            return None
        platform, slug = parsed
        cid = f"{platform}:{slug}"
        known = self.by_id(cid)
        if known is not None:
            return known
        return Course(cid=cid, platform=platform, slug=slug, title=title_from_slug(platform, slug))

    def add(self, course: Course) -> Course:
        """Add or replace ``course``; its ``also`` ids start resolving to it."""
        if course.cid in self._alias_of:
            raise ValueError(f"{course.cid} is already an alias of {self._alias_of[course.cid]}")
        old = self._courses.get(course.cid)
        if old is not None:
            self._index.remove(old.cid)
            for other in old.also:
                self._alias_of.pop(other, None)
        self._courses[course.cid] = course
        for other in course.also:
            self._alias_of[other] = course.cid
        if self._index.dead > max(1000, len(self._index.strings) // 2):
            self._index = _Index()  # mostly replaced names: rebuild rather than grow
            for known in self._courses.values():
                self._index.add(known)
        else:
            self._index.add(course)
        return course

    def merge(self, keep_cid: str, drop_cid: str) -> dict[str, str]:
        """Fold ``drop_cid`` into ``keep_cid``; returns ``{old cid: keep_cid}`` to rewrite refs.

        The kept course gains the dropped one's title and aliases as aliases, its tags, and its
        id and ``also`` ids, so old links and ids keep resolving.
        """
        keep, drop = self._courses.get(keep_cid), self._courses.get(drop_cid)
        if keep is None or drop is None:
            raise KeyError(keep_cid if keep is None else drop_cid)
        if keep_cid == drop_cid:
            return {}
        names = {normalize(keep.title), *(normalize(a) for a in keep.aliases)}
        aliases = list(keep.aliases)
        for name in (drop.title, *drop.aliases):
            if normalize(name) not in names:
                names.add(normalize(name))
                aliases.append(name)
        moved = (drop.cid, *drop.also)
        merged = replace(
            keep,
            aliases=tuple(aliases),
            tags=tuple(dict.fromkeys((*keep.tags, *drop.tags))),
            also=tuple(dict.fromkeys((*keep.also, *moved))),
        )
        del self._courses[drop_cid]
        self._index.remove(drop_cid)
        for other in drop.also:
            self._alias_of.pop(other, None)
        self.add(merged)
        return dict.fromkeys(moved, keep_cid)

    def search(
        self, query: str, limit: int = 5, *, extra_queries: Sequence[str] = ()
    ) -> list[tuple[Course, float]]:
        """The ``limit`` best courses for ``query`` (or any of ``extra_queries``), best first.

        Scores are 0-100; compare them with :data:`MATCH_THRESHOLD`. Ties go to the shorter
        title, then the smaller cid, so results are deterministic.
        """
        best: dict[str, float] = {}
        if limit <= 0:
            return []
        for text in (query, *extra_queries):
            for cid, score in self._index.scores(normalize(text)).items():
                if score > best.get(cid, -1.0):
                    best[cid] = score
        ranked = sorted(
            best.items(), key=lambda kv: (-kv[1], len(self._courses[kv[0]].title), kv[0])
        )
        return [(self._courses[cid], score) for cid, score in ranked[:limit]]
