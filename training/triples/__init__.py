"""Knowledge retention from pre-training data: co-occurrence counting, the SMI metric, its fit and the paper's
reproduction (Yu et al., arXiv 2502.04066).

* :mod:`knowbench.datasets_src.triples.count`: N, N_s, N_o, N_so per fact over a corpus, one automaton pass per document;
* :mod:`knowbench.training.triples.metric`: MI, SMI, baselines, bin-mean least-squares fit and plot;
* :mod:`knowbench.training.triples.reproduce`: R^2 from the paper's released counts and accuracies.

Example:
    >>> from knowbench.training.triples.metric import size_exponent
    >>> round(size_exponent(70e6), 2)
    26.06
"""
