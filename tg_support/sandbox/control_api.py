"""The control API over HTTP (``/control/…``): the routes tests and the web client use to
drive users, inspect chats and steer the sandbox."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from .errors import ApiError, ControlError
from .models import JSON, BotState
from .wire import WORLD_KEY, coerce, dumps, json_response
from .world import World

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def control_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/control/"):
        return await handler(request)
    try:
        return await handler(request)
    except ControlError as exc:
        return json_response({"ok": False, "error": exc.error, **exc.extra}, exc.status)
    except ApiError as exc:
        return json_response(
            {"ok": False, "error": exc.description, "error_code": exc.code}, exc.code
        )
    except (ValueError, KeyError, TypeError) as exc:
        return json_response({"ok": False, "error": f"{exc.__class__.__name__}: {exc}"}, 400)


async def body_of(request: web.Request) -> JSON:
    spec: JSON = {}
    for k, v in request.query.items():
        spec[k] = coerce(k, v) if k not in ("text", "text_contains", "data") else v
    if request.body_exists:
        try:
            body = await request.json()
        except ValueError:
            raise ControlError(400, "the body must be JSON") from None
        if not isinstance(body, dict):
            raise ControlError(400, "the body must be a JSON object")
        spec.update(body)
    return spec


def ok(obj: Any, status: int = 200) -> web.Response:
    return json_response(obj, status)


def bot_json(bot: BotState) -> JSON:
    return {
        **bot.me(),
        "token": bot.token,
        "webhook": bot.webhook,
        "pending_update_count": len(bot.updates),
    }


def _world(request: web.Request) -> World:
    return request.app[WORLD_KEY]


async def c_create_bot(request: web.Request) -> web.Response:
    spec = await body_of(request)
    world = _world(request)
    bot = world.register_bot(
        str(spec.get("token") or ""), spec.get("username"), spec.get("first_name")
    )
    for flag in ("can_join_groups", "can_read_all_group_messages", "supports_inline_queries"):
        if flag in spec:
            setattr(bot, flag, bool(spec[flag]))
    return ok(bot_json(bot))


async def c_list_bots(request: web.Request) -> web.Response:
    return ok([bot_json(b) for b in _world(request).bots.values()])


async def c_create_user(request: web.Request) -> web.Response:
    spec = await body_of(request)
    user = _world(request).create_user(
        first_name=str(spec.get("first_name") or ""), last_name=spec.get("last_name"),
        username=spec.get("username"), language_code=spec.get("language_code"),
        is_premium=spec.get("is_premium"), user_id=spec.get("id", spec.get("user_id")),
    )  # fmt: skip
    return ok(user)


async def c_list_users(request: web.Request) -> web.Response:
    return ok(list(_world(request).users.values()))


async def c_create_group(request: web.Request) -> web.Response:
    spec = await body_of(request)
    chat = _world(request).create_group(
        title=str(spec.get("title") or "Group"), is_forum=bool(spec.get("is_forum", True)),
        type=str(spec.get("type", "supergroup")), members=spec.get("members"),
        bots=spec.get("bots"), username=spec.get("username"), description=spec.get("description"),
    )  # fmt: skip
    return ok(chat.state_json())


async def c_get_group(request: web.Request) -> web.Response:
    return ok(_world(request).group(request.match_info["chat_id"]).state_json())


async def c_set_member(request: web.Request) -> web.Response:
    spec = await body_of(request)
    world = _world(request)
    chat = world.group(request.match_info["chat_id"])
    return ok(world.set_member(chat, spec, actor_id=spec.get("actor_id")))


async def c_create_topic(request: web.Request) -> web.Response:
    spec = await body_of(request)
    world = _world(request)
    chat = world.group(spec.get("chat_id"))
    if not chat.is_forum:
        raise ControlError(400, "the chat is not a forum")
    uid = spec.get("user_id")
    if uid is None:
        creator = next((m.user_id for m in chat.members.values() if m.status == "creator"), None)
        if creator is None:
            raise ControlError(400, "user_id is required (the group has no creator)")
        uid = creator
    world.user(uid)
    topic = world.create_topic(
        chat, int(uid), str(spec.get("name") or ""), spec.get("icon_color"),
        spec.get("icon_custom_emoji_id"), notify_bots=True,
    )  # fmt: skip
    return ok({**topic.to_json(), "chat_id": chat.id})


async def c_send(request: web.Request) -> web.Response:
    return ok(_world(request).user_send(await body_of(request)))


async def c_edit(request: web.Request) -> web.Response:
    return ok(_world(request).user_edit(await body_of(request)))


async def c_delete(request: web.Request) -> web.Response:
    return ok(_world(request).user_delete(await body_of(request)))


async def c_press(request: web.Request) -> web.Response:
    return ok(_world(request).press(await body_of(request)))


async def c_callback_answer(request: web.Request) -> web.Response:
    world = _world(request)
    qid = request.match_info["query_id"]
    wait = float(request.query.get("wait", "0") or 0)
    deadline = time.monotonic() + wait
    while True:
        query = world.callbacks.get(qid)
        if query is None:
            raise ControlError(404, f"unknown callback query {qid}")
        if query["answer"] is not None or time.monotonic() >= deadline:
            return ok(
                {
                    "callback_query_id": qid,
                    "answered": query["answer"] is not None,
                    "answer": query["answer"],
                }
            )
        await world.wait_change(deadline - time.monotonic())


async def c_block(request: web.Request) -> web.Response:
    spec = await body_of(request)
    world = _world(request)
    user = world.user(spec.get("user_id"))
    bot = world.default_bot(spec.get("bot_id"), spec.get("token"))
    blocked = bool(spec.get("blocked", True))
    world.set_blocked(int(user["id"]), bot, blocked)
    return ok({"ok": True, "user_id": user["id"], "bot_id": bot.id, "blocked": blocked})


async def c_messages(request: web.Request) -> web.Response:
    spec = await body_of(request)
    world = _world(request)
    chat = world.control_chat(spec.get("chat_id"), spec.get("bot_id"), spec.get("user_id"))
    return ok([m.control_json() for m in world.messages(chat, spec)])


async def c_wait(request: web.Request) -> web.Response:
    spec = await body_of(request)
    world = _world(request)
    chat = world.control_chat(spec.get("chat_id"), spec.get("bot_id"), spec.get("user_id"))
    count = int(spec.get("count", 1))
    timeout = float(spec.get("timeout", 10))
    deadline = time.monotonic() + timeout
    while True:
        found = world.messages(chat, spec)
        if len(found) >= count:
            return ok({"messages": [m.control_json() for m in found], "seq": world.seq})
        remaining = deadline - time.monotonic()
        if remaining <= 0 or world.closing:
            recent = [m.control_json() for m in list(chat.messages.values())[-10:]]
            raise ControlError(
                408,
                f"timeout after {timeout}s: {len(found)} of {count} matching messages in chat {chat.id}",
                {"found": [m.control_json() for m in found], "recent": recent, "seq": world.seq},
            )
        await world.wait_change(remaining)


async def c_commands(request: web.Request) -> web.Response:
    spec = await body_of(request)
    world = _world(request)
    bot = world.default_bot(spec.get("bot_id"), spec.get("token"))
    scope_type = str(spec.get("scope") or "default")
    scope: JSON = {"type": scope_type}
    if spec.get("chat_id") is not None:
        scope["chat_id"] = spec["chat_id"]
    if spec.get("user_id") is not None:
        scope["user_id"] = spec["user_id"]
    key = (world.scope_key(bot, scope), str(spec.get("language_code") or ""))
    return ok(bot.commands.get(key, []))


async def c_effective_commands(request: web.Request) -> web.Response:
    spec = await body_of(request)
    world = _world(request)
    bot = world.default_bot(spec.get("bot_id"), spec.get("token"))
    user = world.user(spec.get("user_id"))
    chat = world.control_chat(spec.get("chat_id"), bot.id, user["id"])
    lang = str(spec.get("language_code") or user.get("language_code") or "")
    return ok(world.effective_commands(bot, chat, int(user["id"]), lang))


async def c_add_fault(request: web.Request) -> web.Response:
    fault = _world(request).add_fault(await body_of(request))
    return ok(fault.__dict__)


async def c_list_faults(request: web.Request) -> web.Response:
    return ok([f.__dict__ for f in _world(request).faults])


async def c_clear_faults(request: web.Request) -> web.Response:
    world = _world(request)
    n = len(world.faults)
    world.faults.clear()
    return ok({"ok": True, "cleared": n})


async def c_log(request: web.Request) -> web.Response:
    world = _world(request)
    method = (request.query.get("method") or "").lower()
    since = int(request.query.get("since", "0") or 0)
    bot_id = request.query.get("bot_id")
    limit = int(request.query.get("limit", "0") or 0)
    out = [
        e for e in world.log
        if e["seq"] > since and (not method or e["method"].lower() == method)
        and (bot_id is None or str(e["bot_id"]) == bot_id)
    ]  # fmt: skip
    if limit:
        out = out[-limit:]
    return ok(out)


async def c_reset(request: web.Request) -> web.Response:
    _world(request).reset()
    return ok({"ok": True})


async def c_limits(request: web.Request) -> web.Response:
    world = _world(request)
    if request.method == "POST":
        world.limits.update(await body_of(request))
    return ok(world.limits.to_dict())


async def c_clock(request: web.Request) -> web.Response:
    world = _world(request)
    if request.method == "POST":
        spec = await body_of(request)
        world.advance(float(spec.get("advance", 0)))
    return ok({"monotonic": world.now(), "wall": world.wall(), "date": world.date(),
               "manual": bool(getattr(world.clock, "manual", False))})  # fmt: skip


async def c_state(request: web.Request) -> web.Response:
    world = _world(request)
    return ok({
        "bots": [bot_json(b) for b in world.bots.values()],
        "users": list(world.users.values()),
        "blocked": [{"user_id": u, "bot_id": b} for u, b in sorted(world.blocked)],
        "chats": [c.state_json() for c in world.groups.values()]
        + [c.state_json() for c in world.private.values()],
        "seq": world.seq,
        "limits": world.limits.to_dict(),
    })  # fmt: skip


async def c_updates(request: web.Request) -> web.Response:
    world = _world(request)
    bot = world.default_bot(request.query.get("bot_id"), request.query.get("token"))
    return ok(list(bot.updates))


async def c_push_update(request: web.Request) -> web.Response:
    """An update of any shape (``{"update": {...}}``, its ``update_id`` assigned here) for the
    bot: what a newer Bot API, or a broken one, might send; for testing a bot's robustness."""
    world = _world(request)
    body = await body_of(request)
    bot = world.default_bot(body.get("bot_id"), body.get("token"))
    update = body.get("update")
    if not isinstance(update, dict):
        raise ControlError(400, "update must be a JSON object")
    return ok({"update_id": world.push_raw_update(bot, update)})


async def c_events(request: web.Request) -> web.StreamResponse:
    world = _world(request)
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await resp.prepare(request)
    queue: asyncio.Queue[JSON | None] = asyncio.Queue(maxsize=10_000)
    world.subscribers.add(queue)
    try:
        await resp.write(b": connected\n\n")
        while not world.closing:
            try:
                event = await asyncio.wait_for(queue.get(), 15)
            except TimeoutError:
                await resp.write(b": keepalive\n\n")
                continue
            if event is None:
                break
            await resp.write(f"event: {event['type']}\ndata: ".encode() + dumps(event) + b"\n\n")
    except (ConnectionResetError, aiohttp.ClientConnectionResetError):
        pass
    finally:
        world.subscribers.discard(queue)
    return resp


CONTROL_ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/control/bots", c_create_bot), ("GET", "/control/bots", c_list_bots),
    ("POST", "/control/users", c_create_user), ("GET", "/control/users", c_list_users),
    ("POST", "/control/groups", c_create_group), ("GET", "/control/groups/{chat_id}", c_get_group),
    ("POST", "/control/groups/{chat_id}/members", c_set_member),
    ("POST", "/control/topics", c_create_topic), ("POST", "/control/send", c_send),
    ("POST", "/control/edit", c_edit), ("POST", "/control/delete", c_delete),
    ("POST", "/control/press", c_press),
    ("GET", "/control/callback_answers/{query_id}", c_callback_answer),
    ("POST", "/control/block", c_block), ("GET", "/control/messages", c_messages),
    ("POST", "/control/messages", c_messages), ("POST", "/control/wait", c_wait),
    ("GET", "/control/commands", c_commands),
    ("GET", "/control/commands/effective", c_effective_commands),
    ("POST", "/control/faults", c_add_fault), ("GET", "/control/faults", c_list_faults),
    ("DELETE", "/control/faults", c_clear_faults), ("GET", "/control/log", c_log),
    ("POST", "/control/reset", c_reset), ("GET", "/control/limits", c_limits),
    ("POST", "/control/limits", c_limits), ("GET", "/control/clock", c_clock),
    ("POST", "/control/clock", c_clock), ("GET", "/control/state", c_state),
    ("GET", "/control/updates", c_updates), ("POST", "/control/updates", c_push_update),
    ("GET", "/control/events", c_events),
]  # fmt: skip
