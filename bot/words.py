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

# Words about the conversation or the sources rather than the subject: they change nothing
# about what is asked ("what does your source say about ...", "for a briefing").
NEUTRAL = frozenset(
    """
    source sources article articles document documents doc docs paper papers text say says said saying
    mention mentions mentioned mentioning according view views treat treats stance outline aim aims
    play plays work works working day days rn lol ugh btw right honestly main big picture nutshell
    briefing meeting meetings writing forget forgot always even curious new mind telling walk through
    difference different differ compare comparing comparison deal thing stuff hearing heard hear keep
    strategy mission current currently now today latest still these those days anymore nowadays
    summary brief briefly short detail detailed details overall general generally exactly precisely
    remember recall confused confusing sure wrong correct true false between relationship relationships
    relation relations relate relates related connection each other pursue plan plans planning position
    behind happen happens happened achieve achieved achieving problem problems issue issues keep keeping
    sit ongoing m ve ll d re wise actually follow follows followed following come comes came become
    becomes became take takes took taken use uses used using body bodies organisation organisations
    entity entities involve involved involves look looks seem seems exist exists existing regard regarding
    wrt re concerning relating basically literally please kindly whole entire overall
    """.split()
)

# Names that are also ordinary words or chat ("is", "act", "ops"): taken as names only when typed
# in capitals, or when nothing else in the question names anything.
WORD_NAMES = frozenset({"is", "it", "us", "act", "ops", "int", "lo", "fc", "mo", "sg"})

# Named in most questions as context ("NATO's ..."): the subject only when nothing else is named.
UMBRELLA = frozenset({"nato"})

# Pronouns that point back at the previous question's subject.
PRONOUNS = frozenset("it its they them their theirs this that these those he him his she her there".split())

# Openers that carry the previous question's facet over to a new subject ("and JFC Naples?").
CARRY_OVER = (("what", "about"), ("how", "about"), ("and",), ("same", "for"), ("and", "what", "about"))
