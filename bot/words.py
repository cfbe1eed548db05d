"""Word lists the matcher uses to tell filler from content."""

from __future__ import annotations

# Function words: never content, never typo-corrected, never an entity on their own
# unless typed in capitals ("IS" is the International Staff, "is" is a verb).
STOPWORDS = frozenset(
    """
    a an the and or but nor of to in on at by for from with without into onto over as is are was were
    be been being am do does did doing done have has had having it its it s this that these those
    there here what which who whom whose when where why how i me my mine we us our you your yours u
    ur he him his she her they them their theirs one ones some any all each every both either neither
    no not s t can could would should shall will may might must also just only very really quite so
    then than too if else about up down out off again more most much many such own same other another
    exactly actually basically anyway well ok okay yes yeah yep nope hmm um uh like e g eg i e ie etc
    something anything thing things kind sort get got gets give gives given make makes made let lets
    go goes going say says said see know knows need needs want wants
    """.split()
)

# Chatty padding people put around a question in a busy channel.
FILLER = frozenset(
    """
    hey hi hello hiya yo dear bot natobot please pls plz thanks thank thx ty cheers quick question
    q wondering wonder curious tell me show give find look lookup look up remind reminder briefly
    short shortly simple simply plain terms again real quick asap mate folks team everyone guys
    could would you kindly help me understand i d like to know do you know any idea idea
    """.split()
)

# Pronouns that point back at the previous question's subject.
PRONOUNS = frozenset("it its they them their theirs this that these those he him his she her there".split())

# Openers that carry the previous question's facet over to a new subject ("and JFC Naples?").
CARRY_OVER = (("what", "about"), ("how", "about"), ("and",), ("same", "for"), ("and", "what", "about"))
