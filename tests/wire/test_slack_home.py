"""App Home that works without a response_url: example questions answered in the DM, lookups and digest
subscriptions in modals (conversations select), today's digest preview with "More" and questions answered in
the DM. Then the digest in a channel: "More" answers privately; a channel that refuses the post gets its
subscriber a DM. HTTP and Socket Mode against the fake Web API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import slack_signing as sig
from fakeslack import FakeSlack, envelope
from slack_harness import App, buttons, header, posted, running

from bot.digest import blocks as render_digest
from bot.digest import service as dg
from bot.render import home
from bot.render import lookup as lookup_view


async def send(app: App, mode: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Deliver like Slack; returns the response payload (the HTTP body as JSON, or the socket ack's payload)."""
    if mode == "socket":
        ack = await app.fake.wait_ack(await app.fake.socket_send(envelope(kind, payload)))  # type: ignore[arg-type]
        return dict(ack.get("payload") or {})
    if kind == "events_api":
        status, text = await app.post(sig.json_body(payload), json_body=True)
    else:
        status, text = await app.interactive(payload)
    assert status == 200
    return json.loads(text) if text.strip().startswith("{") else {}


def home_buttons(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and "action_id" in element:
                out[element["action_id"]] = element
        if isinstance(block.get("accessory"), dict):
            out.setdefault(block["accessory"]["action_id"], block["accessory"])
    return out


def subscription_state(channel: str, cadence: str, *, weekday: str | None = None, time: str = "08:15",
                       zone: str = "Europe/Paris", management: bool = True) -> dict[str, Any]:
    values: dict[str, Any] = {
        home.CHANNEL_BLOCK: {home.CHANNEL_ACTION: {"type": "conversations_select", "selected_conversation": channel}},
        home.CADENCE_BLOCK: {home.CADENCE_ACTION: {"type": "static_select", "selected_option": {"value": cadence}}},
        home.WEEKDAY_BLOCK: {home.WEEKDAY_ACTION: {"type": "static_select", "selected_option":
                                                   {"value": weekday} if weekday else None}},
        home.TIME_BLOCK: {home.TIME_ACTION: {"type": "timepicker", "selected_time": time}},
        home.ZONE_BLOCK: {home.ZONE_ACTION: {"type": "plain_text_input", "value": zone}},
        home.CONTENT_BLOCK: {home.CONTENT_ACTION: {"type": "checkboxes", "selected_options":
                                                   [{"value": home.INCLUDE_MANAGEMENT}] if management else []}},
    }
    return values


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_app_home_works_without_a_response_url(fake: FakeSlack, tmp_path: Path, mode: str) -> None:
    async with running(fake, tmp_path, mode=mode) as app:
        await send(app, mode, "events_api", sig.event_callback(sig.app_home_opened_event(user="U1")))
        [published] = await fake.wait_for("views.publish")
        view = published.params["view"]
        ids = home_buttons(view)
        assert {home.LOOKUP_ACTION, home.SUBSCRIBE_ACTION, render_digest.MORE_ACTION, "natobot_home_ask_0"} <= set(ids)
        assert "July 2022" in json.dumps(view["blocks"])  # today's digest preview

        # An example question: answered in the DM, the question repeated since it is not on screen there.
        example = ids["natobot_home_ask_0"]
        await send(app, mode, "interactive", sig.home_block_actions("natobot_home_ask_0", example["value"]))
        [dm] = await fake.wait_for("chat.postMessage")
        assert dm.params["channel"] == "U1"
        assert f":speech_balloon: {example['value']}" in header(posted(dm))

        # The digest preview's "More" and its question: the DM too.
        more = ids[render_digest.MORE_ACTION]
        await send(app, mode, "interactive", sig.home_block_actions(render_digest.MORE_ACTION, more["value"]))
        [ask] = next(b for b in view["blocks"] if b.get("block_id") == render_digest.ASK_BLOCK)["elements"][1:]
        await send(app, mode, "interactive", sig.home_block_actions(ask["action_id"], ask["value"]))
        calls = await fake.wait_for("chat.postMessage", 3)
        assert all(c.params["channel"] == "U1" for c in calls)
        # The long form is the one whose grey line gives the strategy's full date.
        assert sum("approved 15 July 2022" in json.dumps(c.params.get("blocks")) for c in calls) == 1

        # Look something up: the lookup modal, answered in the DM.
        lookup_click = sig.home_block_actions(home.LOOKUP_ACTION, "lookup")
        await send(app, mode, "interactive", lookup_click)
        [opened] = await fake.wait_for("views.open")
        assert opened.params["trigger_id"] == lookup_click["trigger_id"]
        assert opened.params["view"]["callback_id"] == lookup_view.CALLBACK_ID
        choice = {lookup_view.BLOCK_ID: {lookup_view.PICK_ACTION: {"selected_option": {"value": "sitcen"}}}}
        await send(app, mode, "interactive", sig.view_submission(opened.params["view"], choice))
        calls = await fake.wait_for("chat.postMessage", 4)
        assert calls[3].params["channel"] == "U1" and "Situation Centre" in header(posted(calls[3]))

        # Subscribe a channel: a modal with a conversations select; mistakes are shown on the fields.
        await send(app, mode, "interactive", sig.home_block_actions(home.SUBSCRIBE_ACTION, "subscribe"))
        opened = (await fake.wait_for("views.open", 2))[1]
        modal = opened.params["view"]
        assert modal["callback_id"] == home.SUBSCRIBE_CALLBACK
        [select] = [b["element"] for b in modal["blocks"] if b.get("block_id") == home.CHANNEL_BLOCK]
        assert select["type"] == "conversations_select"
        wrong = sig.view_submission(modal, subscription_state("C55", "weekly", zone="Mars/Olympus"))
        reply = await send(app, mode, "interactive", wrong)
        assert reply["response_action"] == "errors"
        assert set(reply["errors"]) == {home.WEEKDAY_BLOCK, home.ZONE_BLOCK}
        assert await app.deps.store.subscription("C55") is None

        right = sig.view_submission(modal, subscription_state("C55", "weekly", weekday="4", management=False))
        assert not (await send(app, mode, "interactive", right)).get("response_action")  # closes the modal
        republished = (await fake.wait_for("views.publish", 2))[1]
        saved = await app.deps.store.subscription("C55")
        assert saved is not None
        assert (saved.cadence, saved.weekday, saved.time, saved.tz, saved.include_management, saved.subscriber,
                saved.team) == ("weekly", 4, "08:15", "Europe/Paris", False, "U1", "T1")
        assert "<#C55>: 08:15 Europe/Paris, Fridays, mission objectives only" in json.dumps(
            republished.params["view"]["blocks"])

        # Unsubscribe from the Home.
        [unsubscribe] = [e for e in home_buttons(republished.params["view"]).values() if e.get("value") == "C55"]
        assert unsubscribe["action_id"].startswith("natobot_home_unsubscribe_") and unsubscribe["confirm"]
        await send(app, mode, "interactive", sig.home_block_actions(unsubscribe["action_id"], "C55"))
        await fake.wait_for("views.publish", 3)
        await app.idle()
        assert await app.deps.store.subscription("C55") is None
        assert not fake.calls_to("response_url")  # nothing ever tried a response_url
        assert len(fake.calls_to("chat.postMessage")) == 4


async def test_more_on_a_channel_digest_answers_privately(app: App, fake: FakeSlack) -> None:
    digest = dg.today_digest(app.deps.engine, dg.DEFAULT_TZ, datetime.now(UTC))
    payload = dg.digest_blocks(digest)
    [more] = [b for b in buttons(payload) if b["action_id"] == render_digest.MORE_ACTION]
    message = {"type": "message", "user": "UBOT", "bot_id": "BBOT", "ts": "1700000000.000900",
               "text": payload["text"], "blocks": payload["blocks"]}
    await app.action(render_digest.MORE_ACTION, more["value"], message=message, message_ts=message["ts"],
                     token="more")
    [reply] = await fake.wait_for("response_url")
    answer = posted(reply)
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "approved 15 July 2022" in json.dumps(answer["blocks"])
    await app.idle()
    assert not fake.calls_to("chat.postMessage")


async def test_serve_tells_the_subscriber_when_the_channel_refuses(fake: FakeSlack, tmp_path: Path) -> None:
    async with running(fake, tmp_path, digest_every=0.05) as app:
        fake.fail_next("chat.postMessage", error="not_in_channel")
        # Due now, whatever the time of day: 00:00 in UTC.
        await app.deps.store.subscribe(channel="C77", team="T1", time="00:00", tz="UTC", weekdays=False,
                                       subscriber="U9")
        [_, dm] = await fake.wait_for("chat.postMessage", 2)
        assert dm.params["channel"] == "U9" and "<#C77>" in dm.params["text"]
        # Paused: later passes neither post nor tell again (two more passes, run here deterministically).
        for _ in range(2):
            report = await dg.send_due(app.deps.store, app.server.app.client, app.deps.engine, datetime.now(UTC))
            assert report.paused == ["C77"]
        assert len(fake.calls_to("chat.postMessage")) == 2
