"""The clustering pipeline: analyze -> embed -> reduce -> cluster -> label -> taxonomy, with outlier reassignment.

Example:
    >>> from knowbench.training.mwpes import ErrorClusterPipeline  # doctest: +SKIP
    >>> result = ErrorClusterPipeline().fit(samples)  # doctest: +SKIP
    >>> result.taxonomy.categories[0].name  # doctest: +SKIP
    'wrong operation: division / multiplication'
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from knowbench.errors import ConfigError
from knowbench.training.mwpes.analyzers import make_analyzer, pattern_text
from knowbench.training.mwpes.embedders import make_embedder
from knowbench.training.mwpes.labelling import make_labeller
from knowbench.training.mwpes.models import _unit, make_clusterer, make_reducer
from knowbench.training.mwpes.samples import ErrorSample
from knowbench.training.mwpes.taxonomy import Category, Taxonomy


@dataclass
class ClusterResult:
    """Everything one pipeline run produced, row-aligned with ``samples``."""

    taxonomy: Taxonomy
    samples: list[ErrorSample]
    texts: list[str]
    kinds: list[str]
    embeddings: np.ndarray
    reduced: np.ndarray
    raw_labels: np.ndarray
    labels: np.ndarray
    similarity: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    details: list[dict[str, Any]] = field(default_factory=list)

    @property
    def outlier_fraction_before(self) -> float:
        return float(np.mean(self.raw_labels < 0)) if len(self.raw_labels) else 0.0

    @property
    def outlier_fraction(self) -> float:
        return float(np.mean(self.labels < 0)) if len(self.labels) else 0.0


def category_name(keywords: list[str], kinds: Counter[str], labeller: Any, examples: Sequence[str],
                  texts: Counter[str] | None = None) -> str:
    """The category's name: the analysis text most of its members share (it says what went wrong, e.g. "counting
    error: off by one: N where the reference has N"); else the labeller's name, led by the analyzer's error kind when
    most members share one.

    Example:
        >>> from knowbench.training.mwpes.labelling import ClassTfidfLabeller
        >>> category_name(["canes", "sand"], Counter({"operator_error": 3}), ClassTfidfLabeller(), [],
        ...               Counter({"operator error: an operator where the reference has another": 2, "x": 1}))
        'operator error: an operator where the reference has another'
        >>> category_name(["canes", "sand"], Counter({"operator_error": 3}), ClassTfidfLabeller(), [])
        'operator error: canes, sand'
    """
    if texts:
        text, count = texts.most_common(1)[0]
        if count > 0.5 * sum(texts.values()) and len(text) <= 100 and "\n" not in text:
            return text
    base = labeller.name_for(keywords, examples)
    if kinds:
        kind, count = kinds.most_common(1)[0]
        kind = kind.replace("_", " ")
        if kind and count > 0.5 * sum(kinds.values()):
            rest = [k for k in keywords if k not in kind.split() and k != "step"][:3]
            return f"{kind}: {', '.join(rest)}" if rest else kind
    return base


#: how many of its members' evidence patterns a category lists
N_PATTERNS = 5


def evidence_patterns(records: Sequence[dict[str, Any]]) -> list[str]:
    """The :func:`~knowbench.training.mwpes.analyzers.pattern_text` of each analysed sample ("" without evidence).

    Example:
        >>> evidence_patterns([{"error_type": "operator_error", "evidence": "step 2 computes 6*2 = 12; '*' where "
        ...                     "the reference has '/'"}, {"error_type": "other"}])
        ["operator error: '*' where the reference has '/'", '']
    """
    return [pattern_text(r.get("error_type") or "", r["evidence"]) if r.get("evidence") else "" for r in records]


def describe_categories(
    taxonomy: Taxonomy,
    ids: Sequence[int],
    labels: np.ndarray,
    embeddings: np.ndarray,
    texts: Sequence[str],
    sample_ids: Sequence[str],
    kinds: Sequence[str],
    labeller: Any,
    n_examples: int,
    version: int,
    keyword_labels: np.ndarray | None = None,
    keyword_texts: Sequence[str] | None = None,
    radius_quantile: float = 0.1,
    radius_labels: np.ndarray | None = None,
    name: bool = True,
    patterns: Sequence[str] | None = None,
) -> None:
    """(Re)compute centroid, size, keywords, examples and name of categories ``ids`` from their members.

    Keywords come from ``keyword_texts`` (default: ``texts``; the pipeline passes the wrong solutions, whose words
    say what the errors are about, while the analysis texts say what kind of error they are). ``patterns`` (one per
    sample, "" for none) are counted per category: the specifics the embedded texts leave out.
    """
    keyword_labels = labels if keyword_labels is None else keyword_labels
    keyword_texts = texts if keyword_texts is None else keyword_texts
    wanted = np.isin(keyword_labels, list(ids))
    keywords = labeller.keywords(keyword_texts, np.where(wanted, keyword_labels, -1)) if len(ids) and name else {}
    for category_id in ids:
        members = np.flatnonzero(labels == category_id)
        if len(members) == 0:
            continue
        category = taxonomy.by_id(category_id)
        centroid = _unit(embeddings[members].mean(axis=0, keepdims=True))[0]
        closest = members[np.argsort(-(embeddings[members] @ centroid))[:n_examples]]
        category.centroid = centroid.astype(np.float32)
        core = np.flatnonzero((labels if radius_labels is None else radius_labels) == category_id)
        if len(core):
            category.radius = float(np.quantile(embeddings[core] @ centroid, radius_quantile))
        category.size = len(members)
        category.keywords = keywords.get(category_id, category.keywords)
        category.examples = [{"sample_id": sample_ids[i], "text": texts[i]} for i in closest]
        category.kinds = dict(Counter(kinds[i] for i in members if kinds[i]).most_common())
        if patterns is not None:
            category.patterns = dict(Counter(patterns[i] for i in members if patterns[i]).most_common(N_PATTERNS))
        if name:
            category.name = category_name(category.keywords, Counter(category.kinds), labeller,
                                          [texts[i] for i in closest], Counter(texts[i] for i in members))


def solution_text(sample: ErrorSample) -> str:
    """The wrong solution as a reader sees it (calculator notes and ``Step k:`` prefixes removed)."""
    return re.sub(r"(?im)^\s*step\s*\d+\s*[:.)]\s?", "", re.sub(r"<<[^<>]*>>", "", sample.solution))


def keyword_text(sample: ErrorSample, details: dict[str, Any] | None) -> str:
    """The text category keywords come from: the wrong step when the analyzer named one, else the solution."""
    step = re.sub(r"<<[^<>]*>>", "", (details or {}).get("step_text") or "")
    if len(re.findall(r"[A-Za-z]{3,}", step)) >= 3:
        return step
    return solution_text(sample)  # a bare "16-3-4=9" step says nothing about the topic


def share_identical(texts: Sequence[str], labels: np.ndarray) -> np.ndarray:
    """Give every group of identical texts one label: the group's most common category (outliers count last).

    Example:
        >>> share_identical(["a", "a", "b", "a"], np.array([0, 1, 2, 0])).tolist()
        [0, 0, 2, 0]
    """
    groups: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        groups.setdefault(text, []).append(index)
    out = labels.copy()
    for members in groups.values():
        if len(members) > 1:
            votes = Counter(int(labels[i]) for i in members)
            best = max(votes, key=lambda c: (c >= 0, votes[c], -c))
            out[members] = best
    return out


def unique_names(taxonomy: Taxonomy) -> None:
    """Make active category names distinct: a repeated name gets its next unused keywords (or its id)."""
    seen: dict[str, int] = {}
    for category in sorted(taxonomy.categories, key=lambda c: (-c.size, c.id)):
        name = category.name
        if name in seen:
            extra = [k for k in category.keywords if k not in name][:2]
            name = f"{name} ({', '.join(extra)})" if extra else f"{name} #{category.id}"
            if name in seen:
                name = f"{name} #{category.id}"
        category.name = name
        seen[name] = category.id


class ErrorClusterPipeline:
    """Injected components, each a registry name or an object (any scikit-learn clusterer with ``fit``/``labels_``).

    ``reassign_threshold``: an outlier joins its nearest category when the cosine similarity of its embedding to the
    category centroid is at least this value and at least the category's radius (the ``radius_quantile`` of its
    core members' similarities): it must be as close as most members are.

    Example:
        >>> from sklearn.cluster import KMeans
        >>> pipeline = ErrorClusterPipeline(clusterer=KMeans(n_clusters=5, n_init=3))
        >>> type(pipeline.clusterer).__name__
        'SklearnClusterer'
    """

    def __init__(
        self,
        analyzer: Any = "steps",
        embedder: Any = "minilm",
        reducer: Any = "pca",
        clusterer: Any = "hdbscan",
        labeller: Any = "ctfidf",
        reassign_threshold: float = 0.55,
        n_examples: int = 3,
        radius_quantile: float = 0.1,
        component_options: dict[str, dict[str, Any]] | None = None,
        show_progress: bool = False,
    ) -> None:
        options = component_options or {}
        if not -1 <= reassign_threshold <= 1:
            raise ConfigError(f"reassign_threshold must be a cosine in [-1, 1], got {reassign_threshold}")
        self.analyzer = make_analyzer(analyzer, **options.get("analyzer", {}))
        self.embedder = make_embedder(embedder, **options.get("embedder", {}))
        self.reducer = make_reducer(reducer, **options.get("reducer", {}))
        self.clusterer = make_clusterer(clusterer, **options.get("clusterer", {}))
        self.labeller = make_labeller(labeller, **options.get("labeller", {}))
        self.reassign_threshold = reassign_threshold
        self.n_examples = n_examples
        self.radius_quantile = radius_quantile
        self.show_progress = show_progress
        self.spec = {
            part: getattr(getattr(self, part), "name", type(getattr(self, part)).__name__)
            for part in ("analyzer", "embedder", "reducer", "clusterer", "labeller")
        }

    def analyze(self, samples: Sequence[ErrorSample]) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Texts to embed, error kinds and details (with a ``summary``) of each sample."""
        analyses = self.analyzer.analyze(list(samples))
        return ([a.text for a in analyses], [getattr(a, "kind", "") for a in analyses],
                [dict(getattr(a, "details", {}) or {}) for a in analyses])

    def fit(self, samples: Sequence[ErrorSample]) -> ClusterResult:
        """Cluster ``samples`` into a fresh taxonomy (version 1)."""
        samples = list(samples)
        if not samples:
            raise ConfigError("no error samples to cluster")
        ids = [s.sample_id for s in samples]
        if len(set(ids)) != len(ids):
            dup = next(i for i, c in Counter(ids).items() if c > 1)
            raise ConfigError(f"duplicate sample_id {dup!r} in the samples to cluster")
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        texts, kinds, details = self.analyze(samples)
        timings["analyze_s"] = time.perf_counter() - clock
        clock = time.perf_counter()
        embeddings = _unit(np.asarray(self.embedder.embed(texts), dtype=np.float32))
        timings["embed_s"] = time.perf_counter() - clock
        result = self.fit_embeddings(samples, texts, kinds, embeddings, timings, details)
        result.details = details
        return result

    def fit_embeddings(
        self, samples: Sequence[ErrorSample], texts: Sequence[str], kinds: Sequence[str], embeddings: np.ndarray,
        timings: dict[str, float] | None = None, details: Sequence[dict[str, Any]] | None = None,
    ) -> ClusterResult:
        """The part after embedding (benchmarks call this directly on cached embeddings)."""
        timings = dict(timings or {})
        clock = time.perf_counter()
        reduced = self.reducer.fit_transform(embeddings)
        timings["reduce_s"] = time.perf_counter() - clock
        clock = time.perf_counter()
        raw = np.asarray(self.clusterer.fit_predict(reduced), dtype=np.int64)
        timings["cluster_s"] = time.perf_counter() - clock
        clock = time.perf_counter()
        # identical texts share one cluster first (a cluster may empty out), then ids 0..k-1 by decreasing size
        raw = share_identical(texts, raw)
        order = [c for c, _ in Counter(raw[raw >= 0].tolist()).most_common()]
        remap = {c: i for i, c in enumerate(order)}
        raw_labels = np.array([remap.get(c, -1) for c in raw.tolist()], dtype=np.int64)
        taxonomy = Taxonomy(params={
            "components": self.spec, "reassign_threshold": self.reassign_threshold, "n_examples": self.n_examples,
            "radius_quantile": self.radius_quantile, "embedding_dim": int(embeddings.shape[1]),
        })
        taxonomy.categories = [
            Category(id=i, name="", lineage=[{"version": 1, "event": "created", "from": "initial clustering"}])
            for i in range(len(order))
        ]
        sample_ids = [s.sample_id for s in samples]
        solutions = [keyword_text(s, details[i] if details else None) for i, s in enumerate(samples)]
        describe_categories(taxonomy, range(len(order)), raw_labels, embeddings, texts, sample_ids, kinds,
                            self.labeller, self.n_examples, 1, keyword_texts=solutions,
                            radius_quantile=self.radius_quantile, name=False)
        labels, similarity = raw_labels.copy(), np.ones(len(samples), dtype=np.float32)
        outliers = np.flatnonzero(raw_labels < 0)
        if taxonomy.categories:
            assigned, similarity = taxonomy.assign(embeddings, self.reassign_threshold)
            labels[outliers] = assigned[outliers]
            labels = share_identical(texts, labels)
            # sizes, centroids and examples from the final members; keywords from the clusterer's core members
            describe_categories(taxonomy, range(len(order)), labels, embeddings, texts, sample_ids, kinds,
                                self.labeller, self.n_examples, 1, keyword_labels=raw_labels,
                                keyword_texts=solutions, radius_quantile=self.radius_quantile,
                                radius_labels=raw_labels, patterns=evidence_patterns(details) if details else None)
        unique_names(taxonomy)
        timings["label_s"] = time.perf_counter() - clock
        taxonomy.history.append({
            "version": 1, "event": "initial clustering", "samples": len(samples), "categories": len(order),
            "outliers_before_reassignment": int((raw_labels < 0).sum()), "outliers": int((labels < 0).sum()),
        })
        return ClusterResult(taxonomy, list(samples), list(texts), list(kinds), embeddings, reduced, raw_labels,
                             labels, similarity, timings)
