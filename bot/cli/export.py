"""The catalogue as data: `natobot catalogue --json`."""

from __future__ import annotations

from typing import Any

from bot.answering.engine import Engine


def catalogue_dict(engine: Engine) -> dict[str, Any]:
    entries = []
    for entry in engine.kb.entries.values():
        answer = engine.entry_answer(entry.id)
        entries.append({
            "id": entry.id,
            "kind": entry.kind,
            "title": entry.title,
            "aliases": entry.aliases,
            "number": entry.number,
            "questions": entry.questions,
            "facets": sorted(entry.facets),
            "text": answer.text,
            "sources": [s.label() for s in answer.sources],
        })
    intents = [
        {"id": i.id, "facet": i.facet, "description": i.description, "cues": i.cues, "examples": i.examples}
        for i in engine.kb.intents
    ]
    return {"entries": entries, "intents": intents}
