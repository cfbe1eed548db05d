"""Who a message is addressed to is not part of what it asks.

In Slack a question often names people or a channel: "<@U04B2> who heads the IMS?", "@channel where is
MARCOM", "#ops-room question: ...". The Slack handlers turn Slack's markup into "@name", "@U04B2", "@here",
"#channel" (handlers/common.py) and people paste such text into the shell. Read as words, "bob" or "U04B2"
is a content word the knowledge base has never seen, which counts against answering ("@bob who is SACEUR"
declined at 0.42 while "who is SACEUR" answered at 0.92). They are dropped before the question is read,
except a handle that is itself a name the knowledge base knows ("what does @NATO say"), which stays as that
name.
"""

from __future__ import annotations

import re
from collections.abc import Container

from knowledge.text import tokens

# "@bob", "@bob.smith", "@U04B2", "@here", "#ops-room": an @ or # that starts a word (not "bob@nato.int", not
# "C#"), followed by a letter: "#3" is a number, as in "objective #3".
_HANDLE = re.compile(r"(?<![\w@#.])[@#]([^\W\d_][\w.\-]*)")


def drop(text: str, names: Container[tuple[str, ...]]) -> str:
    """`text` without the handles it addresses; `names` are the knowledge base's aliases (token tuples).
    A message that is nothing but handles is left as it is, for the engine to say what it can."""

    def replace(m: re.Match[str]) -> str:
        word = m.group(1).rstrip(".-")
        return word if tuple(tokens(word)) in names else " "

    if "@" not in text and "#" not in text:
        return text
    out = _HANDLE.sub(replace, text)
    return out if out.strip() else text
