"""The ``clustered`` config of MWPES: every error sample of an MWPES folder with the category a taxonomy gives it.

Sources: a built MWPES folder (its parquet shards, streamed) and a clustering run folder written by
``knowbench cluster mwpes`` (``taxonomy.json`` and ``assignments.jsonl``, read here as plain files). The output's
config ``clustered`` (split ``train``) has the MWPES folder's features plus :data:`ASSIGNMENT_COLUMNS`.

Example:
    >>> ClusteredConfig(data="out/mwpes", run="runs/taxonomy").mwpes_config
    'all'
    >>> ClusteredConfig(data="out/mwpes", run="")
    Traceback (most recent call last):
    ...
    knowbench.errors.ConfigError: give the MWPES folder and the clustering run folder: data='out/mwpes', run=''
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import datasets
import pyarrow.parquet as pq

from knowbench.builders.base import BuilderConfig, DatasetBuilder, RowStatistics, SourceInfo
from knowbench.errors import ConfigError, MissingInputError, SourceFormatError
from knowbench.folder import read_folder
from knowbench.io import iter_jsonl, read_json, sha256_file

SPLIT = "train"
TAXONOMY_FILE = "taxonomy.json"
ASSIGNMENTS_FILE = "assignments.jsonl"
#: the taxonomy file format this builder reads (written by knowbench.training.mwpes.taxonomy)
TAXONOMY_FORMAT = "knowbench-error-taxonomy/1"

#: output column -> (key in an ``assignments.jsonl`` record, feature, value when the record lacks the key)
ASSIGNMENT_COLUMNS: dict[str, tuple[str, Any, Any]] = {
    "category_similarity": ("similarity", datasets.Value("float32"), 0.0),
    "error_kind": ("kind", datasets.Value("string"), ""),
    "analysis": ("summary", datasets.Value("string"), ""),
    "first_error_step": ("first_error_step", datasets.Value("int32"), None),
    "error_type": ("error_type", datasets.Value("string"), ""),
    "evidence": ("evidence", datasets.Value("string"), ""),
}
CATEGORY_FEATURES = {"category": datasets.Value("int64"), "category_name": datasets.Value("string")}


@dataclass(frozen=True)
class ClusteredConfig(BuilderConfig):
    """The MWPES folder and the clustering run folder to join."""

    #: a folder built by `knowbench build mwpes`
    data: Path | str = ""
    #: a run folder of `knowbench cluster mwpes` (taxonomy.json, assignments.jsonl)
    run: Path | str = ""
    #: the MWPES config whose rows are clustered (all, gsm8k, math, ...)
    mwpes_config: str = "all"

    def validate(self) -> None:
        if not str(self.data) or not str(self.run):
            raise ConfigError(f"give the MWPES folder and the clustering run folder: data={str(self.data)!r}, "
                              f"run={str(self.run)!r}")


@dataclass(frozen=True)
class _Taxonomy:
    version: int
    names: dict[int, str]
    merged_into: dict[int, int]
    #: each category's most common evidence patterns, most common first
    patterns: dict[int, list[str]]

    def resolve(self, category: int) -> int:
        """The active category a (possibly merged) category now lives in; -1 (outlier) stays -1."""
        seen: set[int] = set()
        while category in self.merged_into and category not in seen:
            seen.add(category)
            category = self.merged_into[category]
        return category


def read_taxonomy(path: Path) -> _Taxonomy:
    """Category names and merges of a ``taxonomy.json``; a malformed file raises naming it and the entry."""
    try:
        data = read_json(path)
    except MissingInputError:
        raise MissingInputError(path, "taxonomy (run `knowbench cluster mwpes` first)") from None
    if data.get("format") != TAXONOMY_FORMAT:
        found = data.get("format")
        raise SourceFormatError(path, "format", f"expected {TAXONOMY_FORMAT!r}, got {found!r}")
    names: dict[int, str] = {}
    merged: dict[int, int] = {}
    patterns: dict[int, list[str]] = {}
    for group in ("categories", "retired"):
        for i, record in enumerate(data.get(group) or []):
            try:
                category = int(record["id"])
                names[category] = str(record["name"])
                if record.get("merged_into") is not None:
                    merged[category] = int(record["merged_into"])
            except (KeyError, TypeError, ValueError) as error:
                raise SourceFormatError(path, f"{group}[{i}]", f"needs an integer 'id' and a 'name' ({error})") from None
            found = record.get("patterns") or []
            pairs = isinstance(found, list) and all(isinstance(p, list) and p and isinstance(p[0], str) for p in found)
            if not pairs:
                raise SourceFormatError(path, f"{group}[{i}].patterns", f"needs [text, count] pairs, got {found!r:.80}")
            patterns[category] = [p[0] for p in found]
    return _Taxonomy(int(data.get("version", 1)), names, merged, patterns)


class ClusteredBuilder(DatasetBuilder[ClusteredConfig]):
    """MWPES rows with their error category (Hub config ``clustered``, split ``train``)."""

    name = "mwpes_clustered"
    version = "1.0.0"
    config_class = ClusteredConfig
    pretty_name = "MWPES: math word problem error samples, clustered into error categories"
    license = "other"
    task_categories = ("text-generation",)
    tags = ("math", "math-word-problems", "error-analysis", "mwpes")

    @cached_property
    def _shards(self) -> tuple[list[Path], datasets.Features]:
        """The MWPES folder's shards of ``mwpes_config`` and their features (checked against its card)."""
        data = Path(self.config.data)
        info = read_folder(data)
        provenance = read_json(data / "provenance.json") if (data / "provenance.json").is_file() else {}
        if provenance.get("dataset") != "mwpes":
            raise SourceFormatError(data, "provenance.json", f"not an MWPES folder (dataset {provenance.get('dataset')!r})")
        if self.config.mwpes_config not in (info.config_features or {}):
            raise ConfigError(f"{data} has no config mwpes_config={self.config.mwpes_config!r}; it has {info.configs}")
        features = datasets.Features.from_dict(info.config_features[self.config.mwpes_config])  # type: ignore[index]
        files = [data / f for s in info.splits if (s.config, s.split) == (self.config.mwpes_config, SPLIT) for f in s.files]
        return files, features

    @cached_property
    def _taxonomy(self) -> _Taxonomy:
        return read_taxonomy(Path(self.config.run) / TAXONOMY_FILE)

    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        return {"clustered": (SPLIT,)}

    def features(self, hub_config: str) -> datasets.Features:
        extra = {column: feature for column, (_, feature, _) in ASSIGNMENT_COLUMNS.items()}
        return datasets.Features({**self._shards[1], **CATEGORY_FEATURES, **extra})

    def _assignments(self) -> dict[str, dict[str, Any]]:
        path = Path(self.config.run) / ASSIGNMENTS_FILE
        if not path.is_file():
            raise SourceFormatError(path, None, "no such file (run `knowbench cluster mwpes` first)")
        out = {}
        for number, record in iter_jsonl(path):
            if not isinstance(record.get("sample_id"), str) or not isinstance(record.get("category"), int):
                raise SourceFormatError(path, f"line {number}", "needs a string 'sample_id' and an integer 'category'")
            out[record["sample_id"]] = record
        return out

    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        taxonomy, assignments = self._taxonomy, self._assignments()
        files, features = self._shards
        number = 0
        for path in files:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=1_000, columns=list(features)):
                for row in batch.to_pylist():
                    number += 1
                    record = assignments.get(row["sample_id"])
                    if record is None:
                        raise SourceFormatError(
                            Path(self.config.run) / ASSIGNMENTS_FILE, None,
                            f"no assignment for MWPES row {number} ({row['sample_id']!r}) of {path}: rerun "
                            "`knowbench cluster update` with this data")
                    category = taxonomy.resolve(record["category"])
                    row.update(category=category, category_name=taxonomy.names.get(category, ""))
                    for column, (key, _, default) in ASSIGNMENT_COLUMNS.items():
                        value = record.get(key)
                        row[column] = default if value is None else value
                    yield row

    def row_statistics(self) -> ClusteredStatistics:
        return ClusteredStatistics(self._taxonomy.version, self._taxonomy.patterns)

    def sources(self) -> list[SourceInfo]:
        run = Path(self.config.run)
        files = self._shards[0]
        return [
            SourceInfo(str(self.config.data), description=f"MWPES folder, config {self.config.mwpes_config} "
                       f"({len(files)} shard{'s' if len(files) != 1 else ''})"),
            SourceInfo(str(run / TAXONOMY_FILE), sha256=sha256_file(run / TAXONOMY_FILE),
                       description=f"error taxonomy version {self._taxonomy.version}"),
            SourceInfo(str(run / ASSIGNMENTS_FILE), sha256=sha256_file(run / ASSIGNMENTS_FILE)),
        ]


class ClusteredStatistics(RowStatistics):
    """Rows, categories, outliers and the largest categories, counted row by row."""

    def __init__(self, taxonomy_version: int, patterns: dict[int, list[str]] | None = None) -> None:
        self.taxonomy_version = taxonomy_version
        self.patterns = patterns or {}
        self.sizes: Counter[int] = Counter()
        self.names: dict[int, str] = {}
        # error type counts per model and per dataset (the card's type distribution)
        self.types: dict[str, dict[str, Counter[str]]] = {"model": {}, "dataset": {}}

    def update(self, hub_config: str, split: str, row: dict[str, Any]) -> None:
        self.sizes[row["category"]] += 1
        self.names[row["category"]] = row["category_name"]
        for key, table in self.types.items():
            table.setdefault(str(row.get(key) or ""), Counter())[row.get("error_type") or "unknown"] += 1

    def _patterns(self, category: int) -> str:
        """The category's two most common patterns, without the error type they start with."""
        return "; ".join(p.split(": ", 1)[-1] for p in self.patterns.get(category, [])[:2])

    def result(self) -> dict[str, Any]:
        return {
            "rows": sum(self.sizes.values()),
            "categories": len([c for c in self.sizes if c >= 0]),
            "outliers": self.sizes.get(-1, 0),
            "taxonomy_version": self.taxonomy_version,
            "top": [{"id": c, "name": self.names[c], "size": n, "patterns": self._patterns(c)}
                    for c, n in self.sizes.most_common() if c >= 0][:15],
            "error_types": sorted({t for table in self.types.values() for c in table.values() for t in c}),
            "types_per": {key: [{"group": group, "rows": sum(c.values()), "counts": dict(c)}
                                for group, c in sorted(table.items())] for key, table in self.types.items()},
        }


BUILDER = ClusteredBuilder
