"""EvoWiki baseline: closed-book or RAG question answering, exact match per state and hop, retrieval recall@k.

Example:
    >>> from knowbench.training.evowiki import run_eval  # doctest: +SKIP
    >>> report = run_eval("out/evowiki", "none", "runs/evowiki-recall", k=30)  # doctest: +SKIP
"""

from knowbench.training.evowiki.eval import normalize, recall_at_k, run_eval

__all__ = ["normalize", "recall_at_k", "run_eval"]
