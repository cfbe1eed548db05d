"""Every input bounded before it reaches a pattern; logged values capped and kept to one line; button values
checked against the catalogue; the retry budget rides out the Slack outage the load test saw."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import aiohttp
import pytest
from fakeslack import FakeSlack
from slack_harness import App, engine, posted
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse
from sqlalchemy import select

from bot.render import blocks
from bot.slack.app import MAX_LOG_CHARS, RedactSecrets
from bot.slack.metrics import Metrics
from bot.slack.poster import BUDGET_S, Poster
from bot.store.schema import feedback
from handlers.commands import MAX_LOOKUP_CHARS
from knowledge.text import tokens_with_case

# Shapes that made a backtracking pattern quadratic, each 200,000 characters long.
HOSTILE = {
    "spaces": " " * 200_000,
    "spaces around ampersands": (" " * 1000 + "&") * 200,
    "tabs and newlines": "\t \n" * 66_667,
    "digits": "1" * 200_000,
    "dotted digits": "1." * 100_000,
    "dotted letters": "a." * 100_000,
    "contractions": "who's " * 33_334,
    "angle brackets": "<" * 200_000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_normalising_is_linear_on_hostile_text(name: str) -> None:
    # Linear work is a few milliseconds here; the quadratic '\s*&\s*' took minutes on 200,000 blanks.
    started = time.process_time()
    tokens_with_case(HOSTILE[name])
    assert time.process_time() - started < 2.0


async def test_a_huge_lookup_term_is_refused_before_the_engine(app: App, fake: FakeSlack) -> None:
    started = time.process_time()
    await app.command("lookup " + ("SHAPE &" + " " * 100) * 400)  # 40,000 characters, blank runs and "&"s
    [call] = await fake.wait_for("response_url")
    assert f"at most {MAX_LOOKUP_CHARS} characters" in json.dumps(posted(call))
    assert time.process_time() - started < 2.0


def test_logged_values_are_capped_and_cannot_forge_lines(caplog: pytest.LogCaptureFixture) -> None:
    record = logging.LogRecord("natobot.test", logging.INFO, __file__, 1, "question: %s",
                               ("x" * 10_000 + "\nERROR natobot: forged",), None)
    RedactSecrets([]).filter(record)
    message = record.getMessage()
    assert "\n" not in message and "\\nERROR natobot: forged" not in message  # cut before it, here
    assert len(message) < MAX_LOG_CHARS + 100 and message.endswith("more characters cut]")
    short = logging.LogRecord("natobot.test", logging.INFO, __file__, 1, "q: %s", ("hi\nERROR forged",), None)
    RedactSecrets([]).filter(short)
    assert short.getMessage() == "q: hi\\nERROR forged"


@pytest.mark.parametrize(("value", "stored"), [
    ({"q": "who heads the IMS?", "e": "ims"}, "ims"),
    ({"q": "who heads the IMS?", "e": "../../etc/passwd"}, None),
    ({"q": "x", "e": "ims" * 1000}, None),
])
async def test_feedback_stores_only_catalogue_entries(app: App, fake: FakeSlack, value: dict[str, Any],
                                                      stored: str | None) -> None:
    assert "ims" in engine().kb.entries
    await app.action(blocks.FEEDBACK_UP, json.dumps(value), channel="C1")
    await app.idle()  # the vote is stored by then
    rows = await app.deps.store._read(lambda conn: conn.execute(select(feedback.c.entry)).all())
    assert [r.entry for r in rows] == [stored]


class ScriptedClient:
    """A Web API client whose calls fail as scripted: the outage seen under load, then Slack back."""

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock
        self.script = ["500"] * 4 + ["429"] * 6
        self.refused_until = 0.0
        self.calls = 0

    async def api_call(self, method: str, json: dict[str, Any]) -> SlackResponse:
        self.calls += 1
        if self.script:
            kind = self.script.pop(0)
            status, headers = (500, {}) if kind == "500" else (429, {"Retry-After": "1"})
            response = SlackResponse(client=None, http_verb="POST", api_url=method, req_args={},
                                     data={"ok": False, "error": "fatal_error" if status == 500 else "ratelimited"},
                                     headers=headers, status_code=status)
            if not self.script:
                self.refused_until = self.clock[0] + 6.0  # then connections are refused for 6 s
            raise SlackApiError("failed", response)
        if self.clock[0] < self.refused_until:
            raise aiohttp.ClientConnectionError("refused")
        return SlackResponse(client=None, http_verb="POST", api_url=method, req_args={},
                             data={"ok": True, "ts": "1.2"}, headers={}, status_code=200)


async def test_the_default_budget_rides_out_a_multi_second_outage() -> None:
    clock = [0.0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    client = ScriptedClient(clock)
    poster = Poster(Metrics(), sleep=sleep, clock=lambda: clock[0])
    ts = await poster.post_message(client, channel="C1", text="hi")  # type: ignore[arg-type]
    assert ts == "1.2"
    assert 12.0 <= clock[0] <= BUDGET_S  # 4 x 500, 6 x Retry-After 1, 6 s refused: inside the budget
    assert client.calls > 11


def test_a_lookup_cap_is_far_above_any_catalogue_name() -> None:
    longest = max(len(e.title) for e in engine().kb.entries.values())
    assert longest < MAX_LOOKUP_CHARS
