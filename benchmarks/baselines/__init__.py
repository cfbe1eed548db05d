"""Baselines natobot is compared with by `python -m benchmarks.compare` (GitHub issue 5).

Importing this package is cheap and needs none of the `bench` extra: each baseline imports its
heavy library (rank_bm25, sentence_transformers, torch) only when it is built.
"""

from __future__ import annotations

from benchmarks.baselines.common import (
    Baseline,
    Hit,
    Metrics,
    Prediction,
    ThresholdChoice,
    choose_threshold,
    lenient_verdict,
    summarise,
    top,
)

__all__ = [
    "Baseline",
    "Hit",
    "Metrics",
    "Prediction",
    "ThresholdChoice",
    "choose_threshold",
    "lenient_verdict",
    "summarise",
    "top",
]
