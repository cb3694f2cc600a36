"""Dynamic update of a taxonomy without reclustering everything.

``update`` (1) assigns each new error to its nearest category when the cosine similarity to the centroid reaches the
taxonomy's threshold, (2) keeps the rest in a pool (together with earlier outliers), (3) clusters only the pool and
turns its dense parts into new categories with fresh ids, (4) merges categories whose centroids became
near-duplicates (the larger keeps its id, the smaller is retired with ``merged_into``), and records every event in
the categories' ``lineage`` and the taxonomy's ``history``. Existing ids never change meaning.

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
from knowbench.training.mwpes.pipeline import describe_categories, solution_text, unique_names
from knowbench.training.mwpes.runs import TAXONOMY, read_assignments, size_bucket, write_run
from knowbench.training.mwpes.samples import ErrorSample
from knowbench.training.mwpes.taxonomy import Category, Taxonomy


@dataclass
class UpdateReport:
    version: int
    new_samples: int
    assigned: int
    pooled: int
    created: list[int] = field(default_factory=list)
    merged: list[tuple[int, int]] = field(default_factory=list)
    skipped_known: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "new_samples": self.new_samples, "assigned": self.assigned,
                "pooled": self.pooled, "created": self.created, "merged": [list(m) for m in self.merged],
                "skipped_known": self.skipped_known}


class TaxonomyUpdater:
    """Grows a taxonomy with new samples. Components default to the names recorded in the taxonomy's params.

    ``min_new_size``: smallest pool cluster that becomes a category; ``merge_threshold``: centroid cosine at which
    two categories merge; ``assign_threshold``: defaults to the taxonomy's ``reassign_threshold``.

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
    ) -> None:
        self._specs = {"analyzer": analyzer, "embedder": embedder, "clusterer": clusterer, "labeller": labeller}
        self.options = component_options or {}
        self.assign_threshold = assign_threshold
        self.merge_threshold = merge_threshold
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
        new_rows = np.arange(len(records) - len(fresh), len(records))
        # 1. assign the new samples
        assigned, _ = taxonomy.assign(embeddings[new_rows], threshold)
        labels[new_rows] = assigned
        changed = set(assigned[assigned >= 0].tolist())
        # 2.-3. cluster the pool; dense parts become categories
        pool = np.flatnonzero(labels < 0)
        created: list[int] = []
        if len(pool) >= self.min_new_size:
            clusterer = self._component("clusterer", taxonomy, make_clusterer, "hdbscan")
            reduced = embeddings[pool]
            if len(pool) > 50:
                reduced = make_reducer("pca", n_components=min(16, len(pool) - 1)).fit_transform(reduced)
            pool_labels = np.asarray(clusterer.fit_predict(reduced), dtype=np.int64)
            for cluster in sorted(set(pool_labels.tolist()) - {-1}):
                members = pool[pool_labels == cluster]
                if len(members) < self.min_new_size:
                    continue
                category = Category(id=taxonomy.next_id, name="", lineage=[
                    {"version": version, "event": "created", "from": "pool", "size": len(members)}])
                taxonomy.categories.append(category)
                labels[members] = category.id
                created.append(category.id)
        # 4. merge near-duplicate categories
        merged = self._merge(taxonomy, labels, embeddings, version)
        changed |= set(created) | {survivor for survivor, _ in merged}
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
                            radius_quantile=float(taxonomy.params.get("radius_quantile", 0.1)))
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
        report = UpdateReport(version, len(fresh), int((assigned >= 0).sum()), int((labels < 0).sum()), created,
                              merged, len(new_samples) - len(fresh))
        taxonomy.history.append({"event": "update", **report.to_json()})
        return report, records, embeddings

    def _merge(self, taxonomy: Taxonomy, labels: np.ndarray, embeddings: np.ndarray, version: int
               ) -> list[tuple[int, int]]:
        """Merge the closest pair of categories while their centroid cosine reaches ``merge_threshold``."""
        merged: list[tuple[int, int]] = []
        while len(taxonomy.categories) > 1:
            for category in taxonomy.categories:  # centroids from the current members
                members = labels == category.id
                if members.any():
                    category.centroid = _unit(embeddings[members].mean(axis=0, keepdims=True))[0]
                    category.size = int(members.sum())
            centroids = taxonomy.centroids()
            similarity = centroids @ centroids.T
            np.fill_diagonal(similarity, -np.inf)
            a, b = np.unravel_index(int(similarity.argmax()), similarity.shape)
            if similarity[a, b] < self.merge_threshold:
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
        return merged
