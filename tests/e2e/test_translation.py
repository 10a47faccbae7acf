"""Threads across languages, translated by real RQ worker processes with argostranslate on
the small real models in models/ (installed with install_from_path at worker start)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX

from .people import Person, buttons, data_for, text
from .world import forum_group, onboard, person, register

pytestmark = pytest.mark.e2e


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    # Generous by default: the first translation in a fresh worker imports argostranslate
    # (seconds). The crash test wants the fallback soon.
    if request.node.get_closest_marker("slow"):
        return {"translation_timeout_seconds": 3}
    return {"translation_timeout_seconds": 40}


@pytest.fixture
async def world(bot: Any, client: Any, worker: Any) -> dict[str, Any]:
    admin = await person(client, "Ana", "en", username="ana_admin")
    maria = await person(client, "María", "es", username="maria_learns")
    john = await person(client, "John", "en", username="john_helps")
    en = await forum_group(client, "MOOC Help (international)", admin, [john])
    # English, and any language nobody else takes: the Spanish question lands here.
    await register(admin, en["id"], ["en", "*"], "international")
    await onboard(maria, "es")
    return {"maria": maria, "john": john, "en": en}


async def only_topic(client: Any, chat_id: int) -> int:
    state = await client.state()
    chat = next(c for c in state["chats"] if c["id"] == chat_id)
    [topic] = [t for t in chat.get("topics", []) if t["message_thread_id"] != 1]
    return int(topic["message_thread_id"])


async def test_spanish_question_english_answer_and_edit(world: dict[str, Any], client: Any) -> None:
    maria, john, en = world["maria"], world["john"], world["en"]
    [confirm] = await maria.send("Necesito ayuda con la tarea.", timeout=15)
    assert "#1" in text(confirm)
    thread = await only_topic(client, en["id"])
    # The question appears in English, saying it was translated, with the original a tap away.
    [post] = await client.wait_for(
        en["id"], thread_id=thread, text_contains="I need help with the assignment", timeout=25
    )
    assert "Translated from Español" in text(post)
    await renamed_topic(client, en["id"], thread)  # (its service message comes first)
    [shown] = await Person(client, john.user).press(
        post, data_for(post, "Show original"), chat_id=en["id"]
    )
    assert "Necesito ayuda con la tarea." in text(shown) and "I need help" not in text(shown)
    [back] = await Person(client, john.user).press(
        shown, data_for(shown, "Show translation"), chat_id=en["id"]
    )
    assert "I need help with the assignment" in text(back)

    # An English answer reaches the learner in Spanish.
    since = await maria.seq()
    answer = await client.send_text(
        john.id, "The assignment is due on Friday.", chat_id=en["id"], message_thread_id=thread
    )
    [got] = await client.wait_for(
        maria.id, since_seq=since, text_contains="La tarea vence el viernes", timeout=25
    )
    assert "🌐" in text(got) and "English" in text(got)  # "translated from English", in Spanish
    assert any(d.startswith("tr:o:") for _, d in buttons(got))

    # The helper edits the answer: the learner's translated copy is re-translated in place.
    since = await maria.seq()
    await client.edit(john.id, en["id"], answer["message_id"], "The deadline is tomorrow.")
    [edited] = await client.wait_for(
        maria.id, since_seq=since, text_contains="La fecha límite es mañana", timeout=25
    )
    assert edited["message_id"] == got["message_id"]
    msgs = await client.messages(maria.id, from_bot=True)
    assert sum("viernes" in text(m) or "mañana" in text(m) for m in msgs) == 1  # never twice


async def pairs_published(redis_sync: Any) -> None:
    """A worker is ready to translate once it has announced its pairs."""
    import asyncio

    from tests.conftest import TEST_PREFIX

    for _ in range(200):
        if redis_sync.exists(f"{TEST_PREFIX}tr:pairs"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no worker announced translation pairs")


async def serving(redis_sync: Any, queue: str, timeout: float = 60.0) -> None:
    """A worker takes jobs from ``queue``: it registers with RQ only once it is ready (the
    pairs are announced earlier, then confidence thresholds may still be measured)."""
    import asyncio

    from tests.conftest import TEST_PREFIX

    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if redis_sync.scard(f"rq:workers:{TEST_PREFIX}{queue}"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no worker serves {queue}")


def start_worker(env: dict[str, str], data_dir: Any, *queues: str) -> Any:
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "tg_support.cli", "worker", "--queues", *queues],
        env={**os.environ, **env, "DATA_DIR": str(data_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its own process group: RQ's scheduler is a child process, killed with it.
        start_new_session=True,
    )


@pytest.mark.slow
async def test_worker_killed_mid_translation_still_delivers_once(
    bot: Any, client: Any, worker_env: dict[str, str], worker_data_dir: Any, redis_sync: Any
) -> None:
    import asyncio

    from tests.conftest import TEST_PREFIX

    # Only the deadline fallback's queue is served at first; the translation pairs are
    # announced by a translate worker that we kill as soon as it starts the job.
    fallback = start_worker(worker_env, worker_data_dir, "interactive")
    translator = start_worker(worker_env, worker_data_dir, "translate")
    try:
        await pairs_published(redis_sync)
        # Ready to take the job at once: else the fallback's deadline can pass first.
        await serving(redis_sync, "translate")
        admin = await person(client, "Ana", "en")
        maria = await person(client, "María", "es")
        john = await person(client, "John", "en")
        en = await forum_group(client, "MOOC Help (international)", admin, [john])
        await register(admin, en["id"], ["en", "*"], "international")
        await onboard(maria, "es")
        # The question's translation job: kill its worker while it runs (SIGKILL, no cleanup).
        # A thread watches for the start: the job takes tens of milliseconds once the models
        # are warm, less than a busy event loop (the bot and the emulator run in it) may
        # leave between two polls.
        wip = f"rq:wip:{TEST_PREFIX}translate"
        killed = threading.Event()

        def kill_when_started() -> None:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                if redis_sync.zcard(wip):
                    os.killpg(translator.pid, signal.SIGKILL)
                    killed.set()
                    return
                time.sleep(0.0005)

        watcher = threading.Thread(target=kill_when_started, daemon=True)
        watcher.start()
        await maria.send("Mi pregunta es sobre el certificado.", timeout=15)
        await asyncio.to_thread(watcher.join, 45)
        assert killed.is_set(), "the translate worker never started the job"
        translator.wait(10)
        # The fallback delivers the original, with a note, after the time limit.
        state = await client.state()
        chat = next(c for c in state["chats"] if c["id"] == en["id"])
        [topic] = [t for t in chat["topics"] if t["message_thread_id"] != 1]
        # (If the worker died while holding the send, the fallback waits out its lease.)
        [post] = await client.wait_for(
            en["id"],
            thread_id=topic["message_thread_id"],
            text_contains="Mi pregunta es sobre el certificado.",
            timeout=25,
        )
        assert "⏳" in text(post)
        await asyncio.sleep(1.0)
        posts = [
            m
            for m in await client.messages(
                en["id"], thread_id=topic["message_thread_id"], from_bot=True
            )
            if "certificado" in text(m)
        ]
        assert len(posts) == 1  # never twice
    finally:
        for proc in (fallback, translator):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)


async def test_hindi_helper_gets_the_spanish_question_in_hindi(
    bot: Any, client: Any, worker_env: dict[str, str], worker_data_dir: Any, redis_sync: Any
) -> None:

    # One round for Spanish speakers (there are none), then the widened round.
    env = {**worker_env, "OFFER_ROUNDS": "1", "OFFER_TIMEOUT_SECONDS": "1"}
    proc = start_worker(env, worker_data_dir, "interactive", "translate", "match")
    try:
        await pairs_published(redis_sync)
        admin = await person(client, "Ana", "en")
        maria = await person(client, "María", "es")
        priya = await person(client, "Priya", "hi")
        en = await forum_group(client, "MOOC Help (international)", admin, [priya])
        await register(admin, en["id"], ["en", "*"], "international")
        await onboard(maria, "es")
        await onboard(priya, "hi", role="helper")
        await maria.send("Mi pregunta es sobre el certificado.", timeout=15)
        [offer] = await client.wait_for(priya.id, text_contains="मेरा सवाल प्रमाणपत्र", timeout=25)
        assert "Mi pregunta es sobre el certificado." in text(offer)  # the original stays below
        assert any(d.startswith("of:acc:") for _, d in buttons(offer))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


async def test_topic_title_is_translated_into_the_groups_language(
    world: dict[str, Any], client: Any, redis_sync: Any
) -> None:
    """Issue 20: the group's list of topics shows the Spanish question's title in English."""
    maria, en = world["maria"], world["en"]
    [confirm] = await maria.send("Necesito ayuda con la tarea.", timeout=15)
    assert "#1" in text(confirm)
    thread = await only_topic(client, en["id"])
    name = await renamed_topic(client, en["id"], thread)
    assert name.startswith("#1 · ") and "I need help with the assignment" in name, name
    assert "tarea" not in name
    assert redis_sync.hget(f"{TEST_PREFIX}q:1", "title") == name


async def renamed_topic(client: Any, chat_id: int, thread: int) -> str:
    """The topic's name once the worker renamed it into English (editForumTopic)."""
    name = ""
    for _ in range(150):
        state = await client.state()
        chat = next(c for c in state["chats"] if c["id"] == chat_id)
        name = next(t["name"] for t in chat["topics"] if t["message_thread_id"] == thread)
        if "help" in name.lower():
            break
        await asyncio.sleep(0.2)
    return str(name)


async def test_unsure_translation_arrives_with_the_original_first(
    world: dict[str, Any], client: Any, redis_sync: Any
) -> None:
    """An answer outside what the model can translate is never presented as sure."""
    maria, john, en = world["maria"], world["john"], world["en"]
    await maria.send("Necesito ayuda con la tarea.", timeout=15)
    thread = await only_topic(client, en["id"])
    await client.wait_for(en["id"], thread_id=thread, text_contains="I need help", timeout=25)
    since = await maria.seq()
    original = "My laptop crashed and I lost the notebook"
    await client.send_text(john.id, original, chat_id=en["id"], message_thread_id=thread)
    [got] = await client.wait_for(maria.id, since_seq=since, text_contains=original, timeout=40)
    body = text(got)
    note = "la traducción automática de abajo puede ser incorrecta"
    assert note in body and "Traducción automática (puede ser incorrecta):" in body
    # The original comes before the machine translation, which comes after the warning.
    assert body.index(note) < body.index(original) < body.index("Traducción automática (")
    assert "🌐" not in body  # not the "translated from" form of a confident translation
    assert not any(d.startswith("tr:o:") for _, d in buttons(got))
    from tests.conftest import TEST_PREFIX

    # The calibration the worker used sits in Redis with the package version.
    assert redis_sync.hget(f"{TEST_PREFIX}tr:cal:en-es", "package_version") == "1.0"
    msgs = await client.messages(maria.id, from_bot=True)
    assert sum(original in text(m) for m in msgs) == 1
