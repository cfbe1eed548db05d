"""Score a blind question set the way the maintainers do: through `natobot ask --json --batch -` and
`natobot shell --json`, counting an answer right when `answered` is true and `text` holds every fact
asked, and a must-decline question right when `answered` is false.

A blind set (tests/data/blind/*.yaml) is written from the source documents alone by someone who never
saw the knowledge base, the code or the dev set: see tests/data/blind/README.md.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field


class BlindItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    q: str
    kind: str = "turn"
    facts: list[str] = Field(default_factory=list)
    decline: bool = False
    doc: str | None = None


class Conversation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    turns: list[BlindItem]


@dataclass
class BlindSet:
    questions: list[BlindItem]
    conversations: list[Conversation]

    def asked(self) -> list[str]:
        """Every question the set asks: its single questions, then its conversations' turns."""
        return [i.q for i in self.questions] + [t.q for c in self.conversations for t in c.turns]


def load(path: Path) -> BlindSet:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or "questions" not in raw:
        raise ValueError(f"{path}: not a blind set (a mapping with 'questions' and 'conversations')")
    convs = []
    for c in raw.get("conversations") or []:
        turns = [BlindItem(id=f"{c['id']}.{i + 1}", **t) for i, t in enumerate(c["turns"])]
        convs.append(Conversation(id=c["id"], turns=turns))
    return BlindSet([BlindItem(**q) for q in raw["questions"]], convs)


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").replace("–", "-").replace("—", "-").split())


def asked_key(question: str) -> str:
    """A question as two sets compare it, word for word: lower case, punctuation as space. The rule by which
    scripts/decontaminate.py drops a training question a blind set asks, and scripts/asked_memory.py keeps
    held-out and blind questions out of the paraphrase memory."""
    return " ".join(re.sub(r"[^\w\s]", " ", question.lower()).split())


def holds_all(text: str, facts: Iterable[str]) -> bool:
    """Every fact held by the text. A fact is "a | b | c": any alternative, case-insensitive, as a substring of
    the text (normalised once, not once per fact)."""
    body = _norm(text)
    return all(any(_norm(alt) in body for alt in fact.split("|") if alt.strip()) for fact in facts)


def verdict(item: BlindItem, answer: dict[str, Any]) -> str:
    answered = bool(answer.get("answered"))
    if item.decline:
        return "declined-ok" if not answered else "false-answer"
    if not answered:
        return "missed"
    return "right" if holds_all(str(answer.get("text", "")), item.facts) else "wrong"


Row = tuple[BlindItem, str, dict[str, Any]]


def _share(rows: Sequence[Row], ok: str) -> float:
    return sum(v == ok for _, v, _ in rows) / len(rows) if rows else 0.0


def _kinds(verdicts: list[Row]) -> dict[str, dict[str, Any]]:
    """Per kind of question: how many, the share judged as that kind should be, and every verdict counted."""
    kinds: dict[str, dict[str, Any]] = {}
    for kind in sorted({r[0].kind for r in verdicts}):
        rows = [r for r in verdicts if r[0].kind == kind]
        ok = "declined-ok" if rows[0][0].decline else "right"
        kinds[kind] = {"n": len(rows), "right": _share(rows, ok), "verdicts": dict(Counter(v for _, v, _ in rows))}
    return kinds


@dataclass
class Score:
    verdicts: list[Row] = field(default_factory=list)
    turns: list[Row] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        in_scope = [r for r in self.verdicts if not r[0].decline]
        decline = [r for r in self.verdicts if r[0].decline]
        n = len(self.verdicts)
        turn_ok = [v in ("right", "declined-ok") for _, v, _ in self.turns]
        return {
            "questions": n,
            "in_scope": len(in_scope),
            "must_decline": len(decline),
            "in_scope_right": _share(in_scope, "right"),
            "correct_fallback": _share(decline, "declined-ok"),
            "confidently_wrong": sum(v in ("wrong", "false-answer") for _, v, _ in self.verdicts) / n if n else 0.0,
            "missed": _share(in_scope, "missed"),
            "conversation_turns": len(self.turns),
            "conversation_turns_right": sum(turn_ok) / len(turn_ok) if turn_ok else 0.0,
            "kinds": _kinds(self.verdicts),
        }


def format_summary(s: dict[str, Any]) -> str:
    lines = [
        f"questions: {s['questions']} ({s['in_scope']} in scope, {s['must_decline']} must decline); "
        f"conversation turns: {s['conversation_turns']}",
        f"in-scope answered right: {s['in_scope_right']:.1%}   (declined though answerable: {s['missed']:.1%})",
        f"correct fallback:        {s['correct_fallback']:.1%}",
        f"confidently wrong:       {s['confidently_wrong']:.1%}",
        f"conversation turns right: {s['conversation_turns_right']:.1%}",
        "by kind:",
    ]
    for kind, k in s["kinds"].items():
        lines.append(f"  {kind:<20} {k['right']:>6.1%}  n={k['n']:<4} {k['verdicts']}")
    return "\n".join(lines)


Asker = Callable[[list[str]], list[dict[str, Any]]]


def score(blind: BlindSet, ask_batch: Asker, ask_conversation: Asker | None) -> Score:
    result = Score()
    answers = ask_batch([q.q for q in blind.questions])
    for item, answer in zip(blind.questions, answers, strict=True):
        result.verdicts.append((item, verdict(item, answer), answer))
    if ask_conversation is not None:
        for conv in blind.conversations:
            replies = ask_conversation([t.q for t in conv.turns])
            for item, answer in zip(conv.turns, replies, strict=True):
                result.turns.append((item, verdict(item, answer), answer))
    return result


def cli_askers(command: Sequence[str]) -> tuple[Asker, Asker]:
    """Ask through the real command line, as the maintainers do."""

    def run(args: list[str], lines: list[str]) -> list[dict[str, Any]]:
        text = "".join(line.replace("\n", " ") + "\n" for line in lines)
        done = subprocess.run([*command, *args], input=text, capture_output=True, text=True, check=True)
        out = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        if len(out) != len(lines):
            raise RuntimeError(f"{' '.join(args)}: {len(lines)} questions in, {len(out)} answers out")
        return out

    return (lambda qs: run(["ask", "--json", "--batch", "-"], qs)), (lambda qs: run(["shell", "--json"], qs))


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("sets", nargs="+", type=Path)
    p.add_argument("--command", default="natobot", help="the natobot command to run (default: natobot)")
    p.add_argument("--no-conversations", action="store_true")
    p.add_argument("--misses", action="store_true", help="print every miss (do not tune on them)")
    p.add_argument("--json-out", type=Path)
    args = p.parse_args(argv)
    batch, conv = cli_askers(args.command.split())
    report: dict[str, Any] = {}
    for path in args.sets:
        result = score(load(path), batch, None if args.no_conversations else conv)
        s = result.summary()
        report[path.name] = s
        sys.stdout.write(f"== {path}\n{format_summary(s)}\n")
        if args.misses:
            for item, v, ans in [*result.verdicts, *result.turns]:
                if v in ("wrong", "missed", "false-answer"):
                    sys.stdout.write(f"  [{v}] {item.id} {item.kind}: {item.q!r} -> {str(ans.get('text'))[:160]!r}\n")
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
