"""The `tg-support` commands that docker-compose.yml and the README run, as real processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_PREFIX, TEST_TOKEN

from .people import Person, buttons, text

pytestmark = pytest.mark.e2e


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tg_support.cli", *args],
        env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.mark.parametrize("command", ["run", "demo", "worker", "status", "sandbox", "models"])
def test_every_subcommand_has_help(command: str) -> None:
    res = cli(command, "--help")
    assert res.returncode == 0 and "usage: tg-support " + command in res.stdout


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TELEGRAM_BOT_TOKEN": "oops-not-a-token-secretvalue"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": TEST_TOKEN, "REDIS_URL": "http://nope"}, "REDIS_URL"),
        ({"TELEGRAM_BOT_TOKEN": TEST_TOKEN, "WEBHOOK_PORT": "99999"}, "WEBHOOK_PORT"),
        ({"TELEGRAM_BOT_TOKEN": ""}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": TEST_TOKEN, "TG_HTTP": "curl"}, "TG_HTTP"),
    ],
)
def test_bad_configuration_is_one_line_naming_the_variable(env: dict[str, str], variable: str) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "REDIS_", "WEBHOOK_"))}
    res = subprocess.run(
        [sys.executable, "-m", "tg_support.cli", "run"], env={**base, **env},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0] and "Traceback" not in res.stderr
    assert "secretvalue" not in res.stderr


def test_models_install_shipped_then_list(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path)}
    first = cli("models", "install-shipped", env=env)
    assert first.returncode == 0 and "installed 4 of 4" in first.stdout
    again = cli("models", "install-shipped", env=env)
    assert "installed 0 of 4" in again.stdout
    listing = cli("models", "list", env=env)
    assert {"es -> en", "en -> es", "hi -> en", "en -> hi"} <= {
        line.split("  ")[0] for line in listing.stdout.splitlines()
    }


@pytest.mark.parametrize("http", ["aiohttp", "httpx"])
async def test_run_serves_the_bot_and_stops_cleanly(
    sandbox: Any, client: Any, redis_url: str, redis_sync: Any, tmp_path: Path, http: str
) -> None:
    env = {
        **os.environ,
        "TG_HTTP": http,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_URL": sandbox.url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": TEST_PREFIX,
        "DATA_DIR": str(tmp_path),
    }
    proc = subprocess.Popen([sys.executable, "-m", "tg_support.cli", "run"], env=env, start_new_session=True)
    try:
        p = Person(client, await client.create_user(first_name="Ola", language_code="pt"))
        [picker] = await p.send("/start", timeout=30)
        assert "✅ Português" in str(picker["reply_markup"])
        assert "idioma" in text(picker)  # answered in Portuguese, from language_code
        # The menus were set for every language at start.
        assert await client.commands(scope="all_private_chats", language_code="ar")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        rc = await asyncio.to_thread(proc.wait, 30)
    assert rc == 0


async def test_run_in_webhook_mode_with_a_secret(
    sandbox: Any, client: Any, redis_url: str, redis_sync: Any, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_URL": sandbox.url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": TEST_PREFIX,
        "DATA_DIR": str(tmp_path),
        "MODE": "webhook",
        "WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET": "s3cret-token_value",
    }
    proc = subprocess.Popen([sys.executable, "-m", "tg_support.cli", "run"], env=env, start_new_session=True)
    try:
        p = Person(client, await client.create_user(first_name="Wes", language_code="en"))
        for _ in range(100):  # until the bot has registered its webhook
            if [e for e in await client.log(method="setWebhook") if e.get("status") == 200]:
                break
            await asyncio.sleep(0.1)
        [picker] = await p.send("/start", timeout=30)
        assert "Which language" in text(picker)
        [hook] = [e for e in await client.log(method="setWebhook") if e.get("status") == 200]
        assert hook["params"]["secret_token"] == "s3cret-token_value"
        assert hook["params"]["url"] == f"http://127.0.0.1:{port}/telegram"
        assert not await client.log(method="getUpdates")  # no polling in webhook mode
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        rc = await asyncio.to_thread(proc.wait, 30)
    assert rc == 0


def test_a_busy_port_is_one_line_not_a_traceback() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = cli("sandbox", "--port", str(port), timeout=30)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"127.0.0.1:{port}" in res.stderr and "--port 0" in res.stderr


def _descendants_with(marker: str) -> list[int]:
    """Pids of processes whose environment holds ``marker`` (all a demo starts inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def test_demo_as_the_readme_runs_it(tmp_path: Path) -> None:
    """`tg-support demo` with no configuration: embedded Redis, emulator, bot and worker; a
    learner onboards and asks, a helper gets the offer; Ctrl-C stops every process."""
    import re
    import socket

    from tg_support.demo import SOLVED
    from tg_support.sandbox import SandboxClient

    from .world import onboard

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    marker = f"DATA_DIR={tmp_path}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "REDIS_"))}
    env["DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tg_support.cli", "demo", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        out = ""
        while "Press Ctrl-C" not in out:
            line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 60)
            assert line, f"demo exited early: {out}"
            out += line
        assert "Redis             : redis" in out or "unix://" in out  # the embedded one
        url = f"http://127.0.0.1:{port}"
        learner = int(re.search(r'"user_id": (\d+)', out).group(1))  # type: ignore[union-attr]
        async with SandboxClient(url) as client:
            state = await client.state()
            admin_id = next(u["id"] for u in state["users"] if u.get("username") == "ana_admin")
            maria = Person(client, {"id": learner})
            await onboard(maria, "es")
            [confirm] = await maria.send(
                "¿Cómo entrego la tarea de la semana 3 en Coursera? No encuentro el botón.",
                timeout=20,
            )
            # The seeded solved questions took the first numbers.
            number = f"#{len(SOLVED) + 1}"
            assert number in text(confirm) and "MOOC en español" in text(confirm)
            # The demo's worker offers the question to Ana, the Spanish-speaking helper.
            [offer] = await client.wait_for(admin_id, text_contains=number, timeout=25)
            assert "semana 3" in text(offer)
            # Search before asking: a seeded solved question in her language answers her.
            [suggest] = await maria.send(
                "/ask No sé cómo descargar el certificado del curso, ya terminé las tareas.",
                timeout=20,
            )
            assert "Descargar certificado" in text(suggest), text(suggest)
            assert [d for _, d in buttons(suggest) if d.startswith("q:dup:")]
        assert _descendants_with(marker)  # the worker and the embedded Redis are running
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        rc = await asyncio.to_thread(proc.wait, 40)
    assert rc == 0
    for _ in range(50):  # every process the demo started is gone
        if not _descendants_with(marker):
            break
        await asyncio.sleep(0.1)
    assert _descendants_with(marker) == []
