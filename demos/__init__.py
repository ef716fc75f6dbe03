"""The playground's tabs, in the order they appear (one module per tab).

Each module exposes TITLE and build(); app.py opens a tab for each.
"""

# First, before any tab module imports Gradio: Gradio without start-up work a server never uses.
from demos import lean_start

lean_start.import_gradio()

from demos import about, contextual, generation, ner, nli, sentiment, similarity, summarization, tokenizer, word2vec

DEMOS = (sentiment, nli, similarity, ner, summarization, tokenizer, generation, word2vec, contextual, about)
