"""``AiohttpRequest`` against a local aiohttp server: parameters, uploads, errors, lifecycle."""

from __future__ import annotations

import asyncio
import io
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from tg_support.core.http import AiohttpRequest


async def _echo(request: web.Request) -> web.Response:
    out: dict[str, object] = {
        "content_type": request.content_type,
        "user_agent": request.headers.get("User-Agent", ""),
    }
    if request.content_type == "multipart/form-data":
        async for part in await request.multipart():
            body = await part.read()  # type: ignore[union-attr]
            out[str(part.name)] = {
                "filename": part.filename,
                "content_type": part.headers.get("Content-Type"),
                "body": body.decode("latin-1"),
            }
    elif request.content_type == "application/json":
        out.update(await request.json())
    else:
        out.update(await request.post())
    return web.json_response(out, status=201)


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(2)
    return web.Response(text="late")


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/echo", _echo)
    app.router.add_post("/slow", _slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    req = AiohttpRequest(read_timeout=0.5)
    await req.initialize()
    yield req
    await req.shutdown()


async def test_parameters_go_as_a_json_body(server: str, request_: AiohttpRequest) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Sí ✅", callback_data="q:go:1")]])
    data = RequestData(
        [
            RequestParameter.from_input("chat_id", 42),
            RequestParameter.from_input("text", "hola ñ & = \"x\""),
            RequestParameter.from_input("reply_markup", markup),
        ]
    )
    status, body = await request_.do_request(f"{server}/echo", "POST", data)
    assert status == 201
    got = json.loads(body)
    assert got["content_type"] == "application/json"
    assert got["chat_id"] == 42  # typed values, not JSON text inside a form
    assert got["text"] == 'hola ñ & = "x"'
    assert got["reply_markup"] == {
        "inline_keyboard": [[{"text": "Sí ✅", "callback_data": "q:go:1"}]]
    }
    assert got["user_agent"] == AiohttpRequest.USER_AGENT


async def test_no_parameters(server: str, request_: AiohttpRequest) -> None:
    status, _ = await request_.do_request(f"{server}/echo", "POST", None)
    assert status == 201


async def test_multipart_upload(server: str, request_: AiohttpRequest) -> None:
    photo = InputFile(io.BytesIO(b"\x89PNG-bytes"), filename="a.png", attach=True)
    data = RequestData(
        [RequestParameter.from_input("chat_id", 7), RequestParameter.from_input("photo", photo)]
    )
    assert data.multipart_data  # the request really carries a file
    status, body = await request_.do_request(f"{server}/echo", "POST", data)
    got = json.loads(body)
    assert status == 201
    assert got["content_type"] == "multipart/form-data"
    assert got["chat_id"]["body"] == "7"
    attach = got["photo"]["body"]
    assert attach.startswith("attach://")
    part = got[attach.removeprefix("attach://")]
    assert part["filename"] == "a.png"
    assert part["body"].encode("latin-1") == b"\x89PNG-bytes"


async def test_read_timeout(server: str, request_: AiohttpRequest) -> None:
    with pytest.raises(TimedOut):
        await request_.do_request(f"{server}/slow", "POST", None)
    with pytest.raises(TimedOut):
        await request_.do_request(f"{server}/slow", "POST", None, read_timeout=0.1)


async def test_connection_refused(request_: AiohttpRequest) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(NetworkError) as exc:
        await request_.do_request(f"http://127.0.0.1:{port}/x", "POST", None)
    assert not isinstance(exc.value, TimedOut)


async def test_lifecycle(server: str) -> None:
    req = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await req.do_request(f"{server}/echo", "POST", None)
    await req.initialize()
    await req.initialize()  # idempotent
    assert (await req.do_request(f"{server}/echo", "POST", None))[0] == 201
    await req.shutdown()
    await req.shutdown()  # idempotent
    with pytest.raises(RuntimeError):
        await req.do_request(f"{server}/echo", "POST", None)
    await req.initialize()  # usable again after shutdown, like HTTPXRequest
    assert (await req.do_request(f"{server}/echo", "POST", None))[0] == 201
    await req.shutdown()
    assert req.read_timeout == 5.0


async def test_proxies_from_the_environment(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The local server plays the proxy: a request for an unresolvable host reaches it only
    # through the proxy, and fails once NO_PROXY names that host.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server)
    req = AiohttpRequest(connect_timeout=1.0)
    await req.initialize()
    try:
        status, _ = await req.do_request("http://bot-api.invalid/echo", "POST", None)
        assert status == 201
    finally:
        await req.shutdown()

    monkeypatch.setenv("NO_PROXY", "bot-api.invalid")
    await req.initialize()  # the environment is read again for a new session
    try:
        with pytest.raises(NetworkError):
            await req.do_request("http://bot-api.invalid/echo", "POST", None)
        assert (await req.do_request(f"{server}/echo", "POST", None))[0] == 201
    finally:
        await req.shutdown()
