"""The cached engine build (bot/answering/cache.py): reused while its files are unchanged, rebuilt as soon as
any of them changes, and never in the way when it is broken. Each test works on its own copy of the
knowledge directory and its own cache directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.answering import cache
from bot.answering import engine as engine_mod
from bot.answering.boost import Forest
from knowledge import loader

QUESTION = "who heads the IMS?"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NATOBOT_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "data"
    shutil.copytree(loader.DATA_DIR, copy)
    return copy


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the engine builds (units built from the knowledge base) as they happen."""
    counted: list[int] = []
    real = engine_mod.build_units

    def counting(kb: loader.KnowledgeBase) -> object:
        counted.append(1)
        return real(kb)

    monkeypatch.setattr(engine_mod, "build_units", counting)
    return counted


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_a_second_load_comes_from_the_cache_with_the_same_answers(data: Path, builds: list[int]) -> None:
    first = engine_mod.Engine.load(data)
    second = engine_mod.Engine.load(data)
    assert len(builds) == 1, "the second load found the first one's build"
    assert len(list(cache.cache_dir().glob("engine-*.pickle"))) == 1
    asked = [QUESTION, "where is jfc naples", "what is the colour of the sky", "who heds the internatinal staf"]
    assert [second.ask(q) for q in asked] == [first.ask(q) for q in asked]


def test_an_edited_fact_is_answered_at_once(data: Path, builds: list[int]) -> None:
    assert "Adamczak" in engine_mod.Engine.load(data).ask(QUESTION).text
    for path in data.rglob("*.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("Adamczak", "Testowy"), encoding="utf-8")
    answer = engine_mod.Engine.load(data).ask(QUESTION)
    assert len(builds) == 2, "the edit rebuilt the engine"
    assert "Testowy" in answer.text and "Adamczak" not in answer.text


# Every kind of file the build reads: facts, entries, the lexicon, the fitted model, the word list.
EDITS: list[tuple[str, str]] = [
    ("facts/nato-ims-2012.yaml", "\n# edited\n"),
    ("structure.yaml", "\n# edited\n"),
    ("lexicon.yaml", "\n# edited\n"),
    ("model.yaml", "\n# edited\n"),
    ("english.tsv", "zzyzxq\t1.5\n"),
]


@pytest.mark.parametrize(("name", "text"), EDITS)
def test_any_changed_file_changes_the_key_and_rebuilds(data: Path, builds: list[int], name: str, text: str) -> None:
    engine_mod.Engine.load(data)
    before = cache.key(data)
    _append(data / name, text)
    assert cache.key(data) != before
    engine_mod.Engine.load(data)
    assert len(builds) == 2
    engine_mod.Engine.load(data)
    assert len(builds) == 2, "and the new build is cached in turn"


def test_the_word_list_reaches_the_rebuilt_engine(data: Path) -> None:
    engine_mod.Engine.load(data)
    _append(data / "english.tsv", "zzyzxq\t6.5\n")
    assert engine_mod.Engine.load(data).catalogue.lexicon.english["zzyzxq"] == 6.5


BREAKAGES: list[tuple[str, Callable[[Path], None]]] = [
    ("corrupt", lambda p: p.write_bytes(b"not a pickle")),
    ("truncated", lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])),
    ("empty", lambda p: p.write_bytes(b"")),
    ("removed", lambda p: p.unlink()),
]


@pytest.mark.parametrize(("how", "breakage"), BREAKAGES)
def test_a_broken_cache_only_costs_a_rebuild(
    data: Path, builds: list[int], how: str, breakage: Callable[[Path], None],
) -> None:
    expected = engine_mod.Engine.load(data).ask(QUESTION)
    [pickled] = cache.cache_dir().glob("engine-*.pickle")
    breakage(pickled)
    assert engine_mod.Engine.load(data).ask(QUESTION) == expected
    assert len(builds) == 2


def test_an_unwritable_cache_directory_only_costs_the_cache(
    data: Path, builds: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("NATOBOT_CACHE_DIR", str(blocker / "cache"))
    assert "Adamczak" in engine_mod.Engine.load(data).ask(QUESTION).text
    engine_mod.Engine.load(data)
    assert len(builds) == 2


def test_builds_of_other_versions_are_kept_up_to_a_few(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checkouts of several versions share the cache: each keeps its build, the least recently used go."""
    monkeypatch.setenv("NATOBOT_CACHE_DIR", str(tmp_path))
    keys = [f"{i:024x}" for i in range(cache.KEEP + 3)]
    cache.save(keys[0], ("state", 0))
    for i, key in enumerate(keys[1:], start=1):
        assert cache.load(keys[0]) == ("state", 0)  # the first stays in use
        cache.save(key, ("state", i))
    kept = {p.name for p in tmp_path.glob("engine-*.pickle")}
    assert kept == {f"engine-{k}.pickle" for k in [keys[0], *keys[-(cache.KEEP - 1):]]}
    newest = range(len(keys) - (cache.KEEP - 1), len(keys))
    assert [cache.load(keys[i]) for i in newest] == [("state", i) for i in newest]


def _forest() -> Forest:
    # x[0] <= 0.5 ? (x[1] <= 2 ? 1.0 : 2.0) : 3.0, and a second tree adding 0.25 or -0.25.
    first = [[0.0, 0.5, 1.0, 2.0], [1.0, 2.0, 3.0, 4.0], [-1.0, 3.0, 0.0, 0.0], [-1.0, 1.0, 0.0, 0.0],
             [-1.0, 2.0, 0.0, 0.0]]
    second = [[1.0, 0.0, 1.0, 2.0], [-1.0, -0.25, 0.0, 0.0], [-1.0, 0.25, 0.0, 0.0]]
    return Forest(0.125, (first, second))


ROWS = [[0.0, 1.0], [0.0, 3.0], [1.0, -1.0], [0.5, 2.0], [0.6, 0.0]]


@pytest.mark.parametrize("state", ["fresh", "cached", "corrupt"])
def test_the_compiled_forest_sums_as_the_trees_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state: str,
) -> None:
    monkeypatch.setenv("NATOBOT_CACHE_DIR", str(tmp_path))
    forest = _forest()
    if state != "fresh":
        forest.compiled()
        [code] = tmp_path.glob("forest-*.marshal")
        if state == "corrupt":
            code.write_bytes(b"\x00garbage")
    margin = forest.compiled()
    assert [margin(x) for x in ROWS] == [forest.margin(x) for x in ROWS]
    assert len(list(tmp_path.glob("forest-*.marshal"))) == 1


def test_a_changed_forest_gets_its_own_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATOBOT_CACHE_DIR", str(tmp_path))
    forest = _forest()
    forest.compiled()
    changed = Forest(forest.base, (forest.trees[0], [[-1.0, 7.0, 0.0, 0.0]]))
    margin = changed.compiled()
    assert [margin(x) for x in ROWS] == [changed.margin(x) for x in ROWS]


SLACK_AND_DIGEST = ("aiohttp", "slack_sdk", "slack_bolt", "sqlalchemy", "asyncpg", "aiosqlite", "bot.digest.service",
                    "bot.cli.digest", "bot.store.state", "bot.slack.app", "bot.slack.server", "alembic")
# A cached build holds the parsed knowledge and the fitted model: reading YAML again would be wasted.
BUILD_ONLY = ("yaml",)


def _imported(*args: str, env_dir: Path) -> set[str]:
    env = {"NATOBOT_CACHE_DIR": str(env_dir), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "bot", *args], capture_output=True, text=True,
                         env=env, check=True)
    return {line.split("|")[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("args", [("ask", QUESTION), ("ask", "--json", "what is the colour of the sky"),
                                  ("--data", str(loader.DATA_DIR), "ask", QUESTION)])
def test_ask_imports_nothing_of_slack_the_database_or_the_digest(tmp_path: Path, args: tuple[str, ...]) -> None:
    _imported(*args, env_dir=tmp_path)  # the first run builds the cache
    modules = _imported(*args, env_dir=tmp_path)
    assert "bot.answering.engine" in modules, "the probe sees the imports"
    assert not {m for m in modules if m.split(".")[0] in SLACK_AND_DIGEST or m in SLACK_AND_DIGEST}
    assert not {m for m in modules if m.split(".")[0] in BUILD_ONLY}


def test_a_plain_question_in_plain_text_needs_neither_rapidfuzz_nor_the_validators(tmp_path: Path) -> None:
    """Only a word the catalogue has never seen (a typo) needs rapidfuzz, and only a validated or dumped
    answer (JSON, Block Kit) needs pydantic's validators, whose plugin lookup imports importlib.metadata:
    together a sixth of `natobot ask`'s start."""
    _imported("ask", QUESTION, env_dir=tmp_path)
    modules = _imported("ask", QUESTION, env_dir=tmp_path)
    assert "bot.answering.engine" in modules
    assert not {m for m in modules if m.split(".")[0] == "rapidfuzz" or m.startswith("importlib.metadata")}
    typo = _imported("ask", "who heads the internationl militery staf", env_dir=tmp_path)
    assert "rapidfuzz" in typo
    assert "importlib.metadata" in _imported("ask", "--json", QUESTION, env_dir=tmp_path)


def test_other_commands_still_have_every_sub_command(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=True)
    for command in ("ask", "serve", "digest", "kb"):
        assert command in run.stdout


def test_cached_build_holds_the_same_index_and_word_table(data: Path) -> None:
    """IndexedUnit and WordTable keep less on disk than in memory and rebuild the rest on loading: what
    comes back must equal what was built, set for set and word for word."""
    fresh = engine_mod.Engine.load(data)  # builds and saves
    cached = engine_mod.Engine.load(data)  # loads the saved build
    assert cached.index is not fresh.index
    assert cached.index.units == fresh.index.units
    for before, after in zip(fresh.index.units, cached.index.units, strict=True):
        assert (after.concepts, after.own, after.reply_concepts) == (before.concepts, before.own, before.reply_concepts)
        assert after.own <= after.concepts <= after.reply_concepts
    english = fresh.catalogue.lexicon.english
    assert len(english) > 50_000
    assert dict(cached.catalogue.lexicon.english.items()) == dict(english.items())
    assert cached.ask(QUESTION).model_dump() == fresh.ask(QUESTION).model_dump()
