"""BM25 (rank-bm25's Okapi variant) over one document per entry: the classic search-engine baseline."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from benchmarks.baselines.common import Hit

if TYPE_CHECKING:
    from knowledge.loader import KnowledgeBase
    from knowledge.models import Entry

# Lower-cased words; objective numbers such as "2.1" stay one token because they name entries.
_TOKEN = re.compile(r"\d+(?:\.\d+)+|[a-z0-9]+")
# NLTK's English stop-word list, the one most BM25 tutorials use. Without it "who", "what" and
# "the" carry weight in entries that merely use them often (BM25Okapi's idf floor for common words).
STOPWORDS = frozenset("""
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
herself it its itself they them their theirs themselves what which who whom this that these those am is
are was were be been being have has had having do does did doing a an the and but if or because as until
while of at by for with about against between into through during before after above below to from up
down in out on off over under again further then once here there when where why how all any both each
few more most other some such no nor not only own same so than too very s t can will just don should now
d ll m o re ve y ain aren couldn didn doesn hadn hasn haven isn ma mightn mustn needn shan shouldn wasn
weren won wouldn
""".split())
# The entries' example questions are part of the knowledge base a user would index; leaving them
# out would make BM25 a weaker baseline than the naive one, which matches nothing else.
INDEX_EXAMPLE_QUESTIONS = True
# How many ranked entries a query returns; only the top one is answered, the rest help debugging.
TOP_K = 5
# rank-bm25's defaults, the values most BM25 users never change.
K1 = 1.5
B = 0.75


def tokenise(text: str) -> list[str]:
    return [w for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS]


def document(entry: Entry) -> str:
    """Everything the entry says about itself: what a search index over the knowledge base would hold."""
    parts = [entry.title, *entry.aliases, entry.short, entry.answer, *(f.text for f in entry.facets.values())]
    if INDEX_EXAMPLE_QUESTIONS:
        parts += entry.questions
    return "\n".join(parts)


class BM25Baseline:
    name = "bm25"

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._index: Any = None

    def build(self, kb: KnowledgeBase) -> None:
        # Imported here so that `import benchmarks.baselines` works without the dev/bench extras.
        from rank_bm25 import BM25Okapi

        self._ids = list(kb.entries)
        self._index = BM25Okapi([tokenise(document(e)) for e in kb.entries.values()], k1=K1, b=B)

    def query(self, question: str) -> list[Hit]:
        if self._index is None:
            raise RuntimeError("build() first")
        words = tokenise(question)
        if not words:
            return []
        scores = self._index.get_scores(words)
        ranked = scores.argsort()[::-1][:TOP_K]
        return [Hit(self._ids[i], float(scores[i])) for i in ranked]
