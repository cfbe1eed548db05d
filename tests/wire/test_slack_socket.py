"""Socket Mode: the same app over the fake's local websocket (apps.connections.open, hello, envelopes, acks)."""

from __future__ import annotations

import json
from pathlib import Path

import slack_signing as sig
from fakeslack import FakeSlack, envelope
from slack_harness import APP_TOKEN, header, posted, running

# The fixtures (fake, app, no_proxies) live in tests/slack_fixtures.py.


async def test_socket_mode_end_to_end(fake: FakeSlack, tmp_path: Path) -> None:
    async with running(fake, tmp_path, mode="socket") as app:
        await fake.wait_socket(1)
        [opened] = fake.calls_to("apps.connections.open")
        assert opened.token == APP_TOKEN
        assert app.server.socket is not None

        # A mention: acked on the socket, answered in a thread.
        mention = sig.app_mention_event("who heads the IMS?")
        env_id = await fake.socket_send(envelope("events_api", sig.event_callback(mention, event_id="EvSOCK1")))
        await fake.wait_ack(env_id)
        [call] = await fake.wait_for("chat.postMessage")
        assert posted(call)["thread_ts"] == mention["ts"]
        assert "International Military Staff" in header(posted(call))

        # Slack redelivers the event (retry_attempt 1): it is not answered twice.
        again = envelope("events_api", sig.event_callback(mention, event_id="EvSOCK1"))
        again["retry_attempt"] = 1
        await fake.wait_ack(await fake.socket_send(again))

        # A follow-up in the thread keeps the context.
        follow = sig.app_mention_event("how many people work in it?", thread_ts=mention["ts"])
        await fake.socket_send(envelope("events_api", sig.event_callback(follow)))
        calls = await fake.wait_for("chat.postMessage", 2)
        assert "International Military Staff" in header(posted(calls[1]))

        # A DM.
        await fake.socket_send(envelope("events_api", sig.event_callback(sig.message_im_event("where is SHAPE?"))))
        calls = await fake.wait_for("chat.postMessage", 3)
        assert posted(calls[2])["channel"] == "D1"

        # /nato: acked on the socket, answered on the response_url.
        cmd = sig.slash_command("lookup SHAPE", response_url=fake.response_url("sock"))
        ack = await fake.wait_ack(await fake.socket_send(envelope("slash_commands", cmd)))
        assert not ack.get("payload")
        [resp] = await fake.wait_for("response_url")
        assert posted(resp)["response_type"] == "ephemeral"
        assert "Supreme Headquarters" in header(posted(resp))

        # A feedback button.
        value = json.dumps({"q": "who heads the IMS?", "e": "ims"})
        click = sig.block_actions("natobot_feedback_up", value, message_ts=calls[0].params.get("thread_ts"))
        await fake.wait_ack(await fake.socket_send(envelope("interactive", click)))
        await app.idle()
        assert await app.deps.store.feedback_counts() == {"up": 1, "down": 0}

        # App Home.
        await fake.socket_send(envelope("events_api", sig.event_callback(sig.app_home_opened_event(user="U8"))))
        [home] = await fake.wait_for("views.publish")
        assert home.params["user_id"] == "U8"

        await app.idle()
        assert len(fake.calls_to("chat.postMessage")) == 3
        # Health and metrics are served in Socket Mode too; /slack/events is not.
        async with app.http.get(app.server.url + "/healthz") as r:
            assert r.status == 200
        async with app.http.post(app.server.url + "/slack/events", data=b"{}") as r:
            assert r.status in (404, 405)
