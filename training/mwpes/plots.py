"""Plots of a clustering run (matplotlib, Agg): a 2-D map of the errors coloured by category, and stacked bars of
the category distribution per model, dataset and model size.

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> from knowbench.training.mwpes.taxonomy import Category, Taxonomy
    >>> t = Taxonomy([Category(0, "a", centroid=np.ones(2))])
    >>> out = plot_map(np.random.default_rng(0).normal(size=(5, 2)), [0, 0, -1, 0, 0], t,
    ...                pathlib.Path(tempfile.mkdtemp()) / "map.png")
    >>> out.stat().st_size > 0
    True
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.training.mwpes.taxonomy import Taxonomy


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def map_coordinates(embeddings: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """2-D coordinates of the embeddings (``pca``, fast; or ``umap``)."""
    if len(embeddings) < 3:
        return np.zeros((len(embeddings), 2), dtype=np.float32)
    if method == "umap":
        import umap

        return np.asarray(umap.UMAP(n_components=2, metric="cosine", random_state=seed).fit_transform(embeddings))
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=seed).fit_transform(embeddings)


def _short(name: str, width: int = 38) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def plot_map(
    coords: np.ndarray, labels: Sequence[int], taxonomy: Taxonomy, out: str | os.PathLike[str], top: int = 12
) -> Path:
    """Scatter of the errors coloured by category (outliers grey), the largest categories named in the legend."""
    plt = _pyplot()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    labels = np.asarray(labels)
    fig, ax = plt.subplots(figsize=(10, 7))
    outliers = labels < 0
    ax.scatter(coords[outliers, 0], coords[outliers, 1], s=3, c="#bbbbbb", label=f"outlier ({outliers.sum()})")
    sizes = Counter(labels[~outliers].tolist())
    cmap = plt.get_cmap("tab20")
    names = {c.id: c.name for c in taxonomy.categories}
    for rank, (category, count) in enumerate(sizes.most_common()):
        members = labels == category
        label = f"{category}: {_short(names.get(category, '?'))} ({count})" if rank < top else None
        ax.scatter(coords[members, 0], coords[members, 1], s=4, color=cmap(rank % 20), label=label)
    ax.set_title(f"{len(labels)} errors in {len(sizes)} categories (taxonomy v{taxonomy.version})")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, markerscale=3, frameon=False)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_distribution(
    records: Sequence[dict[str, Any]], key: str, taxonomy: Taxonomy, out: str | os.PathLike[str], top: int = 10
) -> Path:
    """Stacked horizontal bars: share of each of the ``top`` categories (others and outliers pooled) per ``key``."""
    plt = _pyplot()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    groups = sorted({str(r.get(key, "")) for r in records})
    overall = Counter(int(r["category"]) for r in records if int(r["category"]) >= 0)
    shown = [c for c, _ in overall.most_common(top)]
    names = {c.id: c.name for c in taxonomy.categories}
    columns = [*shown, "other", -1]
    shares = np.zeros((len(groups), len(columns)))
    for gi, group in enumerate(groups):
        counts = Counter(int(r["category"]) for r in records if str(r.get(key, "")) == group)
        total = sum(counts.values()) or 1
        for ci, column in enumerate(columns):
            if column == "other":
                value = sum(n for c, n in counts.items() if c >= 0 and c not in shown)
            else:
                value = counts.get(column, 0)
            shares[gi, ci] = value / total
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.5 * len(groups)))
    cmap = plt.get_cmap("tab20")
    left = np.zeros(len(groups))
    for ci, column in enumerate(columns):
        if column == "other":
            color, label = "#888888", "other categories"
        elif column == -1:
            color, label = "#dddddd", "outlier"
        else:
            color, label = cmap(ci % 20), f"{column}: {_short(names.get(column, '?'), 30)}"
        ax.barh(groups, shares[:, ci], left=left, color=color, label=label)
        left += shares[:, ci]
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the group's errors")
    ax.set_title(f"error categories per {key.replace('_', ' ')}")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_distributions(records: Sequence[dict[str, Any]], taxonomy: Taxonomy, folder: str | os.PathLike[str]
                       ) -> dict[str, Path]:
    folder = Path(folder)
    return {
        f"distribution_{key}": plot_distribution(records, key, taxonomy, folder / f"distribution_{key}.png")
        for key in ("model", "dataset", "model_size")
    }
