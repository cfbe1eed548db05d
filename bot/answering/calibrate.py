"""Isotonic calibration of the confidence: the trees' raw probability -> the share of replies right.

Boosted trees rank replies well but their probabilities drift from the truth (too sure at the top, too
shy lower down), so `natobot eval --fit` fits a monotone map on what the trees said of questions they
were not trained on (its cross-validation folds) and whether those replies were right: the
pool-adjacent-violators algorithm, kept as a few breakpoints and read back by linear interpolation. Being
monotone it never reorders replies; it makes "confidence 0.8" mean "right about 80% of the time".
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

# Each block of the fitted map pools at least this many held-out replies: a smaller block is one or two
# questions' luck, not a rate.
MIN_BLOCK = 25


@dataclass(frozen=True)
class Calibration:
    """A monotone piecewise-linear map from raw to calibrated probability; empty means the identity."""

    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()

    @classmethod
    def of(cls, stored: Sequence[Sequence[float]]) -> Calibration:
        """From model.yaml's [breakpoints, values]; nothing stored is the identity."""
        return cls(tuple(stored[0]), tuple(stored[1])) if len(stored) == 2 else cls()

    def __call__(self, p: float) -> float:
        xs, ys = self.xs, self.ys
        if not xs:
            return p
        if p <= xs[0]:
            return ys[0]
        if p >= xs[-1]:
            return ys[-1]
        i = bisect.bisect_right(xs, p)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (p - x0) / (x1 - x0)


def fit(scores: Sequence[float], right: Sequence[bool], *, min_block: int = MIN_BLOCK) -> Calibration:
    """Pool adjacent violators over (score, right) sorted by score; each block becomes one breakpoint at
    its mean score, valued at its share right."""
    pairs = sorted(zip(scores, right, strict=True))
    # Blocks as [sum of scores, sum right, count]; start from runs of min_block so no block is tiny.
    blocks: list[list[float]] = []
    for start in range(0, len(pairs), min_block):
        chunk = pairs[start:start + min_block]
        blocks.append([sum(s for s, _ in chunk), float(sum(r for _, r in chunk)), float(len(chunk))])
    merged: list[list[float]] = []
    for block in blocks:
        merged.append(block)
        while len(merged) > 1 and merged[-2][1] / merged[-2][2] >= merged[-1][1] / merged[-1][2]:
            last = merged.pop()
            merged[-1] = [a + b for a, b in zip(merged[-1], last, strict=True)]
    xs = tuple(round(s / n, 5) for s, _, n in merged)
    ys = tuple(round(r / n, 5) for _, r, n in merged)
    return Calibration(xs, ys)
