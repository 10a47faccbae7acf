"""Message entities: UTF-16 offsets, the HTML, MarkdownV2 and Markdown parse modes, and the
entities Telegram detects in users' texts."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import ClassVar

from .errors import bad
from .models import JSON
from .params import p_json, p_str


def u16len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units, as Telegram's do."""
    return len(text.encode("utf-16-le")) // 2


def sort_entities(entities: list[JSON]) -> list[JSON]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def format_text(params: JSON, key: str, entities_key: str) -> tuple[str, list[JSON]]:
    """The text (or caption) of a request and its entities: given explicitly or parsed."""
    raw = p_str(params, key) or ""
    explicit = p_json(params, entities_key)
    if explicit:
        if not isinstance(explicit, list):
            raise bad(f"can't parse {entities_key} JSON object")
        return raw, sort_entities([dict(e) for e in explicit])
    mode = (p_str(params, "parse_mode") or "").lower()
    if mode == "html":
        return parse_html(raw)
    if mode == "markdownv2":
        return parse_markdown_v2(raw)
    if mode == "markdown":
        return parse_markdown(raw)
    if mode:
        raise bad(f"unsupported parse_mode {p_str(params, 'parse_mode')!r}")
    return raw, []


# ---------------------------------------------------------------------------- HTML


class _HtmlEntities(HTMLParser):
    TAGS: ClassVar[dict[str, str]] = {
        "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
        "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
        "del": "strikethrough", "code": "code", "pre": "pre", "a": "text_link",
        "tg-spoiler": "spoiler", "span": "spoiler", "blockquote": "blockquote",
        "tg-emoji": "custom_emoji",
    }  # fmt: skip

    def __init__(self, raw: str) -> None:
        super().__init__(convert_charrefs=True)
        self.raw = raw
        self.parts: list[str] = []
        self.pos16 = 0
        self.stack: list[tuple[str, int, JSON | None]] = []
        self.entities: list[JSON] = []

    def _byte_offset(self) -> int:
        line, col = self.getpos()
        lines = self.raw.split("\n")
        prefix = "\n".join(lines[: line - 1]) + ("\n" if line > 1 else "") + lines[line - 1][:col]
        return len(prefix.encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = self.TAGS.get(tag)
        a = dict(attrs)
        if kind is None or (tag == "span" and a.get("class") != "tg-spoiler"):
            raise bad(
                f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset {self._byte_offset()}'
            )
        base: JSON = {"type": kind}
        ent: JSON | None = base
        if tag == "a":
            href = a.get("href") or ""
            m = re.match(r"tg://user\?id=(\d+)$", href)
            if m:
                ent = {
                    "type": "text_mention",
                    "user": {"id": int(m.group(1)), "is_bot": False, "first_name": ""},
                }
            elif href:
                base["url"] = href
            else:
                ent = None
        elif tag == "blockquote" and "expandable" in a:
            base["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            base["custom_emoji_id"] = a.get("emoji-id") or ""
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            cls = a.get("class") or ""
            pre = self.stack[-1][2]
            if cls.startswith("language-") and pre is not None:
                pre["language"] = cls[len("language-") :]
                ent = None
        self.stack.append((tag, self.pos16, ent))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise bad(
            f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset {self._byte_offset()}'
        )

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            expected = f'"</{self.stack[-1][0]}>"' if self.stack else "no end tag"
            raise bad(
                f"can't parse entities: Unmatched end tag at byte offset {self._byte_offset()}, "
                f'expected {expected}, found "</{tag}>"'
            )
        _, start, ent = self.stack.pop()
        if ent is not None and self.pos16 > start:
            ent.update(offset=start, length=self.pos16 - start)
            self.entities.append(ent)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.pos16 += u16len(data)

    def result(self) -> tuple[str, list[JSON]]:
        self.feed(self.raw)
        self.close()
        if self.stack:
            raise bad(
                "can't parse entities: Can't find end tag corresponding to start tag "
                f'"{self.stack[-1][0]}"'
            )
        return "".join(self.parts), sort_entities(self.entities)


def parse_html(raw: str) -> tuple[str, list[JSON]]:
    return _HtmlEntities(raw).result()


# ---------------------------------------------------------------------------- MarkdownV2

_MD2_SPECIAL = set("_*[]()~`>#+-=|{}.!")
_MD2_NAMES = {
    "*": ("bold", "Bold"), "_": ("italic", "Italic"), "__": ("underline", "Underline"),
    "~": ("strikethrough", "Strikethrough"), "||": ("spoiler", "Spoiler"),
}  # fmt: skip


def parse_markdown_v2(raw: str) -> tuple[str, list[JSON]]:
    return _MarkdownV2(raw).parse()


def _unescape_code(body: str) -> str:
    # inside code and pre only ` and \ are escaped
    return re.sub(r"\\([`\\])", r"\1", body)


def _link_entity(url: str, offset: int, length: int) -> JSON:
    m = re.match(r"tg://user\?id=(\d+)$", url)
    if m:
        return {"type": "text_mention", "offset": offset, "length": length,
                "user": {"id": int(m.group(1)), "is_bot": False, "first_name": ""}}  # fmt: skip
    return {"type": "text_link", "offset": offset, "length": length, "url": url}


class _MarkdownV2:
    """One MarkdownV2 text being read. Each ``_step`` either consumes the construct that
    starts at ``self.i`` and returns True, or declines; a character no step takes is plain."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.n = len(raw)
        self.i = 0
        self.out: list[str] = []
        self.pos16 = 0
        self.entities: list[JSON] = []
        # open markers: (marker, UTF-16 offset in the output, byte offset in the input)
        self.stack: list[tuple[str, int, int]] = []

    def parse(self) -> tuple[str, list[JSON]]:
        steps = (
            self._escape, self._pre, self._code, self._style, self._link_start,
            self._link_end, self._blockquote,
        )  # fmt: skip
        while self.i < self.n:
            if not any(step() for step in steps):
                self._plain()
        self._check_all_closed()
        return "".join(self.out), sort_entities(self.entities)

    def _byte_at(self, k: int) -> int:
        # Telegram reports byte offsets in the UTF-8 input
        return len(self.raw[:k].encode())

    def _emit(self, s: str) -> None:
        self.out.append(s)
        self.pos16 += u16len(s)

    def _escape(self) -> bool:
        if self.raw[self.i] != "\\":
            return False
        if self.i + 1 < self.n and ord(self.raw[self.i + 1]) < 127:
            self._emit(self.raw[self.i + 1])
            self.i += 2
        else:
            self._emit("\\")
            self.i += 1
        return True

    def _pre(self) -> bool:
        raw, i = self.raw, self.i
        if not raw.startswith("```", i):
            return False
        end = raw.find("```", i + 3)
        if end < 0:
            raise bad(
                f"can't parse entities: Can't find end of Pre entity at byte offset {self._byte_at(i)}"
            )
        body = raw[i + 3 : end]
        language = ""
        if "\n" in body:
            first, rest = body.split("\n", 1)
            if first and re.fullmatch(r"[\w+#.-]+", first):
                language, body = first, rest
        body = _unescape_code(body)
        ent: JSON = {"type": "pre", "offset": self.pos16, "length": u16len(body)}
        if language:
            ent["language"] = language
        if body:
            self.entities.append(ent)
        self._emit(body)
        self.i = end + 3
        return True

    def _code(self) -> bool:
        raw, i, n = self.raw, self.i, self.n
        if raw[i] != "`":
            return False
        end = i + 1
        while end < n and raw[end] != "`":
            end += 2 if raw[end] == "\\" else 1
        if end >= n:
            raise bad(
                f"can't parse entities: Can't find end of Code entity at byte offset {self._byte_at(i)}"
            )
        body = _unescape_code(raw[i + 1 : end])
        if body:
            self.entities.append({"type": "code", "offset": self.pos16, "length": u16len(body)})
        self._emit(body)
        self.i = end + 1
        return True

    def _style(self) -> bool:
        raw, i, stack = self.raw, self.i, self.stack
        marker = "||" if raw.startswith("||", i) else "__" if raw.startswith("__", i) else raw[i]
        if marker not in _MD2_NAMES:
            return False
        if stack and stack[-1][0] == marker:
            _, start, _b = stack.pop()
            if self.pos16 > start:
                self.entities.append(
                    {"type": _MD2_NAMES[marker][0], "offset": start, "length": self.pos16 - start}
                )
        elif any(s[0] == marker for s in stack):
            # entities must nest: closing an outer one first is reported on the inner one
            raise bad(
                f"can't parse entities: Can't find end of {_MD2_NAMES[stack[-1][0]][1]} "
                f"entity at byte offset {stack[-1][2]}"
            )
        else:
            stack.append((marker, self.pos16, self._byte_at(i)))
        self.i += len(marker)
        return True

    def _link_start(self) -> bool:
        if self.raw[self.i] != "[":
            return False
        self.stack.append(("[", self.pos16, self._byte_at(self.i)))
        self.i += 1
        return True

    def _link_end(self) -> bool:
        raw, i, n = self.raw, self.i, self.n
        if raw[i] != "]" or not self.stack or self.stack[-1][0] != "[":
            return False
        _, start, _b = self.stack.pop()
        if i + 1 >= n or raw[i + 1] != "(":
            raise bad(
                f"can't parse entities: Can't find end of a URL at byte offset {self._byte_at(i)}"
            )
        end = i + 2
        url_chars: list[str] = []
        while end < n and raw[end] != ")":
            if raw[end] == "\\" and end + 1 < n:
                end += 1
            url_chars.append(raw[end])
            end += 1
        if end >= n:
            raise bad(
                f"can't parse entities: Can't find end of a URL at byte offset {self._byte_at(i + 1)}"
            )
        if self.pos16 > start:
            self.entities.append(_link_entity("".join(url_chars), start, self.pos16 - start))
        self.i = end + 1
        return True

    def _blockquote(self) -> bool:
        raw, i = self.raw, self.i
        if raw[i] != ">" or (i > 0 and raw[i - 1] != "\n"):
            return False
        line_end = raw.find("\n", i)
        line_end = self.n if line_end < 0 else line_end
        # a quoted line is parsed on its own: its entities cannot span lines
        inner, inner_ents = parse_markdown_v2(raw[i + 1 : line_end])
        for e in inner_ents:
            e["offset"] += self.pos16
            self.entities.append(e)
        if inner:
            self.entities.append(
                {"type": "blockquote", "offset": self.pos16, "length": u16len(inner)}
            )
        self._emit(inner)
        self.i = line_end
        return True

    def _plain(self) -> None:
        c = self.raw[self.i]
        if c in _MD2_SPECIAL:
            raise bad(
                f"can't parse entities: Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        self._emit(c)
        self.i += 1

    def _check_all_closed(self) -> None:
        if self.stack:
            marker, _, b = self.stack[-1]
            name = "TextUrl" if marker == "[" else _MD2_NAMES[marker][1]
            raise bad(f"can't parse entities: Can't find end of {name} entity at byte offset {b}")


# ---------------------------------------------------------------------------- Markdown


def parse_markdown(raw: str) -> tuple[str, list[JSON]]:
    """Legacy ``Markdown``: *bold* _italic_ `code` ```pre``` [text](url)."""
    out: list[str] = []
    pos16 = 0
    entities: list[JSON] = []
    i, n = 0, len(raw)
    kinds = {"*": "bold", "_": "italic", "`": "code"}
    while i < n:
        c = raw[i]
        if c == "\\" and i + 1 < n and raw[i + 1] in "*_`[":
            out.append(raw[i + 1])
            pos16 += 1
            i += 2
            continue
        if raw.startswith("```", i) or c in kinds:
            mark = "```" if raw.startswith("```", i) else c
            end = raw.find(mark, i + len(mark))
            if end < 0:
                raise bad(
                    "can't parse entities: Can't find end of the entity starting at byte offset "
                    f"{len(raw[:i].encode())}"
                )
            body = raw[i + len(mark) : end]
            if body:
                entities.append({"type": "pre" if mark == "```" else kinds[mark], "offset": pos16, "length": u16len(body)})  # fmt: skip
            out.append(body)
            pos16 += u16len(body)
            i = end + len(mark)
            continue
        m = re.match(r"\[([^\]]*)\]\(([^)]*)\)", raw[i:]) if c == "[" else None
        if m:
            body = m.group(1)
            if body:
                entities.append({"type": "text_link", "offset": pos16, "length": u16len(body), "url": m.group(2)})  # fmt: skip
            out.append(body)
            pos16 += u16len(body)
            i += m.end()
            continue
        out.append(c)
        pos16 += u16len(c)
        i += 1
    return "".join(out), entities


# ---------------------------------------------------------------------------- detection

_AUTO_RE = re.compile(
    r"(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,})"
    r"|(?P<url>\b(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]'])"
    r"|(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{4,32})"
    r"|(?P<hashtag>(?<![\w#])#\w*[^\W\d]\w*)"
    r"|(?P<cashtag>(?<![\w$])\$[A-Z]{1,8}\b)"
)


def detect_entities(text: str) -> list[JSON]:
    """The entities Telegram finds by itself in a user's text."""
    found: list[JSON] = []
    for m in _AUTO_RE.finditer(text):
        kind = m.lastgroup or "url"
        found.append(
            {"offset": u16len(text[: m.start()]), "length": u16len(m.group()), "type": kind}
        )
    return found
