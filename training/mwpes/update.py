"""Dynamic update of a taxonomy without reclustering everything.

``update`` (1) assigns each new error to its nearest category when the cosine similarity to the centroid reaches the
taxonomy's threshold, (2) keeps the rest in a pool (together with earlier outliers), (3) clusters only the pool; a
dense part holding new errors joins (grows) a category it duplicates, or else becomes a category with a fresh id,
(4) merges near-duplicate categories (the larger keeps its id, the smaller is retired with ``merged_into``), and
records every event in the categories' ``lineage`` and the taxonomy's ``history``. Existing
ids never change meaning.

"Near-duplicate" is judged against the taxonomy's own resolution, not only a fixed cosine. The embedded texts are
short normalised analyses ("missing step: it leaves out N, ..."), so raw MiniLM centroids of categories the initial
clustering deliberately kept apart reach cosines of 0.99 (sentence embeddings are anisotropic, which inflates all
cosines: Ethayarajh, EMNLP 2019, "How Contextual are Contextualized Word Representations?"). A fixed 0.92 then
undoes the clustering. So a pair merges (or a pool cluster joins a category) only when

* its centroid cosine reaches ``merge_threshold`` and exceeds the taxonomy's ``separation``: the highest centroid
  cosine between two categories it keeps apart (``params["separation"]``, recorded after each update; computed from
  the current categories when a taxonomy has none yet), by more than 0.001. A merge must be tighter than any
  distinction the taxonomy already makes, else it would contradict it, and the narrowest pair it keeps apart must
  not merge because a member or two moved its centroid by a hair;
* and at least one side was created or received members in this update: nothing changed between two untouched
  categories, so the decision that kept them apart stands.

Example:
    >>> from knowbench.training.mwpes.update import TaxonomyUpdater  # doctest: +SKIP
    >>> report = TaxonomyUpdater().update_run("runs/gsm8k", new_samples)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.errors import ConfigError
from knowbench.training.mwpes.analyzers import make_analyzer
from knowbench.training.mwpes.embedders import make_embedder
from knowbench.training.mwpes.labelling import make_labeller
from knowbench.training.mwpes.models import _unit, make_clusterer, make_reducer
from knowbench.training.mwpes.pipeline import (
    describe_categories,
    evidence_patterns,
    solution_text,
    unique_names,
)
from knowbench.training.mwpes.runs import TAXONOMY, read_assignments, size_bucket, write_run
from knowbench.training.mwpes.samples import ErrorSample
from knowbench.training.mwpes.taxonomy import Category, Taxonomy

#: how far a pair must beat the recorded separation to merge: a centroid moved by a member or two, or float32 noise,
#: leaves the pair the taxonomy keeps apart most narrowly where it was
_TOLERANCE = 1e-3


def separation(centroids: np.ndarray) -> float:
    """The highest cosine between two of the unit ``centroids`` (the pair the taxonomy keeps apart most narrowly);
    ``-1.0`` with fewer than two.

    Example:
        >>> separation(np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]]))
        0.8
    """
    if len(centroids) < 2:
        return -1.0
    similarity = centroids @ centroids.T
    np.fill_diagonal(similarity, -np.inf)
    return round(float(similarity.max()), 12)


@dataclass
class UpdateReport:
    version: int
    new_samples: int
    assigned: int
    pooled: int
    created: list[int] = field(default_factory=list)
    merged: list[tuple[int, int]] = field(default_factory=list)
    skipped_known: int = 0
    #: categories a pool cluster joined instead of becoming a near-duplicate category
    joined: list[int] = field(default_factory=list)
    #: centroid cosine of each merged pair, in the order of ``merged``
    merge_similarity: list[float] = field(default_factory=list)
    #: the taxonomy's separation this update judged merges against
    separation: float = -1.0

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "new_samples": self.new_samples, "assigned": self.assigned,
                "pooled": self.pooled, "created": self.created, "merged": [list(m) for m in self.merged],
                "skipped_known": self.skipped_known, "joined": self.joined,
                "merge_similarity": self.merge_similarity, "separation": round(self.separation, 6)}


class TaxonomyUpdater:
    """Grows a taxonomy with new samples. Components default to the names recorded in the taxonomy's params.

    ``min_new_size``: smallest pool cluster that becomes a category; ``merge_threshold``: centroid cosine two
    categories must reach to merge (one of them must also have changed in this update and, with
    ``respect_separation``, they must be closer than the taxonomy's separation: see the module docstring);
    ``assign_threshold``: defaults to the taxonomy's ``reassign_threshold``.

    Example:
        >>> TaxonomyUpdater(merge_threshold=0.9).merge_threshold
        0.9
    """

    def __init__(
        self,
        analyzer: Any = None,
        embedder: Any = None,
        clusterer: Any = None,
        labeller: Any = None,
        assign_threshold: float | None = None,
        merge_threshold: float = 0.92,
        min_new_size: int = 10,
        component_options: dict[str, dict[str, Any]] | None = None,
        respect_separation: bool = True,
    ) -> None:
        self._specs = {"analyzer": analyzer, "embedder": embedder, "clusterer": clusterer, "labeller": labeller}
        self.options = component_options or {}
        self.assign_threshold = assign_threshold
        self.merge_threshold = merge_threshold
        self.respect_separation = respect_separation
        if min_new_size < 2:
            raise ConfigError(f"min_new_size must be >= 2, got {min_new_size}")
        self.min_new_size = min_new_size

    def _component(self, part: str, taxonomy: Taxonomy, factory: Any, default: str) -> Any:
        spec = self._specs[part]
        if spec is None:
            spec = taxonomy.params.get("components", {}).get(part, default)
            if part == "clusterer":  # the pool is small: cluster it whole with HDBSCAN
                spec = "hdbscan" if spec not in ("hdbscan", "kmeans") else spec
        options = dict(self.options.get(part, {}))
        if part == "clusterer" and spec == "hdbscan":
            options.setdefault("min_cluster_size", self.min_new_size)
        return factory(spec, **options) if isinstance(spec, str) else spec

    def update_run(self, run_dir: str | os.PathLike[str], new_samples: Sequence[ErrorSample], plots: bool = True
                   ) -> UpdateReport:
        """Update the run folder in place (each file replaced atomically); returns what changed."""
        run_dir = Path(run_dir)
        taxonomy = Taxonomy.load(run_dir / TAXONOMY)
        records = read_assignments(run_dir)
        report, records, embeddings = self.update(taxonomy, records, new_samples)
        coords = None
        if plots and len(records) >= 3:
            from knowbench.training.mwpes.plots import map_coordinates

            coords = map_coordinates(embeddings)
        summary = {"version": taxonomy.version, "samples": len(records), "categories": len(taxonomy.categories),
                   "outlier_fraction": round(float(np.mean([r["category"] < 0 for r in records])), 6),
                   "last_update": report.to_json()}
        write_run(run_dir, taxonomy, records, summary, coords=coords, plots=plots)
        return report

    def _mergeable(self, similarity: float | np.ndarray, separation_: float) -> Any:
        """Whether a centroid cosine is a near-duplicate: reaches ``merge_threshold`` and beats ``separation_``."""
        if not self.respect_separation:
            return similarity >= self.merge_threshold
        return (similarity >= self.merge_threshold) & (similarity > separation_ + _TOLERANCE)

    def update(
        self, taxonomy: Taxonomy, records: list[dict[str, Any]], new_samples: Sequence[ErrorSample]
    ) -> tuple[UpdateReport, list[dict[str, Any]], np.ndarray]:
        """Update ``taxonomy`` in place; ``records`` are the run's assignment records (new list returned)."""
        analyzer = self._component("analyzer", taxonomy, make_analyzer, "steps")
        embedder = self._component("embedder", taxonomy, make_embedder, "minilm")
        labeller = self._component("labeller", taxonomy, make_labeller, "ctfidf")
        threshold = self.assign_threshold
        if threshold is None:
            threshold = float(taxonomy.params.get("reassign_threshold", 0.55))
        version = taxonomy.version + 1
        known = {r["sample_id"] for r in records}
        fresh = [s for s in new_samples if s.sample_id not in known]
        analyses = analyzer.analyze(fresh) if fresh else []
        for sample, analysis in zip(fresh, analyses, strict=True):
            records.append({
                "sample_id": sample.sample_id, "category": -1, "similarity": 0.0, "cluster": -1,
                "dataset": sample.dataset, "model": sample.model, "model_size": size_bucket(sample.model_size),
                "problem_id": sample.problem_id, "kind": analysis.kind, "text": analysis.text,
                "summary": analysis.details.get("summary", analysis.text), "solution": solution_text(sample),
                "source_id": sample.extra.get("source_id") or sample.sample_id,
                "first_error_step": analysis.details.get("first_error_step", analysis.step),
                "error_type": analysis.details.get("error_type", analysis.kind),
                "evidence": analysis.details.get("evidence", ""), "confidence": analysis.details.get("confidence"),
                "version": version,
            })
        texts = [r["text"] for r in records]
        embeddings = _unit(np.asarray(embedder.embed(texts), dtype=np.float32))
        expected = taxonomy.params.get("embedding_dim")
        if expected is not None and embeddings.shape[1] != int(expected):
            raise ConfigError(f"the embedder gives {embeddings.shape[1]}-d vectors but taxonomy version "
                              f"{taxonomy.version} was built with {expected}-d ones: use the same embedder")
        labels = np.array([taxonomy.resolve(int(r["category"])) for r in records], dtype=np.int64)
        recorded = taxonomy.params.get("separation")
        separation_ = float(recorded) if recorded is not None else separation(
            _current_centroids(taxonomy, labels, embeddings)[1])
        new_rows = np.arange(len(records) - len(fresh), len(records))
        # 1. assign the new samples
        assigned, _ = taxonomy.assign(embeddings[new_rows], threshold)
        labels[new_rows] = assigned
        changed = set(assigned[assigned >= 0].tolist())
        # 2.-3. cluster the pool; a dense part joins a category it duplicates, or becomes a new category
        is_new = np.zeros(len(records), dtype=bool)
        is_new[new_rows] = True
        created, joined = self._grow_from_pool(taxonomy, labels, embeddings, is_new, separation_, version)
        # 4. merge near-duplicate categories, at least one of them touched by this update
        changed |= set(created) | set(joined)
        merged, merge_similarity = self._merge(taxonomy, labels, embeddings, version, changed, separation_)
        changed |= {survivor for survivor, _ in merged}
        changed = {c for c in changed if any(c == cat.id for cat in taxonomy.categories)}
        # pooled samples close enough to a (new) category join it
        pool = np.flatnonzero(labels < 0)
        if len(pool) and taxonomy.categories:
            again, _ = taxonomy.assign(embeddings[pool], threshold)
            labels[pool] = again
            changed |= set(again[again >= 0].tolist())
        sample_ids = [r["sample_id"] for r in records]
        kinds = [r.get("kind", "") for r in records]
        describe_categories(taxonomy, sorted(changed), labels, embeddings, texts, sample_ids, kinds, labeller,
                            int(taxonomy.params.get("n_examples", 3)), version,
                            keyword_texts=[r.get("solution", r["text"]) for r in records],
                            radius_quantile=float(taxonomy.params.get("radius_quantile", 0.1)),
                            patterns=evidence_patterns(records))
        unique_names(taxonomy)
        for category in taxonomy.categories:
            if category.id in changed and category.id not in created:
                category.lineage.append({"version": version, "event": "grew", "size": category.size})
        centroids = {c.id: c.centroid for c in taxonomy.categories}
        for i, record in enumerate(records):
            record["category"] = int(labels[i])
            if labels[i] >= 0:
                record["similarity"] = round(float(embeddings[i] @ centroids[int(labels[i])]), 4)
        taxonomy.version = version
        taxonomy.params["separation"] = separation(taxonomy.centroids())
        report = UpdateReport(version, len(fresh), int((assigned >= 0).sum()), int((labels < 0).sum()), created,
                              merged, len(new_samples) - len(fresh), sorted(set(joined)), merge_similarity,
                              separation_)
        taxonomy.history.append({"event": "update", **report.to_json()})
        return report, records, embeddings

    def _grow_from_pool(self, taxonomy: Taxonomy, labels: np.ndarray, embeddings: np.ndarray, is_new: np.ndarray,
                        separation_: float, version: int) -> tuple[list[int], list[int]]:
        """Cluster the unassigned rows; each dense part joins the category it duplicates or becomes a new one.

        A part joins when its centroid would merge with the category right away (:meth:`_mergeable`): creating it
        only to retire it again would burn an id and leave a dangling ``merged_into``. A part without a row of this
        update (``is_new``) stays in the pool: those rows are outliers the earlier clustering left out, and nothing
        about them changed (clustered alone, without the dense categories around them, they look denser than they
        are). Returns (created, joined).
        """
        pool = np.flatnonzero(labels < 0)
        created: list[int] = []
        joined: list[int] = []
        if len(pool) < self.min_new_size:
            return created, joined
        clusterer = self._component("clusterer", taxonomy, make_clusterer, "hdbscan")
        reduced = embeddings[pool]
        if len(pool) > 50:
            reduced = make_reducer("pca", n_components=min(16, len(pool) - 1)).fit_transform(reduced)
        pool_labels = np.asarray(clusterer.fit_predict(reduced), dtype=np.int64)
        ids, centroids = _current_centroids(taxonomy, labels, embeddings)
        for cluster in sorted(set(pool_labels.tolist()) - {-1}):
            members = pool[pool_labels == cluster]
            if len(members) < self.min_new_size or not is_new[members].any():
                continue
            centroid = _unit(embeddings[members].mean(axis=0, keepdims=True))[0]
            if len(ids):
                similarity = centroids @ centroid
                nearest = int(similarity.argmax())
                if self._mergeable(float(similarity[nearest]), separation_):
                    target = int(ids[nearest])
                    labels[members] = target
                    joined.append(target)
                    taxonomy.by_id(target).lineage.append({
                        "version": version, "event": "joined by pool cluster", "size": len(members),
                        "similarity": round(float(similarity[nearest]), 4)})
                    both = labels == target
                    centroids[nearest] = _unit(embeddings[both].mean(axis=0, keepdims=True))[0]
                    continue
            category = Category(id=taxonomy.next_id, name="", lineage=[
                {"version": version, "event": "created", "from": "pool", "size": len(members)}])
            taxonomy.categories.append(category)
            labels[members] = category.id
            created.append(category.id)
            ids = np.append(ids, category.id)
            centroids = np.vstack([centroids, centroid[None, :]]) if len(centroids) else centroid[None, :]
        return created, joined

    def _merge(self, taxonomy: Taxonomy, labels: np.ndarray, embeddings: np.ndarray, version: int,
               touched: set[int], separation_: float) -> tuple[list[tuple[int, int]], list[float]]:
        """Merge the closest near-duplicate pair (:meth:`_mergeable`) with a ``touched`` side, repeatedly.

        Returns the (survivor, absorbed) pairs and their centroid cosines.
        """
        merged: list[tuple[int, int]] = []
        similarities: list[float] = []
        touched = set(touched)
        while len(taxonomy.categories) > 1 and touched:
            for category in taxonomy.categories:  # centroids from the current members
                members = labels == category.id
                if members.any():
                    category.centroid = _unit(embeddings[members].mean(axis=0, keepdims=True))[0]
                    category.size = int(members.sum())
            centroids = taxonomy.centroids()
            similarity = centroids @ centroids.T
            np.fill_diagonal(similarity, -np.inf)
            changed = np.array([c.id in touched for c in taxonomy.categories])
            similarity[~(changed[:, None] | changed[None, :])] = -np.inf  # pairs this update left alone
            a, b = np.unravel_index(int(similarity.argmax()), similarity.shape)
            if not self._mergeable(float(similarity[a, b]), separation_):
                break
            first, second = taxonomy.categories[a], taxonomy.categories[b]
            survivor, absorbed = sorted((first, second), key=lambda c: (-c.size, c.id))
            labels[labels == absorbed.id] = survivor.id
            survivor.lineage.append({"version": version, "event": "absorbed", "category": absorbed.id,
                                     "similarity": round(float(similarity[a, b]), 4)})
            absorbed.status, absorbed.merged_into = "merged", survivor.id
            absorbed.lineage.append({"version": version, "event": "merged into", "category": survivor.id})
            taxonomy.categories.remove(absorbed)
            taxonomy.retired.append(absorbed)
            merged.append((survivor.id, absorbed.id))
            similarities.append(round(float(similarity[a, b]), 4))
            touched.add(survivor.id)
        return merged, similarities


def _current_centroids(taxonomy: Taxonomy, labels: np.ndarray, embeddings: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Active ids and their unit centroids from the members in ``labels`` (the stored centroid when none)."""
    ids = np.array([c.id for c in taxonomy.categories], dtype=np.int64)
    rows = []
    for category in taxonomy.categories:
        members = labels == category.id
        rows.append(_unit(embeddings[members].mean(axis=0, keepdims=True))[0] if members.any()
                    else np.asarray(category.centroid, dtype=np.float32))
    return ids, (np.stack(rows).astype(np.float32) if rows else np.zeros((0, embeddings.shape[1]), np.float32))
