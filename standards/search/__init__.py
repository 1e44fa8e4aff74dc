"""Search: one box for standards and regulations, in English or Chinese.

- `query`: what was typed, read into standard numbers (any spelling), bare document
  numbers, English words and phrases, Chinese words and product words;
- `postgres`: the PostgreSQL full-text path: candidates, ranking, the fall-backs when
  nothing matches, and the regulations for the same query;
- `expressions`: the SQL pieces it is built from (identifier, word and product
  conditions, the "pk among ids" expression, the candidates' order);
- `planner`: PostgreSQL's own statistics on the search column, read to choose how the
  newest matches of some words are found;
- `facets`: the rows of a result and their facet counts, in one query.
"""

RESULT_LIMIT = 1000  # rows ranked, counted and listed per search; beyond it, "1,000+"
