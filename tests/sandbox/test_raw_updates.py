"""``POST /control/updates``: an update of any shape reaches the bot as given, numbered in
sequence with the emulator's own updates (for robustness tests of a bot)."""

from __future__ import annotations

import pytest

from tg_support.sandbox import SandboxClient
from tg_support.sandbox.client import SandboxError

from .conftest import BotApi


async def test_a_raw_update_is_delivered_as_given_between_real_ones(
    api: BotApi, ctl: SandboxClient
) -> None:
    user = await ctl.create_user(first_name="Raw")
    await ctl.send_text(user["id"], "before")
    odd = {"message_reaction_count": {"chat": {"id": 1}}, "update_id": 999_999, "x": [1, None]}
    pushed = await ctl.push_update(odd)
    await ctl.send_text(user["id"], "after")
    ups = await api.ok("getUpdates")
    ids = [u["update_id"] for u in ups]
    assert ids == sorted(ids) and len(ids) == 3 and ids[1] == pushed != 999_999
    assert {k: v for k, v in ups[1].items() if k != "update_id"} == {
        "message_reaction_count": {"chat": {"id": 1}}, "x": [1, None],
    }  # fmt: skip
    assert ups[0]["message"]["text"] == "before" and ups[2]["message"]["text"] == "after"


async def test_a_raw_update_must_be_an_object(ctl: SandboxClient) -> None:
    with pytest.raises(SandboxError) as err:
        await ctl._call("POST", "updates", {"update": [1, 2]})
    assert err.value.status == 400
