"""Hostile updates against the demo stack: ``python -m bench.fuzz --updates 10000``.

Starts ``tg-support demo`` (the emulator with its real flood limits, the bot, one RQ worker)
as a child process and drives it through the emulator's control API with a seeded generator
(``--seed``): random Unicode, right-to-left and zero-width characters, 10,000-character texts,
HTML and Markdown injection, format strings, commands with junk arguments, forged callback
data, stickers, voice, photos, documents, edits, posts and commands in the groups, blocking
the bot, and malformed updates (``POST /control/updates``: missing fields, unknown kinds,
callbacks without a message). Half of the hostile users are onboarded learners, so their junk
meets the asking flow. Real questions (``pass`` rows of ``tests/data/gate_*.tsv``), each from
its own onboarded learner, are mixed in; a suggestion of similar questions is answered with
"Ask anyway".

The last tenth of the stream is a burst after which the demo gets SIGTERM at once.
Reported: updates sent, unhandled exceptions (ERROR/CRITICAL log records of the bot and the
worker), 429s (the bot's "Telegram asked to wait" records; the emulator's own count until
the stop is printed beside it), junk that became a forum topic, real questions held back (a
question record with no topic, in a state other than a draft; those the bot had not reached
yet when measured, after at most twice ``--settle`` seconds, are counted apart), and the
seconds from SIGTERM to the demo's exit (and its exit code).
``--json`` prints the same as one JSON object on the last line. Nothing here is timed by the
test suite except the 1,000-update run of ``tests/e2e/test_fuzz.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.gate import DATA, FILES, INVISIBLE, junk_kinds, load

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "fuzz:"
JSON = dict[str, Any]

RTL = ("\u202e", "\u202b", "\u200f", "\u2067", "مرحبا بالعالم", "שלום עולם", "\u061c")
HTML = (
    "<script>alert(1)</script>", "<b>bold", "</i></b></code>", "<a href='javascript:alert(1)'>x</a>",
    "<tg-spoiler>", "&lt;&amp;&gt;&#x202e;", "<pre><code class=\"language-x\">", "<img src=x onerror=1>",
    "<blockquote expandable>", "<a href=\"tg://user?id=1\">me</a>", "<<>>", "</>",
)  # fmt: skip
MARKDOWN = (
    "*bold _it* `code", "[link](http://x.y)", "```pre", "||spoiler||", "~~s~~", "\\", "__u__",
    "[x](tg://user?id=1)", "![img](x)", "> quote", "# heading", "---",
)  # fmt: skip
FORMAT = ("{name}", "{0}", "%s", "%(x)s", "{{", "}}", "${jndi:ldap://x/a}", "{number!r}", "%n")
COMMANDS = (
    "/start", "/start xyz", "/start " + "A" * 64, "/ask", "/ask {junk}", "/myquestions", "/cancel",
    "/help", "/profile", "/language", "/language xx", "/helper", "/away", "/back", "/stats",
    "/courses", "/courses add {junk}", "/courses find {junk}", "/courses new {junk}",
    "/courses merge 1 2", "/circles", "/deadlines", "/deadlines add {junk}", "/path", "/intro",
    "/review", "/broadcast", "/broadcast {junk}", "/broadcasts", "/register", "/unregister",
    "/groupinfo", "/leaderboard", "/export", "/forget", "/nope", "/", "/start@other_bot",
    "/ask@mooc_support_bot {junk}", "/HELP", "/\u202ehelp",
)  # fmt: skip
CALLBACK_PREFIXES = (
    "ob:lang:", "ob:role:", "ob:plat:", "obc:tag:", "obc:done:", "q:go:", "q:dup:", "q:ok:",
    "gr:lang:", "gr:reg:", "bc:", "rv:", "circ:", "dl:", "hp:", "of:", "",
)  # fmt: skip
LANGS = (None, "en", "es", "pt", "fr", "ru", "hi", "ar", "zh", "xx", "zz-ZZ", "", "en-US")


def hostile_text(rng: random.Random) -> str:
    """One hostile message text."""
    kind = rng.randrange(10)
    if kind < 3:
        return rng.choice(list(junk_kinds().values()))(rng) or "x"
    if kind == 3:
        return "".join(rng.choice(RTL) for _ in range(rng.randint(1, 6))) + "question?"
    if kind == 4:
        word = rng.choice(("how", "python", "certificate", "ayuda", "помогите"))
        return "".join(c + rng.choice(INVISIBLE) for c in word)
    if kind == 5:  # about 10,000 characters
        unit = rng.choice(("a", "ж", "字", "😀", "\u200b", "<b>", "* ", "مر"))
        return (unit * (10_000 // len(unit) + 1))[:10_000]
    if kind == 6:
        return " ".join(rng.choice(HTML) for _ in range(rng.randint(1, 5)))
    if kind == 7:
        return " ".join(rng.choice(MARKDOWN) for _ in range(rng.randint(1, 5)))
    if kind == 8:
        return " ".join(rng.choice(FORMAT) for _ in range(rng.randint(1, 5)))
    return "".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 200)))


def command(rng: random.Random) -> str:
    return rng.choice(COMMANDS).replace("{junk}", hostile_text(rng)[:300])


def forged_data(rng: random.Random) -> str:
    prefix = rng.choice(CALLBACK_PREFIXES)
    tail = rng.choice(("", "0", "-1", "999999999", "x" * 70, hostile_text(rng)[:40], "1:2:3"))
    return (prefix + tail)[: rng.choice((64, 64, 64, 200))]


def malformed(rng: random.Random, uid: int, group_id: int) -> JSON:
    """An update Telegram would not send (or a newer Bot API might)."""
    user = {"id": uid, "is_bot": False, "first_name": "F"}
    chat = {"id": uid, "type": "private", "first_name": "F"}
    msg = {"message_id": rng.randint(1, 10**6), "date": 0, "chat": chat, "from": user}
    choices: list[JSON] = [
        {"message": {**msg, "text": 12345}},
        {"message": {"message_id": 1, "date": 0}},
        {"message": {**msg, "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 999}]}},
        {"message": {**msg, "chat": {"id": group_id, "type": "supergroup", "title": "x", "is_forum": True},
                     "text": "/register", "message_thread_id": 424242}},
        {"callback_query": {"id": str(rng.random()), "from": user, "chat_instance": "1", "data": forged_data(rng)}},
        {"callback_query": {"id": str(rng.random()), "from": user, "chat_instance": "1",
                            "data": "q:go:1", "message": {**msg, "text": "gone"}}},
        {"edited_message": {**msg, "text": hostile_text(rng)[:100], "edit_date": 0}},
        {"channel_post": {"message_id": 1, "date": 0, "chat": {"id": -100123, "type": "channel", "title": "c"}, "text": "/start"}},
        {"my_chat_member": {"chat": chat, "from": user, "date": 0}},
        {"inline_query": {"id": "1", "from": user, "query": hostile_text(rng)[:50], "offset": ""}},
        {"message_reaction": {"chat": chat, "message_id": 1, "date": 0, "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}},
        {"chat_join_request": {"chat": {"id": group_id, "type": "supergroup", "title": "x"}, "from": user, "user_chat_id": uid, "date": 0}},
        {"poll": {"id": "p", "question": "?", "options": [], "total_voter_count": 0, "is_closed": False,
                  "is_anonymous": True, "type": "regular", "allows_multiple_answers": False}},
        {"unknown_kind_from_the_future": {"a": [1, {"b": None}]}},
        {},
    ]  # fmt: skip
    return rng.choice(choices)


@dataclass
class Driver:
    client: Any
    rng: random.Random
    bot_id: int
    groups: list[int]
    users: list[int]
    sent: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    mine: dict[int, list[int]] = field(default_factory=dict)  # user → their message ids

    async def _do(self, kind: str, call: Awaitable[Any]) -> Any:
        try:
            result = await call
        except Exception:  # the emulator refused it (no such message, not a member...)
            self.refused[kind] += 1
            return None
        self.sent[kind] += 1
        return result

    async def one(self) -> None:
        rng, c = self.rng, self.client
        uid = rng.choice(self.users)
        roll = rng.random()
        if roll < 0.36:
            msg = await self._do("text", c.send_text(uid, hostile_text(rng)))
            if msg:
                self.mine.setdefault(uid, []).append(int(msg["message_id"]))
        elif roll < 0.50:
            await self._do("command", c.send_text(uid, command(rng)))
        elif roll < 0.58:
            media = rng.choice(("sticker", "voice", "photo", "document"))
            extra: JSON = {"caption": hostile_text(rng)[:1024]} if rng.random() < 0.5 else {}
            if media == "document":
                extra["document"] = {"file_name": hostile_text(rng)[:60] + ".exe", "content": "MZ"}
            else:
                extra[media] = True if media != "sticker" else rng.choice(("🙂", "\u202e", "x"))
            await self._do(media, c.send(uid, **extra))
        elif roll < 0.65 and self.mine.get(uid):
            mid = rng.choice(self.mine[uid])
            await self._do("edit", c.edit(uid, uid, mid, hostile_text(rng) or "x"))
        elif roll < 0.77:
            top = max(self.mine.get(uid, [1])) + 3
            mid = rng.randint(1, top)
            await self._do(
                "callback", c.press(uid, uid, mid, forged_data(rng), force=True, bot_id=self.bot_id)
            )
        elif roll < 0.87:
            text = hostile_text(rng) if rng.random() < 0.6 else command(rng)
            await self._do("group", c.send_text(uid, text, rng.choice(self.groups)))
        elif roll < 0.89:
            await self._do("block", c.block(uid, rng.random() < 0.5, bot_id=self.bot_id))
        else:
            upd = malformed(rng, uid, rng.choice(self.groups))
            await self._do("malformed", c.push_update(upd, bot_id=self.bot_id))


async def start_demo(env: dict[str, str], log: Path) -> tuple[asyncio.subprocess.Process, str]:
    out = log.open("ab")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tg_support.cli", "demo", "--port", "0",
        env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE, stderr=out, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = await asyncio.wait_for(proc.stdout.readline(), deadline - time.monotonic())
        if not line:
            break
        m = re.search(r"Telegram emulator : (http://\S+)", line.decode(errors="replace"))
        if m:
            asyncio.get_running_loop().create_task(_copy(proc.stdout, out))
            return proc, m.group(1)
    raise RuntimeError(f"the demo did not start; see {log}")


async def _copy(stream: asyncio.StreamReader, out: Any) -> None:
    while line := await stream.readline():
        out.write(line)
        out.flush()


async def seed_learners(redis_url: str, uids: list[int], langs: list[str]) -> None:
    """Onboarded learners, as onboarding leaves them."""
    from tg_support.core.redis_conn import async_client
    from tg_support.core.store import Profile, Store

    redis = async_client(redis_url)
    store = Store(redis, PREFIX)
    for uid, lang in zip(uids, langs, strict=True):
        await store.save_profile(
            Profile(user_id=uid, lang=lang, role="learner", tz="UTC", onboarded=True)
        )
    await redis.aclose()


async def questions_of(redis_url: str, uids: list[int]) -> dict[int, list[tuple[str, bool]]]:
    """Each user's questions: (status, whether it got a forum topic)."""
    from tg_support.core.redis_conn import async_client
    from tg_support.questions.store import QuestionStore

    redis = async_client(redis_url)
    qs = QuestionStore(redis, PREFIX)
    out = {
        uid: [(q.status, bool(q.thread_id)) for q in await qs.user_questions(uid, 100)]
        for uid in uids
    }
    await redis.aclose()
    return out


def real_outcome(questions: list[tuple[str, bool]]) -> str:
    """posted; waiting (not handled yet, or a draft still routing: the bot is behind); held
    (a question kept back: a status other than draft, with no topic)."""
    if any(topic for _, topic in questions):
        return "posted"
    if not questions or all(status == "draft" for status, _ in questions):
        return "waiting"
    return "held"


async def caught_up(client: Any, redis_url: str, limit: float) -> float:
    """Until the bot has fetched and handled everything (nothing waiting at the emulator,
    nothing in its inbox) for 3 s in a row; returns the seconds it took (at most ``limit``)."""
    from tg_support.core.redis_conn import async_client

    redis = async_client(redis_url)
    began = time.monotonic()
    since: float | None = None
    try:
        while time.monotonic() - began < limit:
            keys = [k async for k in redis.scan_iter(f"{PREFIX}inbox:*")]
            held = sum(
                [
                    await redis.hlen(k)
                    for k in keys
                    if ":alive:" not in k and not k.endswith(":instances")
                ]
            )
            if held or await client.updates():
                since = None
            elif since is None:
                since = time.monotonic()
            elif time.monotonic() - since >= 3:
                break
            await asyncio.sleep(0.5)
    finally:
        await redis.aclose()
    return time.monotonic() - began


async def ask_anyway(client: Any, uid: int) -> None:
    """Press "Ask anyway" under a suggestion of similar questions, if there is one."""
    for msg in reversed(await client.messages(uid, from_bot=True)):
        for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if str(button.get("callback_data", "")).startswith("q:go:"):
                    await client.press(uid, uid, msg["message_id"], button["callback_data"])
                    return


async def drive(
    driver: Driver, total: int, asks: list[Callable[[], Awaitable[Any]]], concurrency: int
) -> None:
    """Send until ``total`` updates were accepted in all, ``concurrency`` calls at a time; the
    real questions go out at random moments of the first half."""
    asks = list(asks)
    start = sum(driver.sent.values())
    chance = 2 * len(asks) / max(1, total - start)

    async def worker() -> None:
        while sum(driver.sent.values()) < total:
            if asks and driver.rng.random() < chance:
                await asks.pop()()
            else:
                await driver.one()

    await asyncio.gather(*[worker() for _ in range(concurrency)])
    for ask in asks:  # any left
        await ask()


def log_counts(text: str) -> tuple[int, int]:
    errors = len(re.findall(r"^\S+ \S+ (?:ERROR|CRITICAL) ", text, re.M))
    waits = len(re.findall(r"Telegram asked to wait", text))
    return errors, waits


async def run(args: argparse.Namespace) -> JSON:
    from tg_support.sandbox import SandboxClient

    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    log = work / "demo.log"
    env = {
        "REDIS_URL": args.redis_url, "REDIS_PREFIX": PREFIX, "DATA_DIR": args.data_dir,
        "LOG_LEVEL": "INFO", "STOP_TIMEOUT_SECONDS": str(args.stop_timeout),
    }  # fmt: skip
    demo, url = await start_demo(env, log)
    real = [r.text for f in FILES for r in load(DATA / f) if r.label == "pass"]
    real = rng.sample(real, min(args.real, len(real)))
    try:
        async with SandboxClient(url) as client:
            state = await client.state()
            bot_id = int(state["bots"][0]["id"])
            groups = [int(c["id"]) for c in state["chats"] if c["type"] == "supergroup"]
            hostile = []
            for i in range(args.users):
                name = hostile_text(rng)[:60] or f"F{i}"
                user = await client.create_user(first_name=name, language_code=rng.choice(LANGS))
                hostile.append(int(user["id"]))
            for uid in hostile[: args.users // 3]:
                for gid in groups:
                    await client.add_member(gid, uid)
            askers = [
                int((await client.create_user(first_name=f"Real{i}"))["id"])
                for i in range(len(real))
            ]
            onboarded = hostile[::2]
            await seed_learners(
                args.redis_url, onboarded, [rng.choice(["en", "es"]) for _ in onboarded]
            )
            await seed_learners(args.redis_url, askers, ["en"] * len(askers))
            driver = Driver(client, rng, bot_id, groups, hostile)
            burst = max(1, args.updates // 10)
            asks = [_asks(driver, a, t) for a, t in zip(askers, real, strict=True)]
            began = time.monotonic()
            await drive(driver, args.updates - burst, asks, args.concurrency)
            settle = await caught_up(client, args.redis_url, args.settle)
            for asker in askers:
                await ask_anyway(client, asker)
            settle += await caught_up(client, args.redis_url, args.settle)
            flood_until_stop = sum(1 for e in await client.log() if e["status"] == 429)
            junk_qs = await questions_of(args.redis_url, onboarded)
            junk = sum(topic for qs in junk_qs.values() for _, topic in qs)
            outcomes = Counter(
                real_outcome(q) for q in (await questions_of(args.redis_url, askers)).values()
            )
            # The burst: SIGTERM (in ``finally``) as soon as it has been sent.
            await drive(driver, args.updates, [], args.concurrency)
            sent = sum(driver.sent.values())
            elapsed = time.monotonic() - began
    finally:
        asked = time.monotonic()
        demo.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(demo.wait(), 120)
        except TimeoutError:
            demo.kill()
            code = await demo.wait()
        stop_s = time.monotonic() - asked
    errors, waits = log_counts(log.read_text(errors="replace"))
    return {
        "updates_sent": sent, "by_kind": dict(driver.sent), "refused_by_emulator": sum(driver.refused.values()),
        "unhandled_exceptions": errors, "flood_429": waits, "flood_429_emulator_until_stop": flood_until_stop,
        "junk_topics": junk, "junk_senders_onboarded": len(onboarded),
        "real_questions": len(askers), "real_wrongly_held": outcomes["held"],
        "real_posted": outcomes["posted"], "real_waiting": outcomes["waiting"],
        "stop_seconds": round(stop_s, 2), "exit_code": code, "drive_seconds": round(elapsed, 1),
        "catch_up_seconds": round(settle, 1),
        "log": str(log),
    }  # fmt: skip


def _asks(driver: Driver, uid: int, text: str) -> Callable[[], Awaitable[Any]]:
    async def ask() -> None:
        await driver._do("real_question", driver.client.send_text(uid, text))

    return ask


def print_report(r: JSON, stop_timeout: float) -> None:
    rows = [
        ("updates sent", r["updates_sent"], ""),
        ("unhandled exceptions", r["unhandled_exceptions"], "0"),
        ("429s (bot's count; emulator's until the stop)",
         f"{r['flood_429']} ({r['flood_429_emulator_until_stop']})", "0"),
        ("junk that became a topic", f"{r['junk_topics']} (from {r['junk_senders_onboarded']} onboarded senders)", "0"),
        ("real questions wrongly held", f"{r['real_wrongly_held']} of {r['real_questions']}", "0"),
        ("  (posted; still waiting when measured)", f"{r['real_posted']}; {r['real_waiting']}", ""),
        ("stop after SIGTERM", f"{r['stop_seconds']:.1f} s, exit {r['exit_code']}", f"≤ {stop_timeout:g} s, 0"),
    ]  # fmt: skip
    width = max(len(name) for name, _, _ in rows)
    print(f"{'metric':<{width}}  {'value':<40} goal")
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value!s:<40} {goal}")
    print("sent by kind:", ", ".join(f"{k} {v}" for k, v in sorted(r["by_kind"].items())))
    print(f"refused by the emulator (not updates): {r['refused_by_emulator']}; log: {r['log']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--users", type=int, default=200, help="hostile users")
    parser.add_argument("--real", type=int, default=40, help="real questions (gate 'pass' rows)")
    parser.add_argument("--concurrency", type=int, default=16, help="control calls in flight")
    parser.add_argument(
        "--settle", type=float, default=180, help="max seconds to let the bot catch up"
    )
    parser.add_argument("--stop-timeout", type=float, default=10)
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    )
    parser.add_argument("--data-dir", default=str(ROOT / "var" / "fuzz"))
    parser.add_argument("--json", action="store_true", help="also print the result as JSON")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print_report(result, args.stop_timeout)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
