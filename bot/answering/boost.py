"""Gradient-boosted trees for the confidence model: fitted with numpy, evaluated in plain Python.

Whether a reply is right depends on evidence together ("the facet asked, the right subject and the kind
of answer wanted" is far surer than any of them alone), which a logistic model can only add up. A few
hundred shallow trees, fitted on the logistic loss by Newton steps, capture that and stay small data:
each tree is a list of nodes `[feature, threshold, left, right]`, a leaf being `[-1, value, 0, 0]`.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import pickle
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

Tree = list[list[float]]
# Bumped whenever _source() writes the code differently: the cached bytecode is keyed by the numbers alone.
_SOURCE_FORMAT = 2

# The fitted shape, chosen by the cross-validated sweep of fit.py: depth 3 and 300 trees at rate 0.05
# answered 66.8% of the training questions right at <= 2% confidently wrong, against 59.3% for a
# logistic model on the same features; depth 2 did no better than the logistic model. Refitted on the
# training sets C-H (2026-12-02, 5-fold CV by question, overall accuracy at <= 2% confidently wrong /
# AUC): depth 2 69.9% / 0.884, depth 3 72.0% / 0.902, depth 4 73.3% / 0.907; 150 trees at depth 3 no
# better than 300. With the "outside" words (outside.py): depth 4 76.1% / 0.917, depth 5 77.1% / 0.920,
# 600 trees at depth 4 74.4% / 0.919. Depth 5, 300 trees.
TREES = 300
DEPTH = 5
RATE = 0.05
# A leaf needs this much hessian weight (about this many rows at p = 0.5, four times as many at 0.1):
# smaller leaves fit noise. L2 shrinks leaf values. SUBSAMPLE is the share of rows each tree sees.
MIN_LEAF_WEIGHT = 5.0
L2 = 1.0
SUBSAMPLE = 0.8
# Splits are searched among this many quantiles of each feature.
BINS = 32


@dataclass(frozen=True)
class Forest:
    base: float
    trees: tuple[Tree, ...]

    def margin(self, x: Sequence[float]) -> float:
        total = self.base
        for tree in self.trees:
            node = tree[0]
            while node[0] >= 0:
                node = tree[int(node[2] if x[int(node[0])] <= node[1] else node[3])]
            total += node[1]
        return total

    def compiled(self, bytecode: bytes | None = None) -> Callable[[Sequence[float]], float]:
        """margin() as straight-line Python (nested conditional expressions, one statement a tree):
        several times faster than walking the nodes, and exactly the same sums. `bytecode` is this forest's
        own, as `bytecode()` gave it (the engine's cache keeps it: looking it up by the forest's numbers
        costs a cached `natobot ask` 1.5 ms)."""
        namespace: dict[str, Callable[[Sequence[float]], float]] = {}
        exec(marshal.loads(bytecode) if bytecode is not None else self._code(), namespace)
        return namespace["margin"]

    def bytecode(self) -> bytes:
        return marshal.dumps(self._code())

    def _source(self) -> str:
        used = sorted({int(node[0]) for tree in self.trees for node in tree if node[0] >= 0})
        lines = ["def margin(x):", f"    s = {self.base!r}"]
        # The features the trees split on, read once into locals: a local is cheaper than x[i] each time.
        lines += [f"    x{j} = x[{j}]" for j in used]
        lines += [f"    s += {_expression(tree, 0)}" for tree in self.trees]
        lines.append("    return s")
        return "\n".join(lines)

    def _code(self) -> CodeType:
        """The compiled source, kept on disk beside the engine cache: writing and compiling the source of
        300 trees takes 60 ms of every start-up, loading the bytecode back 1 ms. Keyed by every number of
        the forest, the shape of the source and the Python version (whose bytecode it is), so it cannot be
        stale; any problem with the file only costs the compile."""
        from bot.answering.cache import cache_dir

        key = hashlib.sha256(f"{_SOURCE_FORMAT}\0{sys.version}\0".encode())
        # Floats in lists pickle to the same bytes every time: a key of every number, 1 ms for 300 trees.
        key.update(pickle.dumps((self.base, self.trees), protocol=5))
        path = cache_dir() / f"forest-{key.hexdigest()[:24]}.marshal"
        try:
            code = marshal.loads(path.read_bytes())
            if isinstance(code, CodeType):
                os.utime(path)  # used now: the last to be pruned
                return code
        except Exception:  # missing, unreadable or corrupt: compile it again
            pass
        code = compile(self._source(), "<confidence forest>", "exec")
        _save(path, marshal.dumps(code))
        return code


def _save(path: Path, data: bytes) -> None:
    import tempfile  # only to write: a start-up that finds the bytecode never needs it

    from bot.answering.cache import prune

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix=".forest-") as tmp:
            tmp.write(data)
        os.replace(tmp.name, path)
        prune(path.parent, "forest-*.marshal", keep=path)
    except Exception:  # a directory that cannot be written only costs the compile next time
        return


def _expression(tree: Tree, i: int) -> str:
    feature, value, left, right = tree[i]
    if feature < 0:
        return repr(value)
    return f"({_expression(tree, int(left))} if x{int(feature)} <= {value!r} else {_expression(tree, int(right))})"


def fit(rows: Sequence[Sequence[float]], labels: Sequence[int], *, seed: int = 0) -> Forest:
    import numpy as np

    x = np.asarray(rows, dtype=float)
    y = np.asarray(labels, dtype=float)
    n, d = x.shape
    rng = np.random.default_rng(seed)
    prior = min(max(y.mean(), 1e-3), 1 - 1e-3)
    base = float(np.log(prior / (1 - prior)))
    score = np.full(n, base)
    cuts = [np.unique(np.quantile(x[:, j], np.linspace(0, 1, BINS + 1)[1:-1])) for j in range(d)]
    trees: list[Tree] = []
    for _ in range(TREES):
        p = 1.0 / (1.0 + np.exp(-score))
        grad = p - y
        hess = np.maximum(p * (1 - p), 1e-6)
        chosen = rng.random(n) < SUBSAMPLE
        tree: Tree = []
        _grow(x, grad, hess, np.flatnonzero(chosen), cuts, DEPTH, tree)
        score += RATE * _predict(tree, x)
        for node in tree:
            if node[0] < 0:
                node[1] *= RATE
        trees.append(tree)
    return Forest(base, tuple(trees))


def _predict(tree: Tree, x):  # type: ignore[no-untyped-def]
    """The tree's value for every row of x at once (numpy), as Forest.margin gives it row by row."""
    import numpy as np

    out = np.empty(len(x))
    stack = [(0, np.arange(len(x)))]
    while stack:
        i, idx = stack.pop()
        feature, value, left, right = tree[i]
        if feature < 0:
            out[idx] = value
            continue
        goes_left = x[idx, int(feature)] <= value
        stack += [(int(left), idx[goes_left]), (int(right), idx[~goes_left])]
    return out


def _grow(x, grad, hess, idx, cuts, depth, tree) -> int:  # type: ignore[no-untyped-def]
    """Append the subtree for rows `idx` to `tree`; returns its root's index."""
    import numpy as np

    g, h = float(grad[idx].sum()), float(hess[idx].sum())
    here = len(tree)
    tree.append([-1.0, -g / (h + L2), 0.0, 0.0])
    if depth == 0 or h < 2 * MIN_LEAF_WEIGHT:
        return here
    parent_gain = g * g / (h + L2)
    best = (0.0, -1, 0.0)
    for j, thresholds in enumerate(cuts):
        if len(thresholds) == 0:
            continue
        values = x[idx, j]
        bins = np.searchsorted(thresholds, values, side="left")
        g_bins = np.bincount(bins, weights=grad[idx], minlength=len(thresholds) + 1)
        h_bins = np.bincount(bins, weights=hess[idx], minlength=len(thresholds) + 1)
        g_left = np.cumsum(g_bins)[:-1]
        h_left = np.cumsum(h_bins)[:-1]
        g_right, h_right = g - g_left, h - h_left
        ok = (h_left >= MIN_LEAF_WEIGHT) & (h_right >= MIN_LEAF_WEIGHT)
        if not ok.any():
            continue
        gain = np.where(ok, g_left**2 / (h_left + L2) + g_right**2 / (h_right + L2) - parent_gain, -np.inf)
        k = int(np.argmax(gain))
        if gain[k] > best[0]:
            best = (float(gain[k]), j, float(thresholds[k]))
    if best[1] < 0:
        return here
    _, j, threshold = best
    left_idx = idx[x[idx, j] <= threshold]
    right_idx = idx[x[idx, j] > threshold]
    left = _grow(x, grad, hess, left_idx, cuts, depth - 1, tree)
    right = _grow(x, grad, hess, right_idx, cuts, depth - 1, tree)
    tree[here] = [float(j), threshold, float(left), float(right)]
    return here
