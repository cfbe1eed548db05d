"""The curated knowledge base: it loads, `kb check` passes, and a broken copy is refused clearly.

Broken copies are made from the real knowledge/data files (copied to tmp_path, then broken in one
way each), so the tests see exactly the errors a curator would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.answering.engine import Engine
from knowledge import loader
from knowledge.loader import KnowledgeError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "knowledge" / "data"


def natobot(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real console entry point, as a user or a script runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin, capture_output=True, text=True, encoding="utf-8", cwd=ROOT, timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


# -- the real knowledge base -----------------------------------------------------------------------

def test_knowledge_loads() -> None:
    kb = loader.load()
    assert len(kb.entries) >= 100
    assert set(kb.documents) == {"nato-ims-2012", "wiki-ims-2023", "policy-alignment", "usnato-ims-2022"}
    assert kb.intents
    assert list(loader.problems(kb)) == []


@pytest.mark.parametrize(
    ("entry_id", "kind"),
    [
        ("nato", "body"),
        ("nac", "body"),
        ("mc", "body"),
        ("ims", "body"),
        ("is", "body"),
        ("secgen", "position"),
        ("dgims", "position"),
        ("exco", "position"),
        ("pasca", "position"),
        ("sitcen", "office"),
        ("nhqc3s", "office"),
        ("nogp", "office"),
        ("ims-pp", "division"),
        ("ims-ops", "division"),
        ("ims-int", "division"),
        ("ims-crs", "division"),
        ("ims-lr", "division"),
        ("jfc-naples", "command"),
        ("jfc-brunssum", "command"),
        ("jfc-norfolk", "command"),
        ("goal-1", "goal"),
        ("goal-4", "goal"),
        ("objective-1-1", "objective"),
        ("objective-4-1", "objective"),
        ("mgmt-objective-1", "management-objective"),
        ("mgmt-objective-3", "management-objective"),
    ],
)
def test_knowledge_has_entry(engine: Engine, entry_id: str, kind: str) -> None:
    entry = engine.kb.entries[entry_id]
    assert entry.kind == kind
    assert entry.sources, f"{entry_id} cites no source"
    assert entry.short.strip() and entry.answer.strip()


def test_every_entry_cites_a_known_document(engine: Engine) -> None:
    for entry in engine.kb.entries.values():
        for citation in entry.sources:
            assert citation.doc in engine.kb.documents, (entry.id, citation.doc)


def test_kb_check_cli_ok() -> None:
    result = natobot("kb", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout
    assert "Traceback" not in result.stderr


# -- broken copies -----------------------------------------------------------------------------------

def _edit(data_dir: Path, name: str, change: Callable[[dict[str, Any]], object]) -> None:
    path = data_dir / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8")


def _entry(data: dict[str, Any], entry_id: str) -> dict[str, Any]:
    return next(e for e in data["entries"] if e["id"] == entry_id)


def _invalid_yaml(d: Path) -> None:
    with (d / "ims.yaml").open("a", encoding="utf-8") as f:
        f.write("\n  - id: [unclosed\n")


def _unknown_facet(d: Path) -> None:
    _edit(d, "ims.yaml", lambda x: _entry(x, "ims")["facets"].__setitem__("budget", {"text": "lots"}))


def _missing_sources(d: Path) -> None:
    _edit(d, "ims.yaml", lambda x: _entry(x, "dgims").pop("sources"))


def _dangling_relation(d: Path) -> None:
    _edit(d, "ims.yaml", lambda x: _entry(x, "sitcen")["relations"].__setitem__("part_of", ["no-such-entry"]))


def _shared_alias(d: Path) -> None:
    _edit(d, "ims.yaml", lambda x: _entry(x, "sitcen")["aliases"].append("IMS"))


def _duplicate_id(d: Path) -> None:
    sitcen = _entry(yaml.safe_load((d / "ims.yaml").read_text(encoding="utf-8")), "sitcen")
    _edit(d, "policy.yaml", lambda x: x["entries"].append(sitcen))


def _dangling_otherwise(d: Path) -> None:
    def change(x: dict[str, Any]) -> None:
        next(i for i in x["intents"] if i["id"] == "what_does")["otherwise"] = "no_such_intent"
    _edit(d, "intents.yaml", change)


# (break, what must be named: file, entry, field, ...), and whether `load` itself refuses it.
BREAKS = [
    pytest.param(_invalid_yaml, ["ims.yaml", "YAML", "line"], True, id="invalid-yaml"),
    pytest.param(_unknown_facet, ["ims.yaml", "'ims'", "facets.budget"], True, id="unknown-facet"),
    pytest.param(_missing_sources, ["ims.yaml", "'dgims'", "sources"], True, id="missing-sources"),
    pytest.param(_dangling_relation, ["ims.yaml", "'sitcen'", "relations.part_of", "no-such-entry"], False,
                 id="dangling-relation"),
    pytest.param(_shared_alias, ["ims.yaml", "'sitcen'", "aliases", "'IMS'", "'ims'"], False, id="shared-alias"),
    pytest.param(_duplicate_id, ["policy.yaml", "'sitcen'", "id", "duplicate"], True, id="duplicate-id"),
    pytest.param(_dangling_otherwise, ["intents.yaml", "'what_does'", "otherwise", "no_such_intent"], False,
                 id="dangling-otherwise"),
]


def _broken(tmp_path: Path, brk: Callable[[Path], None]) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(DATA, data_dir)
    brk(data_dir)
    return data_dir


def test_unbroken_copy_is_clean(tmp_path: Path) -> None:
    """The copy-then-break fixture itself: an untouched copy loads and has no problems."""
    data_dir = _broken(tmp_path, lambda d: None)
    kb = loader.load(data_dir)
    assert list(loader.problems(kb)) == []


@pytest.mark.parametrize(("brk", "named", "at_load"), BREAKS)
def test_broken_knowledge_is_reported(tmp_path: Path, brk: Callable[[Path], None], named: list[str],
                                      at_load: bool) -> None:
    data_dir = _broken(tmp_path, brk)
    if at_load:
        with pytest.raises(KnowledgeError) as info:
            loader.load(data_dir)
        message = str(info.value)
        assert "\n" not in message.strip()
    else:
        problems = list(loader.problems(loader.load(data_dir)))
        assert len(problems) == 1, problems
        message = problems[0]
    for part in named:
        assert part in message, f"{part!r} not named in {message!r}"


@pytest.mark.parametrize(("brk", "named", "at_load"), BREAKS)
def test_kb_check_cli_fails_on_broken_knowledge(tmp_path: Path, brk: Callable[[Path], None], named: list[str],
                                                at_load: bool) -> None:
    result = natobot("--data", str(_broken(tmp_path, brk)), "kb", "check")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    assert "OK" not in result.stdout
    for part in named:
        assert part in output, f"{part!r} not named in {output!r}"


@pytest.mark.parametrize(("brk", "named", "at_load"), [p for p in BREAKS if p.values[2]])
def test_ask_cli_refuses_broken_knowledge_in_one_line(tmp_path: Path, brk: Callable[[Path], None],
                                                      named: list[str], at_load: bool) -> None:
    data_dir = _broken(tmp_path, brk)
    result = natobot("--data", str(data_dir), "ask", "x")
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named[0] in lines[0]
    assert "knowledge" in lines[0].lower()


@pytest.mark.parametrize(("brk", "named", "at_load"), [p for p in BREAKS if not p.values[2]])
def test_ask_cli_never_tracebacks_on_cross_entry_problems(tmp_path: Path, brk: Callable[[Path], None],
                                                          named: list[str], at_load: bool) -> None:
    result = natobot("--data", str(_broken(tmp_path, brk)), "ask", "what is sitcen")
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1)


@pytest.mark.parametrize(("brk", "named", "at_load"), [p for p in BREAKS if not p.values[2]])
def test_start_up_stops_on_cross_entry_problems(tmp_path: Path, brk: Callable[[Path], None], named: list[str],
                                               at_load: bool) -> None:
    result = natobot("--data", str(_broken(tmp_path, brk)), "ask", "x")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert named[0] in result.stderr


def test_missing_knowledge_dir_is_one_clear_line(tmp_path: Path) -> None:
    result = natobot("--data", str(tmp_path / "nowhere"), "ask", "who heads the ims")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "nowhere" in result.stderr


# -- disagreements between sources and dated facts ------------------------------------------------

@pytest.mark.parametrize(
    ("question", "entry", "facts", "docs"),
    [
        ("how many staff does the IMS have", {"ims"}, ["450", "90", "500"], {"nato-ims-2012", "wiki-ims-2023"}),
        ("how many divisions does the ims have", {"ims-divisions", "ims"}, ["five", "four"],
         {"nato-ims-2012", "wiki-ims-2023"}),
    ],
)
def test_disagreeing_sources_are_both_given(engine: Engine, question: str, entry: set[str], facts: list[str],
                                            docs: set[str]) -> None:
    answer = engine.ask(question)
    assert answer.answered
    assert answer.entry in entry
    text = answer.text.lower()
    for fact in facts:
        assert fact.lower() in text, fact
    assert docs <= {s.doc for s in answer.sources}, "both sources must be named"
    # The text says which source says what, and the part carries a warning.
    assert "2012" in answer.text and "2023" in answer.text
    assert answer.parts[0].caveat


@pytest.mark.parametrize(
    ("question", "entry", "fact"),
    [
        ("who is the secretary general", "secgen", "Stoltenberg"),
        ("who is the secretary general of nato?", "secgen", "Stoltenberg"),
        ("who is the ims director general", "dgims", "Adamczak"),
        ("how many members does nato have", "nato", "31"),
        ("how many countries are in nato", "nato", "31"),
    ],
)
def test_dated_facts_carry_a_caveat(engine: Engine, question: str, entry: str, fact: str) -> None:
    answer = engine.ask(question)
    assert answer.answered
    assert answer.entry == entry
    assert fact in answer.text
    caveat = answer.parts[0].caveat
    assert caveat, "a dated fact must carry a caveat"
    assert "2023" in caveat
    assert answer.sources, "a dated fact must name its source"
