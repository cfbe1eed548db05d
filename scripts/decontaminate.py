"""Remove from the training questions any question a blind set also asks, word for word.

The blind sets (tests/data/blind) and the training sets were written independently from the same four
documents, so plain questions ("where is JFC Naples?") come out the same in both. Training on them
would inflate the blind figures; this drops them from the training side (a conversation with such a
turn goes whole). Run after adding a training or blind set:

    python scripts/decontaminate.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bot.evaluation.blind import asked_key as norm  # noqa: E402  (the checkout's, not an installed copy)

BLIND = sorted((ROOT / "tests" / "data" / "blind").glob("*.yaml"))
# The mined sets (tests/data/mined) are tuned on too: the lexicon's words were found in them.
TRAINING = [ROOT / "tests" / "data" / "devset.yaml", *sorted((ROOT / "tests" / "data" / "train").glob("*.yaml")),
            *sorted((ROOT / "tests" / "data" / "mined").glob("*.yaml"))]


def blind_questions() -> set[str]:
    seen: set[str] = set()
    for path in BLIND:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        seen |= {norm(q["q"]) for q in data["questions"]}
        seen |= {norm(t["q"]) for c in data.get("conversations") or [] for t in c["turns"]}
    return seen


def header(text: str) -> str:
    return "".join(line + "\n" for line in text.splitlines() if line.startswith("#")) if text.startswith("#") else ""


def main() -> int:
    blind = blind_questions()
    for path in TRAINING:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        if isinstance(data, list):
            kept = [item for item in data if norm(item["q"]) not in blind]
            dropped = len(data) - len(kept)
            body = yaml.safe_dump(kept, sort_keys=False, allow_unicode=True, width=120)
        else:
            questions = [q for q in data["questions"] if norm(q["q"]) not in blind]
            conversations = [c for c in data.get("conversations") or []
                             if not any(norm(t["q"]) in blind for t in c["turns"])]
            dropped = (len(data["questions"]) - len(questions)
                       + len(data.get("conversations") or []) - len(conversations))
            body = yaml.safe_dump({"questions": questions, "conversations": conversations},
                                  sort_keys=False, allow_unicode=True, width=120)
        if dropped:
            path.write_text(header(text) + body, encoding="utf-8")
        sys.stdout.write(f"{path.relative_to(ROOT)}: dropped {dropped}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
