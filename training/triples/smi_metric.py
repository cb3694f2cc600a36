"""Counting and the SMI metric for the ``smi-mini`` miniature.

Counts follow the SMI paper's rule (arXiv 2502.04066 and its released code): over documents, N_s = documents that
contain ``" " + subject`` (case-sensitive substring), N_o likewise, N_so = documents containing both. One pass per
document. :func:`count_facts` uses the SMI package's counter (``knowbench.datasets_src.triples.count.FactIndex``, paper mode);
:func:`count_facts_simple` is an independent pyahocorasick version of the same rule, kept as a cross-check (a test
asserts both give identical counts).

Metric (same paper): MI = p_so log2(p_so / (p_s p_o)), p = count / N; facts with MI <= 0 are dropped;
x = int(5 log2 MI) / 5 (0.2-wide bins), min-max normalised to x_hat; SMI = x_hat ** (1 + 1/P) with P = log2 of the
parameter count (the paper's later versions). Baselines: MI = x_hat itself, CO = the same binning and normalisation
applied to log2 N_so. Fit: mean accuracy per distinct metric value, ordinary least squares, R^2 and MSE.

Example:
    >>> rows = count_facts([" Ann met Bob.", " Ann", " Bob"], [("Ann", "Bob")])
    >>> rows[0]["n_s"], rows[0]["n_o"], rows[0]["n_so"], rows[0]["n_docs"]
    (2, 2, 1, 3)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def count_facts(documents: Sequence[str], pairs: Sequence[tuple[str, str]]) -> list[dict[str, int]]:
    """N, N_s, N_o, N_so per (subject, object) pair over ``documents`` (paper rule: ``" " + label`` substring)."""
    from knowbench.datasets_src.triples.count import FactIndex
    from knowbench.datasets_src.triples.types import Triple

    index = FactIndex([Triple(subject, "r", obj) for subject, obj in pairs], mode="paper")
    return index.count(documents).per_fact(index)


def count_facts_simple(documents: Sequence[str], pairs: Sequence[tuple[str, str]]) -> list[dict[str, int]]:
    """The same counts with one pyahocorasick automaton over ``" " + label`` patterns (reference version)."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    labels = sorted({label for pair in pairs for label in pair})
    for index, label in enumerate(labels):
        automaton.add_word(" " + label, index)
    automaton.make_automaton()
    doc_count = np.zeros(len(labels), dtype=np.int64)
    # documents per label, for the pair intersections
    holders: list[set[int]] = [set() for _ in labels]
    for doc_index, document in enumerate(documents):
        found = {value for _, value in automaton.iter(document)} if labels else set()
        for value in found:
            doc_count[value] += 1
            holders[value].add(doc_index)
    position = {label: index for index, label in enumerate(labels)}
    rows = []
    for subject, obj in pairs:
        s, o = position[subject], position[obj]
        rows.append(
            {
                "n_docs": len(documents),
                "n_s": int(doc_count[s]),
                "n_o": int(doc_count[o]),
                "n_so": len(holders[s] & holders[o]),
            }
        )
    return rows


def mutual_information(n_docs: int, n_s: int, n_o: int, n_so: int) -> float:
    """MI = p_so log2(p_so / (p_s p_o)); 0 when the pair never co-occurs."""
    if n_so == 0 or n_s == 0 or n_o == 0:
        return 0.0
    p_s, p_o, p_so = n_s / n_docs, n_o / n_docs, n_so / n_docs
    return p_so * math.log2(p_so / (p_s * p_o))


def _binned(values: Sequence[float]) -> list[float]:
    """x = int(5 log2 v) / 5, min-max normalised over the set (all 0 when the set has one value)."""
    x = [int(5 * math.log2(v)) / 5 for v in values]
    low, high = min(x), max(x)
    return [(value - low) / (high - low) if high > low else 0.0 for value in x]


def smi_scores(rows: Sequence[Mapping[str, Any]], n_params: int) -> list[dict[str, float]]:
    """Per row with ``n_docs, n_s, n_o, n_so``: ``mi`` (raw), ``x_mi`` (binned, normalised: the MI baseline),
    ``x_co`` (the co-occurrence baseline) and ``smi``; rows with MI <= 0 get ``None`` everywhere but ``mi``.

    Computed by the SMI package's metric (``knowbench.training.triples.metric``)."""
    from knowbench.training.triples import metric

    arrays = {key: np.array([r[key] for r in rows], dtype=np.int64) for key in ("n_docs", "n_s", "n_o", "n_so")}
    p = metric.size_exponent(n_params, "log2")
    mis = metric.mutual_information(arrays["n_docs"], arrays["n_s"], arrays["n_o"], arrays["n_so"])
    out: list[dict[str, Any]] = [{"mi": float(mi), "x_mi": None, "x_co": None, "smi": None} for mi in mis]
    for method, key in (("smi", "smi"), ("mi", "x_mi"), ("co", "x_co")):
        scored = metric.scores(method, arrays["n_docs"], arrays["n_s"], arrays["n_o"], arrays["n_so"],
                               p if method == "smi" else None)
        for index, value in zip(np.flatnonzero(scored.kept), scored.values, strict=True):
            out[int(index)][key] = float(value)
    return out


def smi_scores_simple(rows: Sequence[Mapping[str, Any]], n_params: int) -> list[dict[str, float]]:
    """:func:`smi_scores` from the formulas in this module's docstring (reference version)."""
    mis = [mutual_information(r["n_docs"], r["n_s"], r["n_o"], r["n_so"]) for r in rows]
    kept = [i for i, mi in enumerate(mis) if mi > 0]
    exponent = 1 + 1 / math.log2(n_params)
    out: list[dict[str, Any]] = [{"mi": mi, "x_mi": None, "x_co": None, "smi": None} for mi in mis]
    if kept:
        x_mi = _binned([mis[i] for i in kept])
        x_co = _binned([rows[i]["n_so"] for i in kept])
        for i, xm, xc in zip(kept, x_mi, x_co, strict=True):
            out[i].update({"x_mi": xm, "x_co": xc, "smi": xm**exponent})
    return out


def fit_bins(values: Sequence[float], accuracies: Sequence[float]) -> dict[str, Any]:
    """The SMI paper's fit (:func:`knowbench.training.triples.metric.fit_bins`) as a JSON-ready dict with the bin points.

    With fewer than two distinct values there is no line: ``slope``, ``intercept``, ``r2`` and ``mse`` are None.

    Example:
        >>> fit = fit_bins([0.0, 0.0, 0.5, 1.0], [0.0, 0.2, 0.5, 1.0])
        >>> round(fit["slope"], 3), fit["bins"]
        (0.9, 3)
    """
    from knowbench.errors import ConfigError
    from knowbench.training.triples import metric

    x = np.asarray(values, dtype=np.float64)
    try:
        fit = metric.fit_bins(x, np.asarray(accuracies, dtype=np.float64))
    except ConfigError:
        distinct = np.unique(x)
        means = [float(np.mean(np.asarray(accuracies, dtype=np.float64)[x == v])) for v in distinct]
        return {"bins": int(distinct.size), "facts": int(x.size), "bin_x": distinct.tolist(), "bin_y": means,
                "slope": None, "intercept": None, "r2": None, "mse": None}
    return {**fit.to_dict(), "bin_x": fit.bins.tolist(), "bin_y": fit.bin_accuracy.tolist()}
