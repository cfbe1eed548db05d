"""Which piece of the Integrated Mission Strategy a day's digest features, and the digest in its two forms.

What the pieces say is bot.digest.content's (the rotation over them, too); this module pins one local day's piece
as a `Digest` and hands it to bot.digest.blocks for the Slack payload or the terminal. Which piece a day features
depends on the date (and the choice of including the management objectives) alone, so every process (several
`serve` replicas, cron, a person running `digest preview`) agrees. Pure: no Slack, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.digest import blocks as render_digest
from bot.digest.content import Content, Piece, content
from bot.digest.schedule import local_day

if TYPE_CHECKING:
    from bot.answering.engine import Engine


class DigestError(Exception):
    """The knowledge base lacks what the digest needs."""


@dataclass(frozen=True)
class Digest:
    """One day's digest for one choice of content (with or without the management objectives)."""

    day: date
    piece: Piece
    content: Content

    @property
    def entry(self) -> str:
        return self.piece.entry

    @property
    def label(self) -> str:
        return self.piece.label

    @property
    def heading(self) -> str:
        return f"{self.piece.label}, {render_digest.lower_first(self.piece.headline)}"


def build_digest(engine: Engine, day: date, *, include_management: bool = True) -> Digest:
    """The digest for local day `day`; DigestError if the knowledge base has none of the strategy's objectives."""
    found = content(engine)
    if not found.cycle(include_management=include_management):
        raise DigestError("the knowledge base has none of the Integrated Mission Strategy's objectives")
    return Digest(day=day, piece=found.for_day(day, include_management=include_management), content=found)


def digest_blocks(digest: Digest) -> dict[str, Any]:
    """The digest as a chat.postMessage payload {"text", "blocks"}: the short form with its "More" button."""
    return render_digest.short_blocks(digest.piece, digest.day, digest.content)


def digest_text(digest: Digest, *, width: int = 100) -> str:
    """The digest as plain text for the terminal (`natobot digest preview`)."""
    return render_digest.text_form(digest.piece, digest.day, digest.content, width=width)


def today_digest(engine: Engine, tz: str, now: datetime, *, include_management: bool = True) -> Digest:
    """The digest for the local day in `tz` at `now` (what `/nato digest now` and the App Home show)."""
    return build_digest(engine, local_day(tz, now), include_management=include_management)

