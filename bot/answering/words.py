"""English function words and question words: facts about the language, not about NATO.

What is particular to how people ask about NATO (chat spellings, synonyms, framing) lives in
`knowledge/data/lexicon.yaml` instead.
"""

from __future__ import annotations

# Function words: never evidence for or against an answer, never typo-corrected, never a name on
# their own unless typed in capitals ("IS" is the International Staff, "is" is a verb).
STOPWORDS = frozenset(
    """
    a an the and or but nor of to in on at by for from with without into onto over as is are was were
    be been being am do does did doing done have has had having it its this that these those there here
    what which who whom whose when where why how i me my mine we us our you your yours he him his she her
    they them their theirs one ones some any all each every both either neither no not s t can could would
    should shall will may might must also just only very really quite so then than too if else about up
    down out off again more most much many such own same other another let lets d ll m re ve isn aren
    wasn weren don doesn didn won wouldn couldn shouldn hasn haven hadn myself yourself itself ourselves
    themselves anything something everything nothing someone anyone everyone somebody anybody
    """.split()
)

# Pronouns that point back at the previous question's subject.
PRONOUNS = frozenset("it its they them their theirs this that these those he him his she her there".split())

# Words that join names asked side by side ("goals 1 and 4", "JFC Naples vs JFC Brunssum").
CONJUNCTIONS = frozenset({"and", "or", "vs", "versus", "both", "plus", "&"})

# Openers that carry the previous question over to a new subject ("and JFC Naples?").
CARRY_OVER = (("what", "about"), ("how", "about"), ("and",), ("same", "for"), ("ditto", "for"), ("ditto",),
              ("what", "of"), ("also",))

# Spelled-out numbers up to the largest any document uses in words.
NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
    "fifteen": "15", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
    "first": "1", "second": "2", "third": "3", "fourth": "4",
}

MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)

# Words that label a number ("Article 5", "Resolution 1325"): the pair is one concept, so a question
# about Article 4 is not answered by a statement that happens to contain "4 April".
NUMBER_LABELS = frozenset(
    "article articles resolution resolutions unscr unscrs chapter section paragraph pillar order eo phase "
    "obj objective objectives goal goals level tier".split()
)
