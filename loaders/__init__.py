"""Typed access to knowbench datasets through ``datasets.load_dataset``.

``load(name, path_or_repo_id)`` works on a Hub repo id or on a local folder laid out like one. For a local
folder the cache is keyed by the content of the folder (``datasets`` 5.x keys it by folder name and config only,
and would otherwise serve the rows of an earlier build).

Example:
    >>> from knowbench.loaders import load  # doctest: +SKIP
    >>> ds = load("toolhop", "out/toolhop", split="test")  # doctest: +SKIP
    >>> from knowbench.loaders.toolhop import ToolHopRow  # doctest: +SKIP
    >>> row = ToolHopRow.from_row(ds[0])  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

from knowbench.errors import DatasetFolderError
from knowbench.folder import FolderInfo, read_folder

__all__ = ["FolderInfo", "load", "local_cache_dir", "read_folder"]


def _cache_root() -> Path:
    base = os.environ.get("HF_DATASETS_CACHE") or os.path.join(
        os.environ.get("HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface")), "datasets"
    )
    return Path(base) / "knowbench-local"


def local_cache_dir(info: FolderInfo) -> Path:
    """A cache folder unique to this folder's current content; caches of earlier builds of it are removed."""
    root = _cache_root()
    owner = hashlib.sha256(str(info.path.resolve()).encode()).hexdigest()[:12]
    current = root / f"{info.path.name}-{owner}-{info.fingerprint()}"
    if root.is_dir():
        for old in root.glob(f"{info.path.name}-{owner}-*"):
            if old != current:
                shutil.rmtree(old, ignore_errors=True)
    return current


def _empty_splits(info: FolderInfo, config: str) -> dict[str, Any]:
    """Typed, empty datasets for the splits of ``config`` that the build produced without rows."""
    import datasets

    if not info.config_features or config not in info.config_features:
        raise DatasetFolderError(f"{info.path}: provenance.json lacks the features of empty config {config!r}")
    features = datasets.Features.from_dict(info.config_features[config])
    return {
        split: datasets.Dataset.from_dict({name: [] for name in features}, features=features)
        for c, split in info.empty_splits
        if c == config
    }


def load(
    name: str,
    path_or_repo_id: str | os.PathLike[str],
    config: str | None = None,
    split: str | None = None,
    revision: str | None = None,
    **kwargs: Any,
) -> Any:
    """Load dataset ``name`` (a knowbench registry key) from a Hub repo id or a local Hub-layout folder.

    Returns what ``datasets.load_dataset`` returns (a ``Dataset`` when ``split`` is given, else a ``DatasetDict``).
    """
    import datasets

    from knowbench.builders import builder_names

    if name not in builder_names():
        from knowbench.errors import UnknownNameError

        raise UnknownNameError("dataset", name, builder_names())
    local = Path(path_or_repo_id)
    if local.exists():
        info = read_folder(local)
        dataset = (info.card.data.to_dict().get("tags") or [])
        if "knowbench" not in dataset:
            raise DatasetFolderError(f"{local}: the card does not come from a knowbench build (no 'knowbench' tag)")
        config = config or info.configs[0]
        if config not in info.configs:
            raise DatasetFolderError(f"{local}: no config {config!r}; it has {info.configs}")
        empty = _empty_splits(info, config) if config in {c for c, _ in info.empty_splits} else {}
        if split in empty:
            return empty[split]
        if split is None and empty and not any(s.config == config for s in info.splits):
            return datasets.DatasetDict(empty)
        kwargs.setdefault("cache_dir", str(local_cache_dir(info)))
        loaded = datasets.load_dataset(str(local.resolve()), config, split=split, **kwargs)
        if split is None:
            loaded.update(empty)
        return loaded
    return datasets.load_dataset(str(path_or_repo_id), config, split=split, revision=revision, **kwargs)
