"""What a conversation was last about, so that "who heads it?" or "and JFC Naples?" keep the subject.

`Context` is what a conversation remembers between turns (the store keeps exactly these three fields
for Slack threads, so the shell and a thread answer a follow-up alike); `remember` decides, after each
answer, what the next turn's "it" will mean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.answering.question import Question

# A name at most this specific (scoring's specificity: NATO 0.3, USNATO 0.5) names the setting, not the
# subject: an answer about objective 3.1 that also names USNATO leaves objective 3.1 as the subject.
GENERAL_NAME = 0.6


@dataclass
class Context:
    entities: list[str] = field(default_factory=list)
    intent: str | None = None
    facet: str | None = None

    def copy(self) -> Context:
        """The same conversation, to ask in without changing this one."""
        return Context(list(self.entities), self.intent, self.facet)


def remember(
    context: Context, q: Question, entities: list[str], specificity: Callable[[str], float], *,
    whole: str | None = None, earlier: str | None = None,
) -> None:
    """Keep what the answer was about as the subject of the next turn.

    Names of the setting are dropped when something more specific was answered: after "usnato mgmt
    obj 2?", "which partners does it rely on" asks about the objective, not about the whole mission.
    `whole`, when the answer was about parts of the previous subject, stays first whatever its specificity;
    else `earlier`, the subject a follow-up was asked under when its answer was about something else, stays
    second (unless it only names the setting), so the next "it" may still mean it."""
    subject = list(dict.fromkeys(entities))
    specific = [e for e in subject if specificity(e) >= GENERAL_NAME]
    if specific:
        subject = specific
    if whole is not None:
        subject = list(dict.fromkeys([whole, *subject]))
    elif earlier is not None and specificity(earlier) >= GENERAL_NAME:
        subject = list(dict.fromkeys([*subject, earlier]))
    context.entities = subject
    context.intent = q.intent
    context.facet = q.facet
