"""When the bot's reply language follows what a user writes: a sticky policy over
:func:`tg_support.core.langid.detect` results (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from tg_support.core.langid import CONFIDENT, SUPPORTED, Detection, normalize_language_code


class ReplyLanguage:
    """Sticky reply-language policy.

    The reply language changes only

    * when the user explicitly chooses a language (:meth:`choose`), or
    * after **two confident detections in a row** of the same new language
      (:meth:`next_reply_language`).

    A confident detection of the current language, or any non-confident detection, resets the
    streak; this keeps one stray message (a quoted sentence, "ok thanks" from a Spanish speaker)
    from flipping the conversation. The class is pure: callers persist ``current`` and the
    returned ``streak`` tuple (e.g. in Redis) between messages.

    ``streak`` holds the confident detections that disagree with ``current``, oldest first; it
    never holds more than ``required - 1`` items.
    """

    def __init__(self, required: int = 2, threshold: float = CONFIDENT) -> None:
        if required < 1:
            raise ValueError("required must be >= 1")
        self.required = required
        self.threshold = threshold

    @staticmethod
    def choose(lang: str) -> tuple[str, tuple[str, ...]]:
        """The user picked ``lang`` explicitly: switch now and clear the streak."""
        code = normalize_language_code(lang)
        if code not in SUPPORTED:
            raise ValueError(f"unsupported language: {lang!r}")
        assert code is not None
        return code, ()

    def next_reply_language(
        self,
        current: str,
        recent_confident: Sequence[str],
        detection: Detection,
        threshold: float | None = None,
    ) -> tuple[str, tuple[str, ...]]:
        """Return ``(reply_language, new_streak)`` after seeing ``detection``.

        ``recent_confident`` is the streak returned by the previous call (``()`` at first).
        """
        limit = self.threshold if threshold is None else threshold
        if detection.confidence < limit or detection.lang not in SUPPORTED:
            return current, ()
        if detection.lang == current:
            return current, ()
        streak = [lang for lang in recent_confident if lang == detection.lang]
        if len(streak) != len(recent_confident):
            streak = []  # the previous streak was for another language
        streak.append(detection.lang)
        if len(streak) >= self.required:
            return detection.lang, ()
        return current, tuple(streak)


def next_reply_language(
    current: str,
    recent_confident: Sequence[str],
    detection: Detection,
    threshold: float = CONFIDENT,
) -> tuple[str, tuple[str, ...]]:
    """Functional form of :meth:`ReplyLanguage.next_reply_language` (two in a row)."""
    return ReplyLanguage(required=2, threshold=threshold).next_reply_language(
        current, recent_confident, detection
    )
