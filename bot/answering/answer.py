"""The one answer model every renderer (plain text, JSON, Block Kit) works from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal[
    "answer",  # answered from the knowledge base
    "no-data",  # the entity is known but the sources do not hold what was asked
    "fallback",  # not confident: says so and suggests topics
    "ambiguous",  # a reference that could mean several entries
    "greeting",  # hello / thanks / help
    "invalid",  # empty or oversized input
]


# The validators are built on the first answer, not at import: `natobot --help` and the parts of the
# app that never build an answer (the digest's commands) do not pay for them.
_DEFERRED = ConfigDict(defer_build=True)


class AnswerField(BaseModel):
    model_config = _DEFERRED
    label: str
    value: str


class Source(BaseModel):
    model_config = _DEFERRED
    doc: str
    title: str
    date: str
    section: str
    short: str | None = None  # the document's short name for a card, from the knowledge base
    url: str | None = None  # its public address, where the knowledge base records one

    def label(self) -> str:
        return f"{self.title}, {self.date}, section \"{self.section}\""


class Part(BaseModel):
    """The answer about one entry; a question naming two commands gets two parts."""

    model_config = _DEFERRED

    entry: str
    title: str
    text: str
    fields: list[AnswerField] = Field(default_factory=list)
    caveat: str | None = None
    answered: bool = True


class Answer(BaseModel):
    model_config = _DEFERRED
    question: str
    status: Status
    answered: bool
    title: str
    text: str
    parts: list[Part] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)
    confidence: float = 0.0
    intent: str | None = None
    facet: str | None = None
    entry: str | None = None
    entities: list[str] = Field(default_factory=list)
