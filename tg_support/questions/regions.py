"""A learner's region: the typed button that sets it and the choices it offers.

The choices are the regions groups register with (``labels.REGIONS``), without
"international", which names groups for everyone, not a place a learner lives in. Routing
(``questions.routing.choose_group``) prefers a group of the learner's region among the
groups that speak the question's language.
"""

from __future__ import annotations

from tg_support.core.callbacks import CallbackData
from tg_support.core.labels import REGIONS

LEARNER_REGIONS: tuple[str, ...] = tuple(r for r in REGIONS if r != "international")
OPEN = "open"  # show the picker
NO_REGION = "none"  # clear the choice


class RegionChoice(CallbackData, prefix="pf:rg"):
    """``pf:rg:open`` shows the region picker; ``pf:rg:<region>`` sets the learner's
    region, ``pf:rg:none`` clears it."""

    region: str


def valid_choice(value: str) -> bool:
    return value in (*LEARNER_REGIONS, OPEN, NO_REGION)
