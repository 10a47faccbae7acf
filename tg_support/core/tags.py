"""Course and topic tags as people type them, in any script."""

from __future__ import annotations

import re
import unicodedata

MAX_TAGS = 10
MAX_TAG_LEN = 40


def normalize_tags(text: str) -> list[str]:
    tags: list[str] = []
    # NFKC first: it turns full-width separators (，；) into ASCII ones; 、 and ، are their own.
    for part in re.split(r"[,;、،\n]+", unicodedata.normalize("NFKC", text)):
        tag = part.strip().lower()
        tag = re.sub(r"[\s_]+", "-", tag).strip("-#")
        # Combining marks stay: in Devanagari they are vowels ("मशीन", not "मशन").
        tag = "".join(
            c for c in tag if c.isalnum() or c in "-+." or unicodedata.category(c).startswith("M")
        )[:MAX_TAG_LEN]
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]
