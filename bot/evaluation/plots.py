"""PNG plots for the `natobot eval` report. Needs matplotlib (the `plots` or `dev` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no screen here or in CI

import matplotlib.pyplot as plt

# One panel each; the two out-of-scope groups share a panel, stacked.
PANELS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("right", "#2a9d8f"),),
    (("wrong", "#e76f51"),),
    (("out of scope, would be answered", "#264653"), ("out of scope, declined anyway", "#8ab17d")),
    (("in scope, no answer anyway", "#e9c46a"),),
)


def plot_confidence(report: dict[str, Any], path: Path) -> Path:
    """One panel per group, sharing the x axis: the right answers outnumber the rest ten to one,
    so stacked bars on one axis would hide the wrong and out-of-scope questions."""
    hist = report["histogram"]
    edges: list[float] = hist["edges"]
    width = edges[1] - edges[0]
    t = report["shipped_threshold"]
    fig, axes = plt.subplots(len(PANELS), 1, figsize=(8, 8), sharex=True)
    for ax, panel in zip(axes, PANELS, strict=True):
        bottom = [0] * (len(edges) - 1)
        for group, colour in panel:
            counts: list[int] = hist[group]
            ax.bar(edges[:-1], counts, width=width, bottom=bottom, align="edge", color=colour,
                   edgecolor="white", label=f"{group}: {sum(counts)}")
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        ax.axvline(t, color="black", linestyle="--", linewidth=1)
        ax.set_ylabel("questions")
        ax.legend(loc="upper center", fontsize=9)
    axes[0].text(t, axes[0].get_ylim()[1] * 0.9, f" fallback threshold {t:.2f}", va="top")
    axes[-1].set_xlabel("confidence (as it would be with no threshold; below the line natobot declines)")
    fig.suptitle(f"natobot: confidence on {report['set']} ({report['questions']} questions)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_threshold(report: dict[str, Any], path: Path) -> Path:
    rows: list[dict[str, float]] = report["sweep"]
    t = report["shipped_threshold"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.plot([r["coverage"] for r in rows], [r["answer_accuracy"] for r in rows], marker=".", color="#264653")
    for r in rows[::10]:
        left.annotate(f"{r['threshold']:.1f}", (r["coverage"], r["answer_accuracy"]), fontsize=8,
                      textcoords="offset points", xytext=(4, -10))
    at = report["at_shipped_threshold"]
    left.plot([at["coverage"]], [at["answer_accuracy"]], marker="o", markersize=10, color="#e76f51",
              label=f"shipped threshold {t:.2f}")
    left.set_xlabel("coverage (share of all questions answered)")
    left.set_ylabel("accuracy of the answers given")
    left.set_title("accuracy against coverage as the threshold moves")
    left.legend(loc="lower left")
    xs = [r["threshold"] for r in rows]
    for key, label in (("in_scope_accuracy", "in-scope accuracy"), ("correct_fallback", "correct fallback"),
                       ("overall_accuracy", "overall accuracy"), ("confidently_wrong", "confidently wrong")):
        right.plot(xs, [r[key] for r in rows], label=label)
    right.axvline(t, color="black", linestyle="--", linewidth=1)
    right.set_xlabel("fallback threshold")
    right.set_ylabel("share of questions")
    right.set_title(f"the four figures against the threshold ({report['set']})")
    right.legend(loc="center left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_calibration(report: dict[str, Any], path: Path) -> Path:
    """Reliability diagram: each bin's mean confidence against the share of its answers that are right,
    the diagonal being perfect calibration; below it, how many answers each bin holds."""
    cal = report["calibration"]
    rows = [r for r in cal["bins"] if r["n"]]
    t = report["shipped_threshold"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    top.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
    top.plot([r["mean_confidence"] for r in rows], [r["accuracy"] for r in rows], marker="o", color="#264653",
             label=f"natobot (ECE {cal['ece']:.3f}, Brier {cal['brier']:.3f})")
    for r in rows:
        top.annotate(str(r["n"]), (r["mean_confidence"], r["accuracy"]), fontsize=8, textcoords="offset points",
                     xytext=(4, -10))
    top.axvline(t, color="black", linestyle="--", linewidth=1, label=f"threshold {t:.2f}")
    top.set_ylim(-0.02, 1.02)
    top.set_ylabel("share of these answers that are right")
    top.set_title(f"natobot: calibration on {report['set']}\n({cal['answers']} answers with the threshold at 0)",
                  fontsize=10)
    top.legend(loc="upper left", fontsize=9)
    width = 1 / len(cal["bins"])
    bottom.bar([r["low"] for r in cal["bins"]], [r["n"] for r in cal["bins"]], width=width, align="edge",
               color="#8ab17d", edgecolor="white")
    bottom.axvline(t, color="black", linestyle="--", linewidth=1)
    bottom.set_xlim(0, 1)
    bottom.set_xlabel("confidence (the engine's probability that its reply is right)")
    bottom.set_ylabel("answers")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
