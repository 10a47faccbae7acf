"""Bot API contract over real HTTP: shapes, statuses and Telegram's error texts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import ChatFullInfo, Message, User

from tg_support.sandbox import Sandbox, SandboxClient
from tg_support.sandbox.client import SandboxError

from .conftest import BOT_ID, TOKEN, BotApi

U = dict[str, Any]


async def test_get_me_is_complete_and_parses(api: BotApi) -> None:
    me = await api.ok("getMe")
    for key in ("id", "is_bot", "first_name", "username", "can_join_groups",
                "can_read_all_group_messages", "supports_inline_queries",
                "can_connect_to_business", "has_main_web_app"):  # fmt: skip
        assert key in me, key
    assert me["id"] == BOT_ID and me["is_bot"] is True and me["username"] == "sandbox_test_bot"
    assert User.de_json(me, None).id == BOT_ID


async def test_unknown_method_and_bad_token(sbx: Sandbox, api: BotApi) -> None:
    assert await api.err("noSuchMethod", 404) == "Not Found"
    async with httpx.AsyncClient(base_url=sbx.url) as http:
        r = await http.post("/botnot-a-token/getMe")
        assert r.status_code == 401 and r.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
        other = "555001:a-different-secret-here"
        assert (await http.post(f"/bot{other}/getMe")).status_code == 401


async def test_method_names_are_case_insensitive_and_params_from_anywhere(
    sbx: Sandbox, api: BotApi, user: U
) -> None:
    assert (await api.ok("GETME"))["id"] == BOT_ID
    async with httpx.AsyncClient(base_url=sbx.url) as http:
        # form fields with JSON-encoded non-strings, as PTB sends them
        markup = json.dumps({"inline_keyboard": [[{"text": "a", "callback_data": "1"}]]})
        r = await http.post(f"/bot{TOKEN}/sendMessage",
                            data={"chat_id": str(user["id"]), "text": "123", "reply_markup": markup})  # fmt: skip
        body = r.json()
        assert body["ok"] and body["result"]["text"] == "123"
        assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "1"
        r = await http.get(f"/bot{TOKEN}/sendMessage", params={"chat_id": user["id"], "text": "q"})
        assert r.json()["result"]["text"] == "q"


async def test_send_message_dates_in_seconds_and_errors(api: BotApi, user: U) -> None:
    msg = await api.ok("sendMessage", chat_id=user["id"], text="hi")
    assert isinstance(msg["date"], int) and 1_600_000_000 < msg["date"] < 4_000_000_000
    assert Message.de_json(msg, None).text == "hi"
    assert (
        await api.err("sendMessage", 400, chat_id=user["id"], text="")
        == "Bad Request: message text is empty"
    )
    assert (
        await api.err("sendMessage", 400, chat_id=user["id"], text="x" * 4097)
        == "Bad Request: message is too long"
    )
    await api.ok("sendMessage", chat_id=user["id"], text="x" * 4096)
    assert (
        await api.err("sendMessage", 400, chat_id=424242, text="x") == "Bad Request: chat not found"
    )
    desc = await api.err(
        "sendPhoto", 400, chat_id=user["id"], photo="https://x/y.jpg", caption="c" * 1025
    )
    assert desc == "Bad Request: message caption is too long"


async def test_inline_keyboard_validation(api: BotApi, user: U) -> None:
    def kb(**button: Any) -> dict[str, Any]:
        return {"inline_keyboard": [[{"text": "t", **button}]]}

    long_data = "é" * 33  # 66 bytes in UTF-8, 33 characters
    desc = await api.err(
        "sendMessage", 400, chat_id=user["id"], text="x", reply_markup=kb(callback_data=long_data)
    )
    assert desc == "Bad Request: BUTTON_DATA_INVALID"
    await api.ok(
        "sendMessage", chat_id=user["id"], text="x", reply_markup=kb(callback_data="a" * 64)
    )
    bad_text = {"inline_keyboard": [[{"text": "", "callback_data": "x"}]]}
    assert "BUTTON_TEXT_EMPTY" in await api.err(
        "sendMessage", 400, chat_id=user["id"], text="x", reply_markup=bad_text
    )
    assert "Text buttons are unallowed" in await api.err(
        "sendMessage", 400, chat_id=user["id"], text="x", reply_markup=kb()
    )


async def test_html_and_markdown_entities(api: BotApi, user: U) -> None:
    msg = await api.ok("sendMessage", chat_id=user["id"], parse_mode="HTML",
                       text='<b>bold</b> <i>it</i> <a href="https://e.org">link</a> <pre><code class="language-py">x</code></pre> &lt;3')  # fmt: skip
    assert msg["text"] == "bold it link x <3"
    types = [(e["type"], e["offset"], e["length"]) for e in msg["entities"]]
    assert types == [("bold", 0, 4), ("italic", 5, 2), ("text_link", 8, 4), ("pre", 13, 1)]
    assert msg["entities"][3]["language"] == "py"
    desc = await api.err("sendMessage", 400, chat_id=user["id"], parse_mode="HTML", text="<b>x")
    assert desc.startswith("Bad Request: can't parse entities")
    assert "Unsupported start tag" in await api.err(
        "sendMessage", 400, chat_id=user["id"], parse_mode="HTML", text="<div>x</div>"
    )
    msg = await api.ok(
        "sendMessage",
        chat_id=user["id"],
        parse_mode="MarkdownV2",
        text="*b* _i_ \\. [l](https://e.org)",
    )
    assert msg["text"] == "b i . l"
    assert [e["type"] for e in msg["entities"]] == ["bold", "italic", "text_link"]
    desc = await api.err(
        "sendMessage", 400, chat_id=user["id"], parse_mode="MarkdownV2", text="end."
    )
    assert "Character '.' is reserved" in desc
    # emoji take two UTF-16 code units
    msg = await api.ok("sendMessage", chat_id=user["id"], parse_mode="HTML", text="😀 <b>x</b>")
    assert msg["entities"] == [{"type": "bold", "offset": 3, "length": 1}]
    ents = [{"type": "italic", "offset": 0, "length": 2}]
    msg = await api.ok("sendMessage", chat_id=user["id"], text="<b>", entities=ents)
    assert msg["text"] == "<b>" and msg["entities"] == ents


async def test_user_commands_get_entities(ctl: SandboxClient, user: U) -> None:
    m = await ctl.send_command(user["id"], "/start@sandbox_test_bot go #tag @someone https://e.org")
    types = {e["type"]: (e["offset"], e["length"]) for e in m["entities"]}
    assert types["bot_command"] == (0, len("/start@sandbox_test_bot"))
    assert {"hashtag", "mention", "url"} <= set(types)


async def test_get_updates_offset_limit_timeout(
    sbx: Sandbox, api: BotApi, ctl: SandboxClient, user: U
) -> None:
    for i in range(5):
        await ctl.send_text(user["id"], f"m{i}")
    ups = await api.ok("getUpdates", limit=2)
    assert [u["message"]["text"] for u in ups] == ["m0", "m1"]
    first = ups[0]["update_id"]
    ups = await api.ok("getUpdates", offset=first + 2)
    assert [u["message"]["text"] for u in ups] == ["m2", "m3", "m4"]
    ids = [u["update_id"] for u in ups]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert await api.ok("getUpdates", offset=ids[-1] + 1, timeout=0) == []
    # long poll wakes on a new update
    poll = asyncio.create_task(api.ok("getUpdates", offset=ids[-1] + 1, timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await ctl.send_text(user["id"], "late")
    ups = await asyncio.wait_for(poll, 2)
    assert [u["message"]["text"] for u in ups] == ["late"] and ups[0]["update_id"] > ids[-1]
    # timeout expires with an empty list
    t = asyncio.get_running_loop().time()
    assert await api.ok("getUpdates", offset=ups[0]["update_id"] + 1, timeout=0.3) == []
    assert asyncio.get_running_loop().time() - t >= 0.25


async def test_allowed_updates_are_remembered(api: BotApi, ctl: SandboxClient, user: U) -> None:
    await api.ok("getUpdates", allowed_updates=["callback_query"])
    await ctl.send_text(user["id"], "ignored")
    assert await api.ok("getUpdates") == []
    await api.ok("getUpdates", allowed_updates=[])  # back to the default set
    await ctl.send_text(user["id"], "seen")
    assert [u["message"]["text"] for u in await api.ok("getUpdates")] == ["seen"]


async def test_concurrent_get_updates_conflict(api: BotApi) -> None:
    first = asyncio.create_task(api("getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(api("getUpdates", timeout=0.2))
    status, body = await asyncio.wait_for(first, 2)
    assert status == 409 and body["error_code"] == 409
    assert body["description"] == ("Conflict: terminated by other getUpdates request; "
                                   "make sure that only one bot instance is running")  # fmt: skip
    assert (await second)[0] == 200


async def test_blocked_user_forbidden_and_my_chat_member(
    api: BotApi, ctl: SandboxClient, user: U
) -> None:
    await api.ok("sendMessage", chat_id=user["id"], text="before")
    await ctl.block(user["id"])
    assert (
        await api.err("sendMessage", 403, chat_id=user["id"], text="x")
        == "Forbidden: bot was blocked by the user"
    )
    ups = await api.ok("getUpdates")
    change = ups[-1]["my_chat_member"]
    assert (
        change["new_chat_member"]["status"] == "kicked"
        and change["old_chat_member"]["status"] == "member"
    )
    assert change["from"]["id"] == user["id"] and change["chat"]["id"] == user["id"]
    await ctl.block(user["id"], blocked=False)
    ups = await api.ok("getUpdates", offset=ups[-1]["update_id"] + 1)
    assert ups[-1]["my_chat_member"]["new_chat_member"]["status"] == "member"
    await api.ok("sendMessage", chat_id=user["id"], text="after")


async def test_forum_topics(api: BotApi, ctl: SandboxClient, forum: U, user: U) -> None:
    cid = forum["id"]
    assert str(cid).startswith("-100")
    topic = await api.ok("createForumTopic", chat_id=cid, name="Help", icon_color=7322096)
    tid = topic["message_thread_id"]
    assert topic["name"] == "Help" and topic["icon_color"] == 7322096
    service = (await ctl.messages(cid))[-1]
    assert service["message_id"] == tid and service["forum_topic_created"]["name"] == "Help"
    msg = await api.ok("sendMessage", chat_id=cid, message_thread_id=tid, text="in topic")
    assert msg["message_thread_id"] == tid and msg["is_topic_message"] is True
    assert msg["reply_to_message"]["message_id"] == tid
    assert (
        await api.err("sendMessage", 400, chat_id=cid, message_thread_id=99999, text="x")
        == "Bad Request: message thread not found"
    )
    await api.ok("editForumTopic", chat_id=cid, message_thread_id=tid, name="Help 2")
    assert "TOPIC_NOT_MODIFIED" in await api.err(
        "editForumTopic", 400, chat_id=cid, message_thread_id=tid, name="Help 2"
    )
    await api.ok("closeForumTopic", chat_id=cid, message_thread_id=tid)
    bob = await ctl.create_user("Bob")
    await ctl.add_member(cid, bob["id"])
    with pytest.raises(SandboxError) as info:
        await ctl.send_text(bob["id"], "closed?", cid, message_thread_id=tid)
    assert "TOPIC_CLOSED" in str(info.value)
    await api.ok("reopenForumTopic", chat_id=cid, message_thread_id=tid)
    # a user's message in the topic reaches the bot with thread fields
    last = (await api.ok("getUpdates"))[-1]["update_id"]
    await ctl.send_text(user["id"], "question", cid, message_thread_id=tid)
    up = (await api.ok("getUpdates", offset=last + 1))[-1]["message"]
    assert (
        up["message_thread_id"] == tid
        and up["is_topic_message"]
        and up["reply_to_message"]["message_id"] == tid
    )
    await api.ok("deleteForumTopic", chat_id=cid, message_thread_id=tid)
    assert "TOPIC_ID_INVALID" in await api.err(
        "closeForumTopic", 400, chat_id=cid, message_thread_id=tid
    )


async def test_topic_rights_and_non_forum(api: BotApi, ctl: SandboxClient, user: U) -> None:
    plain = await ctl.create_group("Plain", is_forum=False, members=[{"user_id": user["id"], "status": "creator"}],
                                   bots=[{"token": TOKEN, "status": "administrator"}])  # fmt: skip
    assert (
        await api.err("createForumTopic", 400, chat_id=plain["id"], name="x")
        == "Bad Request: the chat is not a forum"
    )
    weak = await ctl.create_group("Weak", members=[{"user_id": user["id"], "status": "creator"}],
                                  bots=[{"token": TOKEN, "status": "administrator", "can_manage_topics": False}])  # fmt: skip
    assert (
        await api.err("createForumTopic", 400, chat_id=weak["id"], name="x")
        == "Bad Request: not enough rights to create a topic"
    )
    member = await ctl.create_group(
        "Member", members=[], bots=[{"token": TOKEN, "status": "member"}]
    )
    assert "not enough rights" in await api.err(
        "createForumTopic", 400, chat_id=member["id"], name="x"
    )


async def test_group_membership_chat_info_and_my_chat_member(
    api: BotApi, ctl: SandboxClient, forum: U, user: U
) -> None:
    ups = await api.ok("getUpdates")
    assert any(
        u.get("my_chat_member", {}).get("new_chat_member", {}).get("status") == "administrator"
        for u in ups
    )
    info = await api.ok("getChat", chat_id=forum["id"])
    full = ChatFullInfo.de_json(info, None)
    assert full.is_forum and full.title == "Forum" and full.type == "supergroup"
    member = await api.ok("getChatMember", chat_id=forum["id"], user_id=user["id"])
    assert member["status"] == "creator"
    admins = await api.ok("getChatAdministrators", chat_id=forum["id"])
    assert {a["user"]["id"] for a in admins} == {user["id"], BOT_ID}
    assert await api.ok("getChatMemberCount", chat_id=forum["id"]) == 2
    assert (await api.ok("getChat", chat_id=user["id"]))["type"] == "private"


async def test_edit_copy_forward_delete(api: BotApi, ctl: SandboxClient, user: U) -> None:
    kb = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    msg = await api.ok("sendMessage", chat_id=user["id"], text="one", reply_markup=kb)
    edited = await api.ok(
        "editMessageText",
        chat_id=user["id"],
        message_id=msg["message_id"],
        text="two",
        reply_markup=kb,
    )
    assert (
        edited["text"] == "two"
        and edited["message_id"] == msg["message_id"]
        and "edit_date" in edited
    )
    desc = await api.err(
        "editMessageText",
        400,
        chat_id=user["id"],
        message_id=msg["message_id"],
        text="two",
        reply_markup=kb,
    )
    assert desc.startswith(
        "Bad Request: message is not modified: specified new message content and reply markup"
    )
    assert await api.ok("editMessageText", inline_message_id="abc", text="x") is True
    assert (
        await api.err("editMessageText", 400, chat_id=user["id"], message_id=999, text="x")
        == "Bad Request: message to edit not found"
    )
    no_kb = await api.ok("editMessageReplyMarkup", chat_id=user["id"], message_id=msg["message_id"])
    assert "reply_markup" not in no_kb
    copy = await api.ok(
        "copyMessage", chat_id=user["id"], from_chat_id=user["id"], message_id=msg["message_id"]
    )
    assert set(copy) == {"message_id"}
    fwd = await api.ok(
        "forwardMessage", chat_id=user["id"], from_chat_id=user["id"], message_id=msg["message_id"]
    )
    assert fwd["forward_origin"]["type"] == "user" and fwd["text"] == "two"
    assert await api.ok("deleteMessage", chat_id=user["id"], message_id=msg["message_id"]) is True
    assert (
        await api.err("deleteMessage", 400, chat_id=user["id"], message_id=msg["message_id"])
        == "Bad Request: message to delete not found"
    )
    texts = [m["text"] for m in await ctl.messages(user["id"], from_bot=True)]
    assert texts == ["two", "two"]
    # replies
    reply = await api.ok(
        "sendMessage",
        chat_id=user["id"],
        text="r",
        reply_parameters={"message_id": copy["message_id"]},
    )
    assert reply["reply_to_message"]["message_id"] == copy["message_id"]
    assert "replied not found" in await api.err(
        "sendMessage", 400, chat_id=user["id"], text="r", reply_to_message_id=777
    )


async def test_photo_upload_get_file_download(
    sbx: Sandbox, api: BotApi, ctl: SandboxClient, user: U
) -> None:
    async with httpx.AsyncClient(base_url=sbx.url) as http:
        r = await http.post(f"/bot{TOKEN}/sendPhoto", data={"chat_id": str(user["id"]), "caption": "pic"},
                            files={"photo": ("p.jpg", b"JPEGDATA", "image/jpeg")})  # fmt: skip
        msg = r.json()["result"]
        assert isinstance(msg["photo"], list) and len(msg["photo"]) == 3 and msg["caption"] == "pic"
        big = msg["photo"][-1]
        f = await api.ok("getFile", file_id=big["file_id"])
        data = await http.get(f"/file/bot{TOKEN}/{f['file_path']}")
        assert data.content == b"JPEGDATA"
        again = await api.ok("sendPhoto", chat_id=user["id"], photo=big["file_id"])
        assert again["photo"][-1]["file_id"] == big["file_id"]
        doc = await api.ok("sendDocument", chat_id=user["id"], document="https://example.org/a.pdf")
        assert doc["document"]["file_name"] == "a.pdf" and doc["document"]["file_unique_id"]
        assert "wrong file identifier" in await api.err(
            "sendDocument", 400, chat_id=user["id"], document="nope"
        )
    sent = await ctl.send_document(user["id"], file_name="notes.txt", content="hello")
    f = await api.ok("getFile", file_id=sent["document"]["file_id"])
    assert f["file_size"] == 5


async def test_document_upload_with_name_and_caption_is_downloadable(
    sbx: Sandbox, api: BotApi, user: U
) -> None:
    """sendDocument with a multipart upload (what /export sends): Telegram keeps the file
    name, guesses nothing from it, shows the caption, and getFile serves the same bytes."""
    body = '{"schema": "x", "text": "¿Cómo?"}'.encode()
    async with httpx.AsyncClient(base_url=sbx.url) as http:
        r = await http.post(
            f"/bot{TOKEN}/sendDocument",
            data={"chat_id": str(user["id"]), "caption": "Tus datos"},
            files={"document": ("my-data.json", body, "application/json")},
        )
        msg = r.json()["result"]
        assert msg["caption"] == "Tus datos" and msg["chat"]["id"] == user["id"]
        doc = msg["document"]
        assert doc["file_name"] == "my-data.json" and doc["mime_type"] == "application/json"
        assert doc["file_size"] == len(body)
        f = await api.ok("getFile", file_id=doc["file_id"])
        assert f["file_path"].endswith(".json")
        assert (await http.get(f"/file/bot{TOKEN}/{f['file_path']}")).content == body
        # A caption over Telegram's 1024 characters is refused.
        r = await http.post(
            f"/bot{TOKEN}/sendDocument",
            data={"chat_id": str(user["id"]), "caption": "x" * 1025},
            files={"document": ("a.json", body, "application/json")},
        )
        assert r.status_code == 400


async def test_commands_per_scope_and_language(
    api: BotApi, ctl: SandboxClient, forum: U, user: U
) -> None:
    await api.ok("setMyCommands", commands=[{"command": "start", "description": "Start"}])
    await api.ok(
        "setMyCommands",
        commands=[{"command": "start", "description": "Empezar"}],
        language_code="es",
    )
    await api.ok("setMyCommands", commands=[{"command": "admin", "description": "Admin"}],
                 scope={"type": "chat_administrators", "chat_id": forum["id"]})  # fmt: skip
    assert (await api.ok("getMyCommands"))[0]["description"] == "Start"
    assert (await api.ok("getMyCommands", language_code="es"))[0]["description"] == "Empezar"
    assert await api.ok("getMyCommands", scope={"type": "all_private_chats"}) == []
    assert (await ctl.commands("default", "es"))[0]["description"] == "Empezar"
    assert (await ctl.commands("chat_administrators", chat_id=forum["id"]))[0]["command"] == "admin"
    assert (await ctl.effective_commands(user["id"], forum["id"]))[0]["command"] == "admin"
    assert (await ctl.effective_commands(user["id"]))[0]["description"] == "Empezar"
    assert "BOT_COMMAND_INVALID" in await api.err(
        "setMyCommands", 400, commands=[{"command": "Bad Cmd", "description": "x"}]
    )
    await api.ok("deleteMyCommands", language_code="es")
    assert await ctl.commands("default", "es") == []


async def test_faults_injection(api: BotApi, ctl: SandboxClient, user: U) -> None:
    await ctl.inject_fault("sendMessage", 429, retry_after=7)
    status, body = await api("sendMessage", chat_id=user["id"], text="x")
    assert status == 429 and body["parameters"] == {"retry_after": 7}
    assert body["description"] == "Too Many Requests: retry after 7"
    await api.ok("sendMessage", chat_id=user["id"], text="x")  # count=1 consumed
    await ctl.inject_fault("sendMessage", 400, "Bad Request: custom", chat_id=user["id"], count=2)
    assert await api.err("sendMessage", 400, chat_id=user["id"], text="x") == "Bad Request: custom"
    await ctl.clear_faults()
    await api.ok("sendMessage", chat_id=user["id"], text="x")
    await ctl.inject_fault("sendMessage", 400, migrate_to_chat_id=-100999)
    _, body = await api("sendMessage", chat_id=user["id"], text="x")
    assert body["parameters"]["migrate_to_chat_id"] == -100999


async def test_flood_limits(
    api: BotApi, ctl: SandboxClient, user: U, forum: U, sbx: Sandbox
) -> None:
    await ctl.set_limits(enabled=True, scale=1.0, private_burst=3)
    for _ in range(3):
        await api.ok("sendMessage", chat_id=user["id"], text="x")
    status, body = await api("sendMessage", chat_id=user["id"], text="x")
    assert (
        status == 429
        and body["parameters"]["retry_after"] == 1
        and isinstance(body["parameters"]["retry_after"], int)
    )
    await api.ok("getChat", chat_id=user["id"])  # not limited
    await ctl.advance_clock(1.0)  # the manual clock refills the bucket
    await api.ok("sendMessage", chat_id=user["id"], text="x")
    # groups: burst then 20/minute → retry after 3 s
    for _ in range(10):
        await api.ok("sendMessage", chat_id=forum["id"], text="g")
    status, body = await api("sendMessage", chat_id=forum["id"], text="g")
    assert status == 429 and body["parameters"]["retry_after"] == 3
    # scaled limits give fractional retry_after
    await ctl.set_limits(scale=100.0)
    await ctl.advance_clock(0.5)
    for _ in range(10):
        await api("sendMessage", chat_id=forum["id"], text="g")
    status, body = await api("sendMessage", chat_id=forum["id"], text="g")
    assert status == 429 and 0 < body["parameters"]["retry_after"] < 1


async def test_webhook_delivery_with_secret(api: BotApi, ctl: SandboxClient, user: U) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    fail = {"n": 1}

    async def hook(request: web.Request) -> web.Response:
        if fail["n"] > 0:
            fail["n"] -= 1
            return web.Response(status=500)
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await api.ok("setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t")
        assert "webhook is active" in await api.err("getUpdates", 409)
        await ctl.send_text(user["id"], "via hook")
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
        assert (
            received
            and received[0][0] == "s3cr3t"
            and received[0][1]["message"]["text"] == "via hook"
        )
        info = await api.ok("getWebhookInfo")
        assert info["pending_update_count"] == 0 and "500" in info["last_error_message"]
        await api.ok("deleteWebhook", drop_pending_updates=True)
        assert (await api.ok("getWebhookInfo"))["url"] == ""
    finally:
        await runner.cleanup()


async def test_callback_press_and_answer(api: BotApi, ctl: SandboxClient, user: U) -> None:
    kb = {"inline_keyboard": [[{"text": "yes", "callback_data": "v:yes"}]]}
    msg = await api.ok("sendMessage", chat_id=user["id"], text="?", reply_markup=kb)
    with pytest.raises(SandboxError) as info:
        await ctl.press(user["id"], user["id"], msg["message_id"], "v:forged")
    assert info.value.status == 400
    qid = await ctl.press(user["id"], user["id"], msg["message_id"], "v:yes")
    forged = await ctl.press(user["id"], user["id"], msg["message_id"], "v:forged", force=True)
    ups = await api.ok("getUpdates")
    queries = [u["callback_query"] for u in ups if "callback_query" in u]
    assert [q["data"] for q in queries] == ["v:yes", "v:forged"] and queries[0]["id"] == qid
    assert queries[0]["message"]["message_id"] == msg["message_id"] and queries[0]["chat_instance"]
    assert not (await ctl.callback_answer(qid))["answered"]
    await api.ok("answerCallbackQuery", callback_query_id=qid, text="thanks")
    answer = await ctl.callback_answer(qid)
    assert answer["answered"] and answer["answer"]["text"] == "thanks"
    assert "query is too old" in await api.err("answerCallbackQuery", 400, callback_query_id=qid)
    await ctl.advance_clock(901)
    assert "query is too old" in await api.err("answerCallbackQuery", 400, callback_query_id=forged)


async def test_user_edit_and_wait(api: BotApi, ctl: SandboxClient, user: U) -> None:
    m = await ctl.send_text(user["id"], "typo")
    await ctl.edit(user["id"], user["id"], m["message_id"], "fixed")
    ups = await api.ok("getUpdates")
    assert ups[-1]["edited_message"]["text"] == "fixed" and "edit_date" in ups[-1]["edited_message"]
    sent = await api.ok("sendMessage", chat_id=user["id"], text="answer")
    got = await ctl.wait_for(user["id"], text_contains="answer", timeout=1)
    assert got[0]["message_id"] == sent["message_id"]
    seq = got[0]["seq"]
    waiter = asyncio.create_task(ctl.wait_for(user["id"], since_seq=seq, timeout=3))
    await asyncio.sleep(0.05)
    await api.ok(
        "editMessageText", chat_id=user["id"], message_id=sent["message_id"], text="answer 2"
    )
    assert (await waiter)[0]["text"] == "answer 2"
    with pytest.raises(SandboxError) as info:
        await ctl.wait_for(user["id"], count=5, timeout=0.2)
    assert info.value.status == 408 and len(info.value.body["found"]) == 1


async def test_log_state_reset_clock_events(
    sbx: Sandbox, api: BotApi, ctl: SandboxClient, user: U
) -> None:
    events: list[str] = []

    async def listen() -> None:
        async with (
            httpx.AsyncClient(base_url=sbx.url, timeout=5) as http,
            http.stream("GET", "/control/events") as resp,
        ):
            async for line in resp.aiter_lines():
                if line.startswith("event: "):
                    events.append(line[7:])
                    if "message_created" in events:
                        return

    task = asyncio.create_task(listen())
    await asyncio.sleep(0.1)
    before = await api.ok("sendMessage", chat_id=user["id"], text="x")
    await asyncio.wait_for(task, 3)
    await api.err("sendMessage", 400, chat_id=user["id"], text="")
    log = await ctl.log(method="sendmessage")
    assert [e["status"] for e in log] == [200, 400] and log[1][
        "description"
    ] == "Bad Request: message text is empty"
    assert log[0]["params"]["text"] == "x"
    state = await ctl.state()
    assert state["users"][0]["id"] == user["id"] and state["bots"][0]["id"] == BOT_ID
    await ctl.advance_clock(3600)
    after = await api.ok("sendMessage", chat_id=user["id"], text="y")
    assert after["date"] - before["date"] >= 3600
    await ctl.reset()
    state = await ctl.state()
    assert (
        state["users"] == []
        and state["chats"] == []
        and [b["id"] for b in state["bots"]] == [BOT_ID]
    )


async def test_user_shares_a_location(api: BotApi, ctl: SandboxClient, user: U) -> None:
    """📎 → Location: a message with ``location`` (latitude, longitude), no text."""
    sent = await ctl.send_location(user["id"], 37.3891, -5.9845)
    assert sent["location"] == {"latitude": 37.3891, "longitude": -5.9845} and "text" not in sent
    updates = await api.ok("getUpdates")
    msg = updates[-1]["message"]
    assert msg["location"] == {"latitude": 37.3891, "longitude": -5.9845}
    assert msg["chat"]["type"] == "private" and msg["from"]["id"] == user["id"]
    with pytest.raises(SandboxError) as bad_range:
        await ctl.send(user["id"], location={"latitude": 91, "longitude": 0})
    assert bad_range.value.status == 400
    with pytest.raises(SandboxError):
        await ctl.send(user["id"], location={"latitude": "north"})
