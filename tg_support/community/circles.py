"""Study-circle matcher: waiting learners into open circles and new ones. Pure, deterministic.

Who may be in one circle (:class:`Rules`)
-----------------------------------------
* the same course (``course`` compared exactly);
* sessions: every two known session start dates at most ``session_window_days`` apart. A
  learner without a session (self-paced, or did not say) fits any session of the course. An
  open circle's ``session`` is its anchor: a joiner's date is compared with it. A new circle's
  session is its earliest known member date (None when nobody gave one);
* time zones: every two UTC offsets at most ``tz_window_h`` apart, i.e. the spread (max - min)
  of the circle's offsets is at most that. Offsets are compared on a line, not a clock face:
  UTC+13 and UTC-10 count as 23 h apart (they also live a calendar day apart);
* language: the circle runs in one language all members speak, or in several that translation
  bridges pairwise (``bridge(a, b)``, asked once per unordered pair, with ``a < b``). A circle's
  ``langs`` are the languages its members use in it; a learner uses the first of their own
  languages (``langs`` is in order of preference) that the circle runs in or that bridges to
  all of the circle's languages. A learner with no language is never placed.

The plan (:func:`plan_circles`), per course, longest-waiting learners (smallest ``since``) first
wherever a choice of learner is made:

A. open circles with room take joiners in a language they run in, up to their room;
B. new single-language circles of ``min_size..max_size`` form from the rest, one language at a
   time (the language with the fewest waiting speakers first, so bilingual learners do not
   take the only chance of a rarer language);
C. whoever is left joins any circle with room (open or new) in a language it runs in;
D, E, F. the same three steps for whoever is still left, now allowing translation bridges.

A joiner picks the fitting circle with the fewest members (ties: the circle id), so circles
below ``min_size`` fill first. Step A does not strand learners: when ``p`` learners fit an
open circle with room ``r`` and ``0 < p - r < min_size <= p``, the circle takes only
``p - min_size`` of them in step A and the others can form a circle of their own in step B
(a circle of 5 and 4 fitting learners: a new circle of 4, not 3 joiners and 1 left waiting);
step C then tops circles up with whoever is still left.

Forming new circles (steps B and E): the distinct session dates of the learners who gave one
are split into disjoint intervals of at most ``session_window_days`` by dynamic programming
over the sorted dates, keeping the split that places the most; learners without a session then
complete what is left: they join each window of leftover dates in turn (cut from the earliest
leftover date), then form circles among themselves. Within one interval or window, learners
sorted by offset are split into contiguous runs of ``min_size..max_size`` within the time-zone
window by dynamic programming that maximises, in order, the number placed, then fewer circles,
then balanced sizes (smallest sum of squared sizes): 9 learners -> 5 + 4, 12 -> 6 + 6,
17 -> 6 + 6 + 5. Contiguous runs lose nothing: any valid grouping can be uncrossed into runs of
the same sizes.

Cost: the pool is bucketed by course; a bucket is sorted by date and offset and swept, the DP
is linear in the pool (``max_size - min_size + 1`` steps per learner), and joiners look up
circles by offset with a binary search. Nothing compares all pairs of learners.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "DEFAULT_RULES", "Bridge", "Merge", "NewCircle", "OpenCircle", "Plan", "Rules", "Seeker",
    "merge_candidates", "plan_circles",
]  # fmt: skip

Bridge = Callable[[str, str], bool]

#: Start dates tried for a session interval ending at a date (see ``_by_date_intervals``).
MAX_STARTS = 6


@dataclass(frozen=True)
class Seeker:
    """A learner waiting for a circle; ``langs`` in order of preference, ``since`` a timestamp."""

    uid: int
    course: str
    session: date | None
    langs: tuple[str, ...]
    utc_offset_min: int
    since: float


@dataclass(frozen=True)
class OpenCircle:
    """An existing circle; ``offsets`` are its members' UTC offsets, ``size`` its member count."""

    circle_id: str
    course: str
    session: date | None
    langs: frozenset[str]
    offsets: tuple[int, ...]
    size: int


@dataclass(frozen=True)
class Rules:
    """Circle sizes and the session and time-zone windows (see the module docstring)."""

    min_size: int = 4
    max_size: int = 8
    session_window_days: int = 14
    tz_window_h: float = 3

    tz_window_min: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 2 <= self.min_size <= self.max_size:
            raise ValueError("need 2 <= min_size <= max_size")
        # A plain attribute: the matcher reads it for every learner-circle pair.
        object.__setattr__(self, "tz_window_min", round(self.tz_window_h * 60))


DEFAULT_RULES = Rules()


@dataclass(frozen=True)
class NewCircle:
    """A circle to create: members by uid, the earliest known session, the languages it uses."""

    course: str
    members: tuple[int, ...]
    session: date | None
    langs: frozenset[str]
    offsets: tuple[int, ...]  # the members' offsets, in ``members`` order

    @property
    def bridged(self) -> bool:
        return len(self.langs) > 1


@dataclass
class Plan:
    """What to do: joins per open circle id, circles to create, learners left waiting."""

    joins: dict[str, list[int]] = field(default_factory=dict)
    new_circles: list[NewCircle] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)
    # Open circles whose languages grew because a joiner came in through a bridge.
    langs: dict[str, frozenset[str]] = field(default_factory=dict)

    def placed(self) -> list[int]:
        """Every uid put in a circle by this plan."""
        out = [uid for uids in self.joins.values() for uid in uids]
        out.extend(uid for c in self.new_circles for uid in c.members)
        return out


@dataclass(frozen=True)
class Merge:
    """Move the members of circle ``drop`` into circle ``into``."""

    drop: str
    into: str
    bridged: bool  # the merged circle needs a bridge that ``into`` did not use before


# --------------------------------------------------------------------------------------------


class _Bridges:
    """``bridge`` with a cache; a language always bridges to itself."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge
        self._cache: dict[tuple[str, str], bool] = {}

    def ok(self, a: str, b: str) -> bool:
        if a == b:
            return True
        key = (a, b) if a < b else (b, a)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = bool(self._bridge(*key))
        return hit

    def all(self, lang: str, others: Iterable[str]) -> bool:
        return all(self.ok(lang, other) for other in others)


@dataclass(eq=False)
class _Circle:
    """A circle being filled: an open one (``circle_id``) or one formed by this plan."""

    key: str
    size: int
    langs: set[str]
    lo: int | None  # offsets
    hi: int | None
    s_lo: int | None  # known session dates, as ordinals
    s_hi: int | None
    new: NewCircle | None = None
    quota: int = 0  # joiners an open circle still takes in steps A and D
    indexed: dict[str, tuple[int, int]] = field(default_factory=dict)  # _Board's keys
    joined: list[int] = field(default_factory=list)
    joined_offsets: list[int] = field(default_factory=list)

    def fits(self, s: Seeker, rules: Rules) -> bool:
        o = s.utc_offset_min
        if (
            self.lo is not None
            and self.hi is not None
            and max(self.hi, o) - min(self.lo, o) > rules.tz_window_min
        ):
            return False
        if s.session is not None and self.s_lo is not None and self.s_hi is not None:
            d = s.session.toordinal()
            if max(self.s_hi, d) - min(self.s_lo, d) > rules.session_window_days:
                return False
        return True

    def add(self, s: Seeker, lang: str) -> None:
        o = s.utc_offset_min
        self.size += 1
        self.langs.add(lang)
        self.lo = o if self.lo is None else min(self.lo, o)
        self.hi = o if self.hi is None else max(self.hi, o)
        if s.session is not None:
            d = s.session.toordinal()
            self.s_lo = d if self.s_lo is None else min(self.s_lo, d)
            self.s_hi = d if self.s_hi is None else max(self.s_hi, d)
        self.joined.append(s.uid)
        self.joined_offsets.append(o)


class _Board:
    """One course's circles with room, found by offset with a binary search.

    Indexed per language (direct joins look only at circles running in one of the learner's
    languages; ``"*"`` holds every circle, for bridged joins) and apart for open circles (steps
    A and D); a full circle leaves the indices.
    """

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.circles: list[_Circle] = []
        # (language or "*", open circles only) -> [(offset when indexed, seq)], sorted
        self._keys: dict[tuple[str, bool], list[tuple[int, int]]] = defaultdict(list)
        self._seq: dict[int, int] = {}  # id(circle) -> seq
        self._anywhere: list[_Circle] = []  # circles without offsets (rare): always candidates

    def add(self, circle: _Circle) -> None:
        self._seq[id(circle)] = len(self.circles)
        self.circles.append(circle)
        if circle.lo is None:
            self._anywhere.append(circle)
            return
        for lang in ("*", *(sorted(circle.langs) or [""])):  # "": runs in no language yet
            self._index(circle, lang)

    def _index(self, circle: _Circle, lang: str) -> None:
        key = (circle.lo if circle.lo is not None else 0, self._seq[id(circle)])
        bisect.insort(self._keys[lang, False], key)
        if circle.new is None:
            bisect.insort(self._keys[lang, True], key)
        circle.indexed[lang] = key

    def join(self, circle: _Circle, s: Seeker, lang: str) -> None:
        """Seat ``s`` in ``circle``, which now also runs in ``lang``."""
        circle.add(s, lang)
        circle.quota -= 1
        if circle in self._anywhere:
            return
        if lang not in circle.indexed:
            self._index(circle, lang)
        if circle.size >= self.rules.max_size:
            for lang_key, key in circle.indexed.items():
                for open_only in (False, True):
                    keys = self._keys[lang_key, open_only]
                    i = bisect.bisect_left(keys, key)
                    if i < len(keys) and keys[i] == key:
                        del keys[i]

    def near(self, offset: int, langs: Iterable[str], open_only: bool) -> Iterator[_Circle]:
        """Circles with room running in one of ``langs`` whose offsets may fit ``offset``.

        A circle only widens, so the offset it was indexed under lies within the window of
        every offset it can still take.
        """
        w = self.rules.tz_window_min
        for lang in langs:
            keys = self._keys.get((lang, open_only))
            if not keys:
                continue
            i = bisect.bisect_left(keys, (offset - w, -1))
            j = bisect.bisect_right(keys, (offset + w, len(self.circles)))
            for _, seq in keys[i:j]:
                yield self.circles[seq]
        yield from self._anywhere


def _direct_lang(s: Seeker, circle: _Circle) -> str | None:
    if not circle.langs:
        return s.langs[0] if s.langs else None
    return next((lang for lang in s.langs if lang in circle.langs), None)


def _bridged_lang(s: Seeker, circle: _Circle, bridges: _Bridges) -> str | None:
    direct = _direct_lang(s, circle)
    if direct is not None:
        return direct
    return next((lang for lang in s.langs if bridges.all(lang, circle.langs)), None)


def _lang_for(s: Seeker, circle: _Circle, bridges: _Bridges | None) -> str | None:
    return _direct_lang(s, circle) if bridges is None else _bridged_lang(s, circle, bridges)


def _set_quotas(
    free: dict[int, Seeker], board: _Board, rules: Rules, bridges: _Bridges | None
) -> None:
    """How many joiners each open circle takes in step A (or D): its room, unless that strands.

    With ``p`` free learners fitting a circle and room ``r``: if ``0 < p - r < min_size <= p``
    the circle takes ``p - min_size``, leaving enough for a circle of their own.
    """
    ordered = sorted(free.values(), key=lambda s: (s.utc_offset_min, s.since, s.uid))
    offsets = [s.utc_offset_min for s in ordered]
    w = rules.tz_window_min
    for circle in board.circles:
        room = rules.max_size - circle.size
        if circle.new is not None or room <= 0:
            circle.quota = 0
            continue
        if circle.lo is None or circle.hi is None:
            near: list[Seeker] = ordered
        else:
            i = bisect.bisect_left(offsets, circle.hi - w)
            near = ordered[i : bisect.bisect_right(offsets, circle.lo + w)]
        enough = room + rules.min_size  # from here on the circle takes its whole room
        fitting = 0
        for s in near:
            if _lang_for(s, circle, bridges) and circle.fits(s, rules):
                fitting += 1
                if fitting >= enough:
                    break
        left = fitting - room
        strands = 0 < left < rules.min_size <= fitting
        circle.quota = fitting - rules.min_size if strands else room


def _fill(
    free: dict[int, Seeker],
    board: _Board,
    *,
    rules: Rules,
    bridges: _Bridges | None,
    quotas: bool,
) -> None:
    """Seat free learners, longest-waiting first, each in the fitting circle with fewest members.

    With ``quotas``, only open circles with quota left take joiners (steps A, D); otherwise
    any circle with room (steps C, F).
    """
    for uid, s in list(free.items()):
        best: tuple[int, str, _Circle, str] | None = None
        langs = (*s.langs, "") if bridges is None else ("*",)
        for circle in board.near(s.utc_offset_min, langs, open_only=quotas):
            if (circle.quota <= 0) if quotas else (circle.size >= rules.max_size):
                continue
            if best is not None and (circle.size, circle.key) >= best[:2]:
                continue
            if not circle.fits(s, rules):
                continue
            lang = _lang_for(s, circle, bridges)
            if lang is not None:
                best = (circle.size, circle.key, circle, lang)
        if best is not None:
            board.join(best[2], s, best[3])
            del free[uid]


def _split(pool: list[Seeker], rules: Rules) -> list[list[Seeker]]:
    """Best contiguous runs of the offset-sorted pool (see the module docstring)."""
    lo_k, hi_k, w = rules.min_size, rules.max_size, rules.tz_window_min
    n = len(pool)
    if n < lo_k:
        return []
    pool.sort(key=lambda s: (s.utc_offset_min, s.since, s.uid))
    off = [s.utc_offset_min for s in pool]
    # best[i]: (placed, -circles, -sum of squared sizes) over the first i learners
    best: list[tuple[int, int, int]] = [(0, 0, 0)] * (n + 1)
    take = [0] * (n + 1)
    for i in range(1, n + 1):
        b, t = best[i - 1], 0
        for k in range(lo_k, hi_k + 1):
            j = i - k
            if j < 0 or off[i - 1] - off[j] > w:
                break
            p, c, q = best[j]
            cand = (p + k, c - 1, q - k * k)
            if cand > b:
                b, t = cand, k
        best[i], take[i] = b, t
    runs: list[list[Seeker]] = []
    i = n
    while i > 0:
        if take[i]:
            runs.append(pool[i - take[i] : i])
            i -= take[i]
        else:
            i -= 1
    runs.reverse()
    return runs


def _session_windows(known: list[Seeker], days: int) -> list[list[Seeker]]:
    """Date-sorted learners cut into windows of ``days`` from each window's first date."""
    windows: list[list[Seeker]] = []
    start = 0
    for s in known:
        d = s.session.toordinal() if s.session else 0
        if not windows or d - start > days:
            windows.append([])
            start = d
        windows[-1].append(s)
    return windows


def _by_date_intervals(known: list[Seeker], rules: Rules) -> list[list[Seeker]]:
    """Circles of learners with a known session: the best split of the distinct start dates
    into disjoint intervals of at most ``session_window_days``, each split by offset.

    Dynamic programming over the sorted dates; an interval ending at a date starts at one of
    the :data:`MAX_STARTS` latest dates within the window (all of them when sessions start
    weekly or less often), which bounds the work at ``MAX_STARTS`` splits per date.
    """
    by_date: dict[int, list[Seeker]] = defaultdict(list)
    for s in known:
        by_date[s.session.toordinal() if s.session else 0].append(s)
    dates = sorted(by_date)
    best = [0] * (len(dates) + 1)  # learners placed using the first j dates
    back: list[tuple[int, list[list[Seeker]]] | None] = [None] * (len(dates) + 1)
    for j in range(1, len(dates) + 1):
        best[j], back[j] = best[j - 1], None
        pool: list[Seeker] = []
        for i in range(j, max(0, j - MAX_STARTS), -1):
            if dates[j - 1] - dates[i - 1] > rules.session_window_days:
                break
            pool = by_date[dates[i - 1]] + pool
            if len(pool) < rules.min_size:
                continue
            runs = _split(list(pool), rules)
            placed = best[i - 1] + sum(len(r) for r in runs)
            if placed > best[j]:
                best[j], back[j] = placed, (i, runs)
    chosen: list[list[list[Seeker]]] = []
    j = len(dates)
    while j > 0:
        step = back[j]
        if step is None:
            j -= 1
        else:
            chosen.append(step[1])
            j = step[0] - 1
    return [members for runs in reversed(chosen) for members in runs]


def _form(group: list[Seeker], rules: Rules) -> list[list[Seeker]]:
    """Circles from ``group`` (all speaking one language, or one bridged set)."""
    if len(group) < rules.min_size:
        return []
    key = lambda s: (s.session or date.min, s.since, s.uid)  # noqa: E731
    known = sorted((s for s in group if s.session is not None), key=key)
    unknown = [s for s in group if s.session is None]  # already longest-waiting first
    out = _by_date_intervals(known, rules)
    taken = {s.uid for members in out for s in members}
    # Learners without a session complete the groups that dates alone could not fill:
    # they join each window of leftover dates in turn, then form circles among themselves.
    left = [s for s in known if s.uid not in taken]
    pools = _session_windows(left, rules.session_window_days) if unknown else []
    for pool in [*pools, []]:
        for members in _split(pool + [s for s in unknown if s.uid not in taken], rules):
            out.append(members)
            taken.update(s.uid for s in members)
    return out


def _new_circle(course: str, members: list[Seeker], langs: list[str]) -> _Circle:
    members = sorted(members, key=lambda s: s.uid)
    sessions = [s.session for s in members if s.session is not None]
    ords = [d.toordinal() for d in sessions]
    offsets = [s.utc_offset_min for s in members]
    nc = NewCircle(
        course=course,
        members=tuple(s.uid for s in members),
        session=min(sessions) if sessions else None,
        langs=frozenset(langs),
        offsets=tuple(offsets),
    )
    return _Circle(
        key=f"~new:{course}:{members[0].uid}",  # sorts after open ids in ties; unique per plan
        size=len(members),
        langs=set(langs),
        lo=min(offsets),
        hi=max(offsets),
        s_lo=min(ords) if ords else None,
        s_hi=max(ords) if ords else None,
        new=nc,
    )


def _plan_course(
    course: str,
    seekers: list[Seeker],
    open_circles: list[OpenCircle],
    rules: Rules,
    bridges: _Bridges,
) -> list[_Circle]:
    free = {s.uid: s for s in seekers if s.langs}  # in (since, uid) order
    board = _Board(rules)
    for oc in open_circles:
        if oc.size >= rules.max_size:
            continue
        anchor = oc.session.toordinal() if oc.session else None
        board.add(
            _Circle(
                key=oc.circle_id,
                size=oc.size,
                langs=set(oc.langs),
                lo=min(oc.offsets) if oc.offsets else None,
                hi=max(oc.offsets) if oc.offsets else None,
                s_lo=anchor,
                s_hi=anchor,
            )
        )
    for bridged in (None, bridges):  # A-B-C in shared languages, then D-E-F through bridges
        _set_quotas(free, board, rules, bridged)
        _fill(free, board, rules=rules, bridges=bridged, quotas=True)
        if bridged is None:
            speakers = Counter(lang for s in free.values() for lang in s.langs)
            order = sorted(speakers, key=lambda lang: (speakers[lang], lang))
            for lang in order:
                group = [s for s in free.values() if lang in s.langs]
                for members in _form(group, rules):
                    board.add(_new_circle(course, members, [lang] * len(members)))
                    for s in members:
                        del free[s.uid]
        else:
            for klass in _bridge_classes(free.values(), bridges):
                group = [s for s in free.values() if any(lang in klass for lang in s.langs)]
                for members in _form(group, rules):
                    langs = [next(lang for lang in s.langs if lang in klass) for s in members]
                    board.add(_new_circle(course, members, langs))
                    for s in members:
                        del free[s.uid]
        _fill(free, board, rules=rules, bridges=bridged, quotas=False)
    return board.circles


def _bridge_classes(seekers: Iterable[Seeker], bridges: _Bridges) -> list[set[str]]:
    """Languages grouped so that every two in a group are bridged (commonest languages first)."""
    counts = Counter(lang for s in seekers for lang in s.langs)
    classes: list[set[str]] = []
    for lang in sorted(counts, key=lambda x: (-counts[x], x)):
        for klass in classes:
            if bridges.all(lang, klass):
                klass.add(lang)
                break
        else:
            classes.append({lang})
    return [k for k in classes if len(k) > 1]


def _seeker_order(s: Seeker) -> tuple[float, int, str, int, tuple[str, ...], int]:
    """A total order on seekers, so duplicates resolve the same whatever the input order."""
    session = s.session.toordinal() if s.session else 0
    return (s.since, s.uid, s.course, session, s.langs, s.utc_offset_min)


def plan_circles(
    seekers: Iterable[Seeker],
    circles: Iterable[OpenCircle],
    bridge: Bridge,
    rules: Rules = DEFAULT_RULES,
) -> Plan:
    """Place waiting learners into open circles and new ones; the same input gives the same plan.

    A uid listed more than once is taken once, with its earliest ``since``. Open circles with
    ``size >= max_size`` are left alone. Courses are planned independently, so a job may pass
    only the learners and circles of the courses whose waiting pool changed.
    """
    unique: dict[int, Seeker] = {}
    for s in sorted(seekers, key=_seeker_order):
        unique.setdefault(s.uid, s)
    by_course: dict[str, list[Seeker]] = defaultdict(list)
    for s in unique.values():  # (since, uid) order within each course
        by_course[s.course].append(s)
    open_by_course: dict[str, list[OpenCircle]] = defaultdict(list)
    open_langs: dict[str, frozenset[str]] = {}
    for oc in sorted(circles, key=lambda c: c.circle_id):
        open_by_course[oc.course].append(oc)
        open_langs[oc.circle_id] = oc.langs

    plan = Plan()
    bridges = _Bridges(bridge)
    placed: set[int] = set()
    for course in sorted(by_course):
        for circle in _plan_course(
            course, by_course[course], open_by_course.get(course, []), rules, bridges
        ):
            placed.update(circle.joined)
            if circle.new is not None:
                nc = circle.new
                if circle.joined:  # learners who joined a circle formed in this plan
                    members = sorted(
                        zip(
                            (*nc.members, *circle.joined),
                            (*nc.offsets, *circle.joined_offsets),
                            strict=True,
                        )
                    )
                    nc = NewCircle(
                        course=nc.course,
                        members=tuple(m for m, _ in members),
                        session=date.fromordinal(circle.s_lo) if circle.s_lo else None,
                        langs=frozenset(circle.langs),
                        offsets=tuple(o for _, o in members),
                    )
                placed.update(nc.members)
                plan.new_circles.append(nc)
            elif circle.joined:
                plan.joins[circle.key] = list(circle.joined)
                if circle.langs != open_langs[circle.key]:
                    plan.langs[circle.key] = frozenset(circle.langs)
    plan.unplaced = [uid for uid in unique if uid not in placed]
    return plan


# --------------------------------------------------------------------------------------------


def merge_candidates(
    circles: Sequence[OpenCircle],
    bridge: Bridge,
    rules: Rules = DEFAULT_RULES,
    *,
    below: int = 3,
) -> list[Merge]:
    """Merges that fold each circle of fewer than ``below`` members into a compatible one.

    The target is of the same course, has room for all the small circle's members, and the
    union keeps the session (anchors within the window), time-zone and language rules. Shared
    languages beat bridges, then a merged circle of at least ``min_size``, then the smaller
    target, then the circle id. A circle that takes members in is not dropped later, and a
    dropped one takes nobody, so merges never chain.
    """
    bridges = _Bridges(bridge)
    by_course: dict[str, list[OpenCircle]] = defaultdict(list)
    for oc in sorted(circles, key=lambda c: c.circle_id):
        by_course[oc.course].append(oc)
    merges: list[Merge] = []
    w = rules.tz_window_min
    for course in sorted(by_course):
        group = by_course[course]
        size = {c.circle_id: c.size for c in group}
        langs = {c.circle_id: set(c.langs) for c in group}
        span = {c.circle_id: (min(c.offsets), max(c.offsets)) for c in group if c.offsets}
        gone: set[str] = set()
        grew: set[str] = set()
        for small in sorted(group, key=lambda c: (c.size, c.circle_id)):
            sid = small.circle_id
            if small.size >= below or sid in gone or sid in grew:
                continue
            best: tuple[tuple[bool, bool, int, str], OpenCircle] | None = None
            for target in group:
                tid = target.circle_id
                if tid == sid or tid in gone or size[tid] + small.size > rules.max_size:
                    continue
                if (
                    small.session
                    and target.session
                    and abs((small.session - target.session).days) > rules.session_window_days
                ):
                    continue
                if sid in span and tid in span:
                    lo = min(span[sid][0], span[tid][0])
                    if max(span[sid][1], span[tid][1]) - lo > w:
                        continue
                extra = langs[sid] - langs[tid]
                if not all(bridges.all(lang, langs[tid] | extra) for lang in extra):
                    continue
                key = (bool(extra), size[tid] + small.size < rules.min_size, size[tid], tid)
                if best is None or key < best[0]:
                    best = (key, target)
            if best is None:
                continue
            tid = best[1].circle_id
            merges.append(Merge(drop=sid, into=tid, bridged=best[0][0]))
            size[tid] += small.size
            langs[tid] |= langs[sid]
            if sid in span:
                lo, hi = span[sid]
                span[tid] = (
                    (min(lo, span[tid][0]), max(hi, span[tid][1])) if tid in span else (lo, hi)
                )
            gone.add(sid)
            grew.add(tid)
    return merges
