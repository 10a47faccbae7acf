"""Peer-review swaps through the real stack: /review in the emulator, real Redis, real RQ worker
processes (matching, introductions, translation, deadline checks through RQ's scheduler)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX

from .people import Person, buttons, data_for, text
from .world import onboard, person

pytestmark = pytest.mark.e2e

RV = TEST_PREFIX + "rv:"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Matching at once (the tests decide when a worker runs); translations may take a while
    # in a fresh worker (argostranslate's import).
    return {"review_match_delay_seconds": 0, "translation_timeout_seconds": 40}


@contextlib.contextmanager
def worker_process(env: dict[str, str], data_dir: Any, **extra: str) -> Iterator[Any]:
    """A real `tg-support worker` (with RQ's scheduler), started when the test wants it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tg_support.cli", "worker"],
        env={**os.environ, **env, "DATA_DIR": str(data_dir), **extra},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # RQ's scheduler is a child: stopped with its group
    )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


async def ready(redis_sync: Any) -> None:
    for _ in range(400):
        if redis_sync.exists(f"{TEST_PREFIX}tr:pairs"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no worker announced itself")


async def learner(client: Any, name: str, lang: str, courses: str = "Data Science") -> Person:
    p = await person(client, name, lang, username=f"{name.lower()}_{lang}_learns")
    await onboard(p, lang, courses=courses)
    return p


async def ask_review(
    p: Person, *, assignment: str = "Week 3", days: int = 3, langs: tuple[str, ...] = (),
    want: str = "the structure of my essay", work: str = "https://docs.example.org/draft-1",
    document: bool = False,
) -> str:  # fmt: skip
    """The whole /review flow with buttons and typed answers; returns the request id."""
    [msg] = await p.send("/review")
    assert data_for(msg, "data-science") == "rv:c:0"
    [msg] = await p.press(msg, "rv:c:0")
    [msg] = await p.send(assignment)
    [msg] = await p.press(msg, f"rv:due:{days}")
    for code in langs:  # toggles: the profile's language starts ticked
        [msg] = await p.press(msg, f"rv:l:{code}")
    [msg] = await p.press(msg, "rv:l:done")
    [msg] = await p.send(want)
    if document:
        since = await p.seq()
        await p.c.send_document(p.id, "draft.txt", "My draft essay")
        [msg] = await p.c.wait_for(p.id, since_seq=since, count=1)
    else:
        [msg] = await p.send(work)
    assert "⚖️" in text(msg)  # the honour code comes before the request is made
    [done] = await p.press(msg, "rv:ok:yes")
    m = re.search(r"#(\d+)", text(done))
    assert m, text(done)
    return m.group(1)


async def intro(client: Any, p: Person, number: str = "", timeout: float = 30) -> dict[str, Any]:
    [card] = await client.wait_for(
        p.id, text_contains=f"#{number}" if number else "🤝", timeout=timeout
    )
    return dict(card)


def pseudonym(card: dict[str, Any]) -> str:
    m = re.search(r"(?:Partner|Compañero|साथी|Partenaire)\S* ([A-Z2-9]{4})", text(card))
    assert m, text(card)
    return m.group(1)


def swap_of(redis_sync: Any, rid: str) -> dict[str, Any]:
    sid = redis_sync.hget(f"{RV}req:{rid}", "swap")
    assert sid, f"request {rid} is not in a swap"
    raw = redis_sync.hgetall(f"{RV}swap:{sid}")
    return {"sid": sid, "rids": json.loads(raw["rids"]), "uids": json.loads(raw["uids"]),
            "status": raw["status"]}  # fmt: skip


def action(msg: dict[str, Any], prefix: str) -> str:
    """The callback data of the button for ``prefix`` (whatever language the label is in)."""
    return next(d for _, d in buttons(msg) if d.startswith(prefix))


async def write_review(
    p: Person, card: dict[str, Any], answers: tuple[str, str, str]
) -> dict[str, Any]:
    [prompt] = await p.press(card, action(card, "rv:sw:write:"))
    assert "1/3" in text(prompt)
    [prompt] = await p.send(answers[0])
    assert "2/3" in text(prompt)
    [prompt] = await p.send(answers[1])
    assert "3/3" in text(prompt)
    [preview] = await p.send(answers[2])
    assert answers[1] in text(preview)
    [sent] = await p.press(preview, action(preview, "rv:sw:send:"))
    return dict(sent)


async def test_a_pair_in_one_language(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str], worker_data_dir: Any
) -> None:
    alice = await learner(client, "Alice", "en")
    bob = await learner(client, "Bob", "en")
    with worker_process(worker_env, worker_data_dir):
        await ready(redis_sync)
        ra = await ask_review(alice, langs=())
        rb = await ask_review(bob, assignment="week3")  # the same assignment, spelt otherwise
        card_a, card_b = await intro(client, alice), await intro(client, bob)
        swap = swap_of(redis_sync, ra)
        assert swap["rids"] in ([ra, rb], [rb, ra]) and swap["status"] == "active"
        assert "https://docs.example.org/draft-1" in text(card_a)
        assert "review each other" in text(card_a) and "Honour code" in text(card_a)
        bob_as_seen = pseudonym(card_a)
        assert bob_as_seen != pseudonym(card_b)

        # /review now shows the swap (and offers a new request).
        await client.wait_for(bob.id, text_contains="would like feedback on", timeout=15)
        [overview] = await bob.send("/review")
        assert "Swap #" in text(overview) and pseudonym(card_b) in text(overview)
        assert "rv:new" in [d for _, d in buttons(overview)]

        # Messages go through the bot, under the pseudonym.
        [hint] = await alice.press(card_a, data_for(card_a, "Message"))
        assert "/cancel" in text(hint)
        await alice.send("Hi! I will read your draft tonight.")
        [got] = await client.wait_for(bob.id, text_contains="I will read your draft", timeout=15)
        assert pseudonym(card_b) in text(got)
        await alice.send("/cancel")

        # Bob's guided review reaches Alice, who rates it.
        await write_review(bob, card_b, ("Clear thesis.", "Add a source for the second claim.",
                                         "Why did you choose this topic?"))  # fmt: skip
        [review] = await client.wait_for(alice.id, text_contains="Clear thesis.", timeout=20)
        assert "Add a source for the second claim." in text(review)
        assert bob_as_seen in text(review)
        rated = await alice.press_answer(review, data_for(review, "Very helpful"))
        assert "Thank you" in rated["text"]
        [note] = await client.wait_for(bob.id, text_contains="helpful", timeout=15)
        assert "Thank you" in text(note)
        assert redis_sync.hgetall(f"{RV}rep:{bob.id}") == {
            "given": "1",
            "noshow": "0",
            "helpful": "1",
            "rated": "1",
        }
        [stats] = await bob.send("/stats")
        assert "1 peer review given" in text(stats)

        # A second rating is refused; a stranger's rating too.
        answer = await alice.press_answer(review, data_for(review, "Not helpful"), force=True)
        assert answer["show_alert"]

        # Either side ends the swap; the other is told.
        [ended] = await bob.press(card_b, data_for(card_b, "End"))
        assert "ended" in text(ended)
        await client.wait_for(alice.id, text_contains="ended review swap", timeout=15)
        assert redis_sync.hget(f"{RV}swap:{swap['sid']}", "status") == "ended"


async def test_three_learners_make_a_three_cycle(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str], worker_data_dir: Any
) -> None:
    people = [await learner(client, n, "en") for n in ("Ann", "Ben", "Cat")]
    # Requests first, then one worker: one matching run sees all three.
    rids = [
        await ask_review(p, assignment=a)
        for p, a in zip(people, ("Week 3", "W3", "week 3"), strict=True)
    ]
    with worker_process(worker_env, worker_data_dir):
        cards = [await intro(client, p) for p in people]
        swap = swap_of(redis_sync, rids[0])
        assert sorted(swap["rids"]) == sorted(rids) and len(swap["uids"]) == 3
        # Each reviews the next one: the card names a different partner to review and to be
        # reviewed by.
        for card in cards:
            assert "reviews yours" in text(card), text(card)
        order = swap["uids"]
        by_id = {p.id: p for p in people}
        for i, uid in enumerate(order):
            reviewee = order[(i + 1) % 3]
            assert redis_sync.hget(
                f"{RV}req:{rids[[p.id for p in people].index(reviewee)]}", "reviewer"
            ) == str(uid)
        # A message reaches both others.
        first = by_id[order[0]]
        card = cards[people.index(first)]
        await first.press(card, data_for(card, "Message"))
        await first.send("Hello both of you!")
        for other in order[1:]:
            await client.wait_for(other, text_contains="Hello both of you!", timeout=15)


async def test_spanish_and_hindi_partners_through_translation(
    bot: Any, client: Any, redis_sync: Any, worker: Any
) -> None:
    await ready(redis_sync)
    maria = await learner(client, "María", "es")
    priya = await learner(client, "Priya", "hi")
    rm = await ask_review(maria, assignment="Semana 3", want="Por favor, revisa mi tarea.")
    rp = await ask_review(priya, assignment="सप्ताह ३", want="कृपया मेरे असाइनमेंट की समीक्षा करें।")
    card_m, card_p = await intro(client, maria), await intro(client, priya)
    assert swap_of(redis_sync, rm)["rids"] in ([rm, rp], [rp, rm])
    # The wish comes translated, with the original one tap away.
    [wish] = await client.wait_for(
        priya.id, text_contains="कृपया मेरे असाइनमेंट की समीक्षा करें।", timeout=40
    )
    assert any(d.startswith("tr:o:") for _, d in buttons(wish))

    await maria.press(card_m, action(card_m, "rv:sw:chat:"))
    await maria.send("Gracias por tus comentarios.")
    [got] = await client.wait_for(
        priya.id, text_contains="आपकी प्रतिक्रिया के लिए धन्यवाद।", timeout=40
    )
    [shown] = await priya.press(got, action(got, "tr:o:"))
    assert "Gracias por tus comentarios." in text(shown)

    # Priya reviews in Hindi; María reads it in Spanish, the prompts' labels in Spanish too.
    await write_review(priya, card_p, ("मैंने आपके असाइनमेंट की समीक्षा की।", "कृपया अपनी समीक्षाओं में विनम्र रहें।",
                                       "सहकर्मी समीक्षा क्या है?"))  # fmt: skip
    [review] = await client.wait_for(maria.id, text_contains="Revisé tu tarea.", timeout=40)
    assert "¿Qué es la revisión por pares?" in text(review)
    assert any(d.startswith("rv:rate:") for _, d in buttons(review))


async def test_a_no_show_is_rematched_before_the_deadline(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str], worker_data_dir: Any
) -> None:
    # The reminder and the no-show check are due at once after the swap starts (their
    # leads exceed the time to the deadline): RQ's scheduler runs them, reminder first.
    leads = {"REVIEW_REMIND_HOURS": "1000", "REVIEW_REMATCH_HOURS": "999"}
    ana = await learner(client, "Ana", "en")
    noel = await learner(client, "Noel", "en")
    with worker_process(worker_env, worker_data_dir, **leads):
        await ready(redis_sync)
        ra = await ask_review(ana, days=5)
        rn = await ask_review(noel, days=5)
        await intro(client, ana)
        first = swap_of(redis_sync, ra)
        [reminder] = await client.wait_for(noel.id, text_contains="⏰", timeout=30)
        assert "still missing" in text(reminder)
        [offer] = await client.wait_for(ana.id, text_contains="new partner", timeout=30)
        assert redis_sync.hget(f"{RV}req:{ra}", "got") == "noshow"
        assert redis_sync.hget(f"{RV}rep:{noel.id}", "noshow") == "1"
        # Someone new asks; Ana takes the offer and is matched with her, not with Noel.
        cleo = await learner(client, "Cleo", "en")
        rc = await ask_review(cleo, days=3)
        await ana.press(offer, data_for(offer, "new partner"))
        await client.wait_for(cleo.id, text_contains="🤝", timeout=30)
        mine = [r for r in redis_sync.smembers(f"{RV}user:{ana.id}") if r != ra]
        assert len(mine) == 1
        second = swap_of(redis_sync, mine[0])
        assert second["sid"] != first["sid"]
        assert sorted(second["uids"]) == sorted([ana.id, cleo.id])
        assert json.loads(redis_sync.hget(f"{RV}req:{mine[0]}", "exclude")) == [str(noel.id)]
        deadline = float(redis_sync.hget(f"{RV}req:{ra}", "deadline"))
        assert float(redis_sync.hget(f"{RV}swap:{second['sid']}", "created")) < deadline
        del rn, rc


async def test_a_forged_button_cannot_take_over_a_swap(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str], worker_data_dir: Any
) -> None:
    alice = await learner(client, "Alice", "en")
    bob = await learner(client, "Bob", "en")
    mallory = await learner(client, "Mallory", "en")
    with worker_process(worker_env, worker_data_dir):
        await ready(redis_sync)
        ra = await ask_review(alice)
        await ask_review(bob)
        await intro(client, alice)
        sid = swap_of(redis_sync, ra)["sid"]
        # Mallory presses, on a message of her own, every action of a swap she is not in.
        [own] = await mallory.send("/help")
        for action in ("show", "write", "chat", "end", "send", "redo"):
            answer = await mallory.press_answer(own, f"rv:sw:{action}:{sid}", force=True)
            assert answer["text"] == "This button is not valid." and answer["show_alert"]
        for data in (f"rv:rq:cancel:{ra}", f"rv:rq:rematch:{ra}", f"rv:rate:{ra}:2", "rv:sw:end:x"):
            answer = await mallory.press_answer(own, data, force=True)
            assert answer["text"] == "This button is not valid."
        assert redis_sync.hget(f"{RV}swap:{sid}", "status") == "active"
        assert (await redis_conv(redis_sync, mallory.id)) is None
        # Nothing of the swap reached her.
        assert not [
            m for m in await client.messages(mallory.id, from_bot=True) if "#" + sid in text(m)
        ]


async def redis_conv(redis_sync: Any, uid: int) -> Any:
    raw = redis_sync.get(f"{TEST_PREFIX}conv:{uid}")
    return json.loads(raw)["step"] if raw else None


async def test_no_telegram_identity_crosses_between_partners(
    bot: Any, client: Any, redis_sync: Any, worker_env: dict[str, str], worker_data_dir: Any
) -> None:
    alice = await learner(client, "Alice", "en")
    bob = await learner(client, "Bob", "en")
    with worker_process(worker_env, worker_data_dir):
        await ready(redis_sync)
        await ask_review(alice)
        await ask_review(bob, document=True)
        card_a, card_b = await intro(client, alice), await intro(client, bob)
        await client.wait_for(alice.id, text_contains="The work of", timeout=15)
        for me, card, other in ((alice, card_a, bob), (bob, card_b, alice)):
            await me.press(card, data_for(card, "Message"))
            await me.send("Hello from my side of the swap")
            await client.wait_for(other.id, text_contains="Hello from", timeout=15)
        since = await alice.seq()
        await client.send_document(bob.id, "notes.txt", "more notes")
        [doc] = await client.wait_for(alice.id, since_seq=since, timeout=15)
        assert doc.get("document", {}).get("file_name") == "notes.txt"
        await write_review(alice, card_a, ("Good.", "Shorter intro.", "Which sources?"))
        await client.wait_for(bob.id, text_contains="Shorter intro.", timeout=20)
    log = await client.log()
    for me, other in ((alice, bob), (bob, alice)):
        secrets_of = [str(me.id), me.user["first_name"], me.user["username"]]
        for entry in log:
            params = entry.get("params") or {}
            if str(params.get("chat_id")) != str(other.id):
                continue
            blob = json.dumps(params, ensure_ascii=False)
            for secret in secrets_of:
                assert secret not in blob, (entry["method"], secret)
