"""Screenshots of natobot in Slack for docs/slack.md, from the payloads natobot really sends.

    python -m benchmarks.screenshots [--out docs/slack] [--chromium /usr/bin/chromium]

Each scene is built with the same functions the Slack handlers call (cards through bot.answering.suggest and
bot.render.blocks, the digest through bot.digest.service, the Home and modals through bot.render), written as JSON
(paste it into Slack's Block Kit Builder to compare) and as HTML in a small approximation of Slack's layout
(bot.render.preview), then photographed with headless Chromium. Docs only: nothing in CI needs Chromium.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.answering.engine import Engine
from bot.answering.suggest import Related
from bot.digest import blocks as render_digest
from bot.digest import service as dg
from bot.digest.content import content
from bot.render import blocks, citations, feedback, home, lookup, preview
from bot.store.digest import Subscription

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1")
DAY = date(2025, 3, 4)  # a Tuesday: the digest shown is this day's


@dataclass
class Scene:
    name: str
    caption: str
    payload: dict[str, Any]
    html: str
    width: int = 680


def card(engine: Engine, related: Related, question: str, **kw: Any) -> dict[str, Any]:
    return blocks.render(related.apply(engine.ask(question)), **kw)


def scenes(engine: Engine) -> list[Scene]:
    from handlers.commands import with_share_value
    from handlers.home import sample_questions, topics
    from handlers.shortcuts import with_reply_button

    related = Related(engine)
    words = content(engine)
    out: list[Scene] = []

    def add(name: str, caption: str, payload: dict[str, Any], html: str, width: int = 680) -> None:
        out.append(Scene(name, caption, payload, preview.page(html, wide=width > 700), width))

    heads = card(engine, related, "Who heads the IMS?")
    add("thread-answer", "A mention answered in the thread under it: the answer first, a caveat, one line of "
        "sources (linked where public), three related questions, feedback and Sources.",
        heads, preview.thread("@natobot Who heads the IMS?", heads["blocks"]))
    two = card(engine, related, "Where are JFC Naples and JFC Brunssum?")
    add("thread-two-parts", "Two commands in one question: one short part each.", two,
        preview.thread("@natobot Where are JFC Naples and JFC Brunssum?", two["blocks"]))
    unknown = card(engine, related, "What is NATO's budget this year?")
    add("fallback", "Out of scope: says so and offers what it can answer.", unknown,
        preview.thread("@natobot What is NATO's budget this year?", unknown["blocks"]))
    shape = engine.lookup("SHAPE")
    slash = with_share_value(blocks.render(related.apply(shape), ephemeral=True), "lookup SHAPE")
    add("slash-lookup", "`/nato lookup SHAPE`: an ephemeral card (the command is repeated, since it is not on "
        "screen) with Share in channel.", slash, preview.message(slash["blocks"], only_you=True))
    closed = {**heads, "blocks": feedback.closed(heads["blocks"], "up")}
    add("feedback-closed", "After a vote the buttons give way to “Thanks, recorded”; Sources stays.", closed,
        preview.message(closed["blocks"]))
    form = feedback.form_view("Who heads the IMS?", feedback.form_metadata(
        team="T1", channel="C1", message_ts="1.1", question="Who heads the IMS?", entry="ims"))
    add("feedback-form", "“Not helpful” opens this optional form.", form, preview.modal(form), 600)
    pairs = [(s.doc, s.section) for s in engine.ask("Who heads the IMS?").sources]
    sources = citations.citations_view(pairs, engine.kb.documents)
    add("sources", "“Sources”: the full citations, one click away.", sources, preview.modal(sources), 600)
    shortcut_value = json.dumps({"c": "C1", "t": "1.1", "q": "who heads the IMS?"})
    short = with_reply_button(blocks.render(related.apply(engine.ask("who heads the IMS?")), ephemeral=True),
                              shortcut_value)
    add("shortcut", "The message shortcut “Ask natobot” on someone's message: a private answer, and “Reply in "
        "thread” to share it there.", short, preview.message(short["blocks"], only_you=True))
    modal = lookup.view(lookup.metadata(response_url=None, channel=None, user="U1"))
    add("lookup-modal", "`/nato lookup` with no term (or the Home's “Look something up”): suggestions come from "
        "the catalogue as you type.", modal, preview.modal(modal), 600)

    digest = dg.build_digest(engine, DAY)
    posted = dg.digest_blocks(digest)
    add("digest", "The digest as posted in a channel: a few lines from one angle, what the strategy is and when "
        "it dates from, “More on this” and a question to ask.", posted, preview.message(posted["blocks"]))
    more = render_digest.long_blocks(digest.piece.entry, words)
    add("digest-more", "“More on this”: the long form, only for whoever clicked.", more,
        preview.message(more["blocks"], only_you=True))

    preview.CHANNEL_NAMES.update({"C0STAFF": "staff-questions", "C0POLICY": "policy-desk"})
    now = datetime(2025, 3, 4, 8, tzinfo=UTC)
    subs = [Subscription(channel="C0STAFF", team="T1", time="09:00", tz="Europe/Brussels", weekdays=True, error=None,
                         created_at=now, last_sent_date=None, cadence="weekdays"),
            Subscription(channel="C0POLICY", team="T1", time="08:30", tz="America/New_York", weekdays=False,
                         error="not_in_channel", created_at=now, last_sent_date=None, cadence="weekly", weekday=0,
                         include_management=False)]
    view = home.home_view(topics=topics(engine), examples=sample_questions(engine), digest=posted,
                          subscriptions=[(s, dg.describe(s)) for s in subs])
    add("app-home", "The App Home: example questions (answered in the DM), lookup, today's digest, and the "
        "workspace's subscriptions.", view, preview.home(view), 860)
    subscribe = home.subscribe_view()
    add("subscribe-modal", "Subscribing a channel from the Home: a conversations select, cadence, day, time, zone "
        "and whether to include the management objectives.", subscribe, preview.modal(subscribe), 600)
    return out


def photograph(html_file: Path, png: Path, width: int, chromium: str) -> None:
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--window-size={width},2400", f"--screenshot={png}",
                    html_file.as_uri()], check=True, capture_output=True, timeout=120)
    crop(png)


def crop(png: Path, margin: int = 12) -> None:
    """Cut the empty page below the content (Pillow comes with matplotlib, in the dev extra)."""
    from PIL import Image, ImageChops

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        background = Image.new("RGB", rgb.size, (255, 255, 255))
        box = ImageChops.difference(rgb, background).getbbox()
        if box is not None:
            rgb.crop((0, 0, rgb.width, min(rgb.height, box[3] + margin))).save(png)


def main(argv: list[str] | None = None, *, make: Callable[[Engine], list[Scene]] = scenes) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/slack"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--html-only", action="store_true", help="write JSON and HTML, take no screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    engine = Engine.load()
    with tempfile.TemporaryDirectory(prefix="natobot-shots-") as tmp:
        for scene in make(engine):
            (args.out / f"{scene.name}.json").write_text(json.dumps(scene.payload, indent=1, ensure_ascii=False) + "\n")
            html_file = Path(tmp) / f"{scene.name}.html"
            html_file.write_text(scene.html, encoding="utf-8")
            if args.html_only:
                (args.out / f"{scene.name}.html").write_text(scene.html, encoding="utf-8")
                continue
            if not Path(args.chromium).exists():
                sys.stderr.write(f"natobot: no Chromium at {args.chromium} (apt-get install chromium)\n")
                return 1
            photograph(html_file, args.out / f"{scene.name}.png", scene.width, args.chromium)
            print(f"{args.out / scene.name}.png  {scene.caption}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
