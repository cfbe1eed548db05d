"""`natobot eval`: score the engine on a labelled question set, as `rasa test nlu` does."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.answering.answer import Answer
from bot.answering.engine import Engine
from bot.evaluation.blind import BlindSet
from bot.evaluation.blind import load as blind_load

# A checkout's dev set. The installed package ships no question set and reads nothing under tests/:
# there `natobot eval` and `natobot bench` need --set.
DEFAULT_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "devset.yaml"
NO_SET = "no question set: give --set FILE (a checkout has tests/data/devset.yaml)"


def _default(path: Path | None) -> Path:
    if path is None and not DEFAULT_SET.exists():
        raise ValueError(NO_SET)
    return path or DEFAULT_SET


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str
    answered: bool
    entry: str | None = None
    entities: list[str] = Field(default_factory=list)
    # Other entries that answer the question just as well (e.g. "ims" for "how many divisions").
    alt: list[str] = Field(default_factory=list)
    facet: str | None = None
    facts: list[str] = Field(default_factory=list)
    tag: str


def load_set(path: Path | None = None) -> list[Item]:
    raw = yaml.safe_load(_default(path).read_text(encoding="utf-8"))
    return [Item.model_validate(r) for r in raw]


def load_any(path: Path | None = None) -> list[Item] | BlindSet:
    """A dev-style set (a list of labelled items) or a blind-style one (questions labelled with facts).
    A file that is neither is a ValueError with one line saying why."""
    path = _default(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({' '.join(str(exc).split())[:160]})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    try:
        if isinstance(raw, dict) and "questions" in raw:
            return blind_load(path)
        if isinstance(raw, list):
            return [Item.model_validate(r) for r in raw]
    except (ValidationError, TypeError, KeyError) as exc:
        first = str(exc).splitlines()
        raise ValueError(f"{path}: not a question set: {' '.join(first[:3])[:200]}") from None
    raise ValueError(f"{path}: not a question set (a list of items, or a mapping with 'questions')")


@dataclass
class Outcome:
    item: Item
    answer: Answer
    verdict: str  # "right", "wrong", "fallback-ok", "missed" (fell back on an in-scope question), "false-answer"

    @property
    def confidently_wrong(self) -> bool:
        return self.verdict in ("wrong", "false-answer")


@dataclass
class Result:
    outcomes: list[Outcome] = field(default_factory=list)

    def _count(self, *verdicts: str, in_scope: bool | None = None) -> int:
        return sum(
            o.verdict in verdicts and (in_scope is None or o.item.answered == in_scope) for o in self.outcomes
        )

    def summary(self) -> dict[str, Any]:
        n = len(self.outcomes)
        in_scope = sum(o.item.answered for o in self.outcomes)
        oos = n - in_scope
        right = self._count("right")
        fb_ok = self._count("fallback-ok")
        predicted_fb = sum(not o.answer.answered for o in self.outcomes)
        return {
            "questions": n,
            "in_scope": in_scope,
            "out_of_scope": oos,
            "in_scope_accuracy": right / in_scope if in_scope else 0.0,
            "correct_fallback": fb_ok / oos if oos else 0.0,
            "confidently_wrong": sum(o.confidently_wrong for o in self.outcomes) / n if n else 0.0,
            "fallback_precision": fb_ok / predicted_fb if predicted_fb else 0.0,
            "fallback_recall": fb_ok / oos if oos else 0.0,
            "overall_accuracy": (right + fb_ok) / n if n else 0.0,
            "intents": self.intent_scores(),
            "by_tag": self.by_tag(),
        }

    def intent_scores(self) -> dict[str, dict[str, float]]:
        """Precision/recall of the facet asked, over in-scope questions whose entry was right."""
        tp: Counter[str] = Counter()
        pred: Counter[str] = Counter()
        gold: Counter[str] = Counter()
        for o in self.outcomes:
            if not o.item.answered or o.verdict != "right":
                continue
            g = o.item.facet or "(what is)"
            p = o.answer.facet or "(what is)"
            gold[g] += 1
            pred[p] += 1
            tp[g] += g == p
        return {
            k: {
                "precision": tp[k] / pred[k] if pred[k] else 0.0,
                "recall": tp[k] / gold[k] if gold[k] else 0.0,
                "support": gold[k],
            }
            for k in sorted(set(gold) | set(pred))
        }

    def by_tag(self) -> dict[str, dict[str, int]]:
        out: dict[str, Counter[str]] = {}
        for o in self.outcomes:
            out.setdefault(o.item.tag, Counter())[o.verdict] += 1
        return {k: dict(v) for k, v in sorted(out.items())}


def judge(item: Item, answer: Answer) -> str:
    if not item.answered:
        return "fallback-ok" if not answer.answered else "false-answer"
    if not answer.answered:
        return "missed"
    wanted = item.entities or ([item.entry] if item.entry else [])
    answered_entries = [p.entry for p in answer.parts if p.answered]
    ok_entries = {*wanted, *item.alt}
    if item.entities:
        entity_ok = all(e in answered_entries for e in item.entities)
    else:
        entity_ok = bool(answered_entries) and answered_entries[0] in ok_entries
    text = answer.text.lower()
    facts_ok = all(f.lower() in text for f in item.facts)
    return "right" if entity_ok and facts_ok else "wrong"


def evaluate(engine: Engine, items: list[Item]) -> Result:
    result = Result()
    for item in items:
        answer = engine.ask(item.q)
        result.outcomes.append(Outcome(item, answer, judge(item, answer)))
    return result


def format_report(result: Result, *, max_misses: int = 200) -> str:
    s = result.summary()
    lines = [
        f"questions: {s['questions']} ({s['in_scope']} in scope, {s['out_of_scope']} out of scope)",
        f"in-scope accuracy:   {s['in_scope_accuracy']:.1%}",
        f"correct fallback:    {s['correct_fallback']:.1%}",
        f"confidently wrong:   {s['confidently_wrong']:.1%}",
        f"fallback precision:  {s['fallback_precision']:.1%}   recall: {s['fallback_recall']:.1%}",
        f"overall accuracy:    {s['overall_accuracy']:.1%}",
        "",
        f"{'intent (facet)':<18} {'precision':>9} {'recall':>7} {'support':>8}",
    ]
    for name, sc in s["intents"].items():
        lines.append(f"{name:<18} {sc['precision']:>9.1%} {sc['recall']:>7.1%} {sc['support']:>8}")
    lines += ["", "by tag: " + "; ".join(f"{t}: {dict(v)}" for t, v in s["by_tag"].items()), ""]
    misses = [o for o in result.outcomes if o.verdict in ("wrong", "missed", "false-answer")]
    lines.append(f"misses ({len(misses)}):")
    for o in misses[:max_misses]:
        got = ",".join(p.entry for p in o.answer.parts) or "-"
        lines.append(
            f"  [{o.verdict}] {o.item.q!r}: expected {o.item.entry or '-'}/{o.item.facet or '-'}"
            f" got {got}/{o.answer.facet or '-'} conf={o.answer.confidence:.2f} ({o.answer.status})"
        )
    return "\n".join(lines)
