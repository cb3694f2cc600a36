"""Typed access to the knowledge-triples dataset: facts as :class:`Triple`, counts as numpy arrays.

Example:
    >>> from knowbench.loaders.triples import load_facts, load_counts  # doctest: +SKIP
    >>> facts = load_facts("out/triples")  # doctest: +SKIP
    >>> counts = load_counts("out/triples", "wiki")  # doctest: +SKIP
    >>> counts.n_so[:3], counts.facts[0].subject  # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from knowbench.datasets_src.triples.types import Triple
from knowbench.loaders import load


def _triple(row: dict) -> Triple:
    return Triple(
        subject=row["subject"], relation=row["relation"], object=row["object"],
        subject_id=row.get("subject_id"), relation_id=row.get("relation_id"), object_id=row.get("object_id"),
        subject_aliases=tuple(row.get("subject_aliases") or ()), object_aliases=tuple(row.get("object_aliases") or ()),
        id=row["fact_id"], source=row.get("source") or "",
    )


def load_facts(path_or_repo_id: str | os.PathLike[str], **kwargs: object) -> list[Triple]:
    """The ``facts`` config as :class:`Triple` records (ids and aliases kept)."""
    return [_triple(row) for row in load("triples", path_or_repo_id, "facts", split="train", **kwargs)]


@dataclass(frozen=True)
class CorpusCounts:
    """One corpus config: its facts (labels and ids) and N, N_s, N_o, N_so, MI per fact."""

    corpus: str
    facts: list[Triple]
    n_docs: np.ndarray
    n_s: np.ndarray
    n_o: np.ndarray
    n_so: np.ndarray
    mi: np.ndarray
    mode: str


def load_counts(path_or_repo_id: str | os.PathLike[str], corpus: str, **kwargs: object) -> CorpusCounts:
    """The counts config ``corpus`` as arrays."""
    dataset = load("triples", path_or_repo_id, corpus, split="train", **kwargs)
    columns = dataset.to_dict()
    facts = [Triple(s, r, o, id=i) for s, r, o, i in zip(columns["subject"], columns["relation"], columns["object"],
                                                         columns["fact_id"], strict=True)]
    modes = sorted(set(columns["mode"]))
    return CorpusCounts(
        corpus, facts, *(np.asarray(columns[k], np.int64) for k in ("n_docs", "n_s", "n_o", "n_so")),
        mi=np.asarray(columns["mi"], np.float64), mode=", ".join(modes),
    )
