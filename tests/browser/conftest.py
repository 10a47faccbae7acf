"""Headless Chromium (Debian's ``chromium`` package) driven by the ``playwright`` package.

Never downloads a browser. When Chromium or playwright is missing the tests are skipped,
except under CI (``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright Python package is not installed (pip install playwright)"
    if (
        not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK))
        and shutil.which(CHROMIUM) is None
    ):
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    return None


def _require_browser() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
async def browser_page(tmp_path: Path) -> AsyncIterator[Any]:
    """A fresh Chromium profile and one page (1280x800)."""
    _require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1280, "height": 800}, locale="en-US",
        )  # fmt: skip
        context.set_default_timeout(15_000)
        page = context.pages[0] if context.pages else await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            await context.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Any:
    """``await shot(page, "step")`` saves artifacts/browser/<test>/NN-step.png."""
    name: str = request.node.name
    folder = ARTIFACTS / name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    counter = [0]

    async def shot(page: Any, step: str) -> Path:
        counter[0] += 1
        path = folder / f"{counter[0]:02d}-{step}.png"
        await page.screenshot(path=str(path))
        return path

    return shot
