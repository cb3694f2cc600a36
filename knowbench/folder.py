"""Read and check a Hub-layout dataset folder (local) without loading its rows.

Example:
    >>> from knowbench.folder import read_folder  # doctest: +SKIP
    >>> info = read_folder("out/toolhop")  # doctest: +SKIP
    >>> info.rows("default", "test")  # doctest: +SKIP
    70
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from knowbench.errors import DatasetFolderError, MissingInputError
from knowbench.io import read_json


@dataclass(frozen=True)
class SplitFiles:
    config: str
    split: str
    pattern: str
    files: tuple[str, ...]
    num_examples: int
    declared_examples: int | None


@dataclass(frozen=True)
class FolderInfo:
    """What a dataset folder holds according to its card, checked against the files on disk."""

    path: Path
    card: Any
    splits: tuple[SplitFiles, ...]
    features: dict[str, Any]
    #: (config, split) pairs the build produced without rows; they have no shard (``datasets`` cannot load one)
    empty_splits: tuple[tuple[str, str], ...] = ()
    #: ``datasets.Features.to_dict()`` per config, from provenance.json (also for configs left out of the card)
    config_features: dict[str, Any] | None = None
    #: every config in the order the build produced them (from provenance.json)
    config_order: tuple[str, ...] = ()
    #: the folder's ``provenance.json`` (None when it has none)
    provenance: dict[str, Any] | None = None

    @property
    def configs(self) -> list[str]:
        """Every config, in build order: those with rows (in the card) and those whose every split is empty."""
        names = [*self.config_order, *(s.config for s in self.splits), *(c for c, _ in self.empty_splits)]
        return list(dict.fromkeys(names))

    def rows(self, config: str, split: str) -> int:
        for s in self.splits:
            if (s.config, s.split) == (config, split):
                return s.num_examples
        if (config, split) in self.empty_splits:
            return 0
        raise DatasetFolderError(f"{self.path}: no split {config}/{split}; it has {[(s.config, s.split) for s in self.splits]}")

    def fingerprint(self) -> str:
        """Changes whenever any file the card points to changes (content size, mtime, inode) or the card does."""
        digest = hashlib.sha256((self.path / "README.md").read_bytes())
        for s in self.splits:
            for name in s.files:
                st = os.stat(self.path / name)
                digest.update(f"{name}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}\n".encode())
        return digest.hexdigest()[:16]


def read_folder(path: str | os.PathLike[str]) -> FolderInfo:
    """Parse the card of a Hub-layout folder and check that its ``configs`` match the shards on disk.

    Raises :class:`~knowbench.errors.MissingInputError` when there is no such folder, else
    :class:`~knowbench.errors.DatasetFolderError` naming the folder and the mismatch.
    """
    from huggingface_hub import DatasetCard

    path = Path(path)
    readme = path / "README.md"
    if not path.exists():
        raise MissingInputError(path, "folder")
    if not path.is_dir():
        raise DatasetFolderError(f"{path}: is a file, not a dataset folder")
    if not readme.is_file():
        raise DatasetFolderError(f"{path}: not a dataset folder (no README.md card)")
    try:
        card = DatasetCard.load(readme)
    except Exception as error:  # huggingface_hub raises several types for bad YAML
        raise DatasetFolderError(f"{readme}: the card does not parse ({error})") from error
    meta = card.data.to_dict()
    configs = meta.get("configs")
    if not configs:
        raise DatasetFolderError(f"{readme}: the card's YAML has no 'configs' list")
    declared: dict[tuple[str, str], int] = {}
    features: dict[str, Any] = {}
    infos = meta.get("dataset_info") or []
    for info in [infos] if isinstance(infos, dict) else infos:
        name = info.get("config_name", "default")
        features[name] = info.get("features")
        for s in info.get("splits", []):
            declared[(name, s["name"])] = s["num_examples"]
    splits = []
    for entry in configs:
        data_files = entry.get("data_files")
        if not isinstance(data_files, list):
            raise DatasetFolderError(f"{readme}: config {entry.get('config_name')!r} has no data_files list")
        for df in data_files:
            pattern = df["path"]
            files = tuple(sorted(p.relative_to(path).as_posix() for p in path.glob(pattern) if p.is_file()))
            if not files:
                raise DatasetFolderError(f"{readme}: {entry['config_name']}/{df['split']} matches no file ({pattern})")
            rows = 0
            for f in files:
                try:
                    rows += pq.ParquetFile(path / f).metadata.num_rows
                except Exception as error:
                    raise DatasetFolderError(f"{path / f}: not a readable parquet file ({error})") from error
            key = (entry["config_name"], df["split"])
            if key in declared and declared[key] != rows:
                raise DatasetFolderError(
                    f"{readme}: {key[0]}/{key[1]} declares {declared[key]} rows but its shards hold {rows}"
                )
            splits.append(SplitFiles(key[0], key[1], pattern, files, rows, declared.get(key)))
    empty: tuple[tuple[str, str], ...] = ()
    config_features = None
    order: tuple[str, ...] = ()
    record = None
    if (path / "provenance.json").is_file():
        record = read_json(path / "provenance.json", dict, "a JSON object (the build's provenance)")
        empty = tuple((e["config"], e["split"]) for e in record.get("empty_splits", []))
        config_features = record.get("features")
        order = tuple(dict.fromkeys(s["config"] for s in record.get("splits", [])))
    return FolderInfo(path, card, tuple(splits), features, empty, config_features, order, record)
