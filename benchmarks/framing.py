"""`python -m benchmarks.framing`: does chat framing around a question, or around a follow-up, change its answer?

People in a busy channel wrap their questions ("morning all! ...", "... (EOD is fine)", "follow-up from the
meeting: ..."). This takes held-out questions (tests/data/heldout: never tuned on, never in the paraphrase
memory) that natobot answers right as written, wraps each in every framing of a list, and counts how often
the wrapped question is no longer answered right: declined (the usual failure) or answered wrong.

Four lists of 30-45 framings, written at different times: lists 1-3 were used to find what sank wrapped
questions (the lexicon's framing words, asides.py's breaks, question_part.py); list 4 was written after those
changes and never tuned on, so it is the honest figure. The framings are not those `natobot eval --fit`
trains on (fit._WRAPPERS).
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.answering.engine import Engine
    from bot.evaluation.blind import BlindItem, Conversation

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = 150
SEED = 7

LISTS: dict[str, tuple[str, ...]] = {
    "1 (tuned on)": (
        "morning all! {q}", "{q} cheers", "{q} - ta", "can someone remind me {q}", "anyone? {q}", "{q} :pray:",
        "{q} asking for the weekly update", "for the sitrep: {q}", "{q} (for a briefing tomorrow)",
        "noob question, {q}", "apologies if this was asked before - {q}", "{q}, thanks in advance",
        "bit of a random one but {q}", "{q} ta very much", "I was told to ask here: {q}",
        "{q} trying to settle a debate", "does the bot know {q}", "natobot, {q}", "@natobot {q}", "Hi natobot! {q}",
        "{q} plz and thx", "ok so {q}", "right, {q}", "so basically {q}", "quick sanity check: {q}",
        "{q} just want to double-check", "hello there, {q}", "heya {q}", "{q} many thanks", "can you tell me {q}",
        "could you let me know {q}", "I'd like to know {q}", "do you happen to know {q}", "{q} any idea?",
        "{q} 🙏", "{q} thank you!!", "Question: {q}", "Q2: {q}", "follow-up from the meeting: {q}",
        "not urgent but {q}", "{q} (EOD is fine)", "team - {q}", "before I forget, {q}", "{q} or am I wrong",
        "{q} no rush",
    ),
    "2 (tuned on)": (
        "gm team, {q}", "{q} appreciate it", "sorry to bother - {q}", "random thought: {q}",
        "{q} would be super helpful", "one more: {q}", "{q} thanks a ton", "good afternoon! {q}",
        "{q} (asking for my CO)", "hey all, dumb question: {q}", "on a different note, {q}",
        "{q} - need it by noon", "{q} :eyes:", "Update request: {q}", "for my notes, {q}",
        "{q}? also thanks for the help earlier", "hopefully an easy one: {q}", "{q} cheers mate", "yo, {q}",
        "pinging the bot: {q}", "{q} (context: onboarding)", "real question though, {q}", "{q} lmk",
        "{q} - if anyone knows", "hiya! {q}", "as discussed, {q}", "{q} for the handover notes", "sry, {q}",
        "{q} ty in advance", "hmm, {q}",
    ),
    "3 (tuned on)": (
        "hey folks! {q}", "{q} - would really appreciate it", "Quick one for the bot: {q}", "{q} tia",
        "afternoon all, {q}", "I've been asked to find out {q}", "{q} (sorry for the basic q)",
        "can't find this anywhere: {q}", "{q} - cheers in advance", "dumb q incoming: {q}", "{q} ... anyone?",
        "Morning! {q}", "{q} need this for the ops brief", "Hi team - {q}", "another one from me: {q}",
        "{q} thanks heaps", "just checking, {q}", "{q} asap pls", "hey there! {q}", "lads, {q}",
        "{q} (for the newcomers' pack)", "so, {q}", "{q} thx!!", "following up on yesterday: {q}",
        "{q} - for a paper I'm writing", "howdy, {q}", "{q} would love a source too", "{q}?? :sweat_smile:",
        "any idea {q}", "{q} (not urgent)",
    ),
    "4 (never tuned on)": (
        "evening all - {q}", "{q} much appreciated!", "hey bot, {q}", "Help pls: {q}", "{q} (prepping for a VTC)",
        "first day here, {q}", "{q} :slightly_smiling_face:", "hi! hope you're well. {q}",
        "{q} - asking for a colleague", "sorry, another one: {q}", "{q} (will check the docs too)",
        "ok last one I promise: {q}", "{q} thanks so much", "<@U07ABCDE> {q}", "{q} cc <@U0456XYZ>",
        "Hey - {q} Thanks!", "good morning team! {q} ty", "yo bot {q}", "{q} - my CO is asking",
        "quick clarification: {q}", "{q} would help a lot", "hey hey, {q}", "urgent-ish: {q}",
        "{q} (writing the weekly summary)", "ping: {q}", "{q} thanks, legend", "1) {q}", "Hi, newbie here. {q}",
        "{q} thx team", "Afternoon - {q} cheers",
    ),
}


# Acknowledgements around a follow-up in a thread ("thanks! where is it?", "awesome, who leads it?"). Lists 1-3
# were used to find what lost the subject (chat replies to "thanks", a comma before the question, words read
# as content); list 4 was written after those changes and never tuned on.
TURN_LISTS: dict[str, tuple[str, ...]] = {
    "1 (tuned on)": (
        "thanks! {q}", "ok cool, {q}", "{q} thx", "great, and {q}", "perfect. {q}", "got it - {q}", "nice one. {q}",
        "cheers, {q}", "ah ok. {q}", "makes sense. {q}", "{q} (follow-up)", "one more: {q}", "ty! {q}", "hmm ok, {q}",
    ),
    "2 (tuned on)": (
        "thank you! {q}", "right, {q}", "ok and {q}", "brilliant - {q}", "{q} cheers", "cool cool. {q}", "thx. {q}",
        "interesting! {q}", "fair enough, {q}", "lovely. {q}", "{q} ta", "ahh. {q}", "understood - {q}", "super, {q}",
    ),
    "3 (tuned on)": (
        "many thanks! {q}", "ok great - {q}", "wonderful, {q}", "{q} thanks again", "alright. {q}", "excellent! {q}",
        "ok noted. {q}", "{q} cheers!", "awesome, {q}", "right-o, {q}", "{q} (sorry, one more)", "ok thank you. {q}",
        "neat. {q}", "sweet, {q}",
    ),
    "4 (never tuned on)": (
        "ok ta. {q}", "cool beans, {q}", "gotcha - {q}", "much obliged! {q}", "{q} ty!", "nice, {q}",
        "ok that helps. {q}", "roger. {q}", "fab, {q}", "wow ok. {q}", "{q} (last one)", "amazing, {q}", "ok! {q}",
        "good to know. {q}",
    ),
}


def _wrap(framing: str, question: str) -> str:
    return framing.format(q=question.rstrip("?").strip() + "?")


def _turns(engine: Engine, conversations: list[Conversation], framing: str | None) -> int:
    """Later turns right (or rightly declined) when each is wrapped in `framing`; first turns as written."""
    from bot.answering.context import Context
    from bot.evaluation import blind

    kept = 0
    for conversation in conversations:
        context = Context()
        engine.ask(conversation.turns[0].q, context)
        for turn in conversation.turns[1:]:
            asked = _wrap(framing, turn.q) if framing else turn.q
            kept += blind.verdict(turn, engine.ask(asked, context).model_dump()) in ("right", "declined-ok")
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.framing",
                                     description="Does chat framing around a question change its answer?")
    parser.add_argument("--sets", type=Path, nargs="*",
                        default=sorted((ROOT / "tests" / "data" / "heldout").glob("set_*.yaml")))
    parser.add_argument("--sample", type=int, default=SAMPLE, help="questions per framing")
    parser.add_argument("--worst", type=int, default=3, help="framings listed per list, most harmful first")
    args = parser.parse_args(argv)

    from bot.answering.engine import Engine
    from bot.evaluation import blind

    engine = Engine.load()
    items = [it for path in args.sets for it in blind.load(path).questions if not it.decline]
    _singles(engine, items, sample=args.sample, worst=args.worst)
    conversations = [c for path in args.sets for c in blind.load(path).conversations if len(c.turns) > 1]
    _conversations(engine, conversations, worst=args.worst)
    return 0


def _singles(engine: Engine, items: list[BlindItem], *, sample: int, worst: int) -> None:
    from bot.evaluation import blind
    from handlers.common import slack_to_plain

    right = [it for it in items if blind.verdict(it, engine.ask(it.q).model_dump()) == "right"]
    chosen = random.Random(SEED).sample(right, min(sample, len(right)))
    print(f"{len(chosen)} questions answered right as written (of {len(items)} answerable in the sets, held-out "
          "by default), each wrapped in every framing; a framing's markup read as Slack sends it")
    for name, framings in LISTS.items():
        lost: Counter[str] = Counter()
        for framing in framings:
            for it in chosen:
                # Slack's markup ("<@U07ABCDE>") as the Slack handlers hand it to the engine.
                wrapped = slack_to_plain(_wrap(framing, it.q), "UBOT")
                lost[framing] += blind.verdict(it, engine.ask(wrapped).model_dump()) != "right"
        total = len(framings) * len(chosen)
        kept = total - sum(lost.values())
        listed = ", ".join(f"{f!r} {n}" for f, n in lost.most_common(worst) if n)
        print(f"list {name}: {len(framings)} framings, {100 * kept / total:.1f}% kept ({kept}/{total}); "
              f"worst: {listed}")


def _conversations(engine: Engine, conversations: list[Conversation], *, worst: int) -> None:
    bare = _turns(engine, conversations, None)
    later = sum(len(c.turns) - 1 for c in conversations)
    print(f"\nconversation turns after the first ({later} in {len(conversations)} conversations of the sets): "
          f"{bare} right as written; each list wraps every one of them in each framing")
    for name, framings in TURN_LISTS.items():
        turns_right = {framing: _turns(engine, conversations, framing) for framing in framings}
        total = bare * len(framings)
        kept = sum(min(n, bare) for n in turns_right.values())
        ranked = sorted(turns_right.items(), key=lambda kv: kv[1])[:worst]
        listed = ", ".join(f"{f!r} {bare - n}" for f, n in ranked)
        print(f"turn list {name}: {len(framings)} framings, {100 * kept / total:.1f}% of the bare figure "
              f"({sum(turns_right.values())} right against {total}); worst: {listed}")

if __name__ == "__main__":
    raise SystemExit(main())
