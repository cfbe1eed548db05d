"""Write knowledge/data/english.tsv: common English words and how common they are.

natobot uses it to tell a typo ("divsions") from an ordinary word it does not know ("earn", "dress"),
which must never be "corrected" into a knowledge-base word, and to weigh how much a word the knowledge
base lacks says about the question ("keep" says little, "salary" a lot). Generated once by a curator
with the `wordfreq` package (not a dependency of natobot):

    pip install wordfreq && python scripts/english_words.py

The frequencies are wordfreq's Zipf values (log10 of occurrences per billion words). wordfreq's data
is licensed CC BY-SA 4.0 (https://github.com/rspeer/wordfreq); this list is derived from it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

WORDS = 60000
TARGET = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "english.tsv"


def main() -> int:
    from wordfreq import top_n_list, zipf_frequency

    lines = ["# word<TAB>zipf frequency; from wordfreq (CC BY-SA 4.0), written by scripts/english_words.py"]
    for word in top_n_list("en", WORDS):
        if re.fullmatch(r"[a-z]+", word):
            lines.append(f"{word}\t{zipf_frequency(word, 'en'):.2f}")
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {len(lines) - 1} words to {TARGET}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
