"""Block Kit rendering: answers and usage, always inside Slack's limits (the App Home: bot.render.home).

Every piece of text, from the user or from the knowledge base, is escaped (`bot.render.text.escape`)
before it is cut to a limit, and every mrkdwn text object is sent with `verbatim: true`, so Slack
neither parses `<!channel>`-style control sequences nor auto-links a bare `@here`. Button *values*
are not displayed, so they carry the raw question (bounded) for the action handlers to ask again.

Action ids the handlers listen for:
    natobot_ask_0 .. natobot_ask_4   value = a question to ask (related questions, suggestions)
    natobot_feedback_up / _down      value = JSON {"q": question[:500], "e": entry id or null}
    natobot_share                    value = the question[:1900] (ephemeral answers only)
    natobot_sources                  value = JSON [[doc id, section], ...]: opens the full citations
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.answering.answer import Answer, AnswerField, Part, Source
from bot.render import citations
from bot.render.text import escape, plain, split, truncate

Block = dict[str, Any]

# Slack's limits (Block Kit reference); a message over any of them is refused with invalid_blocks.
MAX_BLOCKS = 50  # per message
MAX_HOME_BLOCKS = 100  # per Home tab view
SECTION_TEXT = 3000  # section text, and any mrkdwn text object
MESSAGE_TEXT = 3000  # our own bound on the top-level `text` (Slack truncates at 40,000)
HEADER_TEXT = 150
FIELD_TEXT = 2000
MAX_FIELDS = 10
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
BUTTON_VALUE = 2000

# Our own bounds, well inside Slack's, so a reply stays readable whatever comes in.
ECHO_LIMIT = 300  # the user's question shown back to them
MAX_TEXT_SECTIONS = 6  # one text body: 18,000 characters is far beyond any knowledge-base answer
MAX_ASK_BUTTONS = 5  # natobot_ask_0 .. natobot_ask_4 (answers get 3, see bot.answering.suggest)
FEEDBACK_QUESTION = 500
SHARE_VALUE = 1900
ENTRY_ID = 200

ASK_ACTION = "natobot_ask_{}"
FEEDBACK_UP = "natobot_feedback_up"
FEEDBACK_DOWN = "natobot_feedback_down"
SHARE_ACTION = "natobot_share"
SOURCES_ACTION = "natobot_sources"
ASK_BLOCK = "natobot_ask"
FEEDBACK_BLOCK = "natobot_feedback"

# Fields most worth the space come first when an entry has more than Slack's ten.
_FIELD_ORDER = ("Location", "Level", "Head", "Number", "Goal", "Part of", "Under")
# Statuses where an answer was attempted: these can be rated and shared. Greetings and invalid
# input (empty, 56 KB) get neither: there is nothing to rate and nothing worth posting to a channel.
_RATED = frozenset({"answer", "no-data", "fallback", "ambiguous"})
_BUTTON_PROMPT = {
    "answer": "Related questions",
    "no-data": "What I can tell you instead",
    "fallback": "Try one of these",
    "ambiguous": "Which one do you mean?",
}


# -- small builders --------------------------------------------------------------------------------

def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object; `text` must already be escaped. verbatim stops auto-parsing of @here."""
    return {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT) or " ", "verbatim": True}


def plain_text(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": plain(text, limit) or "natobot", "emoji": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:CONTEXT_ELEMENTS]]}


def header(title: str) -> Block:
    return {"type": "header", "text": plain_text(title, HEADER_TEXT)}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain_text(text, BUTTON_TEXT),
        "value": value[:BUTTON_VALUE],
    }
    if style:
        out["style"] = style
    return out


def text_sections(text: str, *, prefix: str = "") -> list[Block]:
    """Escaped `text` as one or more sections (Slack's 3000 per section); `prefix` is trusted mrkdwn."""
    room = SECTION_TEXT - len(prefix)
    chunks = split(escape(text), room, max_chunks=MAX_TEXT_SECTIONS)
    if not chunks:
        return [section(prefix)] if prefix.strip() else []
    chunks[0] = prefix + chunks[0]
    return [section(c) for c in chunks]


def bullets(items: Sequence[str], *, limit: int = SECTION_TEXT) -> str:
    return truncate("\n".join(f"• {plain(i, 300)}" for i in items if i.strip()), limit)


def fit(head: list[Block], body: list[Block], tail: list[Block], limit: int) -> list[Block]:
    """Keep the title and the buttons; shorten the body so the whole stays within `limit` blocks."""
    if len(head) + len(body) + len(tail) <= limit:
        return head + body + tail
    room = max(limit - len(head) - len(tail) - 1, 0)
    note = context("_…shortened to fit in Slack. Ask about one thing at a time for the full answer._")
    return (head + body[:room] + [note] + tail)[:limit]


# -- answers ---------------------------------------------------------------------------------------
#
# A card answers first and stays short: the answer's own text (its first sentence answers the question), a
# caveat where the sources disagree or are dated, fields only when the answer carries some, one grey line of
# short source names (linked where the document is public; "Sources" opens the full citations), then at most
# three related questions and the feedback buttons. No header and no echo of the question under the question
# itself; where the question is not on screen (a slash command's ephemeral reply) one grey line repeats it.

def render(answer: Answer, *, ephemeral: bool = False, echo_question: bool | None = None) -> dict[str, Any]:
    """An Answer as a chat.postMessage / postEphemeral / response_url payload: {"text", "blocks"}.

    `echo_question` defaults to `ephemeral`: a thread or DM has the question right above the answer.
    """
    echo = ephemeral if echo_question is None else echo_question
    head: list[Block] = []
    if echo and answer.question.strip():
        head.append(context(f":speech_balloon: {plain(answer.question, ECHO_LIMIT)}"))
    return {"text": _message_text(answer), "blocks": fit(head, _body(answer), _tail(answer, ephemeral), MAX_BLOCKS)}


def _message_text(answer: Answer) -> str:
    """The notification / screen-reader text: the answer itself, escaped and bounded."""
    text = answer.text.strip() or answer.title.strip()
    return truncate(escape(text), MESSAGE_TEXT) or "natobot"


def _body(answer: Answer) -> list[Block]:
    if len(answer.parts) == 1:
        # An overview card ("what is X", `/nato lookup X`) is named in bold on its first line; an answer to a
        # particular question ("who heads X?") starts with the answer itself.
        overview = answer.status == "answer" and answer.facet is None
        return _part_blocks(answer.parts[0], titled=overview)
    if answer.parts:
        return [b for p in answer.parts for b in _part_blocks(p, titled=True)]
    return text_sections(answer.text)


def _part_blocks(part: Part, *, titled: bool) -> list[Block]:
    prefix = f"*{plain(part.title, 200)}*\n" if titled else ""
    out = text_sections(part.text, prefix=prefix)
    if part.caveat and part.caveat.strip():
        out.append(context(f":warning: {escape(part.caveat.strip())}"))
    fields = _fields(part.fields)
    if fields:
        out.append({"type": "section", "fields": fields})
    return out


def _fields(fields: Sequence[AnswerField]) -> list[dict[str, Any]]:
    def rank(f: AnswerField) -> int:
        return _FIELD_ORDER.index(f.label) if f.label in _FIELD_ORDER else len(_FIELD_ORDER)

    picked = sorted((f for f in fields if f.label.strip() and f.value.strip()), key=rank)[:MAX_FIELDS]
    out: list[dict[str, Any]] = []
    for f in picked:
        label = f"*{plain(f.label, 100)}*\n"
        out.append(mrkdwn(label + truncate(escape(f.value.strip()), FIELD_TEXT - len(label))))
    return out


def _tail(answer: Answer, ephemeral: bool) -> list[Block]:
    out: list[Block] = []
    sources = sources_line(answer.sources)
    if sources:
        out.append(sources)
    questions = answer.suggestions or answer.related
    asks = ask_buttons(questions)
    if asks:
        if answer.status != "answer":
            # Without an answer the buttons need a word saying what they are.
            out.append(context(f"*{_BUTTON_PROMPT.get(answer.status, 'You could ask')}*"))
        out.append({"type": "actions", "block_id": ASK_BLOCK, "elements": asks})
    row: list[dict[str, Any]] = []
    if answer.status in _RATED:
        row += [
            button(":+1: Helpful", FEEDBACK_UP, feedback_value(answer.question, answer.entry)),
            button(":-1: Not helpful", FEEDBACK_DOWN, feedback_value(answer.question, answer.entry)),
        ]
    row += more_buttons(answer, ephemeral)
    if row:
        out.append({"type": "actions", "block_id": FEEDBACK_BLOCK, "elements": row})
    return out


def more_buttons(answer: Answer, ephemeral: bool) -> list[dict[str, Any]]:
    """The buttons next to the feedback ones that stay after a vote: Sources, and Share for ephemeral answers."""
    out: list[dict[str, Any]] = []
    if answer.sources:
        out.append(button("Sources", SOURCES_ACTION, citations.sources_value(answer.sources)))
    if ephemeral and answer.status in _RATED and answer.question.strip():
        out.append(button("Share in channel", SHARE_ACTION, answer.question[:SHARE_VALUE], style="primary"))
    return out


def sources_line(sources: Sequence[Source]) -> Block | None:
    """One grey line of short document names, each linked where the document has a public address."""
    first: dict[str, Source] = {}
    for s in sources:
        first.setdefault(s.doc, s)
    if not first:
        return None
    names = [citations.short_link(s) for s in first.values()]
    return context(":books: " + " · ".join(names))


def ask_buttons(questions: Sequence[str]) -> list[dict[str, Any]]:
    """Up to five buttons that ask a question when clicked; ids natobot_ask_0.. are unique in the block."""
    unique = [q for q in dict.fromkeys(q.strip() for q in questions) if q][:MAX_ASK_BUTTONS]
    return [button(q, ASK_ACTION.format(i), q) for i, q in enumerate(unique)]


def feedback_value(question: str, entry: str | None) -> str:
    """JSON {"q", "e"} within Slack's 2000-character value, however the question escapes in JSON."""
    q = question[:FEEDBACK_QUESTION]
    e = entry[:ENTRY_ID] if entry else None
    while True:
        value = json.dumps({"q": q, "e": e}, ensure_ascii=False, separators=(",", ":"))
        if len(value) <= BUTTON_VALUE:
            return value
        q = q[: len(q) // 2]  # control characters escape to 6 characters each; halve until it fits


def notice(text: str) -> dict[str, Any]:
    """A short plain message (an apology, a confirmation) as {"text", "blocks"}; `text` is escaped."""
    body = truncate(escape(text.strip()), MESSAGE_TEXT) or "natobot"
    return {"text": body, "blocks": [section(body)]}


# -- usage -----------------------------------------------------------------------------------------

def help_blocks(command: str = "/nato", *, examples: Sequence[str],
                usage: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Usage for `/nato`, `/nato help` and unknown sub-commands, with example questions as buttons.

    `usage` is (form, what it does) per sub-command: handlers/commands.py's table, so help lists every one
    (tests/wire/test_slack_manifest.py checks it against the manifest's usage hint).
    """
    cmd = plain(command, 40)
    lines = "\n".join(f"`{cmd} {plain(form, 200)}`: {text}" for form, text in usage)
    blocks: list[Block] = [
        header("How to ask natobot"),
        section(
            "Mention me in a channel and I answer in a thread, or send me a direct message. "
            "Follow-up questions such as _who heads it?_ work in the same thread or DM. On any message, "
            "*More actions → Ask natobot* answers about it; my App Home has examples and digest settings."
        ),
        section(lines),
    ]
    asks = ask_buttons(examples)
    if asks:
        blocks += [context("*Try one of these*"), {"type": "actions", "block_id": ASK_BLOCK, "elements": asks}]
    text = f"How to ask natobot: mention me, DM me, or use {cmd} QUESTION. {cmd} help shows this message."
    return {"text": truncate(text, MESSAGE_TEXT), "blocks": blocks}
