"""A built engine kept on disk, keyed by what it was built from, so `natobot ask` starts quickly.

Building units, the catalogue and the index from the YAML takes half a second; loading them back takes
a few tens of milliseconds. The key is a hash of every knowledge file and of the engine's own source,
so an edited fact, lexicon word or feature rebuilds it: the cache is never stale. Anything wrong with
the cache (missing, unreadable, corrupt, a directory that cannot be written) only costs the rebuild.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

_CODE_DIRS = (Path(__file__).resolve().parent, Path(__file__).resolve().parents[2] / "knowledge")
# Bumped when the layout of what is pickled changes in a way the source hash would not show.
FORMAT = 1


def cache_dir() -> Path:
    explicit = os.environ.get("NATOBOT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "natobot"


def fingerprint(data_dir: Path) -> str:
    h = hashlib.sha256(f"format {FORMAT}".encode())
    files = sorted(data_dir.rglob("*.yaml"))
    for code_dir in _CODE_DIRS:
        files += sorted(code_dir.glob("*.py"))
    for path in files:
        h.update(str(path.name).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:24]


def key(data_dir: Path) -> str | None:
    """Taken before building, so that files edited during a build never get the old build their key."""
    try:
        return fingerprint(data_dir)
    except OSError:
        return None


def load(key: str | None) -> Any | None:
    if key is None:
        return None
    try:
        path = cache_dir() / f"engine-{key}.pickle"
        with path.open("rb") as f:
            return pickle.load(f)
    except Exception:
        return None


def save(key: str | None, state: Any) -> None:
    if key is None:
        return
    try:
        directory = cache_dir()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = directory / f"engine-{key}.pickle"
        with tempfile.NamedTemporaryFile(dir=directory, delete=False, prefix=".engine-") as tmp:
            pickle.dump(state, tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp.name, target)  # atomic: a concurrent reader sees the old file or the new one
        for old in directory.glob("engine-*.pickle"):
            if old != target:
                old.unlink(missing_ok=True)
    except Exception:
        return
