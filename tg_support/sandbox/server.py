"""The sandbox's HTTP server: the Bot API (``/bot<token>/<method>``), file downloads
(``/file/bot<token>/<path>``), webhooks, the web client, and the control API's routes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from .control_api import CONTROL_ROUTES, control_errors
from .errors import ApiError
from .files import TINY_PNG
from .limits import Limits
from .models import JSON, BotState, Upload
from .wire import SESSION_KEY, WORLD_KEY, coerce, dumps, json_response
from .world import World


def _loggable(params: JSON) -> JSON:
    return {
        k: ({"file": v.filename, "size": len(v.data)} if isinstance(v, Upload) else v)
        for k, v in params.items()
    }


async def read_bot_params(request: web.Request) -> JSON:
    params: JSON = {k: coerce(k, v) for k, v in request.query.items()}
    if not request.body_exists:
        return params
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON request body") from None
        if isinstance(body, dict):
            params.update(body)
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = Upload(value.filename, value.content_type, value.file.read())
            else:
                params[key] = coerce(key, value)
    return params


# ------------------------------------------------------------------------------ Bot API


async def handle_bot_api(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    token = request.match_info["token"]
    method = request.match_info["method"]
    bot = world.bot_for_token(token)
    params: JSON = {}
    try:
        params = await read_bot_params(request)
        if bot is None:
            raise ApiError(401, "Unauthorized")
        result = await world.call(bot, method, params)
        body: JSON = {"ok": True, "result": result}
        status = 200
    except ApiError as exc:
        body, status = exc.to_json(), exc.code
    world.record(bot.id if bot else None, method, _loggable(params), status, body)
    return json_response(body, status)


async def handle_file(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    bot = world.bot_for_token(request.match_info["token"])
    if bot is None:
        return json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
    rec = world.files_by_path.get(request.match_info["path"])
    if rec is None:
        return json_response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
    content = rec.content if rec.content is not None else (TINY_PNG if rec.kind == "photo" else b"")
    return web.Response(body=content, content_type=rec.mime_type or "application/octet-stream")


async def handle_unknown_bot_path(request: web.Request) -> web.Response:
    return json_response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)


# ------------------------------------------------------------------------------ webhooks


def make_webhook_sender(
    world: World, sessions: list[aiohttp.ClientSession]
) -> Callable[[BotState], asyncio.Task[None]]:
    def start(bot: BotState) -> asyncio.Task[None]:
        return asyncio.get_running_loop().create_task(_webhook_loop(world, bot, sessions))

    return start


async def _webhook_loop(world: World, bot: BotState, sessions: list[aiohttp.ClientSession]) -> None:
    delay = 0.05
    while bot.webhook is not None and not world.closing:
        if not bot.updates:
            bot.webhook_wake.clear()
            await bot.webhook_wake.wait()
            continue
        hook = bot.webhook
        update = bot.updates[0]
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
        if not sessions:
            sessions.append(aiohttp.ClientSession())
        error: str | None = None
        try:
            async with sessions[0].post(
                hook["url"], data=dumps(update), headers=headers,
                timeout=aiohttp.ClientTimeout(total=10),
            ) as resp:  # fmt: skip
                await resp.read()
                if not 200 <= resp.status < 300:
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"Connection failed: {exc.__class__.__name__}"
        if error is None:
            if bot.updates and bot.updates[0] is update:
                bot.updates.popleft()
            delay = 0.05
            world.emit("webhook_delivered", {"bot_id": bot.id, "update_id": update["update_id"]})
            continue
        hook["last_error_date"] = world.date()
        hook["last_error_message"] = error
        world.emit(
            "webhook_failed", {"bot_id": bot.id, "update_id": update["update_id"], "error": error}
        )
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


WEB_DIR = Path(__file__).with_name("web")


async def index(request: web.Request) -> web.StreamResponse:
    """The web client (``web/index.html``) when it is there, else a plain-text summary."""
    page = WEB_DIR / "index.html"
    if page.is_file():
        return web.FileResponse(page, headers={"Cache-Control": "no-cache"})
    return api_summary(request)


def api_summary(request: web.Request) -> web.Response:
    text = (
        "Telegram Bot API sandbox\n\n"
        "Bot API:  /bot<token>/<method>\nFiles:    /file/bot<token>/<path>\n"
        "Control:  /control/state, /control/events (SSE), /control/send, /control/wait, …\n"
    )
    return web.Response(text=text)


def make_app(world: World) -> web.Application:
    app = web.Application(middlewares=[control_errors], client_max_size=64 * 1024 * 1024)
    app[WORLD_KEY] = world
    app[SESSION_KEY] = []
    world.webhook_sender = make_webhook_sender(world, app[SESSION_KEY])
    r = app.router
    r.add_route("*", "/bot{token}/{method}", handle_bot_api)
    r.add_get("/file/bot{token}/{path:.+}", handle_file)
    for method, path, handler in CONTROL_ROUTES:
        r.add_route(method, path, handler)
    if WEB_DIR.is_dir():
        r.add_static("/web/", WEB_DIR, append_version=False)
    return app


# ------------------------------------------------------------------------------ lifecycle


class Sandbox:
    """The emulator as an in-process HTTP server.

    Routes may be added to :attr:`app` before :meth:`start` (e.g. a web UI at ``/``).
    """

    def __init__(
        self,
        limits: Limits | None = None,
        manual_clock: bool = False,
        clock: Callable[[], float] | None = None,
        auto_register_bots: bool = True,
    ) -> None:
        self.world = World(limits=limits, clock=clock, manual_clock=manual_clock,
                           auto_register_bots=auto_register_bots)  # fmt: skip
        self.app = make_app(self.world)
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    @property
    def limits(self) -> Limits:
        return self.world.limits

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def bot_api_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def file_url(self) -> str:
        return f"{self.url}/file/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if not any(getattr(res, "canonical", None) == "/" for res in self.app.router.resources()):
            self.app.router.add_get("/", index)
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.host = host if host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        self.port = int(sockets[0].getsockname()[1]) if sockets else port

    async def stop(self) -> None:
        self.world.shutdown()
        await asyncio.sleep(0)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for session in self.app[SESSION_KEY]:
            with contextlib.suppress(Exception):
                await session.close()
        self.app[SESSION_KEY].clear()

    async def __aenter__(self) -> Sandbox:
        if self._runner is None:
            await self.start(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def serve(
    host: str = "127.0.0.1",
    port: int = 8081,
    limits: Limits | None = None,
    manual_clock: bool = False,
    announce: bool = True,
) -> None:
    """Run a sandbox until cancelled; prints ``sandbox listening on URL`` when ready."""
    sandbox = Sandbox(limits=limits, manual_clock=manual_clock)
    await sandbox.start(host=host, port=port)
    if announce:
        print(f"sandbox listening on {sandbox.url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()
