"""Peer-review swap matching. Pure: no I/O, no clock, no randomness; stdlib only.

A learner asks for a swap on one course and assignment; :func:`match` pairs the open requests
so that everybody reviews somebody and is reviewed by somebody: 2-cycles (A reviews B, B
reviews A) and, so that nobody waits for an even count, 3-cycles (A reviews B, B reviews C,
C reviews A).

Who may review whom (one review edge, reviewer -> author)
---------------------------------------------------------
* different uids, and neither uid in the other's ``exclude`` (a re-match after a no-show
  passes the no-show's uid there; checked both ways);
* same course (a swap never crosses courses);
* language: the reviewer shares a language with the author (direct), or
  ``bridge(author_lang, reviewer_lang)`` is true for some pair (bridged: the work is
  machine-translated for the reviewer and, we assume, the feedback back over the same bridge).
  Codes are compared exactly as given.

In a 3-cycle every two members share a review edge, so the uid and ``exclude`` rules hold
between all three. A 2-cycle needs both directions.

Eligibility
-----------
A request whose deadline is less than ``min_slack_s`` (default 6 h) after ``now`` is too late to
be reviewed: it is never placed and comes back in :attr:`Matching.expired`, apart from
:attr:`Matching.unmatched` (eligible, no partner this run: stays queued for the next run). A rid
seen twice in the input counts once (its first occurrence).

Algorithm (per course, in course-name order; requests sorted by ``(deadline, created, rid)``)
------------------------------------------------------------------------------------------
1. Same course and assignment: greedy over the bucket's deadlines. The nearest open deadline
   takes the best partner among the next ``window`` (default 8) open requests: fewest bridged
   review edges first, then the nearest deadline. When no two-way partner is in the window, a
   3-cycle of one-way edges is tried in the window (only possible when ``bridge`` is
   asymmetric). Passes repeat over the leftovers, whose windows reach further each time.
2. Still in the bucket: each leftover joins the bucket's pair whose first deadline is closest
   (among ``window`` pairs either side) and turns it into a 3-cycle, fewest bridged edges first.
   An odd bucket thus ends with one 3-cycle instead of a lonely request.
3. Same course only: the leftovers of all of the course's buckets go through steps 1 and 2
   together, step 2 now over every pair of the course (any assignment).
4. Decision on the last lonely request of a course: if it can join no pair, it may split a
   nearby 3-cycle of the course when one member pairs with it and the other two still pair
   with each other: two 2-cycles, one more learner reviewed, at the cost of one swap no longer
   being same-assignment. Then step 2 runs once more for anyone still left.

Each step looks at a bounded window, so a course of n requests costs O(n * window): 10,000
requests over 300 courses take 0.1-0.2 s (``python -m bench.review_matching``). The price of the
window: two compatible requests more than ``window`` open requests apart may miss each other
(the repeated passes and step 3 make that rare; :func:`max_pairable` measures it).

Output is deterministic and independent of the input order (except for duplicated rids):
swaps sorted by their nearest deadline, each rotated so that its nearest-deadline member comes
first.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

Bridge: TypeAlias = Callable[[str, str], bool]
"""``bridge(src, dst)``: can machine translation carry text written in ``src`` to ``dst``?"""

DEFAULT_MIN_SLACK_S = 6 * 3600.0
DEFAULT_WINDOW = 8
# Leftover passes in step 1: each pass only helps when the previous one took someone out of a
# window; more than a few passes means the leftovers are incompatible anyway.
_MAX_PASSES = 4

# -- assignment keys --------------------------------------------------------------------------

# Raw spellings, folded with the same _fold() as the input at import time. Languages: en es pt
# fr ru hi ar zh (the interface languages).
_VOCAB: dict[str, tuple[str, ...]] = {
    "week": (
        "week", "weeks", "wk", "w", "semana", "sem", "semaine",
        "неделя", "недели", "неделю", "неделе", "нед",
        "सप्ताह", "हफ्ता", "हफ़्ता", "हफ्ते", "हफ़्ते",
        "الأسبوع", "أسبوع", "اسبوع",
        "周", "週", "星期",
    ),
    "module": (
        "module", "mod", "unit", "módulo", "unidad", "unidade", "unité",
        "модуль", "модуля", "मॉड्यूल", "इकाई", "وحدة", "الوحدة", "模块", "单元",
    ),
    "assignment": (
        "assignment", "assignments", "assign", "asgn", "asg", "hw", "homework",
        "tarea", "tareas", "asignación", "trabajo", "tarefa", "trabalho", "atividade",
        "devoir", "devoirs", "dm", "devoir maison",
        "задание", "задания", "дз", "домашнее задание", "домашка",
        "असाइनमेंट", "गृहकार्य", "होमवर्क",
        "واجب", "الواجب", "مهمة", "المهمة", "تكليف",
        "作业", "作業",
    ),
    "project": (
        "project", "proj", "proyecto", "projeto", "projet", "проект", "проекта",
        "परियोजना", "प्रोजेक्ट", "مشروع", "المشروع", "项目",
    ),
    # Modifier: turns an unnumbered project or assignment into ":final".
    "final": (
        "final", "finale", "финальный", "итоговый", "अंतिम", "फाइनल", "النهائي", "نهائي",
        "期末", "最终",
    ),
    "capstone": (
        "capstone", "capstone project", "trabajo final", "trabalho final",
        "trabalho de conclusão", "projet de fin", "дипломный проект",
        "कैपस्टोन", "مشروع التخرج", "毕业项目", "结业项目",
    ),
}  # fmt: skip
# Words that may sit between a kind and its number, or around them, without making the text
# free-form: "Peer-graded Assignment #2", "Week No. 3", "3rd week", "3-я неделя", "第3次作业".
_FILLER = frozenset((
    "n", "no", "nr", "num", "number", "numero", "número", "numéro", "номер",
    "st", "nd", "rd", "th", "a", "o", "e", "er", "re", "eme", "ème", "ieme", "ième",
    "я", "й", "ая", "ой", "ий", "peer", "graded", "reviewed", "review",
    "the", "my", "of", "for", "de", "del", "la", "el", "le", "du", "da", "do",
    "第", "次", "个", "的", "रा", "वां", "वाँ",
))  # fmt: skip
_KEY_ORDER = ("week", "module", "assignment", "project")

_CJK_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
               "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
# Chinese numerals only where they count something: after 第 or before 周/次 (第三周, 三周).
_CJK_NUM_RE = re.compile(
    r"(?<=第)[〇零一二两三四五六七八九十]+|[〇零一二两三四五六七八九十]+(?=[周週次])"
)
# Marks on scripts below U+0900 (Latin, Greek, Cyrillic, Arabic...) are accents or optional
# vowel marks; from Devanagari on they are vowel signs and part of the word.
_ACCENT_LIMIT = "\u0900"
_TATWEEL = "\u0640"


def _cjk_int(s: str) -> str:
    """一..九十九 -> "1".."99"; anything else is returned unchanged."""
    if "十" in s:
        head, _, tail = s.partition("十")
        if len(head) > 1 or len(tail) > 1:
            return s
        tens = _CJK_DIGITS.get(head, -1) if head else 1
        ones = _CJK_DIGITS.get(tail, -1) if tail else 0
        return s if tens < 0 or ones < 0 else str(tens * 10 + ones)
    return "".join(str(_CJK_DIGITS[ch]) for ch in s)


def _fold(text: str) -> str:
    """NFKC, casefold, every decimal digit to ASCII, accents stripped, whitespace collapsed."""
    s = unicodedata.normalize("NFKC", text).casefold()
    s = _CJK_NUM_RE.sub(lambda m: _cjk_int(m.group()), s)
    out: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", s):
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
            base = ch
            continue
        if unicodedata.category(ch) == "Mn":
            # й is a letter of its own in Russian, not an accented и.
            if base < _ACCENT_LIMIT and not (ch == "\u0306" and base == "и"):
                continue
        elif ch == _TATWEEL:
            continue
        else:
            base = ch
        out.append(ch)
    return " ".join(unicodedata.normalize("NFC", "".join(out)).split())


def _is_han(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F


def _tokens(folded: str) -> list[str]:
    """Letter runs (with their marks), digit runs, and every Han character alone."""
    toks: list[str] = []
    cur: list[str] = []
    cur_kind = ""
    for ch in folded:
        if ch.isdecimal():
            kind = "d"
        elif _is_han(ch):
            kind = "h"
        elif unicodedata.category(ch)[0] in "LM":
            kind = "a"
        else:
            kind = ""
        if kind != cur_kind or kind == "h":
            if cur:
                toks.append("".join(cur))
            cur = []
        cur_kind = kind
        if kind:
            cur.append(ch)
    if cur:
        toks.append("".join(cur))
    return toks


_PHRASES: dict[tuple[str, ...], str] = {
    tuple(_tokens(_fold(word))): kind for kind, words in _VOCAB.items() for word in words
}
_MAX_PHRASE = max(len(p) for p in _PHRASES)
_FILLER_TOKENS = frozenset(t for w in _FILLER for t in _tokens(_fold(w)))


def assignment_key(text: str) -> str:
    """Canonical key for what a learner typed as the assignment, so that spellings match.

    "Week 3", "week3", "W3", "Semana 3", "semaine 3", "Неделя 3", "सप्ताह ३", "第三周",
    "الأسبوع ٣" -> ``week:3``; "Assignment 2", "Tarea 2", "Задание 2", "HW2", "第2次作业" ->
    ``assignment:2``; "Project 1" -> ``project:1``; "Final project", "Proyecto final",
    "Capstone" -> ``project:final``; "Module 4"/"Unit 4" -> ``module:4``.

    A kind word takes the number right after it, else the number right before it ("3rd week",
    "第3周"). Several numbered kinds join in a fixed order ("Week 3, Assignment 2" ->
    ``week:3/assignment:2``); other words around a numbered kind are ignored ("Week 3 - Data
    cleaning" -> ``week:3``). A kind without a number only counts when nothing but filler
    words surrounds it ("Homework", "my homework" -> ``assignment``). Anything else: the text
    casefolded, accent-stripped, with every decimal digit in ASCII and whitespace collapsed.
    Number words ("third week", "الأسبوع الثالث") are not understood: they fall back to the text.
    """
    folded = _fold(text)
    toks = _tokens(folded)
    items: list[tuple[str, str]] = []  # ("kind" | "num" | "fill" | "word", value)
    i = 0
    while i < len(toks):
        for n in range(min(_MAX_PHRASE, len(toks) - i), 0, -1):
            kind = _PHRASES.get(tuple(toks[i : i + n]))
            if kind is not None:
                items.append(("kind", kind))
                i += n
                break
        else:
            t = toks[i]
            if t.isdecimal():
                items.append(("num", t.lstrip("0") or "0"))
            else:
                items.append(("fill" if t in _FILLER_TOKENS else "word", t))
            i += 1

    sig = [it for it in items if it[0] != "fill"]
    comps: dict[str, str] = {}
    bare: list[str] = []
    used: set[int] = set()
    for pos, (typ, kind) in enumerate(sig):
        if typ != "kind" or kind == "final":
            continue
        if kind == "capstone":
            comps.setdefault("project", "final")
            continue
        for nb in (pos + 1, pos - 1):
            if 0 <= nb < len(sig) and sig[nb][0] == "num" and nb not in used:
                used.add(nb)
                comps.setdefault(kind, sig[nb][1])
                break
        else:
            bare.append(kind)
    if any(it == ("kind", "final") for it in sig):
        for kind in ("project", "assignment"):
            if kind in bare and kind not in comps:
                comps[kind] = "final"
                break
    if comps:
        return "/".join(f"{k}:{comps[k]}" for k in _KEY_ORDER if k in comps)
    if bare and all(typ == "kind" for typ, _ in sig):
        return bare[0]
    return folded


# -- requests and matching --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    """One learner's open request for a review swap."""

    rid: str
    uid: int
    course: str
    assignment: str  # already an assignment_key()
    deadline: float  # epoch seconds, UTC
    langs: tuple[str, ...]  # languages the learner can review (and be reviewed) in
    created: float
    exclude: frozenset[int] = frozenset()  # uids never to be paired with (past no-shows)


@dataclass(frozen=True, slots=True)
class Matching:
    """Result of :func:`match`.

    ``swaps``: tuples of 2 or 3 rids; ``(a, b, c)`` means a reviews b, b reviews c, c reviews a.
    ``unmatched``: eligible but without a partner this run (they stay queued).
    ``expired``: less than ``min_slack_s`` before their deadline (tell the learner).
    Every input rid is in exactly one of the three.
    """

    swaps: list[tuple[str, ...]]
    unmatched: list[str]
    expired: list[str] = field(default_factory=list)


_NONE, _BRIDGED, _DIRECT = 0, 1, 2


class _Compat:
    """Review-edge checks, with the language verdict cached per pair of language tuples."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge
        self._langs: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}

    def langs(self, reviewer: tuple[str, ...], author: tuple[str, ...]) -> int:
        key = (reviewer, author)
        level = self._langs.get(key)
        if level is None:
            if set(reviewer) & set(author):
                level = _DIRECT
            elif any(self._bridge(a, r) for a in author for r in reviewer):
                level = _BRIDGED
            else:
                level = _NONE
            self._langs[key] = level
        return level

    def edge(self, reviewer: ReviewRequest, author: ReviewRequest) -> int:
        if (
            reviewer.uid == author.uid
            or reviewer.uid in author.exclude
            or author.uid in reviewer.exclude
        ):
            return _NONE
        return self.langs(reviewer.langs, author.langs)

    def cycle_cost(self, cycle: Sequence[ReviewRequest]) -> int | None:
        """Bridged edges in ``cycle`` (each member reviews the next), None when one is missing."""
        cost = 0
        for i, reviewer in enumerate(cycle):
            level = self.edge(reviewer, cycle[(i + 1) % len(cycle)])
            if level == _NONE:
                return None
            cost += level == _BRIDGED
        return cost


@dataclass(slots=True)
class _Swap:
    members: list[ReviewRequest]  # cycle order: members[i] reviews members[i + 1]

    @property
    def first_deadline(self) -> float:
        return min(m.deadline for m in self.members)


def _order(r: ReviewRequest) -> tuple[float, float, str]:
    return (r.deadline, r.created, r.rid)


def _one_way_cycle(
    a: ReviewRequest, items: list[ReviewRequest], cand: list[int], compat: _Compat
) -> tuple[int, int] | None:
    """Indices (b, c) of the cheapest 3-cycle a -> b -> c -> a inside the window."""
    outs = [j for j in cand if compat.edge(a, items[j])]
    if not outs:
        return None
    ins = [j for j in cand if compat.edge(items[j], a)]
    best: tuple[int, int] | None = None
    best_cost = 4
    for b in outs:
        for c in ins:
            if b == c:
                continue
            cost = compat.cycle_cost((a, items[b], items[c]))
            if cost is not None and cost < best_cost:
                best, best_cost = (b, c), cost
    return best


def _pair_pass(
    items: list[ReviewRequest], compat: _Compat, window: int
) -> tuple[list[_Swap], list[ReviewRequest]]:
    """One greedy pass over deadline-sorted ``items``: (new swaps, leftovers in order)."""
    n = len(items)
    taken = [False] * n
    swaps: list[_Swap] = []
    left: list[ReviewRequest] = []
    for i, a in enumerate(items):
        if taken[i]:
            continue
        taken[i] = True
        cand: list[int] = []
        j = i + 1
        while j < n and len(cand) < window:
            if not taken[j]:
                cand.append(j)
            j += 1
        partner = -1
        best_cost = 3
        for j in cand:
            cost = compat.cycle_cost((a, items[j]))
            if cost is not None and cost < best_cost:
                partner, best_cost = j, cost
                if cost == 0:
                    break
        if partner >= 0:
            taken[partner] = True
            swaps.append(_Swap([a, items[partner]]))
            continue
        trio = _one_way_cycle(a, items, cand, compat)
        if trio is None:
            left.append(a)
            continue
        b, c = trio
        taken[b] = taken[c] = True
        swaps.append(_Swap([a, items[b], items[c]]))
    return swaps, left


def _pairs(
    items: list[ReviewRequest], compat: _Compat, window: int
) -> tuple[list[_Swap], list[ReviewRequest]]:
    """Steps 1/3: greedy passes until one makes no swap."""
    swaps: list[_Swap] = []
    left = items
    for _ in range(_MAX_PASSES):
        if len(left) < 2:
            break
        new, left = _pair_pass(left, compat, window)
        if not new:
            break
        swaps += new
    return swaps, left


def _nearby(swaps: list[_Swap], window: int) -> Callable[[float], list[_Swap]]:
    """Swaps whose first deadline is among the ``window`` closest on either side of a time."""
    ordered = sorted(swaps, key=lambda s: (s.first_deadline, s.members[0].rid))
    keys = [s.first_deadline for s in ordered]

    def around(t: float) -> list[_Swap]:
        pos = bisect.bisect_left(keys, t)
        return ordered[max(0, pos - window) : pos + window]

    return around


def _absorb(
    left: list[ReviewRequest], swaps: list[_Swap], compat: _Compat, window: int
) -> list[ReviewRequest]:
    """Step 2: each leftover turns a nearby pair into a 3-cycle; returns who is still left."""
    if not swaps or not left:
        return left
    around = _nearby(swaps, window)
    still: list[ReviewRequest] = []
    for x in left:
        best: tuple[tuple[int, float], _Swap, list[ReviewRequest]] | None = None
        for s in around(x.deadline):
            if len(s.members) != 2:
                continue
            p, q = s.members
            for cycle in ([p, q, x], [q, p, x]):
                cost = compat.cycle_cost(cycle)
                if cost is None:
                    continue
                rank = (cost, abs(s.first_deadline - x.deadline))
                if best is None or rank < best[0]:
                    best = (rank, s, cycle)
        if best is None:
            still.append(x)
        else:
            best[1].members = best[2]
    return still


def _split(
    left: list[ReviewRequest], swaps: list[_Swap], compat: _Compat, window: int
) -> list[ReviewRequest]:
    """Step 4: a leftover takes one member of a nearby 3-cycle whose other two still pair."""
    if not swaps or not left:
        return left
    around = _nearby(swaps, window)
    still: list[ReviewRequest] = []
    for y in left:
        best: tuple[tuple[int, float], _Swap, ReviewRequest, list[ReviewRequest]] | None = None
        for s in around(y.deadline):
            if len(s.members) != 3:
                continue
            for k, m in enumerate(s.members):
                rest = [s.members[(k + 1) % 3], s.members[(k + 2) % 3]]
                c1 = compat.cycle_cost((m, y))
                c2 = compat.cycle_cost(rest) if c1 is not None else None
                if c1 is None or c2 is None:
                    continue
                rank = (c1 + c2, abs(m.deadline - y.deadline))
                if best is None or rank < best[0]:
                    best = (rank, s, m, rest)
        if best is None:
            still.append(y)
            continue
        _, s, m, rest = best
        s.members = rest
        swaps.append(_Swap([m, y]))
    return still


def _match_course(
    reqs: list[ReviewRequest], compat: _Compat, window: int
) -> tuple[list[_Swap], list[ReviewRequest]]:
    """Steps 1-4 for one course's deadline-sorted eligible requests."""
    buckets: dict[str, list[ReviewRequest]] = defaultdict(list)
    for r in reqs:
        buckets[r.assignment].append(r)
    swaps: list[_Swap] = []
    left: list[ReviewRequest] = []
    for key in sorted(buckets, key=lambda k: (_order(buckets[k][0]), k)):
        b_swaps, b_left = _pairs(buckets[key], compat, window)
        left += _absorb(b_left, b_swaps, compat, window)
        swaps += b_swaps
    if not left:
        return swaps, left
    left.sort(key=_order)
    c_swaps, left = _pairs(left, compat, window)
    swaps += c_swaps
    left = _absorb(left, swaps, compat, window)
    split = _split(left, swaps, compat, window)
    if len(split) < len(left):
        split = _absorb(split, swaps, compat, window)
    return swaps, split


def _as_rids(s: _Swap) -> tuple[str, ...]:
    # Rotating keeps the cycle; starting at the nearest deadline makes the output canonical.
    k = min(range(len(s.members)), key=lambda i: _order(s.members[i]))
    return tuple(m.rid for m in s.members[k:] + s.members[:k])


def _eligible(
    requests: Iterable[ReviewRequest], now: float, min_slack_s: float
) -> tuple[list[ReviewRequest], list[ReviewRequest]]:
    """(eligible, expired), both sorted by deadline; a repeated rid keeps its first request."""
    seen: set[str] = set()
    live: list[ReviewRequest] = []
    expired: list[ReviewRequest] = []
    for r in requests:
        if r.rid in seen:
            continue
        seen.add(r.rid)
        (expired if r.deadline - now < min_slack_s else live).append(r)
    live.sort(key=_order)
    expired.sort(key=_order)
    return live, expired


def match(
    requests: Iterable[ReviewRequest],
    bridge: Bridge,
    now: float,
    *,
    min_slack_s: float = DEFAULT_MIN_SLACK_S,
    window: int = DEFAULT_WINDOW,
) -> Matching:
    """Place open requests into 2- and 3-cycles of mutual review (see the module docstring)."""
    live, expired = _eligible(requests, now, min_slack_s)
    by_course: dict[str, list[ReviewRequest]] = defaultdict(list)
    for r in live:
        by_course[r.course].append(r)
    compat = _Compat(bridge)
    swaps: list[_Swap] = []
    left: list[ReviewRequest] = []
    for course in sorted(by_course):
        c_swaps, c_left = _match_course(by_course[course], compat, max(1, window))
        swaps += c_swaps
        left += c_left
    # Nearest deadline first: the caller commits swaps in this order, the urgent ones first.
    swaps.sort(key=lambda s: min(_order(m) for m in s.members))
    return Matching(
        [_as_rids(s) for s in swaps],
        [r.rid for r in sorted(left, key=_order)],
        [r.rid for r in expired],
    )


def _root(parent: list[int], i: int) -> int:
    """Union-find root, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def max_pairable(
    requests: Iterable[ReviewRequest],
    bridge: Bridge,
    now: float,
    *,
    min_slack_s: float = DEFAULT_MIN_SLACK_S,
) -> int:
    """Upper bound on how many requests any matching can place (used by the bench).

    Only eligible requests count. Within a course, link two requests when a review edge is
    possible in either direction, looking at languages only (uids and ``exclude`` ignored,
    which can only add links). A request can only be placed when its connected component holds
    a partner: so the bound is the total size of the components with at least two requests
    and a link. It is computed over distinct language tuples (at most a few dozen per course),
    not over request pairs.

    Why it is only a bound: it ignores uids and ``exclude``, one-way links (a 2-cycle needs
    both directions, a 3-cycle a directed triangle), and component shapes that cannot be
    covered by 2- and 3-cycles (a star: one hub, four leaves that only share a language with
    the hub). Every component that is complete (everybody can review everybody, the common
    case) can be covered entirely: pairs, plus one 3-cycle when its size is odd.
    """
    live, _ = _eligible(requests, now, min_slack_s)
    compat = _Compat(bridge)
    by_course: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
    for r in live:
        by_course[r.course][r.langs] += 1
    total = 0
    for counts in by_course.values():
        sigs = sorted(counts)
        parent = list(range(len(sigs)))
        linked = [False] * len(sigs)
        for i, a in enumerate(sigs):
            if counts[a] >= 2 and compat.langs(a, a):
                linked[i] = True
            for j in range(i + 1, len(sigs)):
                b = sigs[j]
                if compat.langs(a, b) or compat.langs(b, a):
                    linked[i] = linked[j] = True
                    parent[_root(parent, i)] = _root(parent, j)
        sizes: Counter[int] = Counter()
        for i, sig in enumerate(sigs):
            if linked[i]:
                sizes[_root(parent, i)] += counts[sig]
        total += sum(n for n in sizes.values() if n >= 2)
    return total
