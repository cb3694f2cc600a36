"""The error taxonomy: categories with stable ids, names, keywords, sizes, exemplars, centroids and lineage.

Saved as a versioned JSON file (``taxonomy.json``): ``{"format": ..., "version": n, "categories": [...],
"retired": [...], "history": [...], "params": {...}}``. Centroids are unit vectors in the embedder's space, so new
samples are assigned by cosine similarity without the reducer.

Example:
    >>> import numpy as np
    >>> t = Taxonomy(categories=[Category(0, "a", centroid=np.array([1.0, 0.0])),
    ...                          Category(1, "b", centroid=np.array([0.0, 1.0]), radius=0.95)])
    >>> t.assign(np.array([[0.9, 0.1], [0.5, 0.5], [0.1, 0.9]]), threshold=0.8)[0].tolist()
    [0, -1, -1]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.errors import SourceFormatError
from knowbench.io import atomic_write_json, read_json

FORMAT = "knowbench-error-taxonomy/1"


@dataclass
class Category:
    """One error category. ``lineage`` lists the events that made it (created, grew, absorbed another)."""

    id: int
    name: str
    keywords: list[str] = field(default_factory=list)
    size: int = 0
    examples: list[dict[str, str]] = field(default_factory=list)
    centroid: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    lineage: list[dict[str, Any]] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)
    status: str = "active"
    merged_into: int | None = None
    #: cosine to the centroid that most members reach (a low quantile); a sample must come this close to join
    radius: float = -1.0
    #: the members' most common evidence patterns with their counts (which operator for which, which operation)
    patterns: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "keywords": self.keywords, "size": self.size,
            "examples": self.examples, "centroid": [round(float(v), 6) for v in self.centroid],
            "lineage": self.lineage, "kinds": self.kinds, "status": self.status, "merged_into": self.merged_into,
            "radius": round(float(self.radius), 6),
            "patterns": [[text, count] for text, count in self.patterns.items()],  # a list keeps the order
        }

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Category:
        return cls(
            id=int(record["id"]), name=str(record["name"]), keywords=list(record.get("keywords", [])),
            size=int(record.get("size", 0)), examples=list(record.get("examples", [])),
            centroid=np.asarray(record.get("centroid", []), dtype=np.float32),
            lineage=list(record.get("lineage", [])), kinds=dict(record.get("kinds", {})),
            status=str(record.get("status", "active")), merged_into=record.get("merged_into"),
            radius=float(record.get("radius", -1.0)),
            patterns={str(text): int(count) for text, count in record.get("patterns", [])},
        )


@dataclass
class Taxonomy:
    """Active categories, retired (merged) ones, and the history of versions."""

    categories: list[Category] = field(default_factory=list)
    retired: list[Category] = field(default_factory=list)
    version: int = 1
    history: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def next_id(self) -> int:
        ids = [c.id for c in self.categories + self.retired]
        return max(ids) + 1 if ids else 0

    def by_id(self, category_id: int) -> Category:
        for category in self.categories + self.retired:
            if category.id == category_id:
                return category
        raise KeyError(f"no category {category_id} in taxonomy version {self.version}")

    def resolve(self, category_id: int) -> int:
        """The active id a (possibly merged) category id now lives in; -1 stays -1."""
        seen = set()
        while category_id >= 0 and category_id not in seen:
            seen.add(category_id)
            category = self.by_id(category_id)
            if category.merged_into is None:
                return category_id
            category_id = category.merged_into
        return category_id

    def centroids(self) -> np.ndarray:
        if not self.categories:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([c.centroid for c in self.categories]).astype(np.float32)

    def assign(self, vectors: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """Nearest active category by cosine similarity; ``-1`` where the best similarity is below ``threshold`` or
        below that category's own ``radius``."""
        if not self.categories or len(vectors) == 0:
            return np.full(len(vectors), -1, dtype=np.int64), np.zeros(len(vectors), dtype=np.float32)
        ids = np.array([c.id for c in self.categories])
        best_ids = np.empty(len(vectors), dtype=np.int64)
        best_sim = np.empty(len(vectors), dtype=np.float32)
        centroids = self.centroids()
        radius = np.array([c.radius for c in self.categories], dtype=np.float32)
        required = np.empty(len(vectors), dtype=np.float32)
        for start in range(0, len(vectors), 50_000):
            similarity = vectors[start:start + 50_000] @ centroids.T
            index = similarity.argmax(axis=1)
            best_ids[start:start + 50_000] = ids[index]
            best_sim[start:start + 50_000] = similarity[np.arange(len(index)), index]
            required[start:start + 50_000] = np.maximum(radius[index], threshold)
        # float noise: an exact repeat of a one-text category (radius 1.0) reaches it at 1 - 1e-7, not 1.0
        return np.where(best_sim >= required - 1e-5, best_ids, -1), best_sim

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "version": self.version, "params": self.params,
            "num_categories": len(self.categories),
            "categories": [c.to_json() for c in sorted(self.categories, key=lambda c: c.id)],
            "retired": [c.to_json() for c in sorted(self.retired, key=lambda c: c.id)],
            "history": self.history,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``taxonomy.json`` atomically, and a copy under ``history/taxonomy-v<version>.json`` beside it."""
        path = Path(path)
        data = self.to_json()
        atomic_write_json(path, data)
        atomic_write_json(path.parent / "history" / f"taxonomy-v{self.version}.json", data)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Taxonomy:
        path = Path(path)
        data = read_json(path)
        if data.get("format") != FORMAT:
            raise SourceFormatError(path, "format", f"expected {FORMAT!r}, got {data.get('format')!r}")
        for i, record in enumerate(data.get("categories", [])):
            if not isinstance(record, dict) or not {"id", "name", "centroid"} <= set(record):
                raise SourceFormatError(path, f"categories[{i}]", "needs 'id', 'name' and 'centroid'")
        try:
            return cls(
                categories=[Category.from_json(r) for r in data["categories"]],
                retired=[Category.from_json(r) for r in data.get("retired", [])],
                version=int(data["version"]), history=list(data.get("history", [])),
                params=dict(data.get("params", {})),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:  # wrong types inside a record
            raise SourceFormatError(path, None, f"malformed taxonomy ({type(error).__name__}: {error})") from None
