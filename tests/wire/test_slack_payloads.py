"""Every payload natobot can produce passes slack_sdk's own validate_json() and Slack's documented limits:
the card for every catalogue question (in a thread, ephemeral, shared, closed after a vote, in a DM from the
Home), every piece of the digest cycle (short and long, with and without the management objectives), the App
Home, help, and every modal (lookup, subscription, feedback form, sources)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from block_checks import LIMITS, check_blocks
from slack_sdk.models.views import View

from bot.answering.engine import Engine
from bot.answering.suggest import Related
from bot.digest import blocks as render_digest
from bot.digest import service as dg
from bot.digest.content import EPOCH, content
from bot.digest.notify import message as stopped_message
from bot.render import blocks, citations, feedback, home, lookup
from bot.store.digest import Subscription
from handlers.commands import usage_lines


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def check_message(payload: dict[str, Any]) -> None:
    assert payload["text"].strip() and len(payload["text"]) <= LIMITS["text"]
    check_blocks(payload["blocks"], LIMITS["message_blocks"])
    json.dumps(payload)


def check_view(view: dict[str, Any]) -> None:
    View(**view).validate_json()
    check_blocks(view["blocks"], LIMITS["view_blocks"])
    assert len(view.get("private_metadata", "")) <= LIMITS["private_metadata"]
    if view["type"] == "modal":
        for key in ("title", "submit", "close"):
            if key in view:
                assert len(view[key]["text"]) <= LIMITS["view_title"], view[key]


def test_every_catalogue_card(engine: Engine) -> None:
    related = Related(engine)
    questions = [q for e in engine.kb.entries.values() for q in e.questions]
    assert len(questions) > 400
    for question in questions:
        answer = related.apply(engine.ask(question))
        thread = blocks.render(answer)
        check_message(thread)
        check_message(blocks.render(answer, ephemeral=True))
        check_message(blocks.render(answer, echo_question=True))  # a DM from the Home
        for vote in ("up", "down"):
            closed = {**thread, "blocks": feedback.closed(thread["blocks"], vote)}
            check_message(closed)
        for entry in answer.entities[:1]:
            check_message(blocks.render(engine.entry_answer(entry)))  # /nato lookup and the lookup modal


def test_every_digest_piece_short_and_long(engine: Engine) -> None:
    words = content(engine)
    for management in (True, False):
        for offset, piece in enumerate(words.cycle(include_management=management)):
            check_message(render_digest.short_blocks(piece, EPOCH + timedelta(days=offset), words))
    for entry in {p.entry for p in words.cycle()}:
        check_message(render_digest.long_blocks(entry, words))
    for day in range(400):  # a year and more of digests through the public API
        check_message(dg.digest_blocks(dg.build_digest(engine, EPOCH + timedelta(days=day))))


def test_the_home_help_and_every_modal(engine: Engine) -> None:
    now = datetime(2025, 3, 3, 8, tzinfo=UTC)
    subs = [Subscription(channel=f"C{i:08d}", team="T1", time="09:00", tz="Europe/Brussels", weekdays=False,
                         error="not_in_channel" if i % 3 == 0 else None, created_at=now, last_sent_date=None,
                         cadence=("daily", "weekdays", "weekly")[i % 3], weekday=i % 7)
            for i in range(120)]
    for listed in (subs[:0], subs[:3], subs):
        digest = dg.digest_blocks(dg.build_digest(engine, now.date()))
        check_view(home.home_view(topics=["a", "b"], examples=["Who heads the IMS?"] * 3, digest=digest,
                                  subscriptions=[(s, dg.describe(s)) for s in listed]))
    check_message(blocks.help_blocks("/nato", examples=engine.default_suggestions, usage=usage_lines(engine)))
    check_view(home.subscribe_view())
    check_view(lookup.view(lookup.metadata(response_url="https://hooks.slack.com/commands/T1/1/" + "x" * 300,
                                           channel="C1", user="U1")))
    check_view(feedback.form_view("who heads the IMS? " * 200,
                                  feedback.form_metadata(team="T1", channel="C1", message_ts="1.1",
                                                         question="q" * 5000, entry="ims")))
    all_sources = [(s.doc, s.section) for e in engine.kb.entries.values() for s in engine.entry_answer(e.id).sources]
    check_view(citations.citations_view(all_sources, engine.kb.documents))
    check_view(citations.citations_view([], engine.kb.documents))
    for reason in ("not_in_channel", "channel_not_found", "is_archived", "something_else"):
        check_message(stopped_message("C123", reason))
    check_message(blocks.notice("Thanks."))
