"""The `natobot` command line: the console shapes that scripts and checks rely on.

Where the contract is about the console (exit codes, stdout/stderr, stdin) the real CLI runs as a
subprocess (`python -m bot`); where only the output matters, `main(argv, out)` runs in-process
with one shared engine, which is much faster.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.answering.engine import Engine
from bot.cli import ask as cli_ask
from bot.cli import main as cli
from bot.evaluation import evaluate

ROOT = Path(__file__).resolve().parents[2]
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
RunMain = Callable[..., tuple[int, str]]
JSON_KEYS = {"question", "answered", "text", "entry", "intent", "entities", "confidence", "sources", "suggestions"}


def natobot(*args: str | bytes, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real console entry point, as a user or a script runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin, capture_output=True, text=True, encoding="utf-8", errors="replace", cwd=ROOT, timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@pytest.fixture
def run_main(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> RunMain:
    """`main(argv, out)` in-process with the shared engine; returns (exit code, stdout text)."""
    monkeypatch.setattr(cli_ask, "load_engine", lambda args: engine)

    def run(*argv: str, stdin: str | None = None) -> tuple[int, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        out = io.StringIO()
        code = cli.main(list(argv), out)
        return code, out.getvalue()

    return run


def titles(text: str) -> list[str]:
    """The titles of the plain-text answers in `text` (each is underlined with '=')."""
    return [title for title, _ in blocks(text)]


def blocks(text: str) -> list[tuple[str, str]]:
    """The plain-text answers in `text` as (title, everything up to the next title)."""
    lines = text.splitlines()
    starts = [i for i in range(len(lines) - 1) if lines[i].strip() and lines[i + 1] and set(lines[i + 1]) == {"="}]
    return [(lines[i], "\n".join(lines[i + 2:j])) for i, j in zip(starts, [*starts[1:], len(lines)], strict=True)]


def jsonl(stdout: str) -> list[str]:
    """JSON Lines as a JSON Lines reader splits them: on "\\n" only (a question may hold U+2028)."""
    return stdout[:-1].split("\n") if stdout.endswith("\n") else stdout.split("\n")


def assert_json_answer(obj: dict[str, Any]) -> None:
    assert set(obj) >= JSON_KEYS, JSON_KEYS - set(obj)
    assert isinstance(obj["question"], str)
    assert isinstance(obj["answered"], bool)
    assert isinstance(obj["text"], str) and obj["text"]
    assert obj["entry"] is None or isinstance(obj["entry"], str)
    assert obj["intent"] is None or isinstance(obj["intent"], str)
    assert isinstance(obj["entities"], list) and all(isinstance(e, str) for e in obj["entities"])
    assert isinstance(obj["confidence"], int | float) and 0.0 <= obj["confidence"] <= 1.0
    assert isinstance(obj["sources"], list)
    assert isinstance(obj["suggestions"], list) and all(isinstance(s, str) for s in obj["suggestions"])


# -- natobot ask -------------------------------------------------------------------------------------

def test_ask_plain_text() -> None:
    result = natobot("ask", "who heads the IMS?")
    assert result.returncode == 0
    assert result.stderr == ""
    out = result.stdout
    assert titles(out)[0].startswith("International Military Staff")
    assert "Director General" in out
    assert "\nSources:\n" in out
    assert not out.lstrip().startswith("{")


def test_ask_words_are_joined_into_one_question() -> None:
    result = natobot("ask", "where", "is", "jfc", "naples")
    assert result.returncode == 0
    assert "Naples, Italy" in result.stdout


def test_ask_json_subprocess() -> None:
    result = natobot("ask", "--json", "who heads the IMS?")
    assert result.returncode == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1, "one JSON object on one line"
    obj = json.loads(lines[0])
    assert_json_answer(obj)
    assert obj["question"] == "who heads the IMS?"
    assert obj["answered"] is True
    assert obj["entry"] == "ims"
    assert obj["entities"] == ["ims"]
    assert obj["intent"] == "who_heads"
    assert obj["sources"]


@pytest.mark.parametrize(
    ("question", "answered", "entry", "entities"),
    [
        ("who heads the IMS?", True, "ims", ["ims"]),
        ("sitcen", True, "sitcen", ["sitcen"]),
        ("objective 2.2", True, "objective-2-2", ["objective-2-2"]),
        ("where are JFC Naples and JFC Brunssum?", True, "jfc-naples", ["jfc-naples", "jfc-brunssum"]),
        ("who commands JFC Naples?", False, "jfc-naples", ["jfc-naples"]),
        ("when did Sweden join", False, None, []),
        ("what is NATO's budget this year", False, None, None),
        ("objective 5.1", False, None, []),
        ("hello", False, None, []),
    ],
)
def test_ask_json_fields(run_main: RunMain, question: str, answered: bool, entry: str | None,
                         entities: list[str] | None) -> None:
    code, out = run_main("ask", "--json", question)
    assert code == 0
    obj = json.loads(out)
    assert_json_answer(obj)
    assert obj["question"] == question
    assert obj["answered"] is answered
    assert obj["entry"] == entry
    if entities is not None:
        assert obj["entities"] == entities
    if answered:
        assert obj["sources"], "an answer names its sources"
    elif entry is None:
        assert 1 <= len(obj["suggestions"]) <= 3, "a fallback offers up to three suggestions"


def test_ask_json_sources_name_documents(run_main: RunMain) -> None:
    _, out = run_main("ask", "--json", "how many staff does the IMS have")
    obj = json.loads(out)
    docs = {s["doc"] for s in obj["sources"]}
    assert {"nato-ims-2012", "wiki-ims-2023"} <= docs
    assert all(s["label"] for s in obj["sources"])


def test_ask_without_a_question_is_a_usage_error() -> None:
    result = natobot("ask")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["kb"], ["ask", "--nope", "x"]])
def test_bad_usage_exits_2_without_traceback(argv: list[str]) -> None:
    result = natobot(*argv)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "usage" in result.stderr.lower()


# -- --batch -----------------------------------------------------------------------------------------

BATCH = [
    "who heads the IMS?",
    "sitcen",
    "",
    "when did Sweden join",
    "where are JFC Naples and JFC Brunssum?",
    "objective 2.2",
    "   ",
    "北约是什么？",
    "who commands JFC Naples?",
]


def _batch_lines(stdout: str, questions: list[str]) -> list[dict[str, Any]]:
    lines = jsonl(stdout)
    assert len(lines) == len(questions), "one JSON line per input line"
    objs = [json.loads(line) for line in lines]
    for obj, question in zip(objs, questions, strict=True):
        assert_json_answer(obj)
        assert obj["question"] == question, "same order as the input"
    return objs


def test_batch_file(tmp_path: Path) -> None:
    batch = tmp_path / "questions.txt"
    batch.write_text("\n".join(BATCH) + "\n", encoding="utf-8")
    result = natobot("ask", "--json", "--batch", str(batch))
    assert result.returncode == 0
    assert result.stderr == ""
    objs = _batch_lines(result.stdout, BATCH)
    assert [o["entry"] for o in objs] == [
        "ims", "sitcen", None, None, "jfc-naples", "objective-2-2", None, None, "jfc-naples"]
    assert [o["answered"] for o in objs] == [True, True, False, False, True, True, False, False, False]


def test_batch_stdin() -> None:
    result = natobot("ask", "--json", "--batch", "-", stdin="\n".join(BATCH) + "\n")
    assert result.returncode == 0
    assert result.stderr == ""
    _batch_lines(result.stdout, BATCH)


def test_batch_last_line_without_newline_and_crlf(tmp_path: Path) -> None:
    batch = tmp_path / "q.txt"
    batch.write_bytes(b"sitcen\r\nwho heads the ims")
    result = natobot("ask", "--json", "--batch", str(batch))
    objs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["entry"] for o in objs] == ["sitcen", "ims"]
    assert [o["question"].strip() for o in objs] == ["sitcen", "who heads the ims"]


def test_batch_does_not_carry_context_between_lines(run_main: RunMain) -> None:
    """Batch lines are independent questions: a pronoun does not refer to the previous line."""
    code, out = run_main("ask", "--json", "--batch", "-", stdin="what is the IMS?\nwho heads it?\n")
    assert code == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["entry"] == "ims"
    assert second["answered"] is False


def test_batch_plain_text(run_main: RunMain) -> None:
    code, out = run_main("ask", "--batch", "-", stdin="sitcen\ngoal 3\n")
    assert code == 0
    assert len(titles(out)) == 2
    assert "Situation Centre" in titles(out)[0]


def test_batch_in_process_matches_subprocess(run_main: RunMain) -> None:
    code, out = run_main("ask", "--json", "--batch", "-", stdin="\n".join(BATCH) + "\n")
    assert code == 0
    _batch_lines(out, BATCH)


# -- bad input through the CLI -----------------------------------------------------------------------

CLI_BAD_INPUT = [
    pytest.param(" ", id="space"),
    pytest.param("\t \t", id="whitespace"),
    pytest.param("x" * 100_000, id="100KB"),
    pytest.param("\x07\x08\x0b\x0c\x1b[2J\x7f", id="control-chars"),
    pytest.param("😀🤖🚀", id="emoji"),
    pytest.param("ما هو حلف الناتو؟", id="arabic"),
    pytest.param("北约是什么？", id="chinese"),
    pytest.param("Что такое НАТО?", id="cyrillic"),
    pytest.param("\u202e\u200b\ufeff", id="format-chars"),
]


@pytest.mark.parametrize("question", CLI_BAD_INPUT)
def test_bad_input_cli_in_process(run_main: RunMain, question: str) -> None:
    code, out = run_main("ask", "--json", question)
    assert code == 0
    obj = json.loads(out)
    assert_json_answer(obj)
    assert obj["answered"] is False
    assert len(obj["text"]) <= 600
    code, out = run_main("ask", question)
    assert code == 0
    assert 0 < len(out) <= 2000


@pytest.mark.parametrize(
    "arg",
    [
        pytest.param("", id="empty"),
        pytest.param("x" * 100_000, id="100KB"),
        pytest.param("\x1b[31m\x07ims?\x1b[0m", id="control-chars"),
        pytest.param("😀 北约 НАТО ناتو", id="emoji-and-scripts"),
        pytest.param(b"\xff\xfe who heads \xc3 the ims", id="invalid-utf8-bytes"),
    ],
)
def test_bad_input_cli_subprocess(arg: str | bytes) -> None:
    result = natobot("ask", arg)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    assert result.stderr == ""
    assert titles(result.stdout), result.stdout[:300]
    assert len(result.stdout) <= 3000


def test_bad_input_batch_stdin_with_nul_and_others() -> None:
    lines = ["\x00", "who heads\x00 the ims", "", " ", "x" * 100_000, "\x1b[31m", "😀", "ما هو حلف الناتو؟",
             "北约是什么？", "Что такое НАТО?", "\u2028\x85\x0c"]
    result = natobot("ask", "--json", "--batch", "-", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    out = jsonl(result.stdout)
    assert len(out) == len(lines)
    objs = [json.loads(o) for o in out]
    for obj in objs:
        assert_json_answer(obj)
        assert len(obj["text"]) <= 900
    assert objs[1]["entry"] == "ims", "a NUL inside a question is noise"
    assert [o["answered"] for i, o in enumerate(objs) if i != 1] == [False] * (len(lines) - 1)


STRICT_UTF8 = {**os.environ, "PYTHONIOENCODING": "utf-8"}
INVALID_UTF8_REASON = (
    "BUG: input that is not valid UTF-8 is not replaced: under a strict UTF-8 console (PYTHONIOENCODING=utf-8, "
    "as in a usual en_US.UTF-8 locale) stdin raises UnicodeDecodeError and an argv byte raises "
    "UnicodeEncodeError on output (tracebacks); under the C locale the raw byte is echoed into the JSON, "
    "which is then not valid UTF-8"
)


def _run_bytes(argv: list[str | bytes], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "bot", *argv], input=stdin, capture_output=True, cwd=ROOT,
                          timeout=60, env=STRICT_UTF8)


def test_invalid_utf8_on_stdin_batch() -> None:
    result = _run_bytes(["ask", "--json", "--batch", "-"], stdin=b"who heads \xff the ims\nsitcen\n")
    assert b"Traceback" not in result.stderr
    assert result.returncode == 0
    objs = [json.loads(line) for line in jsonl(result.stdout.decode("utf-8"))]
    assert [o["entry"] for o in objs] == ["ims", "sitcen"]


def test_invalid_utf8_argv_json() -> None:
    result = _run_bytes(["ask", "--json", b"who heads \xff the ims"])
    assert b"Traceback" not in result.stderr
    assert result.returncode == 0
    obj = json.loads(result.stdout.decode("utf-8"))
    assert obj["entry"] == "ims"


def test_invalid_utf8_on_shell_stdin() -> None:
    result = _run_bytes(["shell"], stdin=b"what is \xff the ims?\nwho heads it?\n")
    assert b"Traceback" not in result.stderr
    assert result.returncode == 0
    assert "Director General" in result.stdout.decode("utf-8")


@pytest.mark.parametrize(
    "argv",
    [
        ["ask", "--json", "--batch", "NO_SUCH_FILE.txt"],
        ["eval", "--set", "NO_SUCH_FILE.yaml"],
        ["kb", "extract", "NO_SUCH_FILE.txt"],
        # A report directory that cannot be made (/proc takes no new entries) is a write error.
        ["eval", "--report", "/proc/NO_SUCH_FILE"],
    ],
)
def test_missing_input_file_is_one_clear_error(argv: list[str]) -> None:
    result = natobot(*argv)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "NO_SUCH_FILE" in result.stderr


# -- natobot shell -----------------------------------------------------------------------------------

def test_shell_keeps_follow_up_context_from_stdin() -> None:
    script = "what is the IMS?\nwho heads it?\nhow many staff does it have?\nnew\nwho heads it?\nquit\nsitcen\n"
    result = natobot("shell", stdin=script)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    assert "natobot> " not in result.stdout, "no prompt when stdin is not a TTY"
    answers = blocks(result.stdout)
    assert len(answers) == 4, "'quit' stops before 'sitcen'"
    assert all(title.startswith("International Military Staff") for title, _ in answers[:3])
    assert "Director General" in answers[1][1]
    assert "450" in answers[2][1]
    assert answers[3][0] == "I don't know that one", "'new' forgets the subject"
    assert "(context cleared)" in answers[2][1]


def test_shell_follow_up_to_a_command(run_main: RunMain) -> None:
    code, out = run_main("shell", stdin="where is JFC Naples?\nand JFC Brunssum?\nwho heads it?\n")
    assert code == 0
    found = titles(out)
    assert len(found) == 3
    assert "Naples" in found[0] and "Brunssum" in found[1] and "Brunssum" in found[2]
    assert "do not name" in out or "I don't know that one" in out  # the sources name no commander


def test_shell_survives_bad_lines(run_main: RunMain) -> None:
    lines = ["\x00", "x" * 100_000, "😀", "北约是什么？", "\x1b[2J", "what is the ims?", "who heads it?"]
    code, out = run_main("shell", stdin="\n".join(lines) + "\n")
    assert code == 0
    answers = blocks(out)
    assert len(answers) == len(lines)
    assert answers[-2][0] == "International Military Staff"
    assert answers[-1][0].startswith("International Military Staff")
    assert "Director General" in answers[-1][1]


def test_shell_json_prints_one_object_per_question(run_main: RunMain) -> None:
    script = "where is JFC Brunssum?\nand JFC Naples?\nnew\nwho heads it?\n"
    code, out = run_main("shell", "--json", stdin=script)
    assert code == 0
    objs = [json.loads(line) for line in jsonl(out)]
    assert [o["question"] for o in objs] == ["where is JFC Brunssum?", "and JFC Naples?", "who heads it?"], \
        "one object per question line, in order; 'new' prints nothing"
    for obj in objs:
        assert_json_answer(obj)
    assert objs[0]["entry"] == "jfc-brunssum" and "Netherlands" in objs[0]["text"]
    assert objs[1]["answered"] and objs[1]["entry"] == "jfc-naples" and "Italy" in objs[1]["text"], \
        "the follow-up keeps the question"
    assert not objs[2]["answered"], "'new' forgot the subject"


def test_blind_scorer_goes_through_the_real_command_line(tmp_path: Path, run_main: RunMain) -> None:
    qset = tmp_path / "mini.yaml"
    qset.write_text(yaml.safe_dump({
        "questions": [
            {"id": "a", "q": "where is MARCOM?", "kind": "direct", "facts": ["Northwood"]},
            {"id": "b", "q": "who won the world cup in 1998", "kind": "decline-adversarial", "decline": True},
        ],
        "conversations": [{"id": "c1", "turns": [{"q": "where is JFC Brunssum?", "facts": ["Netherlands"]},
                                                  {"q": "and JFC Naples?", "facts": ["Italy"]}]}],
    }), encoding="utf-8")
    figures = tmp_path / "blind.json"
    result = subprocess.run(
        [sys.executable, "-m", "bot.evaluation.blind", str(qset), "--command", f"{sys.executable} -m bot", "--json-out",
         str(figures)], capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "questions: 2 (1 in scope, 1 must decline); conversation turns: 2" in result.stdout
    summary = json.loads(figures.read_text(encoding="utf-8"))["mini.yaml"]
    assert summary["questions"] == 2 and summary["conversation_turns"] == 2
    code, out = run_main("eval", "--set", str(qset), "--no-report")
    assert code == 0
    assert out.splitlines()[:5] == result.stdout.splitlines()[1:6], "`natobot eval --set` scores it the same way"


def test_shell_eof_without_newline(run_main: RunMain) -> None:
    code, out = run_main("shell", stdin="sitcen")
    assert code == 0
    assert len(titles(out)) == 1


# -- natobot catalogue ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def catalogue_json() -> dict[str, Any]:
    result = natobot("catalogue", "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_catalogue_json_shape(catalogue_json: dict[str, Any], engine: Engine) -> None:
    assert set(catalogue_json) >= {"entries", "intents"}
    entries = catalogue_json["entries"]
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), "entry ids are unique"
    assert set(ids) == set(engine.kb.entries)
    for e in entries:
        assert {"id", "kind", "title", "aliases", "questions", "text", "sources"} <= set(e), e["id"]
        assert isinstance(e["kind"], str) and e["kind"]
        assert isinstance(e["title"], str) and e["title"]
        assert isinstance(e["aliases"], list)
        assert isinstance(e["questions"], list)
        assert isinstance(e["text"], str) and e["text"].strip(), f"{e['id']} has no text"
        assert isinstance(e["sources"], list) and e["sources"], f"{e['id']} has no sources"
    intents = catalogue_json["intents"]
    assert isinstance(intents, list) and intents
    assert all(isinstance(i, dict) and i.get("id") for i in intents)


@pytest.mark.parametrize(
    ("entry_id", "alias"),
    [
        ("ims", "IMS"),
        ("ims", "International Military Staff"),
        ("nac", "NAC"),
        ("sitcen", "SITCEN"),
        ("jfc-naples", "JFC Naples"),
        ("pasca", "PA&SCA"),
    ],
)
def test_catalogue_json_names(catalogue_json: dict[str, Any], entry_id: str, alias: str) -> None:
    entry = next(e for e in catalogue_json["entries"] if e["id"] == entry_id)
    assert alias in [entry["title"], *entry["aliases"]]


@pytest.mark.parametrize(
    "intent", ["what_is", "who_heads", "what_does", "where_is", "how_big", "part_of", "components"],
)
def test_catalogue_json_intents(catalogue_json: dict[str, Any], intent: str) -> None:
    found = next((i for i in catalogue_json["intents"] if i["id"] == intent), None)
    assert found is not None
    assert found["examples"]


def test_catalogue_text_is_the_entry_answer(catalogue_json: dict[str, Any], engine: Engine) -> None:
    ims = next(e for e in catalogue_json["entries"] if e["id"] == "ims")
    assert ims["text"] == engine.entry_answer("ims").text


def test_catalogue_plain(run_main: RunMain) -> None:
    code, out = run_main("catalogue")
    assert code == 0
    assert re.search(r"^\d+ entries, \d+ intents$", out.strip().splitlines()[-1])


# -- natobot kb extract ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def extract_output() -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"the source documents are not checked out at {SEEDS}")
    result = natobot("kb", "extract", str(SEEDS))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_kb_extract_every_defined_name_resolves(extract_output: str) -> None:
    summary = extract_output.strip().splitlines()[-1]
    found = re.fullmatch(r"(\d+) defined names, (\d+) known, (\d+) unknown", summary)
    assert found, summary
    total, known, unknown = map(int, found.groups())
    unknown_rows = [line for line in extract_output.splitlines() if line.rstrip().endswith("UNKNOWN")]
    assert unknown == 0, unknown_rows
    assert total == known >= 40


@pytest.mark.parametrize(
    ("acronym", "entry"),
    [
        ("IMS", "ims"), ("NAC", "nac"), ("MC", "mc"), ("SITCEN", "sitcen"), ("NHQC3S", "nhqc3s"),
        ("PA&SCA", "pasca"), ("C&RS", "ims-crs"), ("SHAPE", "shape"), ("DGIMS", "dgims"), ("NOGP", "nogp"),
    ],
)
def test_kb_extract_lists_known_names(extract_output: str, acronym: str, entry: str) -> None:
    rows = [line.split() for line in extract_output.splitlines()]
    assert any(r and r[0] == acronym and r[-1] == entry for r in rows), f"{acronym} -> {entry} not listed"


def test_kb_extract_reports_an_unknown_name(tmp_path: Path, run_main: RunMain) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("The Frobnication Oversight Board (FOB) reports to the North Atlantic Council (NAC).\n",
                   encoding="utf-8")
    code, out = run_main("kb", "extract", str(doc))
    assert code == 0
    assert re.search(r"^FOB\s+Frobnication Oversight Board\s+UNKNOWN$", out, re.M)
    assert re.search(r"^NAC\s+North Atlantic Council\s+known: nac$", out, re.M)
    assert out.strip().splitlines()[-1] == "2 defined names, 1 known, 1 unknown"


# -- natobot eval ----------------------------------------------------------------------------------------

def test_eval_prints_precision_recall_and_misses(tmp_path: Path) -> None:
    result = natobot("eval", "--report", str(tmp_path / "report"))
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    out = result.stdout
    for label in ("in-scope accuracy:", "correct fallback:", "confidently wrong:", "fallback precision:"):
        assert re.search(rf"^{label}\s+\d+(\.\d)?%", out, re.M), label
    assert re.search(r"^intent \(facet\)\s+precision\s+recall\s+support$", out, re.M)
    assert re.search(r"^head\s+\d+\.\d%\s+\d+\.\d%\s+\d+$", out, re.M), "per-intent precision/recall rows"
    assert re.search(r"^misses \(\d+\):$", out, re.M)
    threshold = Engine.load().model.threshold
    assert re.search(rf"^threshold {threshold:.2f}: answers \d+\.\d% of questions", out, re.M)
    assert re.search(r"^calibration over \d+ answers \(threshold 0\): expected calibration error 0\.\d{3}", out, re.M)
    written = sorted(p.name for p in (tmp_path / "report").iterdir())
    assert written == ["eval-calibration.png", "eval-confidence.png", "eval-threshold.png", "eval.json"]
    report = json.loads((tmp_path / "report" / "eval.json").read_text(encoding="utf-8"))
    assert report["shipped_threshold"] == threshold
    assert sum(b["n"] for b in report["calibration"]["bins"]) == report["calibration"]["answers"]


def test_eval_with_a_set_lists_its_misses(tmp_path: Path, run_main: RunMain) -> None:
    items = [
        {"q": "who heads the IMS?", "answered": True, "entry": "ims", "facet": "head", "tag": "plain"},
        {"q": "where is SHAPE?", "answered": True, "entry": "sitcen", "facet": "location", "tag": "plain"},
        {"q": "when did Sweden join", "answered": False, "tag": "oos-near"},
    ]
    qset = tmp_path / "set.yaml"
    qset.write_text(yaml.safe_dump(items), encoding="utf-8")
    figures = tmp_path / "figures.json"
    code, out = run_main("eval", "--set", str(qset), "--json-out", str(figures), "--no-report")
    assert code == 0
    assert "questions: 3 (2 in scope, 1 out of scope)" in out
    assert "in-scope accuracy:   50.0%" in out
    assert "correct fallback:    100.0%" in out
    assert "misses (1):" in out
    assert re.search(r"\[wrong\] 'where is SHAPE\?': expected sitcen/location got shape/\S+ conf=", out)
    summary = json.loads(figures.read_text(encoding="utf-8"))
    assert summary["questions"] == 3
    assert summary["in_scope_accuracy"] == 0.5


@pytest.mark.parametrize("argv", [["eval", "--no-report"], ["eval", "--fit"], ["bench", "--rounds", "1"]])
def test_outside_a_checkout_eval_and_bench_ask_for_a_set(
        argv: list[str], engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # An installed natobot has no tests/ beside it: no default set, and one short line instead of a traceback.
    monkeypatch.setattr(evaluate, "DEFAULT_SET", tmp_path / "no-devset.yaml")
    monkeypatch.setattr(cli_ask, "load_engine", lambda args: engine)
    assert cli.main(argv, io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "give --set FILE" in err and "Traceback" not in err
