"""Answer cards as they reach Slack: answer first, compact, sources one line with the full citations one click
away, related questions that lead somewhere new. Over HTTP and Socket Mode against the fake Web API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import slack_signing as sig
from fakeslack import FakeSlack, envelope
from slack_harness import App, buttons, posted, running

from knowledge.text import normalise


async def send(app: App, mode: str, kind: str, payload: dict[str, object]) -> None:
    """Deliver a payload the way Slack would in `mode`, and wait for its ack."""
    if mode == "socket":
        await app.fake.wait_ack(await app.fake.socket_send(envelope(kind, payload)))  # type: ignore[arg-type]
    elif kind == "events_api":
        status, _ = await app.post(sig.json_body(payload), json_body=True)  # type: ignore[arg-type]
        assert status == 200
    else:
        status, _ = await app.interactive(payload)  # type: ignore[arg-type]
        assert status == 200


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_a_thread_answer_is_a_compact_card_with_sources_one_click_away(
        fake: FakeSlack, tmp_path: Path, mode: str) -> None:
    async with running(fake, tmp_path, mode=mode) as app:
        if mode == "socket":
            await fake.wait_socket(1)
        question = sig.app_mention_event("Who heads the IMS?")
        await send(app, mode, "events_api", sig.event_callback(question))
        [call] = await fake.wait_for("chat.postMessage")
        card = posted(call)
        assert card["thread_ts"] == question["ts"]
        kinds = [b["type"] for b in card["blocks"]]
        assert "header" not in kinds and kinds[0] == "section"
        text = json.dumps(card["blocks"])
        assert "Who heads the IMS?" not in text.split('"value"')[0]  # no echo of the question above it
        first = card["blocks"][0]["text"]["text"]
        assert first.startswith("The International Military Staff is") and "Director General" in first.split(".")[0]
        [books] = [b for b in card["blocks"] if b["type"] == "context" and "books" in b["elements"][0]["text"]]
        line = books["elements"][0]["text"]
        assert line == (":books: <https://www.nato.int/cps/en/natohq/topics_64557.htm|NATO's IMS page, 2012> · "
                        "<https://en.wikipedia.org/wiki/International_Military_Staff|IMS encyclopedia article, 2023>")
        assert any(":warning:" in json.dumps(b) for b in card["blocks"] if b["type"] == "context")  # caveat kept
        asks = [b["value"] for b in buttons(card) if b["action_id"].startswith("natobot_ask_")]
        assert asks and normalise("Who heads the IMS?") not in map(normalise, asks)

        # "Sources" opens the full citations in a modal, whatever the surface.
        [src] = [b for b in buttons(card) if b["action_id"] == "natobot_sources"]
        click = sig.block_actions("natobot_sources", src["value"], message_ts="1700000000.000100")
        await send(app, mode, "interactive", click)
        [opened] = await fake.wait_for("views.open")
        assert opened.params["trigger_id"] == click["trigger_id"]
        modal = opened.params["view"]
        shown = json.dumps(modal)
        assert modal["type"] == "modal" and modal["title"]["text"] == "Sources"
        for title in ("International Military Staff", "encyclopedia article", "Working mechanism", "Infobox",
                      "last updated 9 May 2012", "https://en.wikipedia.org/wiki/International_Military_Staff"):
            assert title in shown, title
        await app.idle()
        assert len(fake.calls_to("chat.postMessage")) == 1 and len(fake.calls_to("views.open")) == 1


async def test_a_dm_answer_has_no_echo_and_a_slash_answer_has_one(app: App, fake: FakeSlack) -> None:
    await app.event(sig.message_im_event("where is SHAPE?"))
    [dm] = await fake.wait_for("chat.postMessage")
    assert ":speech_balloon:" not in json.dumps(posted(dm)["blocks"])
    await app.command("where is SHAPE?")
    [reply] = await fake.wait_for("response_url")
    first = posted(reply)["blocks"][0]
    assert first["type"] == "context" and first["elements"][0]["text"] == ":speech_balloon: where is SHAPE?"
    await app.idle()


async def test_sources_button_with_a_mangled_value_still_opens_a_modal(app: App, fake: FakeSlack) -> None:
    await app.action("natobot_sources", "not json")
    [opened] = await fake.wait_for("views.open")
    assert "No source is recorded" in json.dumps(opened.params["view"])
