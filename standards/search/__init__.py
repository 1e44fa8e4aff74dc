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
# Among the matches of words, what ranks up, on both paths (engine and PostgreSQL): a
# title that begins with the words typed, a mandatory standard, a standard that an act
# cites (harmonised, or made compulsory), and a document's general part (part 1, or no
# parts) above its other parts.
TITLE_START_SCORE = 3.0
MANDATORY_SCORE = 0.5
CITED_SCORE = 0.5
GENERAL_PART_SCORE = 0.5
# A family key with a part ("EN71-1", "GB6675.12", "IEC60335-2-23"), and with part 1.
HAS_PART = r"[.-]"
FIRST_PART = r"[.-]1$"
