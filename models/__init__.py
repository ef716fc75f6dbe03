"""Models behind the playground: the registry of model ids, the lazy loader and text helpers.

Nothing here imports torch or transformers at import time; they are imported on
first use so that `from app import demo` stays light.
"""
