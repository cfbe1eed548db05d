"""What a conversation was last about, so that "who heads it?" or "and JFC Naples?" keep the subject."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Context:
    entities: list[str] = field(default_factory=list)
    intent: str | None = None
    facet: str | None = None
