"""A built engine kept on disk, keyed by what it was built from, so `natobot ask` starts quickly.

Building units, the catalogue and the index from the YAML takes half a second; loading them back takes
a few tens of milliseconds. The key is a hash of every file of the knowledge directory (YAML, english.tsv,
the fitted model), of the engine's own source and of the Python version, so an edited fact, lexicon word,
word frequency or feature rebuilds it: the cache is never stale. Anything wrong with the cache (missing,
unreadable, corrupt, a directory that cannot be written) only costs the rebuild.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve()
_CODE_DIRS = (_HERE.parent, _HERE.parents[2] / "knowledge")
# engine.py wires the build (which parts are built, from what): a change there can change what is cached.
_CODE_FILES = (_HERE.parent / "engine.py",)
# Builds kept, the most recently used first: several checkouts or versions of natobot on one machine
# (worktrees, CI, an installed copy) share the directory, and keeping only the newest made each one
# delete the others' builds, so that every other `natobot ask` rebuilt (1.4 s instead of 0.2).
KEEP = 4
# Bumped when the layout of what is pickled changes in a way the source hash would not show.
FORMAT = 7


def cache_dir() -> Path:
    explicit = os.environ.get("NATOBOT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "natobot"


def fingerprint(data_dir: Path) -> str:
    # The Python version too: pickles of one version's objects need not load the same in another.
    h = hashlib.sha256(f"format {FORMAT} python {sys.version}".encode())
    # Every file, not only *.yaml: english.tsv's word frequencies shape the lexicon as much as the YAML.
    files = sorted(p for p in data_dir.rglob("*") if p.is_file())
    for code_dir in _CODE_DIRS:
        files += sorted(code_dir.glob("*.py"))
    files += list(_CODE_FILES)
    for path in files:
        data = path.read_bytes()
        # Name and length first, so that no two different sets of files can hash alike.
        name = path.relative_to(data_dir) if path.is_relative_to(data_dir) else path.name
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
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
            data = f.read()
    except Exception:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used now: the last to be pruned
    # Half a million small objects: the cyclic collector would walk them many times over while they
    # are created, and once more at its next full pass, and none of them is garbage. Pausing it saves a
    # third of the load; freezing them (gc.freeze: never scanned again) saves that full pass.
    enabled = gc.isenabled()
    gc.disable()
    try:
        state = pickle.loads(data)
        gc.freeze()
        return state
    except Exception:
        return None
    finally:
        if enabled:
            gc.enable()


def save(key: str | None, state: Any) -> None:
    if key is None:
        return
    import tempfile  # only to write: `natobot ask` with a cached build never needs it

    try:
        directory = cache_dir()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = directory / f"engine-{key}.pickle"
        with tempfile.NamedTemporaryFile(dir=directory, delete=False, prefix=".engine-") as tmp:
            pickle.dump(state, tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp.name, target)  # atomic: a concurrent reader sees the old file or the new one
        prune(directory, "engine-*.pickle", keep=target)
    except Exception:
        return


def prune(directory: Path, pattern: str, *, keep: Path) -> None:
    """Delete all but the KEEP most recently used files matching `pattern`, never `keep`."""
    def used(p: Path) -> float:
        try:
            return p.stat().st_mtime
        except OSError:
            return 0.0

    others = sorted((p for p in directory.glob(pattern) if p != keep), key=used, reverse=True)
    for old in others[KEEP - 1:]:
        old.unlink(missing_ok=True)
