"""Fixtures for the emulator's own tests: a sandbox on a free port, its control client and a
raw HTTP client for the Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tg_support.sandbox import Limits, Sandbox, SandboxClient

TOKEN = "555001:SANDBOX-test-token-aaaaaaaa"
BOT_ID = 555001


@pytest.fixture
async def sbx() -> AsyncIterator[Sandbox]:
    sb = Sandbox(limits=Limits(enabled=False), manual_clock=True)
    await sb.start(host="127.0.0.1", port=0)
    yield sb
    await sb.stop()


@pytest.fixture
async def ctl(sbx: Sandbox) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sbx.url) as c:
        await c.create_bot(TOKEN, username="sandbox_test_bot", first_name="Sandbox Test")
        yield c


class BotApi:
    """Raw Bot API calls: ``await api("sendMessage", chat_id=1, text="x")`` → (status, body)."""

    def __init__(self, http: httpx.AsyncClient, token: str = TOKEN) -> None:
        self.http = http
        self.token = token

    async def __call__(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        resp = await self.http.post(f"/bot{self.token}/{method}", json=params)
        return resp.status_code, resp.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self(method, **params)
        assert status == 200 and body["ok"], body
        return body["result"]

    async def err(self, method: str, code: int, **params: Any) -> str:
        status, body = await self(method, **params)
        assert status == code, body
        assert body["ok"] is False and body["error_code"] == code, body
        return str(body["description"])


@pytest.fixture
async def api(sbx: Sandbox, ctl: SandboxClient) -> AsyncIterator[BotApi]:
    async with httpx.AsyncClient(base_url=sbx.url, timeout=10) as http:
        yield BotApi(http)


@pytest.fixture
async def user(ctl: SandboxClient) -> dict[str, Any]:
    return await ctl.create_user("Ana", last_name="López", username="ana", language_code="es")


@pytest.fixture
async def forum(ctl: SandboxClient, user: dict[str, Any]) -> dict[str, Any]:
    return await ctl.create_group(
        "Forum",
        is_forum=True,
        members=[{"user_id": user["id"], "status": "creator"}],
        bots=[{"token": TOKEN, "status": "administrator", "can_manage_topics": True}],
    )
