"""Every Redis key pattern the code builds is accounted for by the data-rights registry.

The patterns are read from the source (every f-string that starts with the key prefix),
so a new key added anywhere without a line in ``moderation.erase.KEY_PATTERNS`` fails here:
its owner must erase and export it, or the entry must say why it names nobody.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tg_support.moderation.erase import KEY_PATTERNS, OWNERS, SHARED

ROOT = Path(__file__).resolve().parents[2] / "tg_support"
# Names the key prefix goes by in the code (``self.p``, ``prefix``, ``store.keys.p``...).
PREFIX_NAMES = frozenset({"p", "prefix", "_base", "_hp", "redis_prefix"})


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def key_patterns(root: Path = ROOT) -> dict[str, list[str]]:
    """Pattern (the text after the prefix, ``{}`` for each variable part) → where built.
    The emulator is not ours to erase (it keeps no Redis keys)."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if "sandbox" in path.relative_to(root).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.JoinedStr) or not node.values:
                continue
            first = node.values[0]
            if not (isinstance(first, ast.FormattedValue) and _name(first.value) in PREFIX_NAMES):
                continue
            pattern = "".join(
                v.value if isinstance(v, ast.Constant) else "{}" for v in node.values[1:]
            )
            found.setdefault(pattern, []).append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_the_reader_finds_patterns(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        'def k(self, uid, x):\n'
        '    a = f"{self.p}thing:{uid}"\n'
        '    b = f"{prefix}other:{uid}:{x}:tail"\n'
        '    c = f"not a key {uid}"\n'
    )  # fmt: skip
    assert key_patterns(tmp_path) == {"thing:{}": ["m.py:2"], "other:{}:{}:tail": ["m.py:3"]}


def test_every_key_pattern_is_covered_by_erasure() -> None:
    found = key_patterns()
    # The reader sees the real code: the profile, the trail, relays, translations.
    assert {"user:{}", "trail:{}", "relay:{}:{}", "tr:orig:{}", "sent:{}"} <= set(found)
    missing = {p: where for p, where in found.items() if p not in KEY_PATTERNS}
    assert missing == {}, (
        "new Redis key patterns: give their store erase_user/export_user, register it in "
        "moderation.erase.OWNERS and the pattern in KEY_PATTERNS (or say why it names nobody)"
    )
    stale = sorted(set(KEY_PATTERNS) - set(found))
    assert stale == [], "KEY_PATTERNS lists patterns the code no longer builds"


def test_each_pattern_names_a_registered_owner() -> None:
    names = {name for name, _make in OWNERS}
    assert len(names) == len(OWNERS)
    unknown = {p: o for p, o in KEY_PATTERNS.items() if o != SHARED and o not in names}
    assert unknown == {}
    # Every owner is responsible for something, and owns erase and export both.
    assert names <= {o for o in KEY_PATTERNS.values()}
