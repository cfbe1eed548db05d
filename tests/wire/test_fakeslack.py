"""The fake Slack server speaks the protocol the real slack_sdk / slack_bolt clients expect, and signing matches."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import slack_signing
from fakeslack import BOT_USER_ID, FakeSlack, envelope
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_fixtures import TOKEN
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

APP_TOKEN = "xapp-1-A1-1-fake"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"

# The shared fixtures (slack_fixtures) give `fake`, `client` (sending TOKEN) and clear proxy variables:
# slack_sdk picks proxies up from the environment, and traffic to 127.0.0.1 must go direct.


# ---- Web API ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "kwargs", "expected"),
    [
        ("auth_test", {}, {"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "natobot"}),
        ("chat_postMessage", {"channel": "C1", "text": "hi"}, {"channel": "C1"}),
        ("chat_postEphemeral", {"channel": "C1", "user": "U1", "text": "hi"}, {}),
        ("chat_update", {"channel": "C1", "ts": "1.2", "text": "new"}, {"channel": "C1", "ts": "1.2"}),
        ("views_publish", {"user_id": "U1", "view": {"type": "home", "blocks": []}}, {}),
        ("conversations_info", {"channel": "D9"}, {}),
        ("users_info", {"user": "U7"}, {}),
        ("reactions_add", {"channel": "C1", "timestamp": "1.2", "name": "eyes"}, {}),
    ],
)
async def test_methods_answer_and_are_recorded(
    fake: FakeSlack, client: AsyncWebClient, method: str, kwargs: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = await getattr(client, method)(**kwargs)
    assert response["ok"] is True
    for key, value in expected.items():
        assert response[key] == value
    [call] = fake.calls
    assert call.method == method.replace("_", ".", 1)
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.token == TOKEN
    for key, value in kwargs.items():
        assert call.params[key] == value
    assert call.at == pytest.approx(time.time(), abs=5)


async def test_specific_replies(fake: FakeSlack, client: AsyncWebClient) -> None:
    info = await client.conversations_info(channel="D9")
    assert info["channel"]["is_im"] is True
    user = await client.users_info(user="U7")
    assert user["user"]["id"] == "U7" and user["user"]["tz"]
    view = await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert view["view"]["type"] == "home"


async def test_post_message_ts_increase_and_message_echoed(fake: FakeSlack, client: AsyncWebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = await client.chat_postMessage(channel="C1", text="a", blocks=blocks, thread_ts="1.1")
    second = await client.chat_postMessage(channel="C1", text="b")
    assert float(first["ts"]) == pytest.approx(time.time(), abs=5)
    assert float(second["ts"]) > float(first["ts"]) and len(second["ts"].split(".")[1]) == 6
    assert first["message"]["blocks"] == blocks and first["message"]["thread_ts"] == "1.1"
    assert [c.params["text"] for c in fake.calls_to("chat.postMessage")] == ["a", "b"]


async def test_form_bodies_are_parsed_like_json_ones(fake: FakeSlack, client: AsyncWebClient) -> None:
    blocks = [{"type": "divider"}]
    await client.api_call("chat.postMessage", data={"channel": "C1", "text": "x", "blocks": json.dumps(blocks)})
    [call] = fake.calls
    assert call.params == {"channel": "C1", "text": "x", "blocks": blocks}


async def test_missing_token_is_not_authed(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        await AsyncWebClient(base_url=fake.url).chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "not_authed"


async def test_respond_overrides_the_reply(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.respond("conversations.info", {"ok": True, "channel": {"id": "C1", "is_member": False}})
    info = await client.conversations_info(channel="C1")
    assert info["channel"]["is_member"] is False


async def test_wait_for(fake: FakeSlack, client: AsyncWebClient) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel="C1", text="one")
        await client.chat_postMessage(channel="C1", text="two")

    task = asyncio.create_task(later())
    calls = await fake.wait_for("chat.postMessage", count=2)
    await task
    assert [c.params["text"] for c in calls] == ["one", "two"]
    with pytest.raises(TimeoutError, match=r"chat\.update"):
        await fake.wait_for("chat.update", timeout=0.1)


# ---- injected failures -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "status", "error", "retry_after"),
    [
        ({"status": 429, "retry_after": 7}, 429, "ratelimited", "7"),
        ({"status": 429}, 429, "ratelimited", "1"),
        ({"status": 500}, 500, "fatal_error", None),
        ({"status": 503}, 503, "fatal_error", None),
        ({"error": "channel_not_found"}, 200, "channel_not_found", None),
        ({"error": "not_in_channel"}, 200, "not_in_channel", None),
    ],
)
async def test_fail_next(
    fake: FakeSlack,
    client: AsyncWebClient,
    failure: dict[str, Any],
    status: int,
    error: str,
    retry_after: str | None,
) -> None:
    fake.fail_next("chat.postMessage", **failure)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == status
    assert err.value.response["error"] == error
    assert err.value.response.headers.get("Retry-After") == retry_after
    # Only the next call fails; other methods are untouched.
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"] is True
    assert (await client.auth_test())["ok"] is True
    assert len(fake.calls_to("chat.postMessage")) == 2


async def test_fail_next_times_and_rate_limit_retry(fake: FakeSlack) -> None:
    retrying = AsyncWebClient(
        token=TOKEN, base_url=fake.url, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)]
    )
    fake.fail_next("chat.postMessage", status=429, retry_after=0, times=2)
    response = await retrying.chat_postMessage(channel="C1", text="x")
    assert response["ok"] is True
    assert len(fake.calls_to("chat.postMessage")) == 3


# ---- response_url ----------------------------------------------------------------------------------------------


async def test_response_url_posts_are_recorded(fake: FakeSlack) -> None:
    url = fake.response_url("tok123")
    response = await AsyncWebhookClient(url).send(text="hello", response_type="ephemeral", replace_original=True)
    assert response.status_code == 200
    [call] = await fake.wait_for("response_url")
    assert call.path == "/response/tok123"
    assert call.params == {"text": "hello", "response_type": "ephemeral", "replace_original": True}

    fake.fail_next("response_url", status=404)
    failed = await AsyncWebhookClient(url).send(text="again")
    assert failed.status_code == 404
    assert len(fake.calls_to("response_url")) == 2


# ---- Socket Mode -----------------------------------------------------------------------------------------------


async def test_connections_open_needs_an_app_token(fake: FakeSlack, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.apps_connections_open(app_token=TOKEN)
    assert err.value.response["error"] == "not_allowed_token_type"
    opened = await client.apps_connections_open(app_token=APP_TOKEN)
    assert opened["url"] == fake.socket_url and opened["url"].startswith("ws://127.0.0.1:")
    assert fake.calls_to("apps.connections.open")[-1].token == APP_TOKEN


@pytest.mark.parametrize(
    ("kind", "payload", "ack_payload", "accepts"),
    [
        ("events_api", slack_signing.event_callback(slack_signing.app_mention_event("hi")), None, False),
        ("slash_commands", slack_signing.slash_command("ping"), {"text": "pong"}, True),
        ("interactive", slack_signing.block_actions("natobot_ask_0", "q"), None, False),
    ],
)
async def test_socket_mode_client_round_trip(
    fake: FakeSlack, kind: Any, payload: dict[str, Any], ack_payload: dict[str, Any] | None, accepts: bool
) -> None:
    received: list[dict[str, Any]] = []
    requests: list[SocketModeRequest] = []

    async def on_message(_client: Any, message: dict[str, Any], _raw: str | None) -> None:
        received.append(message)

    async def on_request(sm: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        requests.append(req)
        await sm.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload=ack_payload))

    sm = SocketModeClient(app_token=APP_TOKEN, web_client=AsyncWebClient(base_url=fake.url))
    sm.message_listeners.append(on_message)
    sm.socket_mode_request_listeners.append(on_request)
    try:
        await sm.connect()  # type: ignore[no-untyped-call]
        env = envelope(kind, payload)
        assert env["accepts_response_payload"] is accepts
        envelope_id = await fake.socket_send(env)
        ack = await fake.wait_ack(envelope_id)
        assert received[0]["type"] == "hello"
        [req] = requests
        assert (req.type, req.envelope_id, req.payload) == (kind, envelope_id, payload)
        expected = (
            {"envelope_id": envelope_id}
            if ack_payload is None
            else {"envelope_id": envelope_id, "payload": ack_payload}
        )
        assert ack == expected
        # The client's first ping is answered with a pong carrying its data, which the SDK parses as a time.
        for _ in range(100):
            if sm.last_ping_pong_time is not None:
                break
            await asyncio.sleep(0.01)
        assert sm.last_ping_pong_time is not None
        assert await sm.is_connected()
        assert fake.calls_to("apps.connections.open")[0].token == APP_TOKEN
    finally:
        await sm.close()  # type: ignore[no-untyped-call]


async def test_socket_disconnect_makes_the_client_reconnect(fake: FakeSlack) -> None:
    sm = SocketModeClient(app_token=APP_TOKEN, web_client=AsyncWebClient(base_url=fake.url))
    try:
        await sm.connect()  # type: ignore[no-untyped-call]
        await fake.wait_socket()
        await fake.socket_disconnect()
        await fake.wait_for("apps.connections.open", count=2)
        for _ in range(200):
            if fake.connections_opened == 2 and fake.socket_connections == 1:
                break
            await asyncio.sleep(0.01)
        assert (fake.connections_opened, fake.socket_connections) == (2, 1)
    finally:
        await sm.close()  # type: ignore[no-untyped-call]


async def test_socket_send_without_client_times_out(fake: FakeSlack) -> None:
    with pytest.raises(TimeoutError):
        await fake.socket_send(envelope("events_api", {}), timeout=0.1)
    with pytest.raises(TimeoutError, match="no ack"):
        await fake.wait_ack("nope", timeout=0.1)


async def test_bolt_socket_mode_app(fake: FakeSlack) -> None:
    """The whole stack natobot uses: AsyncApp + AsyncSocketModeHandler against the fake."""
    app = AsyncApp(client=AsyncWebClient(token=TOKEN, base_url=fake.url))

    @app.command("/nato")
    async def command(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack(text=f"echo {command['text']}")
        await respond(text="later")

    @app.event("app_mention")
    async def mention(event: dict[str, Any], say: Any) -> None:
        await say(text="answer", thread_ts=event["ts"])

    handler = AsyncSocketModeHandler(app, APP_TOKEN)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        cmd = slack_signing.slash_command("what is SHAPE", response_url=fake.response_url("cmd1"))
        ack = await fake.wait_ack(await fake.socket_send(envelope("slash_commands", cmd)))
        assert ack["payload"]["text"] == "echo what is SHAPE"
        [later] = await fake.wait_for("response_url")
        assert later.params["text"] == "later"

        event = slack_signing.app_mention_event("hello", channel="C5")
        await fake.wait_ack(await fake.socket_send(envelope("events_api", slack_signing.event_callback(event))))
        [post] = await fake.wait_for("chat.postMessage")
        assert (post.params["channel"], post.params["text"], post.params["thread_ts"]) == ("C5", "answer", event["ts"])
        assert post.token == TOKEN
        assert fake.calls_to("auth.test"), "bolt verifies its token with auth.test"
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


# ---- signing ---------------------------------------------------------------------------------------------------


BODIES = [
    slack_signing.json_body(slack_signing.event_callback(slack_signing.message_im_event("hello"))),
    slack_signing.form_body(slack_signing.slash_command("where is SHAPE?")),
    slack_signing.interactive_body(slack_signing.block_actions("natobot_feedback_up", '{"q": "x", "e": null}')),
    b"",
]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize(
    ("age", "tamper", "valid"),
    [
        (0, False, True),
        (290, False, True),  # within Slack's five-minute window
        (-290, False, True),  # small clock skew the other way
        (301, False, False),  # replayed: older than five minutes
        (0, True, False),  # body changed after signing
    ],
)
def test_signature_verifier_accepts_only_fresh_untampered(body: bytes, age: int, tamper: bool, valid: bool) -> None:
    headers = slack_signing.sign(body, SECRET, int(time.time()) - age)
    sent = body + b"x" if tamper else body
    assert SignatureVerifier(SECRET).is_valid_request(sent, headers) is valid


def test_sign_defaults_to_now_and_wrong_secret_fails() -> None:
    headers = slack_signing.sign(b"a=1", SECRET)
    assert abs(int(headers["X-Slack-Request-Timestamp"]) - time.time()) < 5
    assert headers["X-Slack-Signature"].startswith("v0=") and len(headers["X-Slack-Signature"]) == 3 + 64
    assert SignatureVerifier("other-secret").is_valid_request(b"a=1", headers) is False


def test_known_signature() -> None:
    # The worked example from Slack's "Verifying requests from Slack" documentation.
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = slack_signing.sign(body, SECRET, 1531420618)
    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }


def test_builders_look_like_slack() -> None:
    mention = slack_signing.app_mention_event("what is SHAPE?", channel="C2")
    assert mention["text"] == f"<@{BOT_USER_ID}> what is SHAPE?" and mention["ts"] == mention["event_ts"]
    body = slack_signing.event_callback(mention, event_id="Ev1")
    assert (body["type"], body["event_id"], body["event"]["channel"]) == ("event_callback", "Ev1", "C2")
    im = slack_signing.message_im_event("hi")
    assert (im["channel_type"], im["channel"][0], "thread_ts" in im) == ("im", "D", False)
    reply = slack_signing.thread_message_event("more", thread_ts="1.1")
    assert (reply["thread_ts"], reply["channel_type"]) == ("1.1", "channel")
    action = slack_signing.block_actions("natobot_share", "q", ephemeral=True)
    assert "message" not in action and action["container"]["is_ephemeral"] is True
    assert action["actions"][0]["action_id"] == "natobot_share"
    assert slack_signing.interactive_body(action).startswith(b"payload=%7B")
    assert slack_signing.signed_headers(b"", SECRET, json_body=True)["Content-Type"] == "application/json"
