"""slack-manifest.yml asks only for the scopes natobot uses; the auto-answer manifest adds exactly the optional
channel scopes; the usage hint and `/nato help` list every sub-command; shortcuts and the assistant match the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.answering.engine import Engine
from bot.render import blocks
from handlers import shortcuts
from handlers.commands import usage_lines

ROOT = Path(__file__).resolve().parents[2]
# Every Web API method natobot calls, with the bot scope it needs (None: none needed). A method the code calls
# that is missing here fails test_every_api_method_natobot_calls_is_known.
METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "views.publish": None,
    "views.open": None,
    "assistant.threads.setStatus": "assistant:write",
    "assistant.threads.setSuggestedPrompts": "assistant:write",
    "assistant.threads.setTitle": "assistant:write",
    "conversations.info": "channels:read",  # NATOBOT_AUTO_CHANNELS by name: optional
    # Reading back natobot's own posts after a crash (bot.slack.replies, bot.digest.service), in public and
    # private channels.
    "conversations.history": "channels:history",
    "conversations.replies": "groups:history",
    "apps.connections.open": None,  # the app-level token's connections:write
}
# Scopes that come with the events and features natobot subscribes to.
EVENT_SCOPES = {"app_mention": "app_mentions:read", "message.im": "im:history", "message.channels":
                "channels:history", "message.groups": "groups:history"}
FEATURE_SCOPES = {"commands"}  # /nato and the message shortcut
OPTIONAL = {"channels:read", "groups:read"}
SUB_COMMANDS = ("QUESTION", "lookup", "objective 2.1", "goal 3", "divisions", "commands", "digest subscribe",
                "unsubscribe", "status", "now", "help")


def manifest(name: str = "slack-manifest.yml") -> dict[str, Any]:
    return yaml.safe_load((ROOT / name).read_text())


def scopes(m: dict[str, Any]) -> set[str]:
    return set(m["oauth_config"]["scopes"]["bot"])


def code() -> str:
    return "\n".join(p.read_text() for d in ("bot", "handlers") for p in sorted((ROOT / d).rglob("*.py")))


def test_every_api_method_natobot_calls_is_known() -> None:
    text = code()
    called = set(re.findall(r'"((?:chat|views|conversations|assistant\.threads|users|reactions)\.[A-Za-z]+)"',
                            text))
    called |= {m.replace("_", ".", 1) for m in re.findall(r"client\.((?:chat|conversations|views)_[A-Za-z]+)\(",
                                                          text)}
    assert called, "found no Web API calls: the pattern needs updating"
    assert called <= set(METHOD_SCOPES), sorted(called - set(METHOD_SCOPES))


def test_the_manifest_asks_only_for_scopes_natobot_uses() -> None:
    m = manifest()
    events = set(m["settings"]["event_subscriptions"]["bot_events"])
    needed = {s for s in METHOD_SCOPES.values() if s} | {EVENT_SCOPES[e] for e in events if e in EVENT_SCOPES}
    needed |= FEATURE_SCOPES | {"chat:write.public"}  # offered for digests in public channels
    assert scopes(m) == needed - OPTIONAL
    assert "im:read" not in scopes(m) and not scopes(m) & OPTIONAL
    assert events == {"app_mention", "app_home_opened", "assistant_thread_started",
                      "assistant_thread_context_changed", "message.im"}


def test_the_auto_answer_manifest_adds_only_the_optional_channel_scopes() -> None:
    base, auto = manifest(), manifest("slack-manifest.auto-answer.yml")
    assert scopes(auto) == scopes(base) | OPTIONAL
    events = set(auto["settings"]["event_subscriptions"]["bot_events"])
    assert events == set(base["settings"]["event_subscriptions"]["bot_events"]) | {"message.channels",
                                                                                    "message.groups"}
    rest = {k: v for k, v in auto.items() if k not in ("oauth_config", "settings")}
    assert rest == {k: v for k, v in base.items() if k not in ("oauth_config", "settings")}


def test_features_match_the_code() -> None:
    m = manifest()
    features = m["features"]
    assert [c["command"] for c in features["slash_commands"]] == ["/nato"]
    assert [(s["type"], s["callback_id"]) for s in features["shortcuts"]] == [("message", shortcuts.CALLBACK_ID)]
    assert features["assistant_view"]["assistant_description"]
    assert features["app_home"]["home_tab_enabled"] is True and features["app_home"]["messages_tab_enabled"]
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["socket_mode_enabled"] is True


def test_usage_hint_and_help_list_every_sub_command(engine: Engine) -> None:
    hint = manifest()["features"]["slash_commands"][0]["usage_hint"]
    shown = blocks.help_blocks("/nato", examples=["Who heads the IMS?"], usage=usage_lines(engine))
    help_text = "\n".join(str(b) for b in shown["blocks"])
    for sub in SUB_COMMANDS:
        assert sub in hint, sub
        assert sub in help_text, sub
    assert "`/nato lookup`:" in help_text  # without a term: the modal
