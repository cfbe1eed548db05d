"""Load and validate the knowledge base from its YAML files."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from knowledge.errors import KnowledgeError as KnowledgeError  # re-exported: callers import it from here
from knowledge.models import (
    Document,
    DocumentFile,
    Entry,
    EntryFile,
    Fact,
    FactFile,
    Intent,
    IntentFile,
    Lexicon,
    Presentation,
)
from knowledge.text import normalise
from knowledge.wordtable import WordTable

DATA_DIR = Path(__file__).resolve().parent / "data"
DOCUMENTS_FILE = "documents.yaml"
INTENTS_FILE = "intents.yaml"
LEXICON_FILE = "lexicon.yaml"
PRESENTATION_FILE = "presentation.yaml"
ENGLISH_FILE = "english.tsv"
GENERATED_LEXICON_FILE = "lexicon_generated.yaml"
# Questions of the training and mined sets and the statements that answer each (scripts/asked_memory.py).
ASKED_FILE = "asked_generated.yaml"
# The scorer's fitted weights (`natobot eval --fit` writes it); not knowledge, but kept beside it so a
# knowledge directory carries the model that was fitted on it.
MODEL_FILE = "model.yaml"
FACTS_DIR = "facts"

M = TypeVar("M", bound=BaseModel)


@dataclass
class KnowledgeBase:
    documents: dict[str, Document]
    entries: dict[str, Entry]
    intents: list[Intent]
    # Which file each entry came from, for error messages.
    origin: dict[str, str] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)
    # "facts/ims.yaml #3" for each fact, in the same order, for error messages.
    fact_origin: list[str] = field(default_factory=list)
    lexicon: Lexicon = field(default_factory=Lexicon)
    # Coverage items deliberately not carried, with their reasons, from the facts files.
    coverage_ignore: dict[str, str] = field(default_factory=dict)
    # Common English words and their Zipf frequency (english.tsv, see scripts/english_words.py).
    english: WordTable = field(default_factory=WordTable)
    presentation: Presentation | None = None
    # Everyday words read as a knowledge-base word, with how close they are (lexicon_generated.yaml,
    # written by scripts/semantic_lexicon.py).
    reads_as: dict[str, tuple[str, float]] = field(default_factory=dict)
    # The paraphrase memory (bot/answering/memory.py): (question, the statements that answer it, the one
    # the ranking put first leading).
    asked: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    data_dir: Path | None = None

    def children(self, entry_id: str) -> list[Entry]:
        return [e for e in self.entries.values() if entry_id in e.relations.get("part_of", [])]

    def parents(self, entry_id: str) -> list[str]:
        """The ids of what an entry is part of; none for an unknown id."""
        entry = self.entries.get(entry_id)
        return entry.relations.get("part_of", []) if entry is not None else []

    def wholes(self, entry_id: str) -> list[str]:
        """What an entry is part of at any depth, nearest first (the NOGP: the DG's office, the IMS, ...)."""
        out: list[str] = []
        todo = list(self.parents(entry_id))
        while todo:
            whole = todo.pop(0)
            if whole not in out:
                out.append(whole)
                todo += self.parents(whole)
        return out


def read_yaml(path: Path) -> Any:
    """A YAML file's data, parsed by libyaml when PyYAML has it. PyYAML is imported here, not at the top: a
    cached start unpickles its build and never reads YAML. Raises OSError and yaml.YAMLError."""
    import yaml

    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _read(path: Path, model: type[M]) -> M:
    import yaml  # for its error type (read_yaml says why not at the top)

    try:
        raw = read_yaml(path)
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read: {exc.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {_one_line(str(exc))}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise KnowledgeError(f"{path}: {_describe(raw, exc)}") from None


def _describe(raw: object, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = list(err["loc"])
    where = ""
    # Turn ("entries", 3, "facets", "head", "text") into "entry 'ims', field facets.head.text".
    if len(loc) >= 2 and loc[0] in _ITEM_NAMERS and isinstance(loc[1], int) and isinstance(raw, dict):
        items = raw.get(str(loc[0])) or []
        item = items[loc[1]] if loc[1] < len(items) else None
        where = _ITEM_NAMERS[str(loc[0])](item if isinstance(item, dict) else None, loc[1])
        loc = loc[2:]
    fld = ".".join(str(p) for p in loc) or "(top level)"
    extra = f" and {exc.error_count() - 1} more problem(s)" if exc.error_count() > 1 else ""
    return f"{where + ', ' if where else ''}field {fld}: {err['msg']}{extra}"


def _entry_name(item: dict[str, Any] | None, index: int) -> str:
    ident = item.get("id") if item is not None else None
    return f"entry {ident!r}" if ident else f"entry #{index + 1}"


def _fact_name(item: dict[str, Any] | None, index: int) -> str:
    about = item.get("about") if item is not None else None
    return f"fact #{index + 1}" + (f" (about {about!r})" if about else "")


# How an error inside a list item names the item: entries by id, facts by number and subject.
_ITEM_NAMERS: dict[str, Callable[[dict[str, Any] | None, int], str]] = {
    "entries": _entry_name,
    "facts": _fact_name,
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def entry_files(data_dir: Path) -> list[Path]:
    skip = {DOCUMENTS_FILE, INTENTS_FILE, LEXICON_FILE, MODEL_FILE, GENERATED_LEXICON_FILE, PRESENTATION_FILE,
            ASKED_FILE}
    return sorted(p for p in data_dir.glob("*.yaml") if p.name not in skip)


def load(data_dir: Path | None = None) -> KnowledgeBase:
    """Load everything, or raise KnowledgeError naming the first broken file."""
    data_dir = data_dir or DATA_DIR
    docs = _read(data_dir / DOCUMENTS_FILE, DocumentFile).documents
    intents = _read(data_dir / INTENTS_FILE, IntentFile).intents
    entries: dict[str, Entry] = {}
    origin: dict[str, str] = {}
    files = entry_files(data_dir)
    if not files:
        raise KnowledgeError(f"{data_dir}: no knowledge files (*.yaml) found")
    for path in files:
        for entry in _read(path, EntryFile).entries:
            if entry.id in entries:
                raise KnowledgeError(
                    f"{path}: entry {entry.id!r}, field id: duplicate of an entry in {origin[entry.id]}"
                )
            entries[entry.id] = entry
            origin[entry.id] = path.name
    facts: list[Fact] = []
    fact_origin: list[str] = []
    ignore: dict[str, str] = {}
    for path in sorted((data_dir / FACTS_DIR).glob("*.yaml")):
        fact_file = _read(path, FactFile)
        ignore.update({k.lower(): v for k, v in fact_file.ignore.items()})
        for i, fact in enumerate(fact_file.facts, start=1):
            facts.append(fact)
            fact_origin.append(f"{FACTS_DIR}/{path.name} fact #{i}")
    lexicon_path = data_dir / LEXICON_FILE
    lexicon = _read(lexicon_path, Lexicon) if lexicon_path.exists() else Lexicon()
    english = _read_english(data_dir / ENGLISH_FILE)
    reads_as = _read_generated(data_dir / GENERATED_LEXICON_FILE)
    presentation = _read(data_dir / PRESENTATION_FILE, Presentation)
    return KnowledgeBase(
        documents={d.id: d for d in docs}, entries=entries, intents=intents, origin=origin, facts=facts,
        fact_origin=fact_origin, lexicon=lexicon, coverage_ignore=ignore, english=english, presentation=presentation,
        reads_as=reads_as, asked=_read_asked(data_dir / ASKED_FILE), data_dir=data_dir,
    )


def _read_generated(path: Path) -> dict[str, tuple[str, float]]:
    if not path.exists():
        return {}
    import yaml  # as in _read

    try:
        raw = read_yaml(path) or {}
        return {str(w): (str(v["word"]), float(v["similarity"])) for w, v in (raw.get("reads_as") or {}).items()}
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise KnowledgeError(f"{path}: not a generated lexicon (reads_as: word: {{word, similarity}}): {exc}") from None


def _read_asked(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    if not path.exists():
        return []
    import yaml  # as in _read

    try:
        raw = read_yaml(path) or {}
        return [(str(a["q"]), (str(a["unit"]), *(str(k) for k in a.get("also") or ()))) for a in raw.get("asked") or []]
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise KnowledgeError(f"{path}: not a question memory (asked: - {{q, unit, also}}): {exc}") from None


def _read_english(path: Path) -> WordTable:
    if not path.exists():
        return WordTable()
    out: dict[str, float] = {}
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                word, _, zipf = line.partition("\t")
                out[word] = float(zipf)
    except (OSError, ValueError) as exc:
        raise KnowledgeError(f"{path}: not a word list (word<TAB>frequency per line): {exc}") from None
    return WordTable(out.items())


def problems(kb: KnowledgeBase) -> Iterable[str]:
    """Cross-entry problems the schema cannot see: dangling relations, shared aliases, unknown docs."""
    owner: dict[str, str] = {}
    for entry in kb.entries.values():
        yield from _entry_problems(kb, entry, owner)
    yield from _fact_problems(kb)
    yield from _presentation_problems(kb)
    yield from _intent_problems(kb)


def _entry_problems(kb: KnowledgeBase, entry: Entry, owner: dict[str, str]) -> Iterator[str]:
    # `owner` spans all entries so that a name shared by two entries is caught at the second one.
    where = f"{kb.origin.get(entry.id, '?')}: entry {entry.id!r}"
    cited = [*entry.sources, *(c for ft in entry.facets.values() for c in ft.sources)]
    for citation in cited:
        if citation.doc not in kb.documents:
            yield f"{where}, field sources: unknown document {citation.doc!r} (documents.yaml declares them)"
    for kind, targets in entry.relations.items():
        for target in targets:
            if target not in kb.entries:
                yield f"{where}, field relations.{kind}: unknown entry {target!r}"
            if target == entry.id:
                yield f"{where}, field relations.{kind}: relates to itself"
    for name in [entry.title, *entry.aliases]:
        key = normalise(name)
        if not key:
            yield f"{where}, field aliases: {name!r} has no letters or digits"
            continue
        other = owner.setdefault(key, entry.id)
        if other != entry.id:
            yield f"{where}, field aliases: {name!r} is also a name of entry {other!r}"
    if entry.kind in ("objective", "goal", "management-objective") and not entry.number:
        yield f"{where}, field number: a {entry.kind} needs its number"


def _fact_problems(kb: KnowledgeBase) -> Iterator[str]:
    for fact, where in zip(kb.facts, kb.fact_origin, strict=True):
        for target in [fact.about, *fact.also]:
            if target not in kb.entries:
                yield f"{where}, field about: unknown entry {target!r}"
        if fact.source.doc not in kb.documents:
            yield f"{where}, field source.doc: unknown document {fact.source.doc!r}"


def _presentation_problems(kb: KnowledgeBase) -> Iterator[str]:
    if kb.presentation is None:
        return
    for sub, target in kb.presentation.commands.items():
        if target not in kb.entries:
            yield f"{PRESENTATION_FILE}: commands.{sub}: unknown entry {target!r}"
    strategy = kb.presentation.digest_strategy
    if strategy is not None and strategy not in kb.entries:
        yield f"{PRESENTATION_FILE}: digest_strategy: unknown entry {strategy!r}"
    for part in kb.presentation.digest_strategy_parts:
        if part not in kb.entries:
            yield f"{PRESENTATION_FILE}: digest_strategy_parts: unknown entry {part!r}"


def _intent_problems(kb: KnowledgeBase) -> Iterator[str]:
    intent_ids: set[str] = set()
    for intent in kb.intents:
        if intent.id in intent_ids:
            yield f"{INTENTS_FILE}: intent {intent.id!r}, field id: duplicate"
        intent_ids.add(intent.id)
    for intent in kb.intents:
        if intent.otherwise is not None and intent.otherwise not in intent_ids:
            yield f"{INTENTS_FILE}: intent {intent.id!r}, field otherwise: no intent {intent.otherwise!r}"
