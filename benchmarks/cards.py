"""How big natobot's answer cards and digests are: blocks, characters and estimated lines.

    python -m benchmarks.cards [--json]

Every example question of every catalogue entry is asked (no context) and rendered as it is posted in a
thread under the question (bot.render.blocks.render through bot.answering.suggest's related questions), and as the
ephemeral `/nato` reply. Prints the median and p95 of each measure (bot.render.measure), the worst card,
and how often a related-question button repeats the question asked or its answer. Then the digest: how many
days its cycle runs before a text can come back (with and without the management objectives) and the size
of the short form over the whole cycle.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from typing import Any

from bot.answering.engine import Engine
from bot.answering.suggest import Related
from bot.digest import blocks as render_digest
from bot.digest.content import EPOCH, content
from bot.evaluation.stats import percentile
from bot.render import blocks
from bot.render.measure import Height, measure
from knowledge.text import normalise


def catalogue_questions(engine: Engine) -> list[str]:
    return [q for entry in engine.kb.entries.values() for q in entry.questions]


def _summary(heights: list[Height]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name in ("blocks", "chars", "lines"):
        values = [float(getattr(h, name)) for h in heights]
        out[name] = {"median": statistics.median(values), "p95": percentile(values, 95), "max": max(values)}
    return out


def run() -> dict[str, Any]:
    engine = Engine.load()
    related = Related(engine)
    questions = catalogue_questions(engine)
    thread: list[Height] = []
    ephemeral: list[Height] = []
    repeats = same_answer = 0
    worst: tuple[float, str] = (0.0, "")
    for question in questions:
        answer = related.apply(engine.ask(question))
        height = measure(blocks.render(answer)["blocks"])
        thread.append(height)
        ephemeral.append(measure(blocks.render(answer, ephemeral=True)["blocks"]))
        worst = max(worst, (height.lines, question))
        buttons = answer.suggestions or answer.related
        repeats += any(normalise(b) == normalise(question) for b in buttons)
        same_answer += answer.status == "answer" and any(related.key(b) == related.key(question) for b in buttons)
    words = content(engine)
    posts = [render_digest.short_blocks(p, EPOCH, words)["blocks"] for p in words.cycle()]
    digests = [measure(post) for post in posts]
    # The piece itself: the first section (its headline and its few sentences), without the grey line and buttons.
    texts = [float(measure(post[:1]).lines) for post in posts]
    return {"questions": len(questions), "thread": _summary(thread), "ephemeral": _summary(ephemeral),
            "digest": {"cycle_days": len(words.cycle()),
                       "cycle_days_mission_only": len(words.cycle(include_management=False)),
                       "short_form": _summary(digests),
                       "text_lines": {"median": statistics.median(texts), "p95": percentile(texts, 95),
                                      "max": max(texts)}},
            "worst": {"question": worst[1], "lines": worst[0]},
            "repeat_question_rate": repeats / len(questions), "repeat_answer_rate": same_answer / len(questions)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cards", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    result = run()
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{result['questions']} catalogue questions, one card each (no context)")
    for where in ("thread", "ephemeral"):
        s = result[where]
        print(f"{where:<9}  blocks median {s['blocks']['median']:g} p95 {s['blocks']['p95']:g}  "
              f"chars median {s['chars']['median']:g} p95 {s['chars']['p95']:g}  "
              f"lines median {s['lines']['median']:g} p95 {s['lines']['p95']:g} (max {s['lines']['max']:g})")
    print(f"tallest: {result['worst']['question']!r} ({result['worst']['lines']:g} lines)")
    print(f"related buttons repeating the question: {result['repeat_question_rate']:.1%}; "
          f"leading to the same answer: {result['repeat_answer_rate']:.1%}")
    d = result["digest"]
    short = d["short_form"]
    print(f"digest: a cycle of {d['cycle_days']} days ({d['cycle_days_mission_only']} without the management "
          f"objectives) before any text comes back; short form blocks median {short['blocks']['median']:g}, "
          f"chars median {short['chars']['median']:g} p95 {short['chars']['p95']:g}, lines median "
          f"{short['lines']['median']:g} p95 {short['lines']['p95']:g} with its grey line and buttons; the text "
          f"itself median {d['text_lines']['median']:g} lines, p95 {d['text_lines']['p95']:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
