"""The answer engine: question in, `Answer` out. Pure: no I/O after loading, no Slack, no database.

How a question is answered, in the order the modules run:

- `units`: the knowledge base cut to the grain of a fact. Every sentence of an entry's overview and
  facets, every field, every acronym and every statement under `knowledge/data/facts/` becomes a
  `Unit` that knows its entity, citation, caveat and whether it answers or only says what is missing.
- `lexicon`: how people type (chat spellings, synonyms, framing words), from `knowledge/data/lexicon.yaml`.
- `analysis`: small recognisers read the question: names (rapidfuzz over aliases, typo-tolerant),
  objective numbers, the intent (which facet is asked), the answer type (who, where, when, how many),
  and the content words left over, each weighted by how rare it is in the knowledge base.
- `index` and `scoring`: the units that share a name or a content word with the question are
  candidates; each gets a handful of evidence features, and one logistic model (weights fitted by
  `natobot eval --fit`, kept in `knowledge/data/model.yaml`) turns them into the probability that the
  unit answers the question.
- `compose`: the best unit's sentence first, then its context, caveat and sources; an honest
  "the sources do not say" or a fallback with suggestions that themselves answer.
"""
