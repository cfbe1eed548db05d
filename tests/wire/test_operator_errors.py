"""Every operator mistake gets one clear line on stderr and exit status 2, never a traceback (real processes)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from db_fixtures import PG_URL
from slack_harness import APP_TOKEN, BOT_TOKEN, SECRET
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ("SLACK_", "NATOBOT_", "DATABASE_URL", "PORT", "HOST", "LOG_LEVEL")
SLACK = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": "http://127.0.0.1:9/api/",
         "PORT": "0", "HOST": "127.0.0.1"}


async def natobot(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN)}
    environ.update({"PYTHONPATH": str(ROOT), "NATOBOT_DATA_DIR": str(tmp_path / "data"), **env})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=tmp_path, env=environ, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    except TimeoutError:
        proc.kill()
        raise
    return int(proc.returncode or 0), err.decode(errors="replace")


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("natobot: ") and "Traceback" not in err, err
    return lines[0]


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """A file or directory nobody, root included, may change (chattr +i): a read-only database for real."""
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        if os.geteuid() == 0:
            pytest.skip("chattr +i is not available here, and root ignores file modes")
        path.chmod(0o555 if path.is_dir() else 0o444)
        yield
        path.chmod(0o755 if path.is_dir() else 0o644)
        return
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def _sqlite(path: Path) -> str:
    return f"sqlite:///{path}"


def _garbage(tmp_path: Path) -> Path:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 50)
    return path


def _directory(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    path.mkdir()
    return path


def _under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "afile").write_text("x")
    return tmp_path / "afile" / "natobot.db"


SQLITE_CASES = {
    "not a SQLite file": (_garbage, "is not a SQLite database"),
    "a directory": (_directory, "is a directory"),
    "a path under a file": (_under_a_file, "is a file, not a directory"),
}
URL_CASES = {
    "unsupported scheme": ("mysql://natobot@db/natobot", "DATABASE_URL is invalid"),
    "not a URL": ("postgresql://a:b@127.0.0.1:notaport/x", "DATABASE_URL is invalid"),
    "in memory": ("sqlite://", "DATABASE_URL is invalid"),
    "refused": ("postgresql://natobot:pw@127.0.0.1:9/natobot", "connection refused"),
    "unknown host": ("postgresql://natobot:pw@no-such-host.invalid/natobot", "unknown host"),
}
COMMANDS = [("serve",), ("digest", "list"), ("report", "unanswered")]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("case", list(SQLITE_CASES))
async def test_sqlite_file_mistakes(tmp_path: Path, case: str, command: tuple[str, ...]) -> None:
    make, expected = SQLITE_CASES[case]
    code, err = await natobot(tmp_path, *command, DATABASE_URL=_sqlite(make(tmp_path)), **SLACK)
    assert code == 2 and expected in one_line(err)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("case", list(URL_CASES))
async def test_database_url_mistakes(tmp_path: Path, case: str, command: tuple[str, ...]) -> None:
    url, expected = URL_CASES[case]
    code, err = await natobot(tmp_path, *command, DATABASE_URL=url, **SLACK)
    assert code == 2 and expected in one_line(err)
    assert ":pw@" not in err  # the password is never shown


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
async def test_read_only_database_file_and_directory(tmp_path: Path, command: tuple[str, ...]) -> None:
    import sqlite3

    path = tmp_path / "natobot.db"
    sqlite3.connect(path).close()
    path.write_bytes(path.read_bytes() or b"")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a)")
    with immutable(path):
        code, err = await natobot(tmp_path, *command, DATABASE_URL=_sqlite(path), **SLACK)
    assert code == 2 and "is read-only" in one_line(err)
    locked = tmp_path / "locked"
    locked.mkdir()
    with immutable(locked):
        code, err = await natobot(tmp_path, *command, DATABASE_URL=_sqlite(locked / "new.db"), **SLACK)
    assert code == 2 and "is not writable" in one_line(err)


@pytest.mark.skipif(not PG_URL, reason="NATOBOT_TEST_PG_URL is not set")
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("case", ["wrong password", "missing database"])
async def test_postgresql_credential_and_database_mistakes(tmp_path: Path, case: str,
                                                          command: tuple[str, ...]) -> None:
    assert PG_URL is not None
    good = make_url(PG_URL)
    if case == "wrong password":
        url, expected = good.set(password="not-the-password"), "wrong user name or password"
    else:
        url, expected = good.set(database="natobot_no_such_db"), 'database "natobot_no_such_db" does not exist'
    code, err = await natobot(tmp_path, *command, DATABASE_URL=url.render_as_string(hide_password=False), **SLACK)
    line = one_line(err)
    assert code == 2 and expected in line
    assert str(good.password) not in err and "not-the-password" not in err


TOKENS = {
    "bot token alone": ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "neither SLACK_SIGNING_SECRET (HTTP) nor SLACK_APP_TOKEN"),
    "signing secret alone": ({"SLACK_SIGNING_SECRET": SECRET},
                             "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not"),
    "app token alone": ({"SLACK_APP_TOKEN": APP_TOKEN}, "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not"),
    "blank bot token": ({"SLACK_BOT_TOKEN": " ", "SLACK_SIGNING_SECRET": SECRET}, "SLACK_BOT_TOKEN"),
}


@pytest.mark.parametrize("case", list(TOKENS))
async def test_run_refuses_half_a_slack_configuration_instead_of_starting_the_shell(tmp_path: Path,
                                                                                    case: str) -> None:
    env, expected = TOKENS[case]
    code, err = await natobot(tmp_path, "run", **env)
    assert code == 2 and expected in one_line(err)
    assert BOT_TOKEN not in err and SECRET not in err and APP_TOKEN not in err


@pytest.mark.parametrize("channel", ["", "   ", "#", "two words", "C1\nC2"])
@pytest.mark.parametrize("command", ["subscribe", "unsubscribe"])
async def test_blank_or_odd_channel_names(tmp_path: Path, command: str, channel: str) -> None:
    code, err = await natobot(tmp_path, "digest", command, channel)
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("natobot digest")  # argparse's own one-line error
    assert "CHANNEL is empty" in err or "is not a channel" in err
    assert not (tmp_path / "data" / "natobot.db").exists()  # refused before the database was touched
