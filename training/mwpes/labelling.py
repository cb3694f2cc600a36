"""Labellers: keywords, a name and representative examples for each cluster.

``ctfidf`` (default) ranks words by class-based TF-IDF, the weighting of BERTopic (Grootendorst 2022,
arXiv:2203.05794, eq. 1): ``W(t, c) = tf(t, c) * log(1 + A / f(t))`` with ``tf`` the L1-normalised frequency of term
``t`` in the concatenated texts of cluster ``c``, ``f(t)`` its frequency over all clusters and ``A`` the average
number of words per cluster. ``llm`` asks a model behind the shared backends for a short name.

Example:
    >>> texts = ["wrong operation division", "wrong operation division again", "missing step", "missing step twice"]
    >>> ClassTfidfLabeller(top_n=2).keywords(texts, [0, 0, 1, 1])[0]
    ['division', 'operation']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from knowbench.registry import Registry

LABELLERS: Registry[type] = Registry("labeller")


@LABELLERS.register("ctfidf")
class ClassTfidfLabeller:
    """Class-based TF-IDF keywords; the name joins the top keywords."""

    name = "ctfidf"

    def __init__(self, top_n: int = 8, name_words: int = 3, ngram_range: tuple[int, int] = (1, 1),
                 max_texts: int = 200_000, seed: int = 0) -> None:
        self.top_n = top_n
        self.name_words = name_words
        self.ngram_range = ngram_range
        self.max_texts = max_texts
        self.seed = seed

    def keywords(self, texts: Sequence[str], labels: Sequence[int]) -> dict[int, list[str]]:
        """Top keywords per cluster label (outliers, label -1, are skipped)."""
        from sklearn.feature_extraction.text import CountVectorizer

        labels = np.asarray(labels)
        rows = np.flatnonzero(labels >= 0)
        if len(rows) > self.max_texts:  # a uniform sample keeps every cluster's word distribution
            rows = np.sort(np.random.default_rng(self.seed).choice(rows, self.max_texts, replace=False))
        if len(rows) == 0:
            return {}
        classes = sorted(set(labels[rows].tolist()))
        vectorizer = CountVectorizer(stop_words="english", ngram_range=self.ngram_range,
                                     token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
        try:
            counts = vectorizer.fit_transform([texts[i] for i in rows])
        except ValueError:  # only stop words
            return {c: [] for c in classes}
        from scipy import sparse

        position = {c: i for i, c in enumerate(classes)}
        membership = sparse.csr_matrix(
            (np.ones(len(rows)), ([position[c] for c in labels[rows]], np.arange(len(rows)))),
            shape=(len(classes), len(rows)),
        )
        per_class = np.asarray((membership @ counts).todense(), dtype=np.float64)
        tf = per_class / np.maximum(per_class.sum(axis=1, keepdims=True), 1)
        f_t = per_class.sum(axis=0)
        average = per_class.sum() / len(classes)
        weights = tf * np.log1p(average / np.maximum(f_t, 1))
        vocabulary = vectorizer.get_feature_names_out()
        out = {}
        for c, row in zip(classes, weights, strict=True):
            top = np.argsort(-row)[: self.top_n]
            out[c] = [str(vocabulary[i]) for i in top if row[i] > 0]
        return out

    def name_for(self, keywords: list[str], examples: Sequence[str]) -> str:
        return " / ".join(keywords[: self.name_words]) or "unnamed"


_NAME_PROMPT = (
    "These texts describe mistakes in math solutions that were grouped together. Give the group a name of at most "
    "six words. Keywords: {keywords}.\nExamples:\n{examples}\nName:"
)


@LABELLERS.register("llm")
class LLMNamer(ClassTfidfLabeller):
    """c-TF-IDF keywords, and a name written by a model behind :mod:`knowbench.backends`.

    Example:
        >>> namer = LLMNamer("transformers:smollm2")  # doctest: +SKIP
    """

    name = "llm"

    def __init__(self, backend: Any = "transformers:smollm2", max_new_tokens: int = 16, **options: Any) -> None:
        super().__init__(**options)
        self.backend = backend
        self.max_new_tokens = max_new_tokens

    def name_for(self, keywords: list[str], examples: Sequence[str]) -> str:  # type: ignore[override]
        from knowbench.backends import GenerationConfig, load_backend

        if isinstance(self.backend, str):
            self.backend = load_backend(self.backend)
        prompt = _NAME_PROMPT.format(keywords=", ".join(keywords),
                                     examples="\n".join(f"- {e[:300]}" for e in examples[:3]))
        completion = self.backend.chat([[{"role": "user", "content": prompt}]],
                                       GenerationConfig(max_new_tokens=self.max_new_tokens))[0][0]
        text = completion.text.strip().split("\n")[0].strip(" \"'.")
        return text[:80] or super().name_for(keywords, examples)


def make_labeller(spec: str | Any, **options: Any) -> Any:
    return LABELLERS.get(spec)(**options) if isinstance(spec, str) else spec
