"""Localized names of regions and languages, for every feature's messages."""

from __future__ import annotations

from tg_support.core.i18n import LANGUAGE_NAMES, _

# A group or audience that takes every language (routing's wildcard).
ANY_LANGUAGE = "*"
REGIONS: tuple[str, ...] = (
    "africa", "americas", "asia", "europe", "middle-east", "oceania", "international",
)  # fmt: skip


def region_label(region: str) -> str:
    labels = {
        "africa": _("Africa"),
        "americas": _("Americas"),
        "asia": _("Asia"),
        "europe": _("Europe"),
        "middle-east": _("Middle East"),
        "oceania": _("Oceania"),
        "international": _("International"),
    }
    return labels.get(region, region)


def language_label(code: str) -> str:
    return _("Any language") if code == ANY_LANGUAGE else LANGUAGE_NAMES.get(code, code)
