"""The one answer model every renderer (plain text, JSON, Block Kit) works from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

Status = Literal[
    "answer",  # answered from the knowledge base
    "no-data",  # the entity is known but the sources do not hold what was asked
    "fallback",  # not confident: says so and suggests topics
    "ambiguous",  # a reference that could mean several entries
    "greeting",  # hello / thanks / help
    "invalid",  # empty or oversized input
]


# Lists default to `[]`, which pydantic copies for each answer, not to `Field(default_factory=list)`:
# `model_construct` (below) inspects a default factory's signature on every call, 57 us against 1.7.
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
    fields: list[AnswerField] = []
    caveat: str | None = None
    answered: bool = True


class Answer(BaseModel):
    model_config = _DEFERRED
    question: str
    status: Status
    answered: bool
    title: str
    text: str
    parts: list[Part] = []
    sources: list[Source] = []
    related: list[str] = []
    suggestions: list[str] = []
    confidence: float = 0.0
    intent: str | None = None
    facet: str | None = None
    entry: str | None = None
    entities: list[str] = []


# What the engine builds its answers with. Its values are its own, typed and checked by mypy against the
# constructors (as seen here by the type checker), so the run time skips validation: validating the first
# answer built every model's validator, and importing pydantic's plugin loader with it (importlib.metadata),
# 14 of the 150 ms `natobot ask` takes. The plain-text reply then never builds one; a JSON or Block Kit
# reply builds them on its first dump. tests/unit/test_answer_model.py validates every answer of the dev set.
if TYPE_CHECKING:
    new_answer, new_part, new_source, new_field = Answer, Part, Source, AnswerField
else:
    new_answer, new_part = Answer.model_construct, Part.model_construct
    new_source, new_field = Source.model_construct, AnswerField.model_construct
