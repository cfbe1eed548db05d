"""Times of day as people type them: the one HH:MM parser, for the digest's schedule and the store's check."""

from __future__ import annotations

import re

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$", re.ASCII)


def parse_time(value: str) -> str:
    """"9:00" or "09:00" as "09:00"; ValueError with a user-fit message otherwise."""
    m = _HHMM.match(value.strip())
    if not m:
        raise ValueError(f"bad time {value!r}: use HH:MM on the 24-hour clock, like 09:00")
    return f"{int(m.group(1)):02d}:{m.group(2)}"
