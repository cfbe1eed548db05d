"""Block Kit rendering: escaping, Slack's limits whatever the input, every Answer status, action ids.

Real Answers come from the real engine; synthetic ones cover what the knowledge base cannot produce
(ambiguous references, 56 KB fields, hundreds of parts). Every block is also checked by slack_sdk's
own model validators, an independent statement of Slack's limits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from block_checks import check_blocks
from slack_sdk.models.views import View

from bot.answering.answer import Answer, AnswerField, Part, Source
from bot.answering.context import Context
from bot.answering.engine import Engine
from bot.render import blocks, citations
from bot.render import text as slack_text
from handlers.commands import usage_lines

INJECTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0123ABC>",
    "<!subteam^S123|@team>",
    "<#C123|general>",
    "<https://evil.example|click me>",
    "@here @channel @everyone",
    "a & b &amp; c &lt;!here&gt;",
]
HUGE = "<!channel> " + "x" * 56 * 1024  # a 56 KB message
BIG_AMP = "&" * 20_000  # escapes to 5x its length


@dataclass(frozen=True)
class Sub:
    """Shaped like bot.store.digest.Subscription (frozen), which the Home tab must accept."""

    channel: str
    team: str
    time: str
    tz: str
    weekdays: bool
    error: str | None
    created_at: datetime
    last_sent_date: None = None


# -- helpers ---------------------------------------------------------------------------------------

def displayed(obj: Any) -> list[str]:
    """Every text Slack shows (text objects and `text`), not button values, which are never shown."""
    out: list[str] = []
    if isinstance(obj, dict):
        for key, val in obj.items():
            if key == "value":
                continue
            if key == "text" and isinstance(val, str):
                out.append(val)
            else:
                out += displayed(val)
    elif isinstance(obj, list):
        for item in obj:
            out += displayed(item)
    return out


KNOWN_LINKS = re.compile("<(" + "|".join(re.escape(d.url) for d in Engine.load().kb.documents.values() if d.url)
                         + r")\|[^<>|]*>")


def no_ping(text: str) -> None:
    """No Slack control sequence and no half entity: every & starts &amp; &lt; or &gt;.

    The only markup allowed is a link to one of the source documents' known public addresses.
    """
    text = KNOWN_LINKS.sub("", text)
    assert "<" not in text and ">" not in text, text[:200]
    assert not re.search(r"&(?!amp;|lt;|gt;)", text), text[:200]


def check_message(msg: dict[str, Any]) -> None:
    assert set(msg) == {"text", "blocks"}  # in particular: never link_names
    assert "link_names" not in json.dumps(msg)
    assert isinstance(msg["text"], str) and 1 <= len(msg["text"]) <= 3000
    check_blocks(msg["blocks"], 50)


def actions(msg: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]}


def synthetic(status: str, **kw: Any) -> Answer:
    base: dict[str, Any] = {"question": "q?", "status": status, "answered": status == "answer", "title": "T",
                            "text": "Some text."}
    base.update(kw)
    return Answer(**base)


# -- slack_text ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here>", "&lt;!here&gt;"),
        ("<!everyone>", "&lt;!everyone&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<https://x.example|y>", "&lt;https://x.example|y&gt;"),
        ("P&P", "P&amp;P"),
        ("&amp;", "&amp;amp;"),  # what the user typed is shown as typed
        ("plain text", "plain text"),
        ("", ""),
    ],
)
def test_escape(raw: str, expected: str) -> None:
    assert slack_text.escape(raw) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("hello", 10, "hello"),
        ("hello", 5, "hello"),
        ("hello world", 6, "hello…"),
        ("hello world", 7, "hello…"),  # trailing space dropped before the ellipsis
        ("ab&amp;cd", 4, "ab…"),  # "ab&" would halve the entity
        ("ab&amp;cd", 6, "ab…"),  # "ab&am"
        ("ab&amp;cd", 8, "ab&amp;…"),
        ("&lt;&lt;&lt;", 5, "&lt;…"),
        ("abc", 1, "…"),
        ("abc", 0, ""),
    ],
)
def test_truncate(text: str, limit: int, expected: str) -> None:
    assert slack_text.truncate(text, limit) == expected


@pytest.mark.parametrize("raw", [*INJECTIONS, BIG_AMP[:50], "x&y<z>" * 10])
def test_truncate_never_halves_an_entity(raw: str) -> None:
    escaped = slack_text.escape(raw * 3)
    for limit in range(1, len(escaped) + 2):
        cut = slack_text.truncate(escaped, limit)
        assert len(cut) <= limit
        no_ping(cut)


@pytest.mark.parametrize(
    ("text", "limit", "max_chunks"),
    [
        ("One. Two. Three. " * 400, 3000, 10),
        ("word " * 5000, 3000, 3),
        (slack_text.escape(BIG_AMP), 3000, 6),
        ("para one\n\npara two\nline " * 300, 500, 50),
        ("x" * 10_000, 3000, 10),
    ],
)
def test_split(text: str, limit: int, max_chunks: int) -> None:
    chunks = slack_text.split(text, limit, max_chunks=max_chunks)
    assert 1 <= len(chunks) <= max_chunks
    for c in chunks:
        assert c.strip() and len(c) <= limit
        assert not re.search(r"&(?!amp;|lt;|gt;)", c)
    if len(text) <= limit * max_chunks // 2:  # everything fits: nothing may be lost
        assert "".join("".join(chunks).split()) == "".join(text.split())


# -- answers from the real engine ------------------------------------------------------------------

# The knowledge base and matcher evolve, so these tests derive what to expect from the Answer itself
# rather than pinning a status: the rendering contract holds for whatever the engine says.
REAL_QUESTIONS = [
    "who heads the ims",
    "where are JFC Naples and JFC Brunssum?",
    "when was the IMS set up and how many people work there? who heads it?",
    "objective 2.2",
    "who commands jfc naples",
    "weather today",
    "hello",
    "",
    HUGE,
    "<!channel> who heads the ims <@U0123ABC>",
    "<!everyone> what is the weather <!here>",
]
RATED = ("answer", "no-data", "fallback", "ambiguous")
PROMPTS = {"answer": "Related questions", "no-data": "What I can tell you instead", "fallback": "Try one of these",
           "ambiguous": "Which one do you mean?", "greeting": "You could ask", "invalid": "You could ask"}


@pytest.mark.parametrize("question", REAL_QUESTIONS, ids=[q[:40] for q in REAL_QUESTIONS])
@pytest.mark.parametrize("ephemeral", [False, True])
@pytest.mark.parametrize("echo", [False, True])
def test_real_answers_within_limits(engine: Engine, question: str, ephemeral: bool, echo: bool) -> None:
    answer = engine.ask(question)
    msg = blocks.render(answer, ephemeral=ephemeral, echo_question=echo)
    check_message(msg)
    for text in displayed(msg):
        no_ping(text)
    ids = actions(msg)
    rated = answer.status in RATED
    assert ("natobot_feedback_up" in ids) is rated and ("natobot_feedback_down" in ids) is rated
    assert ("natobot_share" in ids) is (ephemeral and rated)
    if rated and ephemeral:
        assert ids["natobot_share"]["value"] == answer.question[:1900]
    echoed = any(":speech_balloon:" in t for t in displayed(msg))
    assert echoed is (echo and bool(answer.question.strip()))


@pytest.mark.parametrize("question", REAL_QUESTIONS[:6], ids=[q[:40] for q in REAL_QUESTIONS[:6]])
def test_real_answer_content(engine: Engine, question: str) -> None:
    """Answer first: no header, no echo in a thread; the answer's text leads, one grey line of sources."""
    answer = engine.ask(question)
    msg = blocks.render(answer)
    shown = "\n".join(displayed(msg))
    esc = slack_text.escape
    assert all(b["type"] != "header" for b in msg["blocks"])
    assert ":speech_balloon:" not in shown
    first = msg["blocks"][0]
    assert first["type"] == "section"
    lead = (answer.parts[0].text if len(answer.parts) == 1 else answer.parts[0].title if answer.parts else answer.text)
    assert esc(lead[:60]) in first["text"]["text"]
    for part in answer.parts or [Part(entry="", title="", text=answer.text)]:
        assert esc(part.text[:60]) in shown
        if part.caveat:
            assert f":warning: {esc(part.caveat)}" in shown
        for f in part.fields[:3]:
            assert f"*{esc(f.label)}*\n{esc(f.value)}" in shown
    source_lines = [t for t in displayed(msg) if t.startswith(":books: ")]
    assert len(source_lines) == (1 if answer.sources else 0)
    for src in answer.sources:
        assert slack_text.plain(citations.short_name(src), 60) in source_lines[0]
    if answer.sources:
        assert json.loads(actions(msg)["natobot_sources"]["value"]) == [[s.doc, s.section] for s in answer.sources]
    buttons = answer.suggestions or answer.related
    if buttons:
        assert (f"*{PROMPTS[answer.status]}*" in shown) is (answer.status != "answer")
        assert [actions(msg)[f"natobot_ask_{i}"]["value"] for i in range(min(len(buttons), 5))] == buttons[:5]
    assert msg["text"] == slack_text.truncate(esc(answer.text.strip()), 3000)


def test_real_engine_covers_statuses(engine: Engine) -> None:
    """The real engine gives answers, fallbacks, greetings and invalid input; all render."""
    seen = {engine.ask(q).status for q in REAL_QUESTIONS}
    assert {"answer", "fallback", "greeting", "invalid"} <= seen


def test_multi_part_answer_has_one_section_per_part(engine: Engine) -> None:
    answer = engine.ask("where are JFC Naples and JFC Brunssum?")
    msg = blocks.render(answer)
    titled = [b for b in msg["blocks"] if b["type"] == "section" and "text" in b and b["text"]["text"].startswith("*")]
    assert [b["text"]["text"].split("\n")[0] for b in titled] == [f"*{p.title}*" for p in answer.parts]
    field_sections = [b for b in msg["blocks"] if b["type"] == "section" and "fields" in b]
    assert len(answer.parts) == 2 and len(field_sections) == sum(bool(p.fields) for p in answer.parts)


def test_fields_capped_at_ten_preferred_first() -> None:
    labels = ["Staff", "Type", "Head", "A", "B", "C", "Level", "D", "E", "F", "G", "Location"]
    part = Part(entry="e", title="T", text="x", fields=[AnswerField(label=lb, value="v") for lb in labels])
    (fields,) = [b["fields"] for b in blocks.render(synthetic("answer", parts=[part]))["blocks"] if "fields" in b]
    shown = [f["text"].split("\n")[0] for f in fields]
    assert shown == ["*Location*", "*Level*", "*Head*", "*Staff*", "*Type*", "*A*", "*B*", "*C*", "*D*", "*E*"]


def test_related_buttons_ask_the_question(engine: Engine) -> None:
    answer = engine.ask("who heads the ims")
    assert answer.related
    ids = actions(blocks.render(answer))
    asks = {k: v for k, v in ids.items() if k.startswith("natobot_ask_")}
    questions = answer.suggestions or answer.related
    assert list(asks) == [f"natobot_ask_{i}" for i in range(len(questions))]
    assert [b["value"] for b in asks.values()] == questions


def test_fallback_offers_suggestions(engine: Engine) -> None:
    answer = engine.ask("weather today")
    msg = blocks.render(answer)
    ids = actions(msg)
    assert [ids[f"natobot_ask_{i}"]["value"] for i in range(len(answer.suggestions))] == answer.suggestions
    assert msg["text"].startswith("I don't know that one")


def test_follow_up_context_answer_renders(engine: Engine) -> None:
    ctx = Context()
    engine.ask("what is the ims", ctx)
    check_message(blocks.render(engine.ask("who heads it?", ctx)))


def test_ambiguous_reference_renders(engine: Engine) -> None:
    answer = engine.ask("objective 2")  # Mission Objectives 2.1 and 2.2, or Management Objective 2
    assert answer.status == "ambiguous"
    assert len(answer.suggestions) >= 2
    msg = blocks.render(answer)
    check_message(msg)
    assert "Which one do you mean?" in "\n".join(displayed(msg))
    assert sum(k.startswith("natobot_ask_") for k in actions(msg)) == len(answer.suggestions)


# -- synthetic answers: every status, injection everywhere, huge everything ------------------------

STATUSES = ["answer", "no-data", "fallback", "ambiguous", "greeting", "invalid"]


def everything(status: str, text: str) -> Answer:
    """An Answer with `text` in every field a user or a document could influence."""
    part = Part(entry="e1", title=text, text=text, caveat=text,
                fields=[AnswerField(label=text, value=text) for _ in range(15)])
    return Answer(
        question=text, status=status, answered=status == "answer", title=text, text=text,
        parts=[part, part.model_copy(update={"entry": "e2"})],
        sources=[Source(doc=f"d{i}", title=text, date=text, section=f"{i}") for i in range(15)],
        related=[f"{text} {i}" for i in range(8)], suggestions=[f"{text} s{i}" for i in range(8)],
        entry=text,
    )


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("payload", [*INJECTIONS, HUGE, BIG_AMP, "\x00" * 3000, "🎖️" * 5000],
                         ids=[f"inj{i}" for i in range(len(INJECTIONS))] + ["huge", "amp", "nul", "emoji"])
@pytest.mark.parametrize("ephemeral", [False, True])
def test_synthetic_any_input_any_status(status: str, payload: str, ephemeral: bool) -> None:
    answer = everything(status, payload)
    msg = blocks.render(answer, ephemeral=ephemeral)
    check_message(msg)
    for text in displayed(msg):
        no_ping(text)
    ids = actions(msg)
    assert sum(k.startswith("natobot_ask_") for k in ids) == 5
    if "natobot_feedback_up" in ids:
        value = json.loads(ids["natobot_feedback_up"]["value"])
        assert set(value) == {"q", "e"}
        assert payload.startswith(value["q"]) and value["q"]
        assert value["e"] == payload[:200]


@pytest.mark.parametrize("parts", [1, 2, 20, 200])
@pytest.mark.parametrize("text_len", [10, 3500, 56 * 1024])
def test_block_budget(parts: int, text_len: int) -> None:
    text = ("word " * text_len)[:text_len]
    ps = [Part(entry=f"e{i}", title=f"Part {i}", text=text, caveat="careful",
               fields=[AnswerField(label="Location", value="here")]) for i in range(parts)]
    msg = blocks.render(synthetic("answer", parts=ps, text=text, related=["a?", "b?"],
                                  sources=[Source(doc="d", title="t", date="d", section="s")]))
    check_message(msg)
    kinds = [b["type"] for b in msg["blocks"]]
    # However long the body, the sources, buttons and feedback survive at the end.
    assert kinds[-1] == "actions" and kinds[-2] == "actions" and kinds[-3] == "context" and kinds[0] == "section"
    if len(msg["blocks"]) == 50:
        assert any("shortened" in t for t in displayed(msg))


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("short", None),
        ("x" * 5000, "ims"),
        ("\x00" * 5000, "e" * 1000),
        ('"\\' * 3000, None),
        ("é" * 600, "objective-2-2"),
    ],
)
def test_feedback_value(question: str, entry: str | None) -> None:
    value = blocks.feedback_value(question, entry)
    assert len(value) <= 2000
    data = json.loads(value)
    assert question[:500].startswith(data["q"]) and data["q"]
    assert data["e"] == (entry[:200] if entry else None)
    if len(json.dumps({"q": question[:500], "e": entry}, ensure_ascii=False)) < 1500:
        assert data["q"] == question[:500]


def test_echoed_question_is_escaped_and_bounded() -> None:
    question = "<!here> " + "y" * 1000
    msg = blocks.render(synthetic("answer", question=question), ephemeral=True)
    (echo,) = [t for t in displayed(msg) if ":speech_balloon:" in t]
    assert echo.startswith(":speech_balloon: &lt;!here&gt; yyy") and echo.endswith("…")
    assert len(echo) <= 300 + len(":speech_balloon: ")


def test_blank_and_empty_pieces_never_make_empty_text_objects() -> None:
    blank = Part(entry="e", title="", text=" ", caveat=" ", fields=[AnswerField(label="", value="")])
    answer = synthetic("answer", title=" ", text="  \n ", question="  ", parts=[blank], related=["", "  "])
    msg = blocks.render(answer, ephemeral=True)
    check_message(msg)
    assert "natobot_share" not in actions(msg)  # nothing to share


@pytest.mark.parametrize("text", ["Sorry, something went wrong.", *INJECTIONS, HUGE, BIG_AMP])
def test_notice(text: str) -> None:
    msg = blocks.notice(text)
    check_message(msg)
    for shown in displayed(msg):
        no_ping(shown)


# -- help and App Home -----------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["/nato", "/natobot", "/nato<!here>", "x" * 500])
def test_help_blocks(command: str) -> None:
    msg = blocks.help_blocks(command, examples=["Who heads the IMS?", "objective 2.2"],
                             usage=usage_lines(Engine.load()))
    check_message(msg)
    shown = "\n".join(displayed(msg))
    for text in displayed(msg):
        no_ping(text)
    for sub in ("lookup TERM", "objective 2.1", "goal 3", "divisions", "commands", "help"):
        assert sub in shown
    if command == "/nato":
        assert "`/nato QUESTION`" in shown
    assert all(k.startswith("natobot_ask_") for k in actions(msg))


NOW = datetime(2024, 1, 1, tzinfo=UTC)
SUBS = [
    Sub("C0123ABCD", "T1", "08:00", "Europe/Brussels", True, None, NOW),
    Sub("G0456", "T1", "17:30", "America/New_York", False, "channel_not_found <!channel>", NOW),
    Sub("<!here>", "T1", "09:00", "<@U1>", True, None, NOW),  # a bad row must still not ping
]


@pytest.mark.parametrize(
    ("with_digest", "subs", "samples", "topics"),
    [
        (True, SUBS, ["who heads the IMS?", "<!channel>"], ["The IMS", "The command structure & more"]),
        (False, [], [], []),
        (True, SUBS * 200, ["q?"] * 500, ["t" * 5000] * 500),
        (False, [], [HUGE], [HUGE]),
    ],
    ids=["normal", "empty", "many", "huge"],
)
def test_home_view(engine: Engine, with_digest: bool, subs: list[Sub], samples: list[str],
                   topics: list[str]) -> None:
    from bot.digest import service as dg
    from bot.render import home

    digest = dg.digest_blocks(dg.build_digest(engine, NOW.date())) if with_digest else None
    view = home.home_view(topics=topics, examples=samples, digest=digest,
                          subscriptions=[(s, dg.describe(s)) for s in subs])
    assert view["type"] == "home"
    check_blocks(view["blocks"], 100)
    View(**view).validate_json()
    for text in displayed(view):
        # The only link the Home tab makes is to a valid channel id from the store (and the known documents).
        no_ping(re.sub(r"<#[CG][A-Z0-9]+>", "", text))
    shown = "\n".join(displayed(view))
    ids = [e["action_id"] for b in view["blocks"] for e in (b.get("elements") or [b.get("accessory") or {}])
           if isinstance(e, dict) and "action_id" in e]
    assert home.LOOKUP_ACTION in ids and home.SUBSCRIBE_ACTION in ids
    if subs:
        assert "<#C0123ABCD>: 08:00 Europe/Brussels, weekdays only" in shown
        assert "<#G0456>: 17:30 America/New_York, every day" in shown
        assert "channel_not_found &lt;!channel&gt;" in shown
        assert home.UNSUBSCRIBE_ACTION.format(0) in ids
    if samples and samples[0] == "who heads the IMS?":
        assert "natobot_home_ask_0" in ids and "natobot_home_ask_1" in ids
    if with_digest:
        assert "July 2022" in shown
    else:
        assert "No digest today." in shown


def test_subscribe_view_and_values() -> None:
    from bot.render import home

    view = home.subscribe_view()
    View(**view).validate_json()
    check_blocks(view["blocks"], 100)
    state = {"values": {
        home.CHANNEL_BLOCK: {home.CHANNEL_ACTION: {"type": "conversations_select", "selected_conversation": "C9"}},
        home.CADENCE_BLOCK: {home.CADENCE_ACTION: {"type": "static_select", "selected_option": {"value": "weekly"}}},
        home.WEEKDAY_BLOCK: {home.WEEKDAY_ACTION: {"type": "static_select", "selected_option": {"value": "4"}}},
        home.TIME_BLOCK: {home.TIME_ACTION: {"type": "timepicker", "selected_time": "07:45"}},
        home.ZONE_BLOCK: {home.ZONE_ACTION: {"type": "plain_text_input", "value": "europe/paris"}},
        home.CONTENT_BLOCK: {home.CONTENT_ACTION: {"type": "checkboxes", "selected_options": []}},
    }}
    assert home.subscribe_values(state) == {"channel": "C9", "cadence": "weekly", "weekday": 4, "time": "07:45",
                                            "zone": "europe/paris", "include_management": False}
    assert home.subscribe_values({})["include_management"] is True
