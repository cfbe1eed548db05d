"""Every input bounded before it reaches a pattern; logged values capped and kept to one line; button values
checked against the catalogue; the retry budget rides out the Slack outage the load test saw."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from fakeslack import FakeSlack
from slack_harness import App, engine, posted
from slack_sdk.web.async_client import AsyncWebClient
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


async def test_the_default_budget_rides_out_a_multi_second_outage(fake: FakeSlack) -> None:
    clock = [0.0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    # The outage seen under load: 5xx, then a run of 429s, then 5xx again before Slack is back.
    fake.fail_next("chat.postMessage", status=500, times=4)
    fake.fail_next("chat.postMessage", status=429, retry_after=1, times=6)
    fake.fail_next("chat.postMessage", status=503)
    client = AsyncWebClient(token="xoxb-test", base_url=fake.url)
    poster = Poster(Metrics(), sleep=sleep, clock=lambda: clock[0])
    assert await poster.post_message(client, channel="C1", text="hi")
    # 4 backoffs (0.25..2 s), 6 x Retry-After 1, one 8 s backoff, with jitter: inside the budget.
    assert 12.0 <= clock[0] <= BUDGET_S
    assert len(fake.calls_to("chat.postMessage")) == 12


def test_a_lookup_cap_is_far_above_any_catalogue_name() -> None:
    longest = max(len(e.title) for e in engine().kb.entries.values())
    assert longest < MAX_LOOKUP_CHARS
