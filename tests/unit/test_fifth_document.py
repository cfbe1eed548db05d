"""Knowledge drives the code: a fifth source document, added in data alone, is answered, cited, checked,
measured for coverage and named in help, with no code change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.answering.engine import Engine
from bot.cli.main import main

DATA = Path(__file__).resolve().parents[2] / "knowledge" / "data"
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"

DOCUMENT = {
    "id": "baltic-air-policing-2024",
    "title": "Baltic Air Policing fact sheet (synthetic test document)",
    "publisher": "Test fixture",
    "date": "published 3 March 2024",
    "file": "004_synthetic_baltic.txt",
    "short": "Baltic Air Policing fact sheet, 2024",
}
TEXT = """Baltic Air Policing

The Baltic Air Policing mission (BAP) protects the airspace of Estonia, Latvia and Lithuania. It has been
flown since 2004 from Siauliai Air Base in Lithuania, with Amari Air Base in Estonia added in 2014.
Its fighters are scrambled by the Combined Air Operations Centre at Uedem in Germany.
"""
ENTRY = {
    "id": "baltic-air-policing",
    "kind": "body",
    "title": "Baltic Air Policing (BAP)",
    "aliases": ["BAP", "Baltic Air Policing", "Baltic air policing mission"],
    "short": "Baltic Air Policing (BAP) is a NATO peacetime mission that polices the skies of the Baltic states.",
    "answer": ("Baltic Air Policing (BAP) is the NATO mission that polices the airspace of Estonia, Latvia and "
               "Lithuania. Allied jets have flown it since 2004 from Siauliai Air Base in Lithuania."),
    "sources": [{"doc": "baltic-air-policing-2024", "section": "Introduction"}],
    "questions": ["What is Baltic Air Policing?"],
}
FACTS = {
    "facts": [
        {"about": "baltic-air-policing", "facet": "location",
         "text": ("Baltic Air Policing flies from Siauliai Air Base in Lithuania and, since 2014, "
                  "from Amari Air Base in Estonia."),
         "source": {"doc": "baltic-air-policing-2024", "section": "Introduction"}},
    ],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("fifth")
    data = root / "data"
    shutil.copytree(DATA, data)
    docs = yaml.safe_load((data / "documents.yaml").read_text(encoding="utf-8"))
    docs["documents"].append(DOCUMENT)
    (data / "documents.yaml").write_text(yaml.safe_dump(docs, sort_keys=False), encoding="utf-8")
    (data / "baltic.yaml").write_text(yaml.safe_dump({"entries": [ENTRY]}, sort_keys=False), encoding="utf-8")
    (data / "facts" / "baltic-air-policing-2024.yaml").write_text(yaml.safe_dump(FACTS, sort_keys=False),
                                                                  encoding="utf-8")
    seeds = root / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / DOCUMENT["file"]).write_text(TEXT, encoding="utf-8")
    return data, seeds


def run(*argv: str) -> tuple[int, str]:
    import io

    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def test_it_is_answered_and_cited(world: tuple[Path, Path]) -> None:
    engine = Engine.load(world[0], use_cache=False)
    answer = engine.ask("what is baltic air policing?")
    assert answer.answered and "Siauliai" in answer.text
    assert "baltic-air-policing-2024" in {s.doc for s in answer.sources}


def test_kb_check_lists_it(world: tuple[Path, Path]) -> None:
    code, out = run("--data", str(world[0]), "kb", "check")
    assert code == 0 and "5 source documents" in out


def test_kb_coverage_reads_it(world: tuple[Path, Path]) -> None:
    code, out = run("--data", str(world[0]), "kb", "coverage", "--seeds", str(world[1]))
    assert code == 0
    assert "in 5 documents" in out
    # "Uedem" is in no entry or fact: coverage names it under the new document
    assert "baltic-air-policing-2024" in out and "Uedem" in out


def test_help_names_it(world: tuple[Path, Path]) -> None:
    engine = Engine.load(world[0], use_cache=False)
    assert "Baltic Air Policing fact sheet, 2024" in engine.ask("help").text


def test_a_citation_of_an_unknown_document_is_a_problem(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    entry = {**ENTRY, "sources": [{"doc": "no-such-document", "section": "x"}]}
    (data / "baltic.yaml").write_text(yaml.safe_dump({"entries": [entry]}, sort_keys=False), encoding="utf-8")
    code, out = run("--data", str(data), "kb", "check")
    assert code == 1 and "unknown document 'no-such-document'" in out
