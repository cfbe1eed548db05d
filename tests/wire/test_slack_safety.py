"""Signatures, retries against 429 and 500, injection, Slack's size limits, health, metrics and secrets."""

from __future__ import annotations

import itertools
import json
import logging
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import slack_signing as sig
from fakeslack import FakeSlack
from slack_harness import APP_TOKEN, BOT_TOKEN, SECRET, App, header, posted, running, visible_texts
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.app import RedactSecrets, install_redaction, setup_logging
from bot.slack.metrics import Metrics
from bot.slack.poster import Poster

# The fixtures (fake, app, no_proxies) live in tests/slack_fixtures.py.


def _mention_body(text: str = "who heads the IMS?") -> bytes:
    return sig.json_body(sig.event_callback(sig.app_mention_event(text)))


# Timestamps are given as seconds from now and made at request time: one fixed at import would drift into
# Slack's 5-minute window once the suite has run for a minute before this test.
BAD_SIGNATURES: dict[str, dict[str, Any]] = {
    "wrong secret": {"secret": "not-the-secret"},
    "stale (6 minutes old)": {"timestamp_from_now": -6 * 60},
    "from the future": {"timestamp_from_now": 6 * 60},
    "tampered signature": {"headers": {"X-Slack-Signature": "v0=" + "0" * 64}},
    "missing signature": {"headers": {"X-Slack-Signature": ""}},
    "missing timestamp": {"headers": {"X-Slack-Request-Timestamp": ""}},
    "garbage timestamp": {"headers": {"X-Slack-Request-Timestamp": "soon"}},
}


@pytest.mark.parametrize("case", list(BAD_SIGNATURES))
async def test_bad_or_stale_signature_is_refused_and_does_nothing(app: App, fake: FakeSlack, case: str) -> None:
    for body, is_json in ((_mention_body(), True), (sig.form_body(sig.slash_command("who heads the IMS?")), False)):
        bad = dict(BAD_SIGNATURES[case])
        if "timestamp_from_now" in bad:
            bad["timestamp"] = int(time.time()) + bad.pop("timestamp_from_now")
        status, _ = await app.post(body, json_body=is_json, **bad)
        assert status == 401, case
    await app.idle()
    # Refused before the work queue saw it: no job was recorded.
    assert await app.deps.work.jobs.counts() == {}
    assert [c.method for c in fake.calls] in ([], ["auth.test"])  # auth.test runs at start, on its own
    assert app.deps.metrics.rejected.value() == 2


async def test_a_body_changed_after_signing_is_refused(app: App, fake: FakeSlack) -> None:
    body = _mention_body()
    headers = sig.sign(body, SECRET)
    status, _ = await app.post(body.replace(b"IMS", b"NAC"), json_body=True, headers=headers)
    assert status == 401
    await app.idle()
    assert await app.deps.work.jobs.counts() == {}
    assert fake.calls_to("chat.postMessage") == []


async def test_a_signature_just_under_five_minutes_old_is_accepted(app: App, fake: FakeSlack) -> None:
    status, _ = await app.post(_mention_body(), json_body=True, timestamp=int(time.time()) - 4 * 60)
    assert status == 200
    await fake.wait_for("chat.postMessage")


async def test_url_verification_challenge(app: App) -> None:
    status, body = await app.post(sig.json_body(sig.url_verification("abc123")), json_body=True)
    assert status == 200 and "abc123" in body


async def test_429_is_retried_after_retry_after(app: App, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    await app.event(sig.app_mention_event("who heads the IMS?"))
    first, second = await fake.wait_for("chat.postMessage", 2, timeout=10)
    assert second.at - first.at >= 0.95
    assert "International Military Staff" in header(posted(second))
    assert app.deps.metrics.errors.value(kind="post") == 0


async def test_5xx_is_retried_with_backoff(app: App, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", status=500, times=2)
    fake.fail_next("chat.postMessage", status=503)
    await app.event(sig.app_mention_event("who heads the IMS?"))
    calls = await fake.wait_for("chat.postMessage", 4)
    assert [posted(c)["text"] for c in calls[:3]] == [posted(calls[3])["text"]] * 3  # the same message, again
    gaps = [b.at - a.at for a, b in itertools.pairwise(calls)]
    assert gaps[2] > gaps[0]  # backoff grows
    await app.idle()
    assert app.deps.metrics.answers.value(where="mention") == 1


async def test_giving_up_is_logged_and_counted_and_the_server_keeps_serving(
    app: App, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("chat.postMessage", status=500, times=4)
    await app.event(sig.app_mention_event("who heads the IMS?"))
    await fake.wait_for("chat.postMessage", 4)
    await app.idle()
    assert app.deps.metrics.errors.value(kind="post") == 1
    # The line names the channel and the event, and the answer is put off, not lost.
    event_key = f"ev:{app.sent[-1]['event_id']}"
    assert "chat.postMessage to C1 failed, giving up: HTTP 500 fatal_error, after 4 attempt(s)" in caplog.text
    assert f"(event {event_key} in C1)" in caplog.text
    assert f"event {event_key} in C1 put off for" in caplog.text
    await app.event(sig.app_mention_event("where is SHAPE?"))
    calls = await fake.wait_for("chat.postMessage", 5)
    assert "SHAPE" in header(posted(calls[4]))
    assert (await app.get("/healthz"))[0] == 200


async def test_api_errors_are_not_retried_but_refused_blocks_fall_back_to_text(app: App, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", error="channel_not_found")
    await app.event(sig.app_mention_event("who heads the IMS?"))
    await fake.wait_for("chat.postMessage")
    await app.idle()
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert app.deps.metrics.errors.value(kind="post") == 1
    fake.fail_next("chat.postMessage", error="invalid_blocks")
    await app.event(sig.app_mention_event("who heads the IMS?"))
    calls = await fake.wait_for("chat.postMessage", 3)
    assert "blocks" in calls[1].params and "blocks" not in calls[2].params
    assert posted(calls[2])["text"] == posted(calls[1])["text"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_connection_errors_are_retried_then_counted() -> None:
    metrics = Metrics()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    poster = Poster(metrics, attempts=4, backoff=0.1, sleep=sleep)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{_closed_port()}/api/", retry_handlers=[])
    assert await poster.post_message(client, channel="C1", text="hi") is None
    assert len(slept) == 3 and slept[0] < slept[1] < slept[2]  # exponential backoff (with jitter)
    assert metrics.errors.value(kind="post") == 1


INJECTIONS = ["<!channel>", "<!here>", "<!everyone>", "<@U0BADBAD>", "<!subteam^S123|@admins>",
              "<https://evil.example|click>"]


def _assert_no_pings(payload: dict[str, Any]) -> None:
    for text in visible_texts(payload):
        for needle in ("<!channel", "<!here", "<!everyone", "<@U0BADBAD", "<!subteam", "<https://evil"):
            assert needle not in text, (needle, text)
    assert "link_names" not in payload


async def test_injection_strings_never_ping(app: App, fake: FakeSlack) -> None:
    # Slack delivers special mentions as markup, and a literal "<" typed by a user as "&lt;".
    question = " ".join(INJECTIONS) + " &lt;!channel&gt; who heads the IMS?"
    await app.event(sig.app_mention_event(question))
    await app.event(sig.message_im_event(question))
    await app.event(sig.app_mention_event(" ".join(INJECTIONS)))  # matches nothing: a fallback echoing it
    await app.command(question.replace("&lt;", "<").replace("&gt;", ">"))
    await app.command("lookup <!everyone>")
    await app.action("natobot_ask_0", "<!here> <@U0BADBAD> where is SHAPE?", ephemeral=True, token="a1")
    posts = await fake.wait_for("chat.postMessage", 3)
    responses = await fake.wait_for("response_url", 3)
    for call in posts + responses:
        _assert_no_pings(posted(call))
    echoed = json.dumps([posted(c) for c in posts])
    assert "&lt;!channel&gt;" in echoed or "@channel" in echoed  # shown harmlessly, not dropped silently


def _assert_within_limits(payload: dict[str, Any]) -> None:
    blocks = payload.get("blocks") or []
    assert 0 < len(payload["text"]) <= 3000
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        for element in block.get("elements", []):
            if element.get("type") == "button":
                assert len(element["value"]) <= 2000
                assert len(element["text"]["text"]) <= 75
    assert len(json.dumps(payload)) < 16_000  # short and bounded, whatever came in


@pytest.mark.parametrize("kind", ["mention", "dm", "command"])
async def test_a_56_kb_question_gets_a_short_bounded_reply(app: App, fake: FakeSlack, kind: str) -> None:
    huge = ("who heads the IMS? <!channel> " * 2000)[: 56 * 1024]
    assert len(huge.encode()) >= 56 * 1024 - 1
    if kind == "mention":
        status, _ = await app.event(sig.app_mention_event(huge))
    elif kind == "dm":
        status, _ = await app.event(sig.message_im_event(huge))
    else:
        status, _ = await app.command(huge)
    assert status == 200
    method = "response_url" if kind == "command" else "chat.postMessage"
    [call] = await fake.wait_for(method)
    reply = posted(call)
    _assert_within_limits(reply)
    _assert_no_pings(reply)


async def test_healthz_says_what_is_degraded_and_answering_survives_the_database(
        fake: FakeSlack, tmp_path: Path) -> None:
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    async with running(fake, tmp_path, database_url=f"sqlite:///{db_dir / 'natobot.db'}") as app:
        status, body = await app.get("/healthz")
        assert status == 200 and body.startswith("knowledge base: loaded; database: ok; queue: 0 waiting")
        app.deps.ready = False
        assert (await app.get("/healthz"))[0] == 503
        app.deps.ready = True
        # The database goes away: pooled connections closed, its directory moved off.
        await app.deps.store.close()
        db_dir.rename(tmp_path / "away")
        status, body = await app.get("/healthz")
        assert status == 200 and "database: down" in body and "degraded: no follow-up context" in body
        # Still answering, without an apology: only what needs the database is lost.
        await app.event(sig.app_mention_event("who heads the IMS?"))
        [call] = await fake.wait_for("chat.postMessage")
        assert "International Military Staff" in header(posted(call))
        # Back again: the store reconnects by itself, no restart.
        (tmp_path / "away").rename(db_dir)
        status, body = await app.get("/healthz")
        assert status == 200 and "database: ok" in body


async def test_metrics_in_prometheus_text(app: App, fake: FakeSlack) -> None:
    await app.event(sig.app_mention_event("who heads the IMS?"))
    await app.event(sig.app_mention_event("what is the weather in brussels?"))
    await fake.wait_for("chat.postMessage", 2)
    await app.post(_mention_body(), json_body=True, secret="wrong")
    await app.idle()
    status, text = await app.get("/metrics")
    assert status == 200
    lines = set(text.splitlines())
    values = {name: float(value) for name, _, value in (line.rpartition(" ") for line in lines)
              if name and not name.startswith("#")}
    assert values['natobot_requests_total{type="event_callback"}'] == 2
    assert values['natobot_answers_total{where="mention"}'] == 2
    assert values['natobot_fallbacks_total{status="fallback"}'] == 1
    assert values["natobot_rejected_requests_total"] == 1
    assert "# TYPE natobot_errors_total counter" in lines
    assert "# TYPE natobot_reply_latency_seconds histogram" in lines
    assert values['natobot_reply_latency_seconds_bucket{le="+Inf"}'] == 2
    assert values["natobot_reply_latency_seconds_count"] == 2
    assert not [line for line in lines if "_created" in line]  # one line per series, no creation stamps


async def test_tokens_never_appear_in_logs(fake: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(fake, tmp_path, log_level="DEBUG") as app:
        setup_logging(app.deps.settings)
        install_redaction(RedactSecrets(app.deps.settings.secrets()))
        logging.getLogger("natobot.test").info("configured with %s and %s", BOT_TOKEN, APP_TOKEN)
        logging.getLogger("natobot.test").info("settings: %r", app.deps.settings)
        fake.fail_next("chat.postMessage", status=500)
        await app.event(sig.app_mention_event("who heads the IMS?"))
        await app.command("lookup SHAPE")
        await fake.wait_for("chat.postMessage", 2)
        await fake.wait_for("response_url")
    for secret in (BOT_TOKEN, APP_TOKEN, SECRET):
        assert secret not in caplog.text
        assert all(secret not in r.getMessage() for r in caplog.records)
    assert "configured with [redacted] and [redacted]" in caplog.text
