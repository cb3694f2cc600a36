"""Reducers and clusterers: small injected classes chosen by registry name.

Reducers (``pca`` default, ``umap``, ``none``) have ``fit_transform(X)`` and ``transform(X)``. Clusterers
(``hdbscan`` default, ``kmeans``, ``precomputed``) have ``fit_predict(X) -> labels`` with ``-1`` for outliers. Any
scikit-learn-like object with ``fit`` and ``labels_`` (or ``fit_transform``) can be passed instead of a name.

Example:
    >>> import numpy as np
    >>> X = np.r_[np.zeros((20, 3)), np.ones((20, 3))] + np.random.default_rng(0).normal(0, .01, (40, 3))
    >>> labels = make_clusterer("kmeans", n_clusters=2).fit_predict(X)
    >>> len(set(labels[:20])), len(set(labels[20:])), bool(labels[0] != labels[-1])
    (1, 1, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from knowbench.errors import ConfigError
from knowbench.registry import Registry

REDUCERS: Registry[type] = Registry("reducer")
CLUSTERERS: Registry[type] = Registry("clusterer")


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1, norms)


@REDUCERS.register("pca")
class PCAReducer:
    """PCA to ``n_components`` dimensions (5, as many as BERTopic's UMAP gives HDBSCAN), rows renormalised to unit
    length (so Euclidean distance ranks like cosine)."""

    name = "pca"

    def __init__(self, n_components: int = 5, seed: int = 0, fit_sample: int = 100_000) -> None:
        self.n_components = n_components
        self.seed = seed
        self.fit_sample = fit_sample
        self._pca: Any = None

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        from sklearn.decomposition import PCA

        k = min(self.n_components, x.shape[1], max(1, x.shape[0] - 1))
        self._pca = PCA(n_components=k, random_state=self.seed)
        if len(x) > self.fit_sample:  # fit on a sample, project everything
            rows = np.random.default_rng(self.seed).choice(len(x), self.fit_sample, replace=False)
            self._pca.fit(x[rows])
        else:
            self._pca.fit(x)
        return self.transform(x)

    def transform(self, x: np.ndarray) -> np.ndarray:
        if self._pca is None:
            raise ConfigError("PCAReducer.transform called before fit_transform")
        return _unit(self._pca.transform(x).astype(np.float32))


@REDUCERS.register("umap")
class UMAPReducer:
    """UMAP (``umap-learn``) with BERTopic's usual settings (5 dimensions, cosine, 15 neighbours)."""

    name = "umap"

    def __init__(self, n_components: int = 5, n_neighbors: int = 15, seed: int | None = 0) -> None:
        import umap

        self._umap = umap.UMAP(n_components=n_components, n_neighbors=n_neighbors, min_dist=0.0, metric="cosine",
                               random_state=seed, low_memory=True)

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._umap.fit_transform(x), dtype=np.float32)

    def transform(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._umap.transform(x), dtype=np.float32)


@REDUCERS.register("none")
class IdentityReducer:
    """No reduction."""

    name = "none"

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        return x

    def transform(self, x: np.ndarray) -> np.ndarray:
        return x


class SklearnReducer:
    """Wraps any object with ``fit_transform`` (and optionally ``transform``)."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        self.name = type(estimator).__name__

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.estimator.fit_transform(x), dtype=np.float32)

    def transform(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.estimator.transform(x), dtype=np.float32)


def _propagate(x_fit: np.ndarray, labels: np.ndarray, x_rest: np.ndarray) -> np.ndarray:
    """Give each remaining row the label of its nearest fitted row."""
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=1).fit(x_fit)
    out = np.empty(len(x_rest), dtype=np.int64)
    for start in range(0, len(x_rest), 20_000):
        _, index = nn.kneighbors(x_rest[start:start + 20_000])
        out[start:start + 20_000] = labels[index[:, 0]]
    return out


class _Sampled:
    """Fit on at most ``max_fit`` rows, then label the rest by their nearest fitted neighbour."""

    max_fit: int | None
    seed: int

    def _fit_labels(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def fit_predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.max_fit is None or len(x) <= self.max_fit:
            return self._fit_labels(x)
        rows = np.random.default_rng(self.seed).permutation(len(x))
        fit, rest = rows[: self.max_fit], rows[self.max_fit:]
        labels = np.empty(len(x), dtype=np.int64)
        labels[fit] = self._fit_labels(x[fit])
        labels[rest] = _propagate(x[fit], labels[fit], x[rest])
        return labels


@CLUSTERERS.register("hdbscan")
class HDBSCANClusterer(_Sampled):
    """HDBSCAN from the ``hdbscan`` package; ``min_cluster_size=None`` picks ``max(8, sqrt(n) / 4)``.

    Above ``max_fit`` rows it clusters a random sample and labels the rest by nearest neighbour (the only way to stay
    within minutes at 300,000 rows on two cores).
    """

    name = "hdbscan"

    def __init__(self, min_cluster_size: int | None = None, min_samples: int | None = 3,
                 selection: str = "eom", max_fit: int | None = 40_000, seed: int = 0, core_dist_n_jobs: int = 1
                 ) -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.selection = selection
        self.max_fit = max_fit
        self.seed = seed
        self.core_dist_n_jobs = core_dist_n_jobs

    def _fit_labels(self, x: np.ndarray) -> np.ndarray:
        import hdbscan

        if len(x) < 3:
            return np.full(len(x), -1, dtype=np.int64)
        size = self.min_cluster_size or max(8, round(len(x) ** 0.5 / 4))
        size = max(2, min(size, len(x) - 1))
        model = hdbscan.HDBSCAN(min_cluster_size=size, min_samples=min(self.min_samples or size, len(x) - 1),
                                cluster_selection_method=self.selection, core_dist_n_jobs=self.core_dist_n_jobs)
        return np.asarray(model.fit_predict(x), dtype=np.int64)


@CLUSTERERS.register("kmeans")
class KMeansClusterer(_Sampled):
    """k-means (scikit-learn); no outliers. ``n_clusters=None`` picks ``sqrt(n / 2)`` capped at 60."""

    name = "kmeans"

    def __init__(self, n_clusters: int | None = None, seed: int = 0, max_fit: int | None = 100_000) -> None:
        self.n_clusters = n_clusters
        self.seed = seed
        self.max_fit = max_fit

    def _fit_labels(self, x: np.ndarray) -> np.ndarray:
        from sklearn.cluster import KMeans

        k = self.n_clusters or int(min(60, max(2, (len(x) / 2) ** 0.5)))
        k = min(k, len(x))
        return np.asarray(KMeans(n_clusters=k, random_state=self.seed, n_init=3).fit_predict(x), dtype=np.int64)


@CLUSTERERS.register("precomputed")
class PrecomputedClusterer:
    """Returns labels given in advance (e.g. from another tool), in the order of the samples."""

    name = "precomputed"

    def __init__(self, labels: Any) -> None:
        self.labels = np.asarray(labels, dtype=np.int64)

    def fit_predict(self, x: np.ndarray) -> np.ndarray:
        if len(self.labels) != len(x):
            raise ConfigError(f"precomputed clusterer has {len(self.labels)} labels for {len(x)} samples")
        return self.labels


class SklearnClusterer:
    """Wraps any scikit-learn-like clusterer with ``fit`` and ``labels_``."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        self.name = type(estimator).__name__

    def fit_predict(self, x: np.ndarray) -> np.ndarray:
        self.estimator.fit(x)
        return np.asarray(self.estimator.labels_, dtype=np.int64)


def make_reducer(spec: str | Any, **options: Any) -> Any:
    if isinstance(spec, str):
        return REDUCERS.get(spec)(**options)
    if hasattr(spec, "fit_transform") and not hasattr(spec, "name"):
        return SklearnReducer(spec)
    return spec


def make_clusterer(spec: str | Any, **options: Any) -> Any:
    """A clusterer from a registry name; any object with ``fit`` / ``labels_`` is wrapped."""
    if isinstance(spec, str):
        return CLUSTERERS.get(spec)(**options)
    if hasattr(spec, "labels_") or (hasattr(spec, "fit") and not hasattr(spec, "fit_predict")) or (
        hasattr(spec, "fit") and not hasattr(spec, "name")
    ):
        return SklearnClusterer(spec)
    return spec
