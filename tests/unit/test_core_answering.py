"""How the answer engine reads questions the way people type them, through the real knowledge base.

Each table row is one question and what a right reply must show, judged the way the maintainers judge:
`answered`, the entry answered, and the key facts (a number, a name, a place, a date) in `text`. No row
asserts a confidence value or a whole sentence: those move whenever the weights are refitted.

None of these questions is an item of the blind sets (tests/data/blind/); `test_core_quality` checks that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest

from bot.answering import analysis
from bot.answering.answer import Answer
from bot.answering.context import Context
from bot.answering.engine import MAX_QUESTION_CHARS, Engine
from bot.evaluation.evaluate import load_set

DECLINED = {"fallback", "no-data", "ambiguous", "invalid", "greeting"}
# How a reply says it does not give the fact asked ("the sources do not name the holder", "the strategy
# gives no headcount", "I don't know that one"); `answered` must be false exactly when the reply opens so.
SAYS_NOT = re.compile(
    r"\b(?:do|does|did)(?: not|n't) (?:say|name|give|know|record|state|answer|mention|list)\b|\bgives? no\b"
    r"|\bthere is no (?:information|record|mention|figure|date|name)\b",
    re.IGNORECASE,
)


# ... unless it goes on to give something else instead ("gives no name, only the rank of the post").
GIVES_INSTEAD = re.compile(r"\b(?:only|but|instead)\b", re.IGNORECASE)


def opening(text: str) -> str:
    """The reply up to its first full stop, semicolon or colon: where it says whether it answers."""
    return re.split(r"(?<=[.;:!?])\s", text.strip(), maxsplit=1)[0]


def opens_saying_not(text: str) -> bool:
    first = opening(text)
    return bool(SAYS_NOT.search(first)) and not GIVES_INSTEAD.search(first)


def assert_answers(answer: Answer, entries: str | set[str], facts: Iterable[str] = ()) -> None:
    wanted = {entries} if isinstance(entries, str) else entries
    q = answer.question
    assert answer.answered, f"{q!r} declined ({answer.status}): {answer.text[:160]!r}"
    assert answer.status == "answer"
    assert answer.entry in wanted, f"{q!r} answered from {answer.entry}, not {sorted(wanted)}: {answer.text[:120]!r}"
    text = answer.text.lower()
    for fact in facts:
        assert any(alt.strip().lower() in text for alt in fact.split("|")), \
            f"{fact!r} missing from the answer to {q!r}: {answer.text[:300]!r}"
    assert answer.sources, "an answer names its sources"
    assert not opens_saying_not(answer.text), "an answer does not open by saying it has no answer"


def assert_right_or_declined(answer: Answer, entries: str | set[str], facts: Iterable[str] = ()) -> None:
    """A fitted model may decline a borderline question; it must never answer one wrongly."""
    if answer.answered:
        assert_answers(answer, entries, facts)
    else:
        assert_declines(answer)


def right(answer: Answer, entries: str | set[str], facts: Iterable[str]) -> bool:
    try:
        assert_answers(answer, entries, facts)
    except AssertionError:
        return False
    return True


def assert_declines(answer: Answer) -> None:
    assert not answer.answered, f"{answer.question!r} answered from {answer.entry}: {answer.text[:160]!r}"
    assert answer.status in DECLINED
    assert not any(p.answered for p in answer.parts)


# -- names: typos, case, punctuation, acronyms, word order --------------------------------------------

NAMES = [
        # typos, in the name and in the question word
        ("who heds the internatinal militery staf", {"ims", "dgims"}, ["Director General"]),
        ("wat does sitcen do", "sitcen", ["situational awareness"]),
        ("how many ppl work at the internasional military staf", "ims", ["450", "500"]),
        ("were is jfc brunsum", "jfc-brunssum", ["Brunssum"]),
        ("wher is jfc napels", "jfc-naples", ["Italy"]),
        ("who is the director generl of the international military staf", {"dgims", "ims"}, ["Adamczak"]),
        ("whats the mottto of nato", "nato", ["animus in consulendo liber"]),
        # case
        ("Who Is In Charge Of The IMS", {"ims", "dgims"}, ["Director General"]),
        ("WHO IS IN CHARGE OF THE IMS", {"ims", "dgims"}, ["Director General"]),
        ("wHeRe Is ShApE", "shape", ["Mons"]),
        ("WHERE IS JFC NAPLES", "jfc-naples", ["Italy"]),
        # punctuation
        ("who leads the IMS?!?", {"ims", "dgims"}, ["Director General"]),
        ("where... is... jfc naples???", "jfc-naples", ["Italy"]),
        ('"sitcen"', "sitcen", ["Situation Centre"]),
        ("-- where is SHAPE --", "shape", ["Mons"]),
        ("what's the motto of nato", "nato", ["animus in consulendo liber"]),
        ("what does P&P stand for", "ims-pp", ["Plans and Policy"]),
        ("PA&SCA stands for what?", "pasca", ["Public Affairs and Strategic Communications"]),
        # acronyms and bare names
        ("IMS", "ims", ["International Military Staff"]),
        ("nac", "nac", ["North Atlantic Council"]),
        ("mc", "mc", ["Military Committee"]),
        ("SACEUR", "saceur", ["Supreme Allied Commander Europe"]),
        ("DG IMS", "dgims", ["Director General"]),
        ("nogp", "nogp", ["Gender Perspectives"]),
        ("what does IMS stand for?", "ims", ["International Military Staff"]),
        ("what does JALLC stand for", "jallc", ["Joint Analysis and Lessons Learned"]),
        # word order and run-together names
        ("ims heads who", {"ims", "dgims"}, ["Director General"]),
        ("International Military Staff who heads", {"ims", "dgims"}, ["Director General"]),
        ("naples joint force command where", "jfc-naples", ["Italy"]),
        ("command naples joint force", "jfc-naples", ["Naples"]),
        ("staff military international who heads", {"ims", "dgims"}, ["Director General"]),
    ]


@pytest.mark.parametrize(("question", "entries", "facts"), NAMES)
def test_names_are_read_however_they_are_typed(
    engine: Engine, question: str, entries: str | set[str], facts: list[str],
) -> None:
    """Never a wrong answer; most are answered (test_most_are_answered)."""
    assert_right_or_declined(engine.ask(question), entries, facts)


@pytest.mark.parametrize(("question", "entries", "fact"), [
    ("who heads the International Staff?", {"is", "secgen"}, "Secretary General"),
    ("who leads NATO's civilian staff", {"is", "secgen"}, "Secretary General"),
    ("who heads the MC?", {"mc", "cmc"}, "Chairman"),
])
def test_a_body_headed_by_another_post_names_it(engine: Engine, question: str, entries: set[str], fact: str) -> None:
    # The IS's head facet said only "directed by", the MC's "chaired by": the known gap ("the sources do not
    # name the person who currently heads ...") shared the question's word and outranked them.
    assert_answers(engine.ask(question), entries, [fact])


@pytest.mark.parametrize(("question", "entry", "facts"), [
    ("what are the 3 core tasks of nato", "core-tasks", ["deterrence", "crisis prevention", "cooperative security"]),
    ("the SITCEN is between which 2 staffs?", "sitcen", ["International Staff", "International Military Staff"]),
])
def test_a_count_typed_as_a_digit_reads_as_the_documents_write_it(
    engine: Engine, question: str, entry: str, facts: list[str],
) -> None:
    # Read as a digit, the "3" was a number no statement holds, and both were declined.
    assert_answers(engine.ask(question), entry, facts)


@pytest.mark.parametrize(("question", "read"), [
    ("do new govts change the policies?", "new governments"),
    ("who flagged the workload?", "observed"),
    ("what if allies dont hit the 2% target", "meet the 2"),
    ("which playbook do the commands follow", "procedures"),
    ("how do the commands keep their polices in line", "their policies"),  # an English word, never corrected
    ("the principals behind alignment?", "the principles"),
    ("who gets daily intel from the ims", "day to day"),
    ("who helps the mc write operational plans", "develop operational plans"),
    ("which division pulls together the intel", "collates the"),
    ("what are the 3 Cs of burden sharing", "cash contributions and capabilities"),
])
def test_words_the_documents_never_use_read_as_theirs(engine: Engine, question: str, read: str) -> None:
    assert read in " ".join(engine.analyse(question).words)


@pytest.mark.parametrize(("question", "read"), [
    ("who's the directer general", "director"),  # not "directed"
])
def test_a_typo_between_two_words_reads_as_the_one_the_documents_use_more(
    engine: Engine, question: str, read: str,
) -> None:
    assert read in engine.analyse(question).words


@pytest.mark.parametrize(("question", "read", "not_read"), [
    ("wen did spain jion nato", "join", "jion"),  # fuzz.ratio scores the swap 75, under the cutoff
    ("wat is the rsik for objective 3.2", "risk", "rsik"),
    ("who is the chiar of the mc", "chair", "china"),  # fuzz.ratio's nearest was "china"
    ("natos core taks?", "task", "takes"),  # a swap of "task", not "takes" (one letter dropped)
])
def test_two_swapped_letters_read_as_the_word(engine: Engine, question: str, read: str, not_read: str) -> None:
    words = engine.analyse(question).words
    assert read in words
    assert not_read not in words


def test_a_swapped_join_answers_when_spain_joined(engine: Engine) -> None:
    assert_answers(engine.ask("wen did spain jion nato"), {"nato-enlargement", "nato"}, ["1982"])


def test_actual_is_filler_as_actually_is(engine: Engine) -> None:
    words = {w.word: w for w in engine.analyse("does the SG have any actual command role?").content}
    assert not words["actual"].carries


def test_c3_stays_a_name_and_being_hit_is_not_meeting(engine: Engine) -> None:
    assert [n.entry for n in engine.analyse("who sits on the C3 Board?").names] == ["c3-board"]
    assert "meet" not in engine.analyse("what if allies get hit by hybrid attacks").words


@pytest.mark.parametrize("question", [
    "how many divisions are there in the IMS? i keep seeing different numbers",
    "IMS divisions - five or four? seen 2 different figures",
])
def test_pointing_at_a_discrepancy_frames_the_question(engine: Engine, question: str) -> None:
    # "two different numbers" says the sources disagree; it states no number of its own to look for.
    assert_answers(engine.ask(question), {"ims", "ims-divisions"}, ["five | 5", "four | 4"])


# -- the way Slack questions come: framing, filler, chat spellings ------------------------------------

FRAMED = [
        ("hey quick one, where's MARCOM? prepping a brief", "marcom", ["Northwood"]),
        ("where's marcom", "marcom", ["Northwood"]),
        ("fyi I'm new - what does the IMS do?", "ims", ["Military Committee"]),
        ("my boss wants to know where JFC Brunssum is", "jfc-brunssum", ["Netherlands"]),
        ("sorry if obvious, who is in charge of the IMS at the moment?", {"ims", "dgims"}, ["Director General"]),
        ("need it for a slide: when was the IMS set up", "ims", ["1967"]),
        ("whos the sec gen lol", {"secgen", "nato"}, ["Stoltenberg"]),
        ("wheres nato hq", {"nato-hq", "nato"}, ["Brussels"]),
        ("so um what does the sitcen actually do", "sitcen", ["situational awareness"]),
        ("could you please tell me how many people work at the IMS, thanks", "ims", ["450"]),
        ("um so like where is jfc brunssum located lol", "jfc-brunssum", ["Brunssum"]),
        ("can you tell me where SHAPE is?", "shape", ["Mons"]),
        ("who's in charge of the ims, then?", {"ims", "dgims"}, ["Director General"]),
    ]


@pytest.mark.parametrize(("question", "entries", "facts"), FRAMED)
def test_framing_and_chat_spellings_do_not_sink_a_question(
    engine: Engine, question: str, entries: str | set[str], facts: list[str],
) -> None:
    """Never a wrong answer; most are answered (test_most_are_answered)."""
    assert_right_or_declined(engine.ask(question), entries, facts)


# -- facts inside an entry, not only its facets ---------------------------------------------------------

INSIDE = [
        ("which IMS division deals with arms control?", {"ims-crs", "ims-divisions"}, ["Regional Security"]),
        ("what article of the treaty set up the north atlantic council", {"north-atlantic-treaty", "nac"},
         ["Article 9"]),
        ("how many general officers assist the Director General?", {"dgims", "ims", "ims-divisions"}, ["12"]),
        ("what year did Spain join NATO", {"nato-enlargement", "nato", "nato-history"}, ["1982"]),
        ("what year did finland become a member of nato", {"nato-enlargement", "nato", "nato-history"}, ["2023"]),
        ("what does the mission strategy call climate change?", {"climate-security", "objective-3-3"},
         ["threat multiplier"]),
        ("when was the IMS established?", "ims", ["1967"]),
        ("how many staff does the IMS have", "ims", ["450", "500"]),
    ]


@pytest.mark.parametrize(("question", "entries", "facts"), INSIDE)
def test_facts_inside_an_entry_are_reachable(
    engine: Engine, question: str, entries: str | set[str], facts: list[str],
) -> None:
    """Never a wrong answer; most are answered (test_most_are_answered)."""
    assert_right_or_declined(engine.ask(question), entries, facts)


# Of the names, framings and inside-entry facts above, at least this share must be answered right (the
# rest may be declined, never answered wrongly). Set below what the fitted model answers on 2026-12-02
# (95 of 104 rows right): the tables test that the engine generalises, not one borderline confidence.
MOST = 0.85


def test_most_are_answered(engine: Engine) -> None:
    rows = [*NAMES, *FRAMED, *INSIDE]
    missed = [q for q, entries, facts in rows if not right(engine.ask(q), entries, facts)]
    assert len(missed) <= (1 - MOST) * len(rows), f"{len(missed)} of {len(rows)} not answered right: {missed}"


# -- objective and goal numbers --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("question", "entry", "facts"),
    [
        ("obj 2.2", "objective-2-2", ["resilience"]),
        ("(objective 2.2)", "objective-2-2", ["resilience"]),
        ("obj 1.1", "objective-1-1", ["strategic vision"]),
        ("what is objective 4.1 about?", "objective-4-1", ["messaging"]),
        ("goal 3", "goal-3", ["Global Role"]),
        ("mission goal 2", "goal-2", ["Deterrence"]),
        ("what's MG3 about", "goal-3", ["Global Role"]),  # "MG" as "MO": Mission Goal
        ("mo 1", "mgmt-objective-1", ["safe"]),
        ("mo3", "mgmt-objective-3", ["morale"]),
        ("management objective 2", "mgmt-objective-2", ["customer satisfaction"]),
        ("mgmt objective 3", "mgmt-objective-3", ["morale"]),
    ],
)
def test_objective_numbers(engine: Engine, question: str, entry: str, facts: list[str]) -> None:
    assert_answers(engine.ask(question), entry, facts)


@pytest.mark.parametrize(
    ("question", "label"),
    [
        ("objective 5.1", "Mission Objective 5.1"),
        ("objective 1.9", "Mission Objective 1.9"),
        ("what is objective 5.1?", "Mission Objective 5.1"),
        ("goal 7", "Mission Goal 7"),
        ("management objective 9", "Management Objective 9"),
        ("mo 4", "Management Objective 4"),
    ],
)
def test_a_number_that_does_not_exist_gets_what_does(engine: Engine, question: str, label: str) -> None:
    answer = engine.ask(question)
    assert_declines(answer)
    assert answer.entry is None
    assert label in answer.text, "the reply names what was asked"
    for existing in ("1.1", "2.2", "3.3", "4.1"):
        assert existing in answer.text, "and the objectives that exist"
    assert answer.suggestions


def test_an_incomplete_number_asks_which(engine: Engine) -> None:
    answer = engine.ask("objective 2")  # Mission Objectives 2.1 and 2.2, or Management Objective 2
    assert_declines(answer)
    assert answer.status == "ambiguous"
    assert len(answer.suggestions) >= 2
    asked = {engine.ask(s).entry for s in answer.suggestions}
    assert {"objective-2-1", "objective-2-2"} <= asked


# -- several entities in one question --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("question", "entries", "facts"),
    [
        ("where are JFC Naples and JFC Brunssum?", ["jfc-naples", "jfc-brunssum"], ["Italy", "Netherlands"]),
        ("where are jfc naples, jfc brunssum and jfc norfolk",
         ["jfc-naples", "jfc-brunssum", "jfc-norfolk"], ["Italy", "Netherlands", "Norfolk"]),
        ("where are AIRCOM and JSEC", ["aircom", "jsec"], ["Ramstein", "Ulm"]),
        ("goals 1 and 4", ["goal-1", "goal-4"], ["Institutional Modernization", "understanding of NATO"]),
        ("objectives 3.1 and 3.3", ["objective-3-1", "objective-3-3"], ["China", "climate"]),
    ],
)
def test_each_entity_asked_is_answered(engine: Engine, question: str, entries: list[str], facts: list[str]) -> None:
    answer = engine.ask(question)
    assert answer.answered, f"{question!r} declined: {answer.text[:160]!r}"
    assert [p.entry for p in answer.parts] == entries, "each entity answered once, in the order asked"
    assert all(p.answered for p in answer.parts)
    for fact in facts:
        assert fact.lower() in answer.text.lower(), fact


@pytest.mark.parametrize(
    ("question", "entry", "other"),
    [
        ("where is JFC Naples, not Brunssum", "jfc-naples", "jfc-brunssum"),
        ("who runs the international military staff", "ims", "secgen"),
    ],
)
def test_a_wrong_entitys_card_is_never_glued_on(engine: Engine, question: str, entry: str, other: str) -> None:
    answer = engine.ask(question)
    assert other not in [p.entry for p in answer.parts]


# -- follow-ups keep the subject ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("turns", "entries", "facts"),
    [
        (["what is the IMS?", "and who leads it?"], {"ims", "dgims"}, ["Director General"]),
        (["what is the IMS?", "how many staff does it employ?"], "ims", ["450"]),
        (["what is the IMS?", "and when was it set up?"], "ims", ["1967"]),
        (["what is the IMS?", "where's it?"], {"ims", "nato-hq"}, ["Brussels"]),
        (["what is the IMS?", "and who leads it?", "and where is that?"], {"ims", "nato-hq"}, ["Brussels"]),
        (["what is the IMS?", "does it work 24/7 in a crisis?"], {"ims-crisis-mode", "ims", "sitcen"},
         ["round the clock | 24/7"]),
        (["tell me about sitcen", "what does it do?"], "sitcen", ["situational awareness"]),
        (["where is JFC Brunssum?", "and JFC Naples?"], "jfc-naples", ["Italy"]),
        (["where is JFC Brunssum?", "what about JFC Norfolk?"], "jfc-norfolk", ["Norfolk"]),
        (["where is MARCOM", "and who leads it?"], "marcom", ["commander"]),
        (["what is objective 2.2", "what are its risks?"], "objective-2-2", []),
        (["tell me about the Wales pledge", "by when?"], "wales-pledge", ["2024"]),
        (["where is ACT?", "what about the other strategic command?", "where's that one?"], "aco", ["Mons"]),
        (["what does SACEUR do?", "and the other one?"], "sact", ["Transformation"]),
        (["what is Allied Command Transformation?", "where's the other one's HQ?"], "aco", ["Mons"]),
        (["tell me about the IMS intelligence division", "where does it get its intelligence?"], "ims-int",
         ["member countries"]),
        (["what does Allied Maritime Command do?", "and where is its HQ?"], "marcom", ["Northwood"]),
        (["how big is the staff of the IMS?", "and divisions?"], "ims-divisions", ["five", "four"]),
        (["how big is the staff of the IMS?", "and divisions?", "so when was it set up?"], "ims", ["1967"]),
    ],
)
def test_follow_ups_keep_the_subject(engine: Engine, turns: list[str], entries: str | set[str],
                                     facts: list[str]) -> None:
    context = Context()
    for question in turns[:-1]:
        assert engine.ask(question, context).answered, question
    assert_answers(engine.ask(turns[-1], context), entries, facts)


def test_a_follow_up_that_names_the_setting_keeps_the_subject(engine: Engine) -> None:
    """"it" is still Azerbaijan when the follow-up also names NATO, declined or not."""
    context = Context()
    engine.ask("tell me about Azerbaijan's relations with NATO", context)
    assert context.entities == ["azerbaijan-nato"]
    engine.ask("and when did it open its mission to NATO?", context)
    assert context.entities[0] == "azerbaijan-nato"


@pytest.mark.parametrize("follow_up", ["whats their email?", "what's their phone number?", "which website?"])
def test_a_follow_up_asking_for_contact_details_declines(engine: Engine, follow_up: str) -> None:
    context = Context()
    assert engine.ask("what does the PA&SCA do?", context).answered
    assert_declines(engine.ask(follow_up, context))


@pytest.mark.parametrize(("question", "entry", "facts"), [
    ("wehn was Allied Command Transformation formed", "act", ["2003"]),
    ("how mnay civilians work in the IMS", "ims", ["90"]),
    # slips of the longer function words are read too, and "stood up" as established
    ("whats objective 3.3 abuot", "objective-3-3", ["Objective 3.3"]),
    ("when was the IMS stood up?", "ims", ["1967"]),
])
def test_a_slip_in_the_question_word_is_read(engine: Engine, question: str, entry: str, facts: list[str]) -> None:
    assert_answers(engine.ask(question), entry, facts)


def test_a_typo_of_a_framing_word_is_read_as_it(engine: Engine) -> None:
    q = engine.analyse("what does the usnato ofice space lack")
    assert "office" in q.words and "officer" not in q.words  # and "office space" names the facility
    assert "usnato-facility" in q.entries


def test_slips_are_never_english_words(engine: Engine) -> None:
    from bot.answering.lexicon import SLIP_WORDS, _slips

    slips = dict(_slips(SLIP_WORDS))
    assert slips["wehre"] == "where" and slips["mnay"] == "many" and slips["wich"] == "which"
    lexicon = engine.catalogue.lexicon
    assert lexicon.words["abuot"] == ("about",) and lexicon.words["tehir"] == ("their",)
    assert "here" not in lexicon.words and "hat" not in lexicon.words  # English words stay themselves


def test_a_follow_up_without_a_conversation_declines(engine: Engine) -> None:
    assert_declines(engine.ask("and who leads it?"))


@pytest.mark.parametrize(("question", "chat"), [
    ("help", True), ("can you help me?", True), ("hi there", True), ("thanks!", True), ("thank you!", True),
    ("hi, what can you do?", True), ("hey, what's up?", True), ("morning! how's it going?", True),
    ("thanks! where is it?", False),  # thanks, then a question asked again
    ("how will the US help?", False), ("how can the US help Allies?", False),
])
def test_a_word_in_capitals_is_a_name_not_chat(engine: Engine, question: str, chat: bool) -> None:
    assert (engine.ask(question).status == "greeting") is chat


def test_each_conversation_keeps_its_own_subject(engine: Engine) -> None:
    one, two = Context(), Context()
    engine.ask("what is the IMS?", one)
    engine.ask("where is SHAPE?", two)
    assert engine.ask("when was that set up?", one).entry == "ims"
    assert engine.ask("where is it located?", two).entry == "shape"


def test_a_new_subject_replaces_the_old_one(engine: Engine) -> None:
    context = Context()
    engine.ask("what is the IMS?", context)
    answer = engine.ask("where is JFC Naples?", context)
    assert answer.entry == "jfc-naples"
    assert engine.ask("and where is it located?", context).entry == "jfc-naples"


def test_analyse_reads_a_follow_up_as_the_previous_subject(engine: Engine) -> None:
    q = engine.analyse("and who leads it?", Context(entities=["ims"]))
    assert q.follow_up
    assert q.entries == ["ims"]
    assert not engine.analyse("and who leads it?").follow_up
    carried = engine.analyse("and JFC Naples?", Context(entities=["jfc-brunssum"], intent="where_is",
                                                        facet="location"))
    assert carried.entries == ["jfc-naples"]
    assert carried.facet == "location", "'and X?' asks the previous question about X"


@pytest.mark.parametrize(
    ("question", "entries", "listed"),
    [
        ("goals 1 and 4", ["goal-1", "goal-4"], True),
        ("where are JFC Naples and JFC Brunssum?", ["jfc-naples", "jfc-brunssum"], True),
        ("mo3", ["mgmt-objective-3"], False),
        ("obj 2.2", ["objective-2-2"], False),
        ("who leads the international military staff", ["ims"], False),
    ],
)
def test_analyse_finds_the_names_and_numbers(engine: Engine, question: str, entries: list[str],
                                             listed: bool) -> None:
    q = engine.analyse(question)
    assert q.entries == entries
    assert q.listed is listed


def test_analyse_flags_a_number_that_does_not_exist(engine: Engine) -> None:
    assert engine.analyse("objective 5.1").unknown_number == "Mission Objective 5.1"
    assert engine.analyse("objective 2.1").unknown_number is None


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("hey quick one, where's MARCOM? prepping a brief", "marcom"),
        ("fyi I'm new - what does the IMS do?", "ims"),
        ("my boss wants to know where JFC Brunssum is", "jfc-brunssum"),
        ("need it for a slide: when was the IMS set up", "ims"),
        ("sorry if obvious but where is SHAPE lol", "shape"),
        ("where is SHAPE, per the wiki?", "shape"),  # "per" frames like "according to"
    ],
)
def test_framing_words_never_count_against_an_answer(engine: Engine, question: str, entry: str) -> None:
    q = engine.analyse(question)
    assert q.entries == [entry]
    assert [w.word for w in q.content if w.carries] == [], "only the name and the question word carry what is asked"


# -- out of scope, and entities whose asked fact the sources lack ------------------------------------------

@pytest.mark.parametrize(
    "question",
    [
        # near-domain: tempting, but the sources do not answer them
        "what is NATO's budget this year",
        "how much does nato spend",
        "name the US ambassador to NATO",
        "what is the ims budget",
        "what is the salary of the director general",
        "how many troops does nato have in poland",
        "who commanded JFC Naples in 1999",
        "what's the IMS phone number",
        # far from the domain
        "what is the weather in brussels",
        "who won the world cup",
        "how do I bake sourdough bread",
        "qwer asdf zxcv uiop",
    ],
)
def test_out_of_scope_questions_are_declined(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert_declines(answer)
    assert answer.entry is None or answer.status == "no-data"
    assert 1 <= len(answer.suggestions) <= 3
    assert answer.confidence < 1.0


def test_several_entities_one_without_the_fact_asked_is_not_flagged_answered(engine: Engine) -> None:
    partly = engine.ask("where are the NCIA and MARCOM based?")
    assert [p.entry for p in partly.parts] == ["ncia", "marcom"]
    assert "Northwood" in partly.text and "do not say" in partly.text  # what is known, and what is not
    assert not partly.answered and partly.status == "no-data" and partly.suggestions
    assert [p.answered for p in partly.parts] == [False, True]
    both = engine.ask("where do LANDCOM and MARCOM sit?")
    assert both.answered and both.status == "answer" and all(p.answered for p in both.parts)


def test_in_scope_neighbour_of_an_out_of_scope_question_answers(engine: Engine) -> None:
    """The sources record Finland's accession, not Sweden's: the phrasing that may answer one never answers
    the other (Finland may be declined as borderline; Sweden must be)."""
    assert_right_or_declined(engine.ask("which year did finland join the alliance"),
                             {"nato-enlargement", "nato", "nato-history"}, ["2023"])
    assert_answers(engine.ask("finland joined nato in which year"), {"nato-enlargement", "nato", "nato-history"},
                   ["2023"])
    assert_declines(engine.ask("which year did sweden join the alliance"))


@pytest.mark.parametrize(
    ("question", "entry", "named"),
    [
        ("who commands JFC Naples?", "jfc-naples", "Naples"),
        ("who is the commander of jfc brunssum", "jfc-brunssum", "Brunssum"),
        ("how many staff work at shape", "shape", "Supreme Headquarters Allied Powers Europe"),
    ],
)
def test_a_known_entity_without_the_fact_says_so(engine: Engine, question: str, entry: str, named: str) -> None:
    answer = engine.ask(question)
    assert_declines(answer)
    assert answer.status == "no-data"
    assert answer.entry == entry
    assert named in answer.text
    assert SAYS_NOT.search(answer.text), "the text says the sources lack the fact"
    assert answer.suggestions, "and offers what it does know"


# -- honest flags and useful suggestions, over every dev-set question --------------------------------------

@pytest.fixture(scope="module")
def dev_answers(engine: Engine) -> list[Answer]:
    return [engine.ask(item.q) for item in load_set()]


def says_it_lacks_the_fact(a: Answer) -> bool:
    """An answer must not open by saying the fact is missing; a "no-data" reply must say so somewhere."""
    return opens_saying_not(a.text) if a.status == "answer" else bool(SAYS_NOT.search(a.text))


def test_answered_is_false_exactly_when_the_text_says_the_fact_is_missing(dev_answers: list[Answer]) -> None:
    disagree = []
    for a in dev_answers:
        if a.answered != (a.status == "answer"):
            disagree.append((a.question, a.status, a.answered, "status"))
        elif a.status in ("answer", "no-data") and says_it_lacks_the_fact(a) != (a.status == "no-data"):
            disagree.append((a.question, a.status, a.answered, opening(a.text)[:120]))
        elif a.parts and a.answered != any(p.answered for p in a.parts):
            disagree.append((a.question, a.status, a.answered, "parts"))
    assert disagree == []


def test_no_statement_that_lacks_the_fact_counts_as_an_answer(engine: Engine) -> None:
    """A unit whose statement opens "the source does not name the officeholder" can only ever say so."""
    claims = [(u.entry, u.text[:100]) for u in (iu.unit for iu in engine.index.units)
              if u.answers and opens_saying_not(u.text)]
    assert claims == []


def test_answers_are_confident_and_declines_are_not(engine: Engine, dev_answers: list[Answer]) -> None:
    for a in dev_answers:
        assert 0.0 <= a.confidence <= 1.0
        if a.answered:
            assert a.confidence >= engine.threshold, (a.question, a.confidence)


def _offered(answers: Iterable[Answer]) -> set[str]:
    return {s for a in answers for s in [*a.suggestions, *a.related]}


def test_every_suggestion_offered_is_itself_answered(engine: Engine, dev_answers: list[Answer]) -> None:
    offered = _offered(dev_answers) | set(engine.default_suggestions)
    assert len(offered) > 20, "the dev set's replies offer a real spread of suggestions"
    declined = []
    for s in sorted(offered):
        answer = engine.ask(s)
        if not answer.answered or answer.confidence < engine.threshold:
            declined.append((s, answer.status, round(answer.confidence, 2)))
    assert declined == []


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("what is the salary of the director general", "dgims"),
        ("who commands JFC Naples?", "jfc-naples"),
        ("what is the IMS budget", "ims"),
    ],
)
def test_suggestions_come_from_the_question(engine: Engine, question: str, entry: str) -> None:
    answer = engine.ask(question)
    assert_declines(answer)
    assert answer.suggestions != engine.default_suggestions, "not the fixed defaults"
    assert entry in {engine.ask(s).entry for s in answer.suggestions}, "one of them is about what was named"


def test_different_declines_get_different_suggestions(engine: Engine) -> None:
    asked = ["what is the IMS budget", "who commands JFC Naples?", "what is the salary of the secretary general"]
    assert len({tuple(engine.ask(q).suggestions) for q in asked}) == len(asked)


# -- the named constants --------------------------------------------------------------------------------

def test_the_threshold_is_the_fitted_models() -> None:
    fresh = Engine.load()
    assert fresh.threshold == fresh.model.threshold
    assert 0.0 < fresh.threshold < 1.0
    assert fresh.model.fitted, "model.yaml says how and on what it was fitted"


def test_fuzzy_cutoffs_are_percentages() -> None:
    assert 50 <= analysis.TYPO_SCORE_CUTOFF < 100
    assert 50 <= analysis.FUZZY_NAME_CUTOFF < 100


# -- bad input ------------------------------------------------------------------------------------------

BAD_INPUT = [
    pytest.param("", id="empty"),
    pytest.param("   ", id="spaces"),
    pytest.param("\t\n \r\n", id="whitespace"),
    pytest.param("x" * 100_000, id="100KB-one-word"),
    pytest.param("where is the ims? " * 5300, id="100KB-questions"),
    pytest.param("\x00", id="nul"),
    pytest.param("\x07\x08\x0b\x0c\x1b\x7f", id="control-chars"),
    pytest.param("\x1b[31mzzz\x1b[0m", id="ansi-escape"),
    pytest.param("😀", id="emoji"),
    pytest.param("🇳🇴🤖🚀 ??", id="emoji-flags"),
    pytest.param("ما هو حلف الناتو؟", id="arabic"),
    pytest.param("北约是什么？", id="chinese"),
    pytest.param("Что такое НАТО?", id="cyrillic"),
    pytest.param("\u202e\u200b\ufeff", id="invisible-format-chars"),
    pytest.param("\ud800", id="lone-surrogate"),
    pytest.param("a" * 60 + " " + "b " * 400, id="many-tokens"),
]


@pytest.mark.parametrize("question", BAD_INPUT)
def test_bad_input_gets_a_short_answer(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert_declines(answer)
    assert 0 < len(answer.text) <= 600
    assert answer.title
    assert 0.0 <= answer.confidence <= 1.0
    assert len(answer.question) <= MAX_QUESTION_CHARS


@pytest.mark.parametrize(("question", "invalid"), [
    ("北约是什么？", True),
    ("Что такое НАТО?", True),
    ("ما هو الناتو؟", True),
    ("NATO 是什么？", False),  # "nato" can be read
    ("where is İzmir's command?", False),
    ("2014?", False),
])
@pytest.mark.parametrize("in_conversation", [False, True])
def test_a_message_with_no_word_in_latin_script_asks_for_english(
    engine: Engine, question: str, invalid: bool, in_conversation: bool,
) -> None:
    context = Context()
    if in_conversation:
        engine.ask("what is the IMS?", context)
    answer = engine.ask(question, context)
    assert (answer.status == "invalid" and "English" in answer.text) is invalid
    if invalid:
        assert_declines(answer)
        assert context.entities == (["ims"] if in_conversation else [])  # the subject stays


@pytest.mark.parametrize("question", BAD_INPUT)
def test_bad_input_in_a_conversation_and_as_a_lookup(engine: Engine, question: str) -> None:
    context = Context()
    engine.ask("what is the IMS?", context)
    assert 0 < len(engine.ask(question, context).text) <= 600
    assert engine.lookup(question).text


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("🇳🇴🤖 ims?", "ims"),
        ("who heads\x00 the ims", "ims"),
        ("\u202eims", "ims"),
        ("ＩＭＳ", "ims"),  # full-width letters (NFKC)
    ],
)
def test_noise_around_a_real_question_is_ignored(engine: Engine, question: str, entry: str) -> None:
    assert_answers(engine.ask(question), {entry, "dgims"} if "heads" in question else entry)


def test_lookup_gives_the_entrys_card(engine: Engine) -> None:
    card = engine.lookup("jfc brunsum")
    assert card.answered and card.entry == "jfc-brunssum"
    assert card.text == engine.entry_answer("jfc-brunssum").text
    assert_declines(engine.lookup("sourdough bread"))
