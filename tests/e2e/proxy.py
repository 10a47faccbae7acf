"""Bot processes behind a real reverse proxy: Debian's haproxy with ``deploy/haproxy.cfg``
(the file compose uses) in front of ``tg-support run --webhook`` processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "haproxy.cfg"


def haproxy() -> str | None:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).exists()), None
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer")
            await asyncio.sleep(0.1)


class ProxiedBots:
    """``count`` bot processes and haproxy; ``env`` is the bots' environment."""

    def __init__(self, env: dict[str, str], logs: Path, count: int = 2) -> None:
        self.env = env
        self.logs = logs
        self.ports = [free_port() for _ in range(2)]  # the config names two servers
        self.count = count
        self.proxy_port = free_port()
        self.url = f"http://127.0.0.1:{self.proxy_port}"
        self.bots: list[subprocess.Popen[bytes]] = []
        self.proxy: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        exe = haproxy()
        assert exe is not None
        proxy_env = {
            **os.environ,
            "PROXY_BIND": f"127.0.0.1:{self.proxy_port}",
            "BOT1": f"127.0.0.1:{self.ports[0]}",
            "BOT2": f"127.0.0.1:{self.ports[1]}",
        }
        self.proxy = subprocess.Popen(
            [exe, "-db", "-f", str(CONFIG)], env=proxy_env,
            stdout=(self.logs / "haproxy.log").open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        for i in range(self.count):
            env = {
                **os.environ, **self.env, "MODE": "webhook", "WEBHOOK_URL": self.url,
                "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(self.ports[i]),
            }  # fmt: skip
            log = (self.logs / f"bot{i + 1}.log").open("wb")
            cmd = [sys.executable, "-m", "tg_support.cli", "run"]
            self.bots.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT))
        for port in self.ports[: self.count]:
            await wait_http(f"http://127.0.0.1:{port}/telegram/health", 60)
        await wait_http(f"{self.url}/telegram/health", 30)

    def kill(self, i: int) -> None:
        self.bots[i].send_signal(signal.SIGKILL)
        self.bots[i].wait(10)

    async def stop(self) -> None:
        for bot in self.bots:
            if bot.poll() is None:
                bot.send_signal(signal.SIGTERM)
        for bot in self.bots:
            try:
                await asyncio.to_thread(bot.wait, 30)
            except subprocess.TimeoutExpired:
                bot.kill()
        if self.proxy is not None:
            self.proxy.terminate()
            await asyncio.to_thread(self.proxy.wait, 10)

    def cut_off(self) -> int:
        """Bot API calls the killed process had claimed but not finished: the inbox's one
        window of loss (core.inbox), each logged by the process that handled the update
        again ("... was sent by a process that stopped")."""
        return sum(
            p.read_text(errors="replace").count("was sent by a process that stopped")
            for p in self.logs.glob("bot*.log")
        )

    def tail(self) -> str:
        return "\n".join(
            f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
            for p in sorted(self.logs.glob("*.log"))
        )
