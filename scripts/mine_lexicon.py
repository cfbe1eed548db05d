"""Words a question set uses that the knowledge base does not: where the lexicon's entries come from.

Two lists, for a person to read and decide on (nothing is written):

1. unknown words: content words of the set's questions that no statement, name or lexicon entry uses,
   counted over all the sets given, with up to three questions each ("blueprint", "outfit", "kit");
2. missing evidence: in-scope questions whose best reply (at threshold 0) holds the facts asked but is
   declined, with the words they carry that the reply lacks ("who keeps an eye on the *cash*").

A word earns a lexicon entry when it is general English or Slack usage for something the documents say in
other words, not because one question needs it; each change is then judged on the held-out sets
(tests/data/heldout), never on a blind set. Run on the mined sets only:

    python scripts/mine_lexicon.py tests/data/mined/set_s.yaml tests/data/mined/set_t.yaml
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.answering.engine import Engine
    from bot.evaluation.blind import BlindSet

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = 3


def main(paths: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from bot.answering.engine import Engine
    from bot.evaluation import blind

    if not paths:
        sys.stderr.write("usage: python scripts/mine_lexicon.py SET.yaml [SET.yaml ...]\n")
        return 2
    engine = Engine.load()
    sets = [blind.load(Path(p)) for p in paths]
    _unknown_words(engine, sets)
    _missing_evidence(engine, sets)
    return 0


def _unknown_words(engine: Engine, sets: list[BlindSet]) -> None:
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for data in sets:
        for question in data.asked():
            for content in engine.analyse(question).content:
                if content.framing or content.known:
                    continue
                counts[content.word] += 1
                if len(examples[content.word]) < EXAMPLES:
                    examples[content.word].append(question)
    sys.stdout.write("== unknown words (count: questions)\n")
    for word, n in counts.most_common():
        sys.stdout.write(f"{n:3d} {word:18s} | {' || '.join(examples[word])}\n")


def _missing_evidence(engine: Engine, sets: list[BlindSet]) -> None:
    from bot.evaluation import blind

    sys.stdout.write("== declined though the best reply holds the facts (confidence: words the reply lacks)\n")
    threshold = engine.threshold
    for item in (i for data in sets for i in data.questions if not i.decline):
        engine.threshold = 0.0
        best = engine.ask(item.q)
        engine.threshold = threshold
        if best.confidence >= threshold or not blind.holds_all(best.text, item.facts):
            continue
        # Compared as concepts: "cash" is not lacking from a reply that says "financial".
        shown = {w.concept for w in engine.analyse(best.text).content}
        lacking = [w.word for w in engine.analyse(item.q).content if w.carries and w.concept not in shown]
        sys.stdout.write(f"{best.confidence:.2f} {item.q}\n     lacks: {', '.join(lacking)}\n")


if __name__ == "__main__":
    try:
        raise SystemExit(main(sys.argv[1:]))
    except BrokenPipeError:  # piped into head
        sys.stderr.close()
        raise SystemExit(0) from None
