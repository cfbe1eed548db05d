"""Chat markup that is not part of what a message asks.

Questions in a busy channel come wrapped in what chat adds around them: who they address ("<@U04B2> who
heads the IMS?", "@channel where is MARCOM"), emoji (":thinking_face:"), links ("see <https://...>"),
struck-out words ("~typo~"), list numbers ("1. who is SACEUR"), a "+1". The Slack handlers turn Slack's
markup into plain text ("@name", "@U04B2", "@here", "#channel", a link's label or address:
handlers/common.py) and people paste such text into the shell. Read as words, "bob", "U04B2",
"thinking_face" or "www" are content the knowledge base has never seen and count against answering ("@bob who
is SACEUR" was declined at 0.42 while "who is SACEUR" answered at 0.92); "1." reads as a number asked about.
They are dropped before the question is read, except a handle that is a name the knowledge base knows ("what
does @NATO say"), which stays as that name.
"""

from __future__ import annotations

import re
from collections.abc import Container

from knowledge.text import tokens

# "@bob", "@bob.smith", "@U04B2", "@here", "#ops-room": an @ or # that starts a word (not "C#"), followed by
# a letter: "#3" is a number, as in "objective #3".
_HANDLE = re.compile(r"(?<![\w@#.])[@#]([^\W\d_][\w.\-]*)")
# Slack's emoji codes (":wave:", ":+1:", ":skin-tone-2:"); the letter required inside keeps "10:30:00" a time.
_EMOJI = re.compile(r"(?<!\w):(?:[+-]1|(?=[\w+'\-]*[a-z])[a-z0-9_+'\-]{1,60}):(?!\w)")
# Links as typed, in Slack's brackets or not, mail addresses and bare web addresses ("nato.int", a link's
# usual label). Each alternative starts only where a run of such characters starts (the lookbehinds), so a
# long run that is no address is scanned once, not once from each of its characters.
_LINK = re.compile(r"<(?:https?://|mailto:|www\.)[^<>]*>|(?<![\w.:/])(?:https?://|www\.)\S+"
                   r"|(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
                   r"|(?<![\w.\-])[\w\-]+(?:\.[\w\-]+)*\.(?:int|com|org|gov|mil|net|eu|edu|io|be)(?:/\S*)?(?![\w.])",
                   re.IGNORECASE)
# "~typo~": struck out by its writer.
_STRUCK = re.compile(r"(?<![\w~])~[^~\n]{1,80}~(?![\w~])")
# A list item's number or bullet at the start of a line: "1. who is SACEUR", "2) where", "- what", "• who",
# "Q2: where".
_LIST = re.compile(r"^[ \t]*(?:\d{1,2}[.)]|[-•*]|Q\d{1,2}[:.)])[ \t]+", re.MULTILINE | re.IGNORECASE)
# A vote, not a number: "+1", "-1".
_VOTE = re.compile(r"(?<![\w.])[+-]1(?![\w.])")


def strip(text: str, names: Container[tuple[str, ...]]) -> str:
    """`text` without the chat markup around its question; `names` are the knowledge base's aliases (token
    tuples). A message that is nothing but such markup is left as it is, for the engine to say what it can."""

    def handle(m: re.Match[str]) -> str:
        word = m.group(1).rstrip(".-")
        return word if tuple(tokens(word)) in names else " "

    out = text
    if "@" in out or "#" in out:
        out = _HANDLE.sub(handle, out)
    if ":" in out:
        out = _EMOJI.sub(" ", out)
    if "." in out or "<" in out or "@" in out:
        out = _LINK.sub(" ", out)
    if "~" in out:
        out = _STRUCK.sub(" ", out)
    out = _VOTE.sub(" ", _LIST.sub("", out))
    return out if out.strip() else text
