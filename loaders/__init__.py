"""Typed access to knowbench datasets through ``datasets.load_dataset``.

``load(name, where)`` reads a local folder laid out like a Hub dataset repo (what ``knowbench build`` writes) or,
only when asked explicitly, a Hub repo: ``where`` is then ``hf://datasets/ORG/NAME`` or
``hf://datasets/ORG/NAME@REVISION`` (:data:`HUB_PREFIX`). Anything else is a local path, so a mistyped path is a
one-line "no such folder", never a Hub look-up. A local folder must come from a knowbench build of the requested
dataset (its ``provenance.json`` names it). For a local folder the cache is keyed by the content of the folder
(``datasets`` 5.x keys it by folder name and config only, and would otherwise serve the rows of an earlier build).

Example:
    >>> parse_hub_id("hf://datasets/my-org/toolhop@v1")
    ('my-org/toolhop', 'v1')
    >>> parse_hub_id("out/toolhop") is None
    True
    >>> parse_hub_id(Path("hf://datasets/my-org/mwpes"))  # a Path-typed option folds "//"
    ('my-org/mwpes', None)
    >>> load("toolhop", "/nonexistent/toolhop")
    Traceback (most recent call last):
    ...
    knowbench.errors.MissingInputError: /nonexistent/toolhop: no such folder (a Hub dataset is named hf://datasets/ORG/NAME[@REVISION])
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

from knowbench.errors import DatasetFolderError, MissingInputError
from knowbench.folder import FolderInfo, read_folder

__all__ = ["HUB_PREFIX", "FolderInfo", "check_folder", "load", "local_cache_dir", "parse_hub_id", "read_folder"]

#: the prefix of an explicit Hub dataset id: ``hf://datasets/ORG/NAME[@REVISION]``
HUB_PREFIX = "hf://datasets/"


def parse_hub_id(where: str | os.PathLike[str]) -> tuple[str, str | None] | None:
    """``(repo_id, revision)`` of an explicit Hub id ``hf://datasets/ORG/NAME[@REVISION]``; None for a local path."""
    text = os.fspath(where)
    if not isinstance(text, str):
        return None
    for prefix in (HUB_PREFIX, "hf:/datasets/"):  # the second: the same id after pathlib folded its "//"
        if text.startswith(prefix):
            break
    else:
        return None
    repo, _, revision = text[len(prefix) :].partition("@")
    parts = repo.strip("/").split("/")
    if len(parts) != 2 or not all(parts):
        raise DatasetFolderError(f"{text}: a Hub dataset id has the form {HUB_PREFIX}ORG/NAME[@REVISION]")
    return "/".join(parts), revision or None


def _check_dataset_name(info: FolderInfo, name: str) -> None:
    """The folder's ``provenance.json`` must name dataset ``name`` (a ToolHop folder is not an MWPES one)."""
    if info.provenance is None:
        raise DatasetFolderError(f"{info.path}: no provenance.json; not a knowbench build of {name!r}")
    built = info.provenance.get("dataset")
    if built != name:
        raise DatasetFolderError(f"{info.path}: holds the knowbench dataset {built!r}, not {name!r}")


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


def check_folder(name: str, where: str | os.PathLike[str]) -> FolderInfo | None:
    """Check, reading no rows, that ``where`` is a knowbench build of dataset ``name`` (None for a Hub id).

    Commands call it before long work, so a wrong ``--data`` fails at once with one line.
    """
    if parse_hub_id(where) is not None:
        return None
    local = Path(where)
    if not local.exists():
        raise MissingInputError(local, f"folder (a Hub dataset is named {HUB_PREFIX}ORG/NAME[@REVISION])")
    info = read_folder(local)
    tags = info.card.data.to_dict().get("tags") or []
    if "knowbench" not in tags:
        raise DatasetFolderError(f"{local}: the card does not come from a knowbench build (no 'knowbench' tag)")
    _check_dataset_name(info, name)
    return info


def load(
    name: str,
    where: str | os.PathLike[str],
    config: str | None = None,
    split: str | None = None,
    revision: str | None = None,
    **kwargs: Any,
) -> Any:
    """Load dataset ``name`` (a knowbench registry key) from a local Hub-layout folder or an explicit Hub id.

    ``where`` is a folder, or ``hf://datasets/ORG/NAME[@REVISION]`` for the Hub (``revision`` may also be given
    as an argument). Returns what ``datasets.load_dataset`` returns (a ``Dataset`` when ``split`` is given, else a
    ``DatasetDict``).
    """
    import datasets

    from knowbench.builders import builder_names

    if name not in builder_names():
        from knowbench.errors import UnknownNameError

        raise UnknownNameError("dataset", name, builder_names())
    hub = parse_hub_id(where)
    if hub is not None:
        repo_id, hub_revision = hub
        return datasets.load_dataset(repo_id, config, split=split, revision=revision or hub_revision, **kwargs)
    local = Path(where)
    info = check_folder(name, local)
    assert info is not None
    config = config or info.configs[0]
    if config not in info.configs:
        raise DatasetFolderError(f"{local}: no config {config!r}; it has {info.configs}")
    empty = _empty_splits(info, config) if config in {c for c, _ in info.empty_splits} else {}
    if split in empty and not kwargs.get("streaming"):
        return empty[split]
    kwargs.setdefault("cache_dir", str(local_cache_dir(info)))
    if split is None and empty and not kwargs.get("streaming"):
        # `datasets` 5.2 refuses a DatasetDict with a 0-row split: load the others one by one
        full = [s.split for s in info.splits if s.config == config and s.split not in empty]
        return datasets.DatasetDict({**{s: datasets.load_dataset(str(local.resolve()), config, split=s, **kwargs)
                                        for s in full}, **empty})
    return datasets.load_dataset(str(local.resolve()), config, split=split, **kwargs)
