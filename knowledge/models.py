"""Pydantic models for the curated knowledge base.

The data files under ``knowledge/data`` are validated against these models at
load time, so a typo in a facet name or a missing citation stops start-up with
a message naming the file, the entry and the field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# A source document's id ("nato-ims-2012"): any id documents.yaml declares; the loader checks every
# citation against them (knowledge.loader.problems), so adding a document needs no code change.
DocId = str

Kind = Literal[
    "body",  # an organisation, council, committee, staff or agency
    "position",  # an office held by a person (Director General, SACEUR, ...)
    "division",  # one of the IMS functional divisions
    "office",  # an IMS office or integrated entity (NOGP, NHQC3S, SITCEN)
    "command",  # a command or headquarters of the NATO command structure
    "goal",  # a Mission Goal of the Integrated Mission Strategy
    "objective",  # a Mission Objective (1.1 ... 4.1)
    "management-objective",  # a Management Objective (1 ... 3)
    "theme",  # a theme of the policy-alignment article or the strategy
    "fact",  # a standalone fact (founding, membership, motto, ...)
    "list",  # an overview that lists other entries (divisions, commands, ...)
    "document",  # a source document or policy text (Strategic Concept, treaty)
    "person",  # a named individual
]

# The facets a question can ask about. Each intent of the catalogue asks for one.
Facet = Literal[
    "head",  # who heads / leads / commands it
    "role",  # what it does, its responsibilities
    "location",  # where it is
    "size",  # staff numbers, how big
    "parent",  # what it is part of / reports to
    "components",  # what it consists of (divisions, branches, objectives)
    "members",  # member states / who sits on it
    "founded",  # when and how it was set up; history
    "motto",
    "description",  # a goal's description
    "justification",
    "linkages",
    "risks",
]

RelationKind = Literal["part_of", "headed_by", "related"]


class Citation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    doc: DocId
    section: str = Field(min_length=1)


class FacetText(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    text: str = Field(min_length=1)
    # Empty means "the entry's own sources".
    sources: list[Citation] = Field(default_factory=list)
    # Set where sources disagree or the fact is dated; rendered as a warning line.
    caveat: str | None = None
    # False when the text only says what the sources lack ("no headcount is given"): the
    # answer then counts as not answered.
    answers: bool = True


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: Kind
    title: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    # "1.1" for mission objectives, "2" for goals and management objectives.
    number: str | None = None
    short: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    fields: dict[str, str] = Field(default_factory=dict)
    relations: dict[RelationKind, list[str]] = Field(default_factory=dict)
    facets: dict[Facet, FacetText] = Field(default_factory=dict)
    sources: list[Citation] = Field(min_length=1)
    questions: list[str] = Field(default_factory=list)
    caveat: str | None = None

    @field_validator("aliases")
    @classmethod
    def _no_blank_alias(cls, value: list[str]) -> list[str]:
        if any(not a.strip() for a in value):
            raise ValueError("an alias is blank")
        return value

    def facet_sources(self, facet: Facet) -> list[Citation]:
        ft = self.facets.get(facet)
        return list(ft.sources) if ft and ft.sources else list(self.sources)


class Fact(BaseModel):
    """One statement of a source document, in our own words, that can answer a question by itself.

    Entries hold an entity's overview and facets; facts hold everything else a document states, at the
    grain of one statement, so that "which division handles arms control" reaches the sentence that says
    so rather than a whole paragraph.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    # The entry the statement is about; `also` names other entries it is equally about.
    about: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    also: list[str] = Field(default_factory=list)
    # Answer-first and standalone: it names its subject instead of "it".
    text: str = Field(min_length=1)
    source: Citation
    # Where it says what the sources lack ("no headcount is given"): a reply built on it is not an answer.
    answers: bool = True
    facet: Facet | None = None
    caveat: str | None = None


class FactFile(BaseModel):
    """One YAML file under knowledge/data/facts: statements of one source document."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    facts: list[Fact]
    # What `natobot kb coverage` finds in this document but no unit should carry, each with the reason
    # ("Golden": a colour in an image caption).
    ignore: dict[str, str] = Field(default_factory=dict)


class Lexicon(BaseModel):
    """Words as people type them, kept with the knowledge rather than in code.

    `spellings` rewrite chat spellings and abbreviations before anything else ("whos" -> "who is",
    "sec gen" -> "secretary general"); `synonyms` are groups of words that count as the same evidence
    ("money", "financial", "fiscal"); `framing` words wrap a question ("fyi", "slide", "my boss") and
    never count against answering it.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    spellings: dict[str, str] = Field(default_factory=dict)
    synonyms: list[list[str]] = Field(default_factory=list)
    framing: list[str] = Field(default_factory=list)
    # Gazetteer for "where" questions: a statement naming one of these places answers a "where".
    places: list[str] = Field(default_factory=list)
    # The people the documents name: a "who is the current ...?" is answered only by a statement naming one.
    people: list[str] = Field(default_factory=list)
    # Words that say what kind of answer is wanted without a question word: "budget" wants an amount,
    # "phone" a contact. Kinds: number, time, place, person, contact.
    asks: dict[str, str] = Field(default_factory=dict)
    # Names that are also ordinary words ("is", "act", "ops"): names only when typed in capitals, or
    # when nothing else in the question names anything.
    ordinary: list[str] = Field(default_factory=list)
    # Word pairs that are never read as each other, whatever lexicon_generated.yaml says: word embeddings
    # put antonyms close together ("older"/"younger" 0.87, "weaker"/"stronger"), and the generated map
    # cannot tell them from synonyms.
    opposites: list[list[str]] = Field(default_factory=list)


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: DocId = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    publisher: str
    date: str
    file: str
    note: str | None = None
    # A few words for a card's sources line ("NATO's IMS page, 2012"), and its public address if any.
    short: str | None = None
    url: str | None = None

    def label(self) -> str:
        return f"{self.title} ({self.publisher}, {self.date})"


class Presentation(BaseModel):
    """What the app says about itself, kept with the knowledge: help, topics, example questions, the
    default suggestions, `/nato` shortcuts to entries, and how the digest orders the strategy."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    # "{documents}" is replaced by the documents' short names, so a new document shows up in help.
    help: str = Field(min_length=1)
    topics: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    default_suggestions: list[str] = Field(min_length=1)
    # `/nato divisions` -> the entry it shows.
    commands: dict[str, str] = Field(default_factory=dict)
    # The entry of the strategy the digest is about, and the parts of it featured as a whole, in order.
    digest_strategy: str | None = None
    digest_strategy_parts: list[str] = Field(default_factory=list)


class EntryFile(BaseModel):
    """One YAML file under knowledge/data: a list of entries."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    entries: list[Entry]


class DocumentFile(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    documents: list[Document]


class Intent(BaseModel):
    """A way people ask: which facet it wants, the cue phrases that signal it, examples."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str = Field(pattern=r"^[a-z][a-z_]*$")
    # None: the entry itself ("what is X").
    facet: Facet | None
    description: str
    # Lower-case phrases; a longer cue wins over a shorter one inside it.
    cues: list[str] = Field(default_factory=list)
    # Words after which a one-word cue of this intent is not one: there the cue is the question's subject,
    # not what it asks ("what did *allies* pledge at Wales?" asks about the pledge, not the members).
    not_after: list[str] = Field(default_factory=list)
    # Asks what something is rather than one fact about it ("what is", "who is"): in a short follow-up
    # ("what rank?" after "who heads the IMS?") it asks an attribute of what was asked before.
    generic: bool = False
    # The intent asked instead of something that has no statement of this one's facet: "what does objective
    # 3.1 do/cover?" asks what the objective is, as an objective has no role of its own.
    otherwise: str | None = None
    examples: list[str] = Field(min_length=1)


class IntentFile(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    intents: list[Intent]
