"""Opening the database at start, with one clear line for every way an operator can get it wrong.

`natobot serve` and the `digest`/`report` commands call `open_store`; a `DatabaseProblem` is printed as one line
(naming the URL without its password) and the command exits 2. The checks on a SQLite path run first, before
any driver thread starts, so nothing else reaches the terminal.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from bot.store.state import Store

SQLITE_HEADER = b"SQLite format 3\x00"


class DatabaseProblem(Exception):
    """The database cannot be used; the message is one line fit for an operator."""


def safe_url(url: str) -> str:
    """The URL as it may be shown: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "DATABASE_URL"


def check_sqlite_path(path: Path) -> None:
    """Refuse a directory, a file that is not SQLite, or a place that cannot be written, before opening it."""
    where = str(path)
    if path.is_dir():
        raise DatabaseProblem(f"{where} is a directory, not a SQLite database file (DATABASE_URL)")
    if path.exists():
        if not path.is_file():
            raise DatabaseProblem(f"{where} is not a regular file, so it cannot be a SQLite database")
        try:
            with path.open("rb") as f:
                head = f.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise DatabaseProblem(f"cannot read {where}: {exc.strerror}") from None
        if head and head != SQLITE_HEADER:
            raise DatabaseProblem(f"{where} is not a SQLite database (DATABASE_URL names another kind of file)")
        if not os.access(path, os.W_OK):
            raise DatabaseProblem(f"{where} is read-only: natobot needs to write its database")
    parent = path.parent
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise DatabaseProblem(f"cannot create {where}: {existing} is a file, not a directory")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise DatabaseProblem(f"cannot create {where}: {existing} is not writable")


def describe(exc: BaseException, url: str) -> str:
    """One line for an error raised while opening `url`."""
    shown = safe_url(url)
    orig = getattr(exc, "orig", None)
    text = " ".join(str(orig or exc).split())
    if isinstance(exc, ValueError | ArgumentError) and not isinstance(exc, DBAPIError):
        return f"DATABASE_URL is invalid: {text[:200]}"
    return _by_message(text, shown) or _by_kind(exc, text, shown)


def _by_message(text: str, shown: str) -> str | None:
    """The line for an error the driver names in its message (either backend), else None."""
    low = text.lower()
    if "password authentication failed" in low or "authentication failed" in low:
        return f"cannot log in to {shown}: wrong user name or password (check DATABASE_URL)"
    if "does not exist" in low and "database" in low:
        return f"cannot open {shown}: {text[:200]} (create it, or fix DATABASE_URL)"
    if "file is not a database" in low:
        return f"cannot open {shown}: the file is not a SQLite database"
    if "readonly" in low or "read-only" in low:
        return f"cannot open {shown}: it is read-only, and natobot needs to write to it"
    if "unable to open database file" in low:
        return f"cannot open {shown}: the file cannot be created or opened (check the path and its permissions)"
    return None


def _by_kind(exc: BaseException, text: str, shown: str) -> str:
    """The line for a network error, by its type; a general one for anything else."""
    if isinstance(exc, socket.gaierror):
        return f"cannot reach the database at {shown}: unknown host"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot reach the database at {shown}: connection refused (is it running?)"
    if isinstance(exc, TimeoutError):
        return f"cannot reach the database at {shown}: no answer (timed out)"
    if isinstance(exc, OSError):
        return f"cannot reach the database at {shown}: {exc.strerror or text[:200]}"
    return f"cannot open the database at {shown}: {text[:200]}"


async def open_store(url: str, *, clock: Callable[[], datetime] | None = None) -> Store:
    """Store.open with every failure turned into a one-line DatabaseProblem."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseProblem("DATABASE_URL is invalid: it is not a URL like sqlite:///FILE or "
                              "postgresql://user:password@host/db") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        check_sqlite_path(Path(parsed.database).expanduser())
    try:
        return await Store.open(url, clock=clock)
    except Exception as exc:
        raise DatabaseProblem(describe(exc, url)) from None
