"""The playground's tabs, in the order they appear (one module per tab).

Each module exposes TITLE and build(); app.py opens a tab for each.
"""

from demos import about, contextual, generation, ner, nli, sentiment, similarity, summarization, tokenizer, word2vec

DEMOS = (sentiment, nli, similarity, ner, summarization, tokenizer, generation, word2vec, contextual, about)
