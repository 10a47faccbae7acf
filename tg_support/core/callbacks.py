"""Language-neutral ``callback_data``: one small typed class per button action.

Button labels are translated; the data never is, so a press means the same thing whatever
language the keyboard was drawn in. A class names its prefix and its typed fields::

    class OfferAction(CallbackData, prefix="of"):
        action: Literal["acc", "pass"]
        qid: int

    OfferAction(action="acc", qid=12).pack()  # "of:acc:12"
    OfferAction.parse("of:acc:12")           # OfferAction(action='acc', qid=12)
    OfferAction.parse("of:acc:12x")          # None: not one of ours, treated as forged

On the wire: the prefix (one or more ``:``-separated words), then each field in order, joined
with ``:``; at most :data:`MAX_BYTES` (Telegram's limit). Field types: ``int`` (decimal digits,
no sign, no leading zero), ``str`` (1-48 of ``A-Z a-z 0-9 _ . / + * -``), or ``Literal`` of
such strings. :meth:`CallbackData.parse` checks all of it on arrival; :meth:`CallbackData.pack`
raises :class:`CallbackDataError` for a value it could not send back (that is a bug).

Each feature declares its classes next to the code that draws the buttons; prefixes in use:
``ob``, ``lang``, ``pf:edit``, ``pf:forget`` (handlers.start); ``hp``, ``hp:open``,
``hp:lang``, ``hp:cap``, ``hp:hours`` (helpers.registry); ``of`` (helpers.offers); ``rt``
(helpers.ratings); ``tr``, ``tr:w`` (translation.delivery); ``gl:rm`` (handlers.glossary);
``q:solve`` (questions.topics); ``q:go``, ``q:dup`` (handlers.ask); ``qr`` (questions.reopen);
``pf:rg`` (questions.regions); ``gr`` (handlers.group); ``bc:ok``, ``bc:at``, ``bc:x``, ``bc:ed``
(broadcast.texts); ``bc:aud``, ``bc:fl``, ``bc:fr``, ``bc:ft``, ``bc:fn`` (handlers.admin);
``obc`` (handlers.start: the courses step); ``crs``, ``crs:p``, ``crs:m``, ``crs:mg``
(handlers.community.courses); ``ci``, ``ci:ans``, ``cj``, ``cj:name``, ``rf``
(community.buttons); ``dl:add``, ``dl:c``, ``dl:rm`` (handlers.community.deadlines); ``in``,
``in:post`` (handlers.community.path); ``mod:a``, ``mod:h``, ``mod:log`` (moderation.texts);
``hl:g`` (handlers.health); ``ev:new``, ``ev:r``, ``ev:fb`` (community.events);
``ev:o``, ``ev:city``, ``ev:cp``, ``ev:m``, ``ev:e`` (handlers.community.events); ``ev:n:*``
(handlers.community.events_new); ``ty`` (helpers.ratings); ``rc:spot``
(handlers.community.recognition).
``tests/unit/test_callbacks.py`` checks that no payload parses as two actions. The format is
what buttons already sent in chats carry: change it and those buttons stop working.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from typing import Any, ClassVar, Literal, Self, dataclass_transform

MAX_BYTES = 64
SEP = ":"
_PART = re.compile(r"[A-Za-z0-9_./+*\-]{1,48}")
_INT = re.compile(r"0|[1-9][0-9]*")


class CallbackDataError(ValueError):
    """Raised when a callback payload we build would be invalid (a bug, not user input)."""


@dataclasses.dataclass(frozen=True)
class _Field:
    """One typed field: how it is written, read back and matched."""

    name: str
    kind: type[int] | type[str]
    choices: tuple[str, ...] = ()

    def dump(self, value: object) -> str:
        if self.kind is int:
            if type(value) is int and value >= 0:
                return str(value)
        elif isinstance(value, str) and (
            value in self.choices if self.choices else _PART.fullmatch(value)
        ):
            return value
        raise CallbackDataError(f"invalid value {value!r} for callback field {self.name!r}")

    def load(self, token: str) -> int | str | None:
        if self.kind is int:
            return int(token) if _INT.fullmatch(token) else None
        if self.choices:
            return token if token in self.choices else None
        return token if _PART.fullmatch(token) else None


def _field(name: str, hint: object) -> _Field:
    if name in ("prefix", "pack", "parse", "pattern"):
        raise TypeError(f"callback field {name!r} would hide CallbackData.{name}")
    if hint is int or hint is str:
        return _Field(name, hint)
    if typing.get_origin(hint) is Literal:
        choices = typing.get_args(hint)
        if all(isinstance(c, str) and _PART.fullmatch(c) for c in choices):
            return _Field(name, str, tuple(choices))
    raise TypeError(f"callback field {name!r}: int, str or Literal of short words, not {hint!r}")


@dataclass_transform(frozen_default=True)
class CallbackData:
    """Base of every button action: ``class X(CallbackData, prefix="..."): fields``.

    Subclasses become frozen dataclasses (keyword or positional construction, equality,
    ``match`` patterns)."""

    prefix: ClassVar[str]
    _fields: ClassVar[tuple[_Field, ...]]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not all(_PART.fullmatch(word) for word in prefix.split(SEP)):
            raise TypeError(f"invalid callback prefix {prefix!r}")
        cls.prefix = prefix
        dataclasses.dataclass(frozen=True)(cls)
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]  # a dataclass just above
        cls._fields = tuple(_field(f.name, hints[f.name]) for f in fields)

    def pack(self) -> str:
        """The ``callback_data`` string for this button."""
        parts = [self.prefix, *(f.dump(getattr(self, f.name)) for f in self._fields)]
        text = SEP.join(parts)
        if len(text.encode()) > MAX_BYTES:
            raise CallbackDataError(f"callback data over {MAX_BYTES} bytes: {text!r}")
        return text

    @classmethod
    def parse(cls, data: object) -> Self | None:
        """The action a pressed button carries, or None if ``data`` is not exactly one."""
        # Ours are ASCII (so bytes = characters); this also refuses lone surrogates early.
        if not isinstance(data, str) or not data.isascii() or len(data) > MAX_BYTES:
            return None
        if not cls._fields:
            return cls() if data == cls.prefix else None
        head = cls.prefix + SEP
        if not data.startswith(head):
            return None
        tokens = data[len(head) :].split(SEP)
        if len(tokens) != len(cls._fields):
            return None
        values: dict[str, int | str] = {}
        for f, token in zip(cls._fields, tokens, strict=True):
            value = f.load(token)
            if value is None:
                return None
            values[f.name] = value
        return cls(**values)

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        """``CallbackQueryHandler(pattern=...)`` for this action (see :func:`pattern`)."""
        return pattern(cls)


def pattern(*classes: type[CallbackData]) -> re.Pattern[str]:
    """The regex routing these actions' presses to one handler: every payload under their
    common prefix, malformed ones included, so the handler refuses those with an alert
    (through ``parse``) instead of leaving the button spinning. ``pattern(BroadcastOk,
    BroadcastAt)`` matches ``bc``, ``bc:...``; ``pattern(ForgetAnswer)`` ``pf:forget...``."""
    if not classes:
        raise ValueError("pattern() needs at least one class")
    words = [c.prefix.split(SEP) for c in classes]
    common: list[str] = []
    for group in zip(*words, strict=False):
        if len(set(group)) != 1:
            break
        common.append(group[0])
    if not common:
        raise ValueError(f"no common prefix: {[c.prefix for c in classes]}")
    return re.compile("^" + re.escape(SEP.join(common)) + f"(?:{SEP}|$)")


def parse_any(data: object, *classes: type[CallbackData]) -> CallbackData | None:
    """The first of ``classes`` that parses ``data`` (one prefix, several shapes)."""
    for cls in classes:
        parsed = cls.parse(data)
        if parsed is not None:
            return parsed
    return None
