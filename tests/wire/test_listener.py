"""handlers.listener: Bolt still sees each listener's own arguments through the wrapper, and the ack never
waits for an answering slot."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import slack_signing as sig
from fakeslack import FakeSlack
from slack_bolt.util.utils import get_arg_names_of_callable
from slack_harness import App, finished, running

from handlers.listener import listener


def test_bolt_reads_the_wrapped_listeners_arguments(app: App) -> None:
    @listener(app.deps, ack=True, answering=True)
    async def on_ask(ack: Any, body: dict[str, Any], context: Any) -> None:
        pass

    # What slack_bolt.listener.async_listener.AsyncCustomListener injects by.
    assert get_arg_names_of_callable(on_ask) == ["ack", "body", "context"]
    assert asyncio.iscoroutinefunction(on_ask)
    assert on_ask.__name__ == "on_ask"


@pytest.mark.parametrize(("flags", "missing"), [({"ack": True}, "ack"), ({"answering": True}, "context")])
def test_a_listener_must_name_what_the_wrapper_needs(app: App, flags: dict[str, bool], missing: str) -> None:
    async def on_thing(body: dict[str, Any]) -> None:
        pass

    with pytest.raises(TypeError, match=f"`{missing}`"):
        listener(app.deps, **flags)(on_thing)


async def test_a_command_is_acked_while_every_answering_slot_is_taken(fake: FakeSlack, tmp_path: Path) -> None:
    async with running(fake, tmp_path) as app:
        app.deps.max_answering = 1
        fake.hang_next("chat.postMessage")  # the mention's answer holds the only slot
        assert (await app.event(sig.app_mention_event("who heads the IMS?")))[0] == 200
        await fake.wait_for("chat.postMessage")
        status, body = await asyncio.wait_for(app.command("where is SHAPE?"), 2.5)  # Slack's limit is 3 s
        assert (status, body) == (200, "")
        assert fake.calls_to("response_url") == []  # the answer itself waits its turn
        fake.unhang()
        await fake.wait_for("response_url", timeout=15)
        assert await finished(app, 2) == {"done": 2}
