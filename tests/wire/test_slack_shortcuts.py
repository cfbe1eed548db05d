"""The message shortcut "Ask natobot": a private answer about any message, and "Reply in thread" to share it
there. HTTP and Socket Mode against the fake Web API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import slack_signing as sig
from fakeslack import FakeSlack, envelope
from slack_harness import App, buttons, header, posted, running


async def send(app: App, mode: str, payload: dict[str, Any]) -> dict[str, Any]:
    if mode == "socket":
        return await app.fake.wait_ack(await app.fake.socket_send(envelope("interactive", payload)))
    status, body = await app.interactive(payload)
    assert status == 200 and body == ""
    return {}


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_ask_natobot_about_a_message_then_reply_in_its_thread(fake: FakeSlack, tmp_path: Path,
                                                                    mode: str) -> None:
    async with running(fake, tmp_path, mode=mode) as app:
        message = sig.message_event("who heads the IMS?", user="U1")
        shortcut = sig.message_shortcut("natobot_ask_message", message, user="U2",
                                        response_url=fake.response_url("shortcut"))
        ack = await send(app, mode, shortcut)
        assert not ack.get("payload")
        [private] = await fake.wait_for("response_url")
        reply = posted(private)
        assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
        assert "Director General" in header(reply)
        assert ":speech_balloon: who heads the IMS?" in header(reply)
        ids = [b["action_id"] for b in buttons(reply)]
        assert "natobot_share" not in ids and "natobot_reply_in_thread" in ids

        [thread_button] = [b for b in buttons(reply) if b["action_id"] == "natobot_reply_in_thread"]
        click = sig.block_actions("natobot_reply_in_thread", thread_button["value"], user="U2", ephemeral=True,
                                  response_url=fake.response_url("shortcut-click"))
        await send(app, mode, click)
        [public] = await fake.wait_for("chat.postMessage")
        assert public.params["channel"] == "C1" and public.params["thread_ts"] == message["ts"]
        assert "Director General" in header(posted(public))
        calls = await fake.wait_for("response_url", 2)
        assert calls[1].params == {"delete_original": True}

        # A follow-up mention in that thread has the context: "it" is the IMS.
        follow = sig.app_mention_event("how many people work in it?", thread_ts=message["ts"])
        body = sig.event_callback(follow)
        if mode == "socket":
            await fake.wait_ack(await fake.socket_send(envelope("events_api", body)))
        else:
            await app.post(sig.json_body(body), json_body=True)
        calls = await fake.wait_for("chat.postMessage", 2)
        assert "International Military Staff" in header(posted(calls[1]))
        await app.idle()
        assert len(fake.calls_to("chat.postMessage")) == 2 and len(fake.calls_to("response_url")) == 2


async def test_reply_in_thread_where_natobot_is_not_a_member(app: App, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", error="not_in_channel")
    value = json.dumps({"c": "C9", "t": "1700000000.000100", "q": "where is SHAPE?"})
    await app.action("natobot_reply_in_thread", value, ephemeral=True, token="click")
    [call] = await fake.wait_for("response_url")
    assert "invite me" in posted(call)["text"] and posted(call)["replace_original"] is False
    await app.idle()
    assert len(fake.calls_to("response_url")) == 1  # the private answer is kept


async def test_a_message_without_text(app: App, fake: FakeSlack) -> None:
    message = sig.message_event("")
    await app.interactive(sig.message_shortcut("natobot_ask_message", message, response_url=fake.response_url("s")))
    [call] = await fake.wait_for("response_url")
    assert "no text I can read" in posted(call)["text"]
    await app.idle()
    assert not fake.calls_to("chat.postMessage")
