"""`/nato lookup` without a term: a modal whose select suggests catalogue entries as the person types
(external select, options from natobot), answered ephemerally. HTTP and Socket Mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import slack_signing as sig
from fakeslack import FakeSlack, envelope
from slack_harness import App, header, posted, running

from bot.answering.lookup import MAX_OPTIONS, LookupIndex
from bot.render import lookup


def chosen(entry: str) -> dict[str, Any]:
    return {lookup.BLOCK_ID: {lookup.PICK_ACTION: {"type": "external_select", "selected_option": {
        "text": {"type": "plain_text", "text": entry}, "value": entry}}}}


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_lookup_modal_suggests_as_you_type_and_answers_ephemerally(fake: FakeSlack, tmp_path: Path,
                                                                          mode: str) -> None:
    async with running(fake, tmp_path, mode=mode) as app:
        command = sig.slash_command("lookup", response_url=fake.response_url("cmd"))
        if mode == "socket":
            ack = await fake.wait_ack(await fake.socket_send(envelope("slash_commands", command)))
            assert not ack.get("payload")
        else:
            status, _ = await app.post(sig.form_body(command), json_body=False)
            assert status == 200
        [opened] = await fake.wait_for("views.open")
        assert opened.params["trigger_id"] == command["trigger_id"]
        view = opened.params["view"]
        [element] = [b["element"] for b in view["blocks"] if b.get("block_id") == lookup.BLOCK_ID]
        assert element["type"] == "external_select" and element["action_id"] == lookup.PICK_ACTION

        # Typing "shap": Slack asks for options; natobot answers in the ack itself.
        typed = sig.block_suggestion(lookup.PICK_ACTION, "shap", block_id=lookup.BLOCK_ID, view=view)
        if mode == "socket":
            options = (await fake.wait_ack(await fake.socket_send(envelope("interactive", typed))))["payload"]
        else:
            status, text = await app.interactive(typed)
            assert status == 200
            options = json.loads(text)
        first = options["options"][0]
        assert first["value"] == "shape" and "SHAPE" in first["text"]["text"]

        submitted = sig.view_submission(view, chosen("shape"))
        if mode == "socket":
            ack = await fake.wait_ack(await fake.socket_send(envelope("interactive", submitted)))
            assert not ack.get("payload")  # an empty ack closes the modal
        else:
            assert (await app.interactive(submitted)) == (200, "")
        [reply] = await fake.wait_for("response_url")
        assert reply.path.endswith("/cmd")
        answer = posted(reply)
        assert answer["response_type"] == "ephemeral"
        assert "Supreme Headquarters Allied Powers Europe" in header(answer)
        await app.idle()
        assert not fake.calls_to("chat.postMessage")


async def test_a_lookup_opened_without_a_response_url_answers_in_a_dm(app: App, fake: FakeSlack) -> None:
    view = lookup.view(lookup.metadata(response_url=None, channel=None, user="U4"))
    await app.interactive(sig.view_submission(view, chosen("jfc-naples"), user="U4"))
    [dm] = await fake.wait_for("chat.postMessage")
    assert dm.params["channel"] == "U4" and "Naples" in header(posted(dm))
    await app.idle()


async def test_lookup_falls_back_to_usage_when_the_modal_cannot_open(app: App, fake: FakeSlack) -> None:
    fake.fail_next("views.open", error="expired_trigger_id")
    await app.command("lookup")
    [reply] = await fake.wait_for("response_url")
    assert "Give a term to look up" in json.dumps(posted(reply)["blocks"])
    await app.idle()


async def test_unknown_or_empty_choices_do_nothing(app: App, fake: FakeSlack) -> None:
    view = lookup.view(lookup.metadata(response_url=fake.response_url("x"), channel="C1", user="U1"))
    await app.interactive(sig.view_submission(view, chosen("no-such-entry")))
    await app.interactive(sig.view_submission(view, {}))
    status, text = await app.interactive(sig.block_suggestion(lookup.PICK_ACTION, "", block_id=lookup.BLOCK_ID))
    assert status == 200 and json.loads(text) == {"options": []}
    await app.idle()
    assert not fake.calls_to("response_url") and not fake.calls_to("chat.postMessage")


@pytest.mark.parametrize(("typed", "expected"), [
    ("SHAP", "shape"), ("shape", "shape"), ("brunsum", "jfc-brunssum"), ("naples", "jfc-naples"),
    ("sitcn", "sitcen"), ("objective 2.2", "objective-2-2"), ("dgims", "dgims"), ("climate", None),
])
def test_lookup_index_puts_the_meant_entry_first(typed: str, expected: str | None) -> None:
    from slack_harness import engine

    found = LookupIndex(engine()).search(typed)
    assert 1 <= len(found) <= MAX_OPTIONS
    assert all(len(c.label) <= 75 for c in found)
    if expected:
        assert found[0].entry == expected, [c.entry for c in found]
