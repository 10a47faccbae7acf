"""An unmodified python-telegram-bot Application against the sandbox."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tg_support.sandbox import Sandbox, SandboxClient

from .conftest import TOKEN

pytestmark = pytest.mark.e2e


@pytest.fixture
async def app(
    sbx: Sandbox, ctl: SandboxClient
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text is not None
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("like", callback_data="like")]])
        await update.effective_message.reply_html(
            f"<b>echo</b>: {update.effective_message.text}", reply_markup=markup
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"got {query.data}")
        await query.edit_message_text("liked")

    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(sbx.bot_api_url)
        .base_file_url(sbx.file_url)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def test_echo_and_button_round_trip(app: Any, ctl: SandboxClient) -> None:
    user = await ctl.create_user("Ana", language_code="es")
    sent = await ctl.send_text(user["id"], "hola")
    [reply] = await ctl.wait_for(user["id"], timeout=5)
    assert reply["text"] == "echo: hola" and reply["entities"][0]["type"] == "bold"
    assert reply["message_id"] == sent["message_id"] + 1
    qid = await ctl.press(user["id"], user["id"], reply["message_id"], "like")
    answer = await ctl.callback_answer(qid, wait=5)
    assert answer["answered"] and answer["answer"]["text"] == "got like"
    [edited] = await ctl.wait_for(user["id"], since_seq=reply["seq"], timeout=5)
    assert edited["text"] == "liked" and "reply_markup" not in edited


async def test_ptb_bot_calls_and_errors(app: Any, ctl: SandboxClient) -> None:
    bot = app.bot
    user = await ctl.create_user("Bob")
    group = await ctl.create_group("G", members=[{"user_id": user["id"], "status": "creator"}],
                                   bots=[{"token": TOKEN, "status": "administrator"}])  # fmt: skip
    me = await bot.get_me()
    assert me.username == "sandbox_test_bot" and me.can_join_groups
    topic = await bot.create_forum_topic(group["id"], "Topic")
    msg = await bot.send_message(group["id"], "in topic", message_thread_id=topic.message_thread_id)
    assert msg.message_thread_id == topic.message_thread_id and msg.is_topic_message
    edited = await bot.edit_message_text("changed", group["id"], msg.message_id)
    assert not isinstance(edited, bool) and edited.text == "changed"
    chat = await bot.get_chat(group["id"])
    assert chat.is_forum and chat.title == "G"
    member = await bot.get_chat_member(group["id"], user["id"])
    assert member.status == "creator"
    await bot.set_my_commands(
        [BotCommand("help", "Ayuda")], scope=BotCommandScopeAllGroupChats(), language_code="es"
    )
    assert (await ctl.commands("all_group_chats", "es"))[0]["command"] == "help"
    photo = await bot.send_photo(user["id"], photo=b"\x89PNG fake", caption="pic")
    file = await bot.get_file(photo.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == b"\x89PNG fake"

    await ctl.inject_fault("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(user["id"], "x")
    assert retry.value.retry_after in (3, dt.timedelta(seconds=3))
    await ctl.inject_fault("sendMessage", 400, migrate_to_chat_id=-100123)
    with pytest.raises(ChatMigrated):
        await bot.send_message(user["id"], "x")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(user["id"], " ")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(987654, "x")
    await ctl.block(user["id"])
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(user["id"], "x")


async def test_app_sees_my_chat_member_and_stops_fast(app: Any, ctl: SandboxClient) -> None:
    seen: list[str] = []

    async def track(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.my_chat_member is not None
        seen.append(update.my_chat_member.new_chat_member.status)

    from telegram.ext import ChatMemberHandler

    app.add_handler(ChatMemberHandler(track, ChatMemberHandler.MY_CHAT_MEMBER))
    user = await ctl.create_user("Cid")
    await ctl.create_group("G2", members=[{"user_id": user["id"], "status": "creator"}],
                           bots=[{"token": TOKEN, "status": "member"}])  # fmt: skip
    await ctl.block(user["id"])
    for _ in range(100):
        if len(seen) >= 2:
            break
        await asyncio.sleep(0.02)
    assert seen == ["member", "kicked"]
    loop = asyncio.get_running_loop()
    t = loop.time()
    await app.updater.stop()
    assert loop.time() - t < 2.5
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
