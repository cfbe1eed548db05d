"""Socket Mode: /healthz and /metrics follow the connection; every interactive envelope gets an ack."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import slack_signing as sig
from fakeslack import FakeSlack, envelope
from slack_harness import App, running


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Poll `check` until it holds (waiting for something to happen, never for nothing to happen)."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def health(app: App) -> tuple[int, str]:
    return await app.get("/healthz")


def metric(text: str, name: str) -> float:
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    assert m, f"{name} missing from /metrics"
    return float(m.group(1))


async def test_healthz_fails_while_the_socket_is_down_and_recovers(fake: FakeSlack, tmp_path: Path) -> None:
    async with running(fake, tmp_path, mode="socket", ping_interval=0.2) as app:
        await fake.wait_socket(1)
        await until(lambda: _status_is(app, 200))
        status, body = await health(app)
        assert "socket: connected" in body
        _, metrics = await app.get("/metrics")
        assert metric(metrics, "natobot_socket_connected") == 1
        assert metric(metrics, "natobot_socket_down_seconds") == 0

        # The app token is revoked and the connection drops: every reconnect gets invalid_auth.
        fake.respond("apps.connections.open", {"ok": False, "error": "invalid_auth"})
        opened = len(fake.calls_to("apps.connections.open"))
        await fake.socket_drop()
        await until(lambda: _status_is(app, 503))
        await fake.wait_for("apps.connections.open", opened + 1)  # it did try, and was refused
        status, body = await health(app)
        assert status == 503 and "socket: not connected" in body, body
        await until(lambda: _down_for_more_than(app, 0.2))
        _, metrics = await app.get("/metrics")
        assert metric(metrics, "natobot_socket_connected") == 0

        # The token works again: the client reconnects by itself and health follows.
        fake.restore("apps.connections.open")
        await fake.wait_socket(1)
        await until(lambda: _status_is(app, 200))
        _, metrics = await app.get("/metrics")
        assert metric(metrics, "natobot_socket_down_seconds") == 0


async def _status_is(app: App, status: int) -> bool:
    return (await health(app))[0] == status


async def _down_for_more_than(app: App, seconds: float) -> bool:
    _, metrics = await app.get("/metrics")
    return metric(metrics, "natobot_socket_down_seconds") > seconds


async def test_http_mode_health_has_no_socket_line(app: App) -> None:
    status, body = await health(app)
    assert status == 200 and "socket" not in body
    _, metrics = await app.get("/metrics")
    assert "natobot_socket_connected" not in metrics


async def test_every_interactive_envelope_is_acked(fake: FakeSlack, tmp_path: Path) -> None:
    """Payloads no listener handles (a button of an older release, a URL button, an unknown modal) are acked."""
    async with running(fake, tmp_path, mode="socket") as app:
        payloads = [
            sig.block_actions("some_retired_button", "x"),
            sig.home_block_actions("natobot_link", None, extra={"url": "https://example.org"}),
            sig.view_submission({"callback_id": "not_ours"}, {}),
            sig.global_shortcut("not_ours"),
            {"type": "view_closed", "team": {"id": "T1"}, "user": {"id": "U1"},
             "view": {"id": "V1", "callback_id": "not_ours"}, "is_cleared": False},
        ]
        for payload in payloads:
            ack = await fake.wait_ack(await fake.socket_send(envelope("interactive", payload)))
            assert not ack.get("payload"), payload["type"]
        events = envelope("events_api", sig.event_callback({"type": "reaction_added", "user": "U1",
                                                             "event_ts": sig.new_ts()}))
        await fake.wait_ack(await fake.socket_send(events))
        await app.idle()
        assert not fake.calls_to("chat.postMessage")


async def test_unhandled_interactive_requests_get_200_over_http(app: App) -> None:
    for payload in (sig.block_actions("some_retired_button", "x"), sig.view_submission({"callback_id": "x"}, {}),
                    sig.global_shortcut("not_ours")):
        status, body = await app.interactive(payload)
        assert status == 200 and body == "", payload["type"]
    status, body = await app.interactive(sig.block_suggestion("not_ours", "ab"))
    assert status == 200 and '"options": []' in body.replace('"options":[]', '"options": []')
    await app.idle()
    assert not app.fake.calls_to("chat.postMessage")


async def test_a_socket_that_never_connects_is_unhealthy_from_the_start(fake: FakeSlack, tmp_path: Path) -> None:
    """A revoked or wrong app token: natobot starts (health and metrics answer) and says it is not connected."""
    fake.respond("apps.connections.open", {"ok": False, "error": "invalid_auth"})
    async with running(fake, tmp_path, mode="socket", ping_interval=0.2) as app:
        await fake.wait_for("apps.connections.open")
        status, body = await health(app)
        assert status == 503 and "socket: not connected" in body
        fake.restore("apps.connections.open")
        await fake.wait_socket(1)
        await until(lambda: _status_is(app, 200))
