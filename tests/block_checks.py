"""Slack's documented Block Kit limits, checked on any list of blocks natobot renders (test_blocks and
test_slack_payloads both use it, so the two cannot drift apart)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk.models.blocks import Block

# Slack's limits (Block Kit and views reference).
LIMITS = {"message_blocks": 50, "view_blocks": 100, "section_text": 3000, "fields": 10, "field_text": 2000,
          "context_elements": 10, "actions_elements": 25, "button_text": 75, "value": 2000, "option_text": 75,
          "option_value": 150, "header_text": 150, "private_metadata": 3000, "view_title": 24, "text": 40000,
          "action_id": 255}


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a payload, at any depth."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def text_objects(node: Any) -> list[dict[str, Any]]:
    return [o for o in walk(node) if o.get("type") in ("mrkdwn", "plain_text")]


def check_blocks(bs: list[dict[str, Any]], max_blocks: int) -> None:
    assert 1 <= len(bs) <= max_blocks
    block_ids = [b["block_id"] for b in bs if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)), block_ids
    action_ids = [e["action_id"] for e in walk(bs) if "action_id" in e]
    assert len(action_ids) == len(set(action_ids)), action_ids
    for b in bs:
        Block.parse(b).validate_json()  # type: ignore[union-attr]
        _check_block(b)
    for element in walk(bs):
        if element.get("type") == "button":
            assert 1 <= len(element["text"]["text"]) <= LIMITS["button_text"]
            assert "value" not in element or 1 <= len(element["value"]) <= LIMITS["value"]
        if "options" in element and isinstance(element["options"], list):
            for option in element["options"]:
                assert len(option["text"]["text"]) <= LIMITS["option_text"]
                assert len(option["value"]) <= LIMITS["option_value"]
    for t in text_objects(bs):
        assert t["text"].strip(), "Slack refuses empty text"
        assert len(t["text"]) <= LIMITS["section_text"]
        if t["type"] == "mrkdwn":
            assert t.get("verbatim") is True, t["text"][:80]  # never auto-parse a bare @here


def _check_block(b: dict[str, Any]) -> None:
    if b["type"] == "section":
        assert "text" in b or "fields" in b
        if "text" in b:
            assert 1 <= len(b["text"]["text"]) <= LIMITS["section_text"]
        assert len(b.get("fields", [])) <= LIMITS["fields"]
        assert all(len(f["text"]) <= LIMITS["field_text"] for f in b.get("fields", []))
    if b["type"] == "header":
        assert 1 <= len(b["text"]["text"]) <= LIMITS["header_text"]
    if b["type"] == "context":
        assert 1 <= len(b["elements"]) <= LIMITS["context_elements"]
        assert all(e["text"].strip() for e in b["elements"])
    if b["type"] == "actions":
        assert 1 <= len(b["elements"]) <= LIMITS["actions_elements"]
        for e in b["elements"]:
            assert 1 <= len(e["text"]["text"]) <= LIMITS["button_text"]
            assert 1 <= len(e["value"]) <= LIMITS["value"]
            assert len(e["action_id"]) <= LIMITS["action_id"]
