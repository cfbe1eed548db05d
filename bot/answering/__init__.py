"""The answer engine: question in, `Answer` out. Pure: no I/O after loading, no Slack, no database.

How a question is answered, in the order the modules run:

- `markup`: what chat adds around a question and is not part of it (who it addresses, emoji codes, links,
  list numbers) is dropped first.
- `units`: the knowledge base cut to the grain of a fact. Every sentence of an entry's overview and
  facets, every field, every acronym and every statement under `knowledge/data/facts/` becomes a `Unit`
  that knows its entity, citation, caveat and whether it answers or only says what is missing; known
  gaps (a post whose holder the sources do not name, ...) are units too.
- `lexicon` and `words`: how people type (chat spellings, synonyms, framing words, everyday English),
  from `knowledge/data/lexicon*.yaml` and `english.tsv`; English function and question words.
- `catalogue` and `fuzzy`: every name an entry goes by and every cue of an intent, with rapidfuzz behind
  an exact n-gram filter for typos and word order.
- `analysis`: small recognisers read the question: typos, spellings, objective numbers and counts (`references`),
  names, the intent (which facet is asked), the kind of answer wanted, the conversation's subject for
  follow-ups, and the content words left over with how much each says; the result is a `question.Question`.
- `index` and `scoring`: the units that share a name or a rare word with the question are candidates;
  each gets a handful of evidence features (named in `model`); a linear model ranks them and
  gradient-boosted trees (`boost`) turn the best one's features into the probability that the reply is
  right. `ranking` orders them (the facet asked first; in a follow-up, the conversation's subject when its
  statements together outweigh the best one). `fit` fits both (`natobot eval --fit`) into
  `knowledge/data/model.yaml`. `memory`: when the trees are unsure of the best unit and the question reads
  close to a training question that unit (or another holding the same facts) answered right, the reply is
  given.
- `asides` and `question_part`: a message declined whole is asked again as the part that asks, without its
  asides, greetings and acknowledgements; `clauses`: two questions in one message.
- `homes`: a follow-up about a strategy theme that only its home objective answers is asked of the objective.
- `compose`: the best unit's sentence first, then its context, close runners-up, caveat and sources; an
  honest "the sources do not say" for a known gap, or a fallback whose suggestions themselves answer.
- `context` and `cache`: a conversation's subject; the built engine kept on disk by the files' hashes.
"""
