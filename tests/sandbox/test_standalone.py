"""The package is standalone: imports nothing from the rest of tg_support, runs as a process."""

from __future__ import annotations

import ast
import asyncio
import sys
from pathlib import Path

import httpx

import tg_support.sandbox as sandbox_pkg

PKG = Path(sandbox_pkg.__file__).parent


def test_imports_nothing_from_tg_support() -> None:
    offenders: list[str] = []
    files = sorted(PKG.glob("*.py"))
    assert len(files) >= 6
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level > 1:
                    offenders.append(f"{path.name}: relative import beyond the package")
                names = [node.module or ""] if node.level == 0 else []
            for name in names:
                if name == "tg_support" or (
                    name.startswith("tg_support.") and not name.startswith("tg_support.sandbox")
                ):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_public_api() -> None:
    assert sorted(sandbox_pkg.__all__) == ["Limits", "Sandbox", "SandboxClient", "serve"]


async def test_runs_as_a_process_and_announces_its_port() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tg_support.sandbox", "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 15)).decode().strip()
        assert line.startswith("sandbox listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        async with httpx.AsyncClient() as http:
            r = await http.get(f"{url}/bot123456:abcdefgh-ijkl/getMe")
            assert r.json()["result"]["id"] == 123456
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
