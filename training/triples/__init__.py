"""What evaluates, fits and trains on knowledge triples (Yu et al., SMI, arXiv 2502.04066). The counts themselves
come from the sources layer (:mod:`knowbench.datasets_src.triples.runner`: N, N_s, N_o, N_so per fact over a
corpus, one matching pass per document).

* :mod:`~knowbench.training.triples.metric`: SMI, the MI and co-occurrence baselines, the bin-mean least-squares fit
  and its plot;
* :mod:`~knowbench.training.triples.reproduce`: those fits on a fact table (``knowbench smi fit``) and the paper's
  R^2 from its released counts and accuracies (``knowbench smi reproduce``);
* :mod:`~knowbench.training.triples.cbqa`: closed-book retention per fact with a model backend (``knowbench eval cbqa``);
* :mod:`~knowbench.training.triples.smi_corpus` and :mod:`~knowbench.training.triples.smi_mini`: the paper's
  predict-before-training experiment in miniature (``knowbench train smi-mini``), through the same counter, metric
  and fit.

Example:
    >>> from knowbench.training.triples.metric import size_exponent
    >>> round(size_exponent(70e6), 2)
    26.06
"""
