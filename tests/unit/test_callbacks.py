"""Typed callback data (``tg_support.core.callbacks``) and every action class of the bot:
today's wire format, round trips, forged payloads refused, handler routing."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any, Literal

import pytest
from telegram.ext import CallbackQueryHandler

from tg_support.app import FEATURES
from tg_support.broadcast.broadcasts import AUDIENCES
from tg_support.broadcast.texts import (
    BroadcastCancel,
    BroadcastReplaceText,
    BroadcastSchedule,
    BroadcastSendNow,
    panel_markup,
)
from tg_support.community.buttons import (
    CheckinAnswer,
    CircleAction,
    CircleJoin,
    CircleName,
    ReflectionAction,
)
from tg_support.community.events import EventFeedback, EventNew, EventRsvp
from tg_support.community.review_texts import (
    RateReview,
    RequestAction,
    ReviewConfirm,
    ReviewCourse,
    ReviewDue,
    ReviewLang,
    ReviewStart,
    SwapAction,
)
from tg_support.core import callbacks
from tg_support.core.callbacks import MAX_BYTES, CallbackData, CallbackDataError
from tg_support.core.i18n import LOCALES, use_locale
from tg_support.core.labels import ANY_LANGUAGE, REGIONS
from tg_support.core.store import PLATFORMS, ROLES
from tg_support.handlers import admin
from tg_support.handlers.admin import (
    BroadcastAskTags,
    BroadcastAudience,
    BroadcastContinue,
    BroadcastFilterLanguage,
    BroadcastFilterRegion,
)
from tg_support.handlers.ask import QuestionDuplicate, QuestionGo
from tg_support.handlers.community.courses import (
    CatalogMerge,
    CourseAction,
    CourseMenu,
    CoursePick,
)
from tg_support.handlers.community.deadlines import DeadlineAdd, DeadlineCourse, DeadlineRemove
from tg_support.handlers.community.events import (
    EventCity,
    EventCityPick,
    EventEdit,
    EventManage,
    EventOpen,
)
from tg_support.handlers.community.events_new import (
    NewCapacity,
    NewCity,
    NewCourse,
    NewLang,
    NewMinutes,
    NewMode,
    NewPublish,
)
from tg_support.handlers.community.path import IntroAction, IntroPost
from tg_support.handlers.community.recognition import SpotlightChoice
from tg_support.handlers.glossary import GlossaryRemove
from tg_support.handlers.group import GroupChoice
from tg_support.handlers.health import HealthGroup
from tg_support.handlers.start import (
    _TZ_SUGGESTIONS,
    ForgetAnswer,
    LanguageChoice,
    OnboardingChoice,
    OnboardingCourse,
    ProfileEdit,
)
from tg_support.helpers.offers import OfferAction, offer_markup
from tg_support.helpers.ratings import RatingVote, ThankYou
from tg_support.helpers.registry import (
    CAPACITIES,
    HOURS,
    HelperCapacity,
    HelperHours,
    HelperLanguage,
    HelperOpen,
    HelperToggle,
)
from tg_support.moderation.texts import HeldAction, ModlogPage, ReportAction
from tg_support.questions.regions import LEARNER_REGIONS, NO_REGION, OPEN, RegionChoice
from tg_support.questions.reopen import QuestionReopen, reopen_markup
from tg_support.questions.topics import QuestionSolved, answer_markup
from tg_support.translation.delivery import TranslationFlag, TranslationToggle

ROOT = Path(__file__).resolve().parents[2]

# Every action of the bot with the exact strings buttons sent before typed classes carried.
WIRE: list[tuple[CallbackData, str]] = [
    (OfferAction(action="acc", qid=12), "of:acc:12"),
    (OfferAction(action="pass", qid=12), "of:pass:12"),
    (RatingVote(qid=12, index=0, vote="up"), "rt:12:0:up"),
    (RatingVote(qid=12, index=2, vote="down"), "rt:12:2:down"),
    (TranslationToggle(view="o", orig_id=5), "tr:o:5"),
    (TranslationToggle(view="t", orig_id=5), "tr:t:5"),
    (TranslationFlag(orig_id=5), "tr:w:5"),
    (GlossaryRemove(lang="es", term="0a1b2c3d4e"), "gl:rm:es:0a1b2c3d4e"),
    (QuestionSolved(qid=3), "q:solve:3"),
    (QuestionGo(qid=3), "q:go:3"),
    (QuestionDuplicate(qid=3, solved_qid=1), "q:dup:3:1"),
    (QuestionReopen(qid=3), "qr:3"),
    (RegionChoice(region="open"), "pf:rg:open"),
    (RegionChoice(region="middle-east"), "pf:rg:middle-east"),
    (RegionChoice(region="none"), "pf:rg:none"),
    (BroadcastAudience(kind="learners"), "bc:aud:learners"),
    (BroadcastFilterLanguage(lang="es"), "bc:fl:es"),
    (BroadcastFilterRegion(region="middle-east"), "bc:fr:middle-east"),
    (BroadcastAskTags(), "bc:ft"),
    (BroadcastContinue(), "bc:fn"),
    (BroadcastReplaceText(bid=4, lang="pt"), "bc:ed:4:pt"),
    (BroadcastSendNow(bid=4), "bc:ok:4"),
    (BroadcastSchedule(bid=4, hours=24), "bc:at:4:24"),
    (BroadcastSchedule(bid=4, hours=1), "bc:at:4:1"),
    (BroadcastCancel(bid=4), "bc:x:4"),
    (OnboardingChoice(step="lang", value="es"), "ob:lang:es"),
    (OnboardingChoice(step="role", value="learner"), "ob:role:learner"),
    (OnboardingChoice(step="plat", value="coursera"), "ob:plat:coursera"),
    (OnboardingChoice(step="plat", value="done"), "ob:plat:done"),
    (
        OnboardingChoice(step="tz", value="America/Argentina/Buenos_Aires"),
        "ob:tz:America/Argentina/Buenos_Aires",
    ),
    (OnboardingChoice(step="tz", value="UTC"), "ob:tz:UTC"),
    (OnboardingChoice(step="skip", value="courses"), "ob:skip:courses"),
    (OnboardingChoice(step="skip", value="goal"), "ob:skip:goal"),
    (LanguageChoice(code="hi"), "lang:hi"),
    (ProfileEdit(), "pf:edit"),
    (ForgetAnswer(answer="yes"), "pf:forget:yes"),
    (ForgetAnswer(answer="no"), "pf:forget:no"),
    (HelperOpen(), "hp:open:-"),
    (HelperLanguage(lang="es"), "hp:lang:es"),
    (HelperCapacity(capacity=10), "hp:cap:10"),
    (HelperHours(preset="evenings"), "hp:hours:evenings"),
    (HelperToggle(setting="name"), "hp:name:toggle"),
    (HelperToggle(setting="lb"), "hp:lb:toggle"),
    (GroupChoice(step="lang", value=ANY_LANGUAGE), "gr:lang:*"),
    (GroupChoice(step="lang", value="done"), "gr:lang:done"),
    (GroupChoice(step="reg", value="international"), "gr:reg:international"),
    # The community's actions (courses, circles, deadlines, pathway, introductions).
    (OnboardingCourse(action="pick", index=2), "obc:pick:2"),
    (OnboardingCourse(action="done", index=0), "obc:done:0"),
    (CoursePick(action="tag", index=0), "crs:p:tag:0"),
    (CourseMenu(action="add"), "crs:m:add"),
    (CourseAction(action="rm", course="0a1b2c3d4e"), "crs:rm:0a1b2c3d4e"),
    (CatalogMerge(answer="y"), "crs:mg:y"),
    (CircleAction(action="leave", circle="c12"), "ci:leave:c12"),
    (CheckinAnswer(circle="c12", round_no=3), "ci:ans:c12:3"),
    (CircleJoin(action="join", course="0a1b2c3d4e"), "cj:join:0a1b2c3d4e"),
    (CircleName(course="0a1b2c3d4e", show="n"), "cj:name:0a1b2c3d4e:n"),
    (ReflectionAction(action="share", course="0a1b2c3d4e"), "rf:share:0a1b2c3d4e"),
    (DeadlineAdd(), "dl:add"),
    (DeadlineCourse(course="0a1b2c3d4e"), "dl:c:0a1b2c3d4e"),
    (DeadlineRemove(did=7), "dl:rm:7"),
    (IntroAction(action="city"), "in:city"),
    # Events (community.events, handlers.community.events and events_new).
    (EventNew(), "ev:new"),
    (EventRsvp(eid=7, choice="going"), "ev:r:7:going"),
    (EventFeedback(eid=7, answer="missed"), "ev:fb:7:missed"),
    (EventOpen(eid=7), "ev:o:7"),
    (EventCity(), "ev:city"),
    (EventCityPick(gid=2510911), "ev:cp:2510911"),
    (EventManage(eid=7, action="cancel_yes"), "ev:m:7:cancel_yes"),
    (EventEdit(eid=7, field="start"), "ev:e:7:start"),
    (NewMode(mode="inperson"), "ev:n:mode:inperson"),
    (NewCity(gid=2510911), "ev:n:city:2510911"),
    (NewMinutes(minutes=90), "ev:n:dur:90"),
    (NewCapacity(capacity=20), "ev:n:cap:20"),
    (NewLang(code="done"), "ev:n:lang:done"),
    (NewCourse(key="0a1b2c3d4e"), "ev:n:crs:0a1b2c3d4e"),
    (NewPublish(answer="yes"), "ev:n:pub:yes"),
    (ThankYou(qid=12, index=1), "ty:12:1"),
    (SpotlightChoice(choice="on"), "rc:spot:on"),
    (IntroPost(show="y"), "in:post:y"),
    (ReviewCourse(index=0), "rv:c:0"),
    (ReviewDue(days=7), "rv:due:7"),
    (ReviewLang(code="hi"), "rv:l:hi"),
    (ReviewConfirm(answer="yes"), "rv:ok:yes"),
    (ReviewStart(), "rv:new"),
    (RequestAction(action="rematch", rid=12), "rv:rq:rematch:12"),
    (RateReview(rid=12, score="2"), "rv:rate:12:2"),
    (SwapAction(action="write", sid=3), "rv:sw:write:3"),
    (ReportAction(action="mute", rid=12, choice=1), "mod:a:mute:12:1"),
    (ReportAction(action="dismiss", rid=12, choice=0), "mod:a:dismiss:12:0"),
    (HeldAction(action="ok", qid=7), "mod:h:ok:7"),
    (HeldAction(action="no", qid=7), "mod:h:no:7"),
    (ModlogPage(page=2), "mod:log:2"),
    (HealthGroup(chat=1001000000001), "hl:g:1001000000001"),
]
CLASSES: list[type[CallbackData]] = list(dict.fromkeys(type(obj) for obj, _ in WIRE))


def declared_action_classes() -> set[str]:
    """Names of the classes the code derives from CallbackData (read with ``ast``)."""
    found = set()
    for package in ("tg_support", "workers"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and any(
                    (isinstance(b, ast.Name) and b.id == "CallbackData")
                    or (isinstance(b, ast.Attribute) and b.attr == "CallbackData")
                    for b in node.bases
                ):
                    found.add(node.name)
    return found


def test_every_action_class_of_the_code_is_covered() -> None:
    assert {c.__name__ for c in CLASSES} == declared_action_classes()


@pytest.mark.parametrize(("obj", "wire"), WIRE, ids=[w for _, w in WIRE])
def test_wire_format_is_unchanged_and_round_trips(obj: CallbackData, wire: str) -> None:
    assert obj.pack() == wire
    assert type(obj).parse(wire) == obj
    assert type(obj).parse(obj.pack()) == obj
    assert len(wire.encode()) <= MAX_BYTES


@pytest.mark.parametrize("wire", [w for _, w in WIRE])
def test_each_payload_belongs_to_exactly_one_class(wire: str) -> None:
    assert [c.__name__ for c in CLASSES if c.parse(wire) is not None] == [
        type(next(obj for obj, w in WIRE if w == wire)).__name__
    ]


def test_parsed_fields_are_typed() -> None:
    vote = RatingVote.parse("rt:12:0:up")
    assert vote is not None and vote.qid == 12 and vote.index == 0 and vote.vote == "up"
    assert isinstance(vote.qid, int)
    at = BroadcastSchedule.parse("bc:at:4:24")
    assert at == BroadcastSchedule(bid=4, hours=24) and at.hours == 24
    assert OfferAction.parse("of:acc:0") == OfferAction(action="acc", qid=0)
    with pytest.raises(AttributeError):
        vote.qid = 13  # type: ignore[misc]  # frozen


def test_every_value_the_keyboards_draw_packs() -> None:
    """The domain values the bot puts on buttons all fit the format and come back intact."""
    drawn: list[CallbackData] = [
        *(OnboardingChoice(step="lang", value=c) for c in LOCALES),
        *(LanguageChoice(code=c) for c in LOCALES),
        *(OnboardingChoice(step="role", value=r) for r in ROLES),
        *(OnboardingChoice(step="plat", value=p) for p in PLATFORMS),
        *(OnboardingChoice(step="tz", value=z) for zs in _TZ_SUGGESTIONS.values() for z in zs),
        *(HelperLanguage(lang=c) for c in LOCALES),
        *(HelperCapacity(capacity=n) for n in CAPACITIES),
        *(HelperHours(preset=h) for h in HOURS),
        *(GroupChoice(step="lang", value=c) for c in (*LOCALES, ANY_LANGUAGE)),
        *(GroupChoice(step="reg", value=r) for r in REGIONS),
        *(BroadcastAudience(kind=k) for k in AUDIENCES),
        *(BroadcastFilterLanguage(lang=c) for c in LOCALES),
        *(BroadcastFilterRegion(region=r) for r in REGIONS),
        *(BroadcastReplaceText(bid=10**12, lang=c) for c in LOCALES),
        RatingVote(qid=10**15, index=2, vote="down"),
        *(RegionChoice(region=r) for r in (*LEARNER_REGIONS, OPEN, NO_REGION)),
        QuestionReopen(qid=10**15),
    ]
    for obj in drawn:
        assert type(obj).parse(obj.pack()) == obj


def markup_data(markup: Any) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]


def test_callback_data_does_not_depend_on_the_language() -> None:
    seen = set()
    for lang in ("en", "es", "ar", "zh"):
        with use_locale(lang):
            seen.add(
                (
                    tuple(markup_data(offer_markup("7"))),
                    tuple(markup_data(answer_markup("7"))),
                    tuple(markup_data(panel_markup("4"))),
                    tuple(markup_data(reopen_markup("7"))),
                )
            )
    assert seen == {
        (
            ("of:acc:7", "of:pass:7"),
            ("q:solve:7",),
            ("bc:ok:4", "bc:at:4:1", "bc:at:4:24", "bc:x:4"),
            ("qr:7",),
        )
    }


FORGED: list[tuple[type[CallbackData], object]] = [
    # not a string, or empty
    (OfferAction, None),
    (OfferAction, 12),
    (OfferAction, b"of:acc:12"),
    (OfferAction, ["of", "acc", "12"]),
    (OfferAction, ""),
    (ProfileEdit, None),
    # wrong prefix
    (OfferAction, "xof:acc:12"),
    (OfferAction, "off:acc:12"),
    (OfferAction, "OF:acc:12"),
    (OfferAction, "rt:acc:12"),
    (ProfileEdit, "pf:editor"),
    (ProfileEdit, "pf"),
    (BroadcastSendNow, "bc:at:4"),
    (QuestionSolved, "q:go:3"),
    # missing or extra fields, empty fields, stray separators
    (OfferAction, "of"),
    (OfferAction, "of:"),
    (OfferAction, "of:acc"),
    (OfferAction, "of:acc:"),
    (OfferAction, "of::12"),
    (OfferAction, "of:acc:12:"),
    (OfferAction, "of:acc:12:13"),
    (RatingVote, "rt:12:0"),
    (RatingVote, "rt:12:0:up:up"),
    (ProfileEdit, "pf:edit:"),
    (ProfileEdit, "pf:edit:x"),
    (BroadcastAskTags, "bc:ft:1"),
    (HelperOpen, "hp:open"),
    (HelperOpen, "hp:open:-:-"),
    (BroadcastSchedule, "bc:at:4"),
    (QuestionDuplicate, "q:dup:3"),
    # ids that are not plain decimal numbers
    (OfferAction, "of:acc:abc"),
    (OfferAction, "of:acc:12a"),
    (OfferAction, "of:acc:-1"),
    (OfferAction, "of:acc:+1"),
    (OfferAction, "of:acc:1.0"),
    (OfferAction, "of:acc:012"),
    (OfferAction, "of:acc: 12"),
    (OfferAction, "of:acc:12\n"),
    (OfferAction, "of:acc:１２"),  # full-width digits: str.isdigit() says yes
    (OfferAction, "of:acc:²"),
    (RatingVote, "rt:12:x:up"),
    (BroadcastSchedule, "bc:at:4:1e3"),
    (HelperCapacity, "hp:cap:three"),
    (TranslationToggle, "tr:o:5/"),
    (QuestionDuplicate, "q:dup:3:x"),
    # values outside a Literal
    (OfferAction, "of:take:12"),
    (OfferAction, "of:ACC:12"),
    (RatingVote, "rt:12:0:meh"),
    (TranslationToggle, "tr:x:5"),
    (TranslationFlag, "tr:w:-5"),
    (TranslationFlag, "tr:w:5:5"),
    (GlossaryRemove, "gl:rm:es"),
    (GlossaryRemove, "gl:rm:es:peer review"),
    (ForgetAnswer, "pf:forget:maybe"),
    (ForgetAnswer, "pf:forget:YES"),
    (HelperToggle, "hp:name:on"),
    (HelperToggle, "hp:open:-"),
    (HelperToggle, "hp:lang:toggle"),
    (HelperOpen, "hp:open:x"),
    (OnboardingChoice, "ob:age:30"),
    (GroupChoice, "gr:tags:x"),
    # strings outside the safe charset
    (OnboardingChoice, "ob:lang:<script>"),
    (OnboardingChoice, "ob:lang:és"),
    (OnboardingChoice, "ob:lang:\ud800"),  # a lone surrogate (JSON allows the escape)
    (OfferAction, "\udcff"),
    (OnboardingChoice, "ob:lang:e s"),
    (OnboardingChoice, "ob:tz:" + "a" * 49),
    (LanguageChoice, "lang:en\n"),
    (BroadcastReplaceText, "bc:ed:4:pt;rm"),
    # over Telegram's 64 bytes
    (OfferAction, "of:acc:" + "1" * 58),
    (BroadcastReplaceText, "bc:ed:" + "1" * 10 + ":" + "a" * 48),
]


@pytest.mark.parametrize(("cls", "data"), FORGED, ids=[f"{c.__name__}:{d!r}" for c, d in FORGED])
def test_forged_data_is_refused(cls: type[CallbackData], data: object) -> None:
    assert cls.parse(data) is None


def test_the_limit_is_64_bytes_exactly() -> None:
    at_limit = "of:acc:" + "1" * (MAX_BYTES - len("of:acc:"))
    assert len(at_limit) == 64 and OfferAction.parse(at_limit) is not None
    assert OfferAction.parse(at_limit + "1") is None
    assert len(("bc:ed:" + "1" * 10 + ":" + "a" * 48).encode()) == 65


@pytest.mark.parametrize(
    "build",
    [
        lambda: OfferAction(action="take", qid=1),  # type: ignore[arg-type]
        lambda: OfferAction(action="acc", qid=-1),
        lambda: OfferAction(action="acc", qid="12"),  # type: ignore[arg-type]
        lambda: OfferAction(action="acc", qid=True),
        lambda: LanguageChoice(code=""),
        lambda: LanguageChoice(code="a:b"),
        lambda: LanguageChoice(code="a b"),
        lambda: LanguageChoice(code="é"),
        lambda: LanguageChoice(code="x" * 49),
        lambda: OnboardingChoice(step="tz", value="x" * 48 + "y"),
        lambda: BroadcastReplaceText(bid=10**20, lang="x" * 40),  # 68 bytes
        lambda: HelperOpen(placeholder="+"),  # type: ignore[arg-type]
    ],
)
def test_pack_refuses_what_it_could_not_read_back(build: Any) -> None:
    with pytest.raises(CallbackDataError):
        build().pack()


def test_class_definitions_are_checked() -> None:
    with pytest.raises(TypeError):

        class BadPrefix(CallbackData, prefix="a b"):
            x: int

    with pytest.raises(TypeError):

        class EmptyWord(CallbackData, prefix="a::b"):
            x: int

    with pytest.raises(TypeError):

        class FloatField(CallbackData, prefix="zz"):
            x: float

    with pytest.raises(TypeError):

        class BoolField(CallbackData, prefix="zz"):
            x: bool

    with pytest.raises(TypeError):

        class OptionalField(CallbackData, prefix="zz"):
            x: int | None

    with pytest.raises(TypeError):

        class IntLiteral(CallbackData, prefix="zz"):
            x: Literal[1, 2]

    with pytest.raises(TypeError):

        class ColonLiteral(CallbackData, prefix="zz"):
            x: Literal["a:b"]

    with pytest.raises(TypeError):

        class HidesParse(CallbackData, prefix="zz"):
            parse: str


def test_pattern_routes_a_prefix_to_its_handler() -> None:
    p = OfferAction.pattern()
    assert p.match("of:acc:12") and p.match("of:take:x") and p.match("of")  # parse decides
    assert not p.match("off:acc:12") and not p.match("xof:acc:12") and not p.match("rt:1:0:up")
    p = ProfileEdit.pattern()
    assert p.match("pf:edit") and p.match("pf:edit:x")
    assert not p.match("pf:editor") and not p.match("pf:forget:yes")
    p = ForgetAnswer.pattern()
    assert p.match("pf:forget:yes") and not p.match("pf:edit")
    bc = callbacks.pattern(*admin.BUTTONS)
    assert bc.pattern == "^bc(?::|$)"
    assert bc.match("bc:zz:1") and not bc.match("bcx:ok:1")
    assert callbacks.pattern(HelperOpen).pattern == HelperOpen.pattern().pattern
    with pytest.raises(ValueError):
        callbacks.pattern(OfferAction, RatingVote)
    with pytest.raises(ValueError):
        callbacks.pattern()


def callback_handlers() -> list[CallbackQueryHandler[Any, Any, Any]]:
    return [
        h
        for module in FEATURES
        for h in module.handlers()
        if isinstance(h, CallbackQueryHandler)
    ]


def routed(data: str) -> list[str]:
    return [
        h.callback.__name__
        for h in callback_handlers()
        if isinstance(h.pattern, re.Pattern) and h.pattern.match(data)
    ]


@pytest.mark.parametrize("wire", [w for _, w in WIRE])
def test_every_button_reaches_exactly_one_handler(wire: str) -> None:
    assert len(routed(wire)) == 1


@pytest.mark.parametrize(
    ("data", "handler"),
    [
        ("of:acc:12x", "on_offer_button"),
        ("rt:1:0:meh", "on_rating_button"),
        ("hp:zz:1", "on_helper_button"),
        ("bc:zz:1", "on_button"),
        ("q:zz:1", "on_question_button"),
        ("tr:o:x", "on_toggle"),
        ("tr:w:x", "on_toggle"),
        ("gl:rm:x", "on_remove"),
        ("ob:lang:<x>", "on_onboarding_button"),
        ("pf:forget:maybe", "on_forget_button"),
        ("pf:edit:x", "on_profile_edit"),
        ("lang:en:x", "on_language_button"),
        ("gr:lang", "on_register_button"),
        ("qr:x", "on_reopen_button"),
        ("pf:rg:<x>", "on_region_button"),
        ("mod:a:ban:1:0", "on_report_action"),
        ("mod:h:yes:1", "on_held_action"),
        ("mod:log:x", "on_modlog_page"),
    ],
)
def test_malformed_data_under_a_prefix_still_gets_an_answer(data: str, handler: str) -> None:
    """Routed to the handler, whose parse() refuses it with an alert (not a spinning button)."""
    assert routed(data) == [handler]
