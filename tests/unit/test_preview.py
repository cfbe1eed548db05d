"""The HTML approximation used for docs/slack.md's screenshots renders every block kind natobot sends (no
Chromium needed: the screenshots are docs, not a CI dependency)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import screenshots as slack_screenshots
from bot.answering.engine import Engine
from bot.render import preview


def test_mrkdwn() -> None:
    html = preview.mrkdwn("*Bold* _it_ `code` <https://example.org|a link> <#C1> a &amp; b &lt;!here&gt; :books:")
    assert "<b>Bold</b>" in html and "<i>it</i>" in html and "<code>code</code>" in html
    assert '<a href="https://example.org">a link</a>' in html and "📚" in html
    assert "a &amp; b &lt;!here&gt;" in html  # shown as Slack shows it, never as markup


def test_every_scene_renders_to_html(tmp_path: Path) -> None:
    scenes = slack_screenshots.scenes(Engine.load())
    assert {s.name for s in scenes} >= {"thread-answer", "digest", "app-home", "feedback-closed", "sources"}
    for scene in scenes:
        assert scene.html.startswith("<!doctype html>") and "Lato" in scene.html
        assert "undefined" not in scene.html
    assert slack_screenshots.main(["--out", str(tmp_path), "--html-only"]) == 0
    assert (tmp_path / "thread-answer.json").exists() and (tmp_path / "app-home.html").exists()
