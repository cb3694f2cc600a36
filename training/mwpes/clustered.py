"""The ``clustered`` config of MWPES: every error sample with the category the taxonomy gives it.

A small builder for the shared writer: it reads the MWPES folder through :mod:`knowbench.loaders` and a clustering
run folder (``taxonomy.json`` + ``assignments.jsonl``), and writes a Hub-layout folder whose ``clustered`` config has
the MWPES features plus ``category``, ``category_name``, ``category_similarity``, ``error_kind`` and ``analysis``.

Example:
    >>> from knowbench.builders.writer import build_to_folder  # doctest: +SKIP
    >>> build_to_folder(ClusteredBuilder(ClusteredConfig("out/mwpes", "runs/gsm8k")), "out/mwpes-clustered")  # doctest: +SKIP
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa

from knowbench.builders.base import BuilderConfig, DatasetBuilder, SourceInfo
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.io import sha256_file

CATEGORY_FEATURES = {
    "category": datasets.Value("int64"),
    "category_name": datasets.Value("string"),
    "category_similarity": datasets.Value("float32"),
    "error_kind": datasets.Value("string"),
    "analysis": datasets.Value("string"),
}


@dataclass(frozen=True)
class ClusteredConfig(BuilderConfig):
    """The MWPES folder (or Hub id) and the clustering run folder to join.

    Example:
        >>> ClusteredConfig("out/mwpes", "runs/gsm8k").mwpes_config
        'all'
    """

    data: str | Path = ""
    run: str | Path = ""
    mwpes_config: str = "all"

    def validate(self) -> None:
        if not str(self.data) or not str(self.run):
            raise ConfigError(f"give the MWPES data and the run folder: data={self.data!r}, run={self.run!r}")


class ClusteredBuilder(DatasetBuilder[ClusteredConfig]):
    """MWPES rows with their error category (Hub config ``clustered``, split ``train``)."""

    name = "mwpes_clustered"
    version = "1.0.0"
    config_class = ClusteredConfig
    pretty_name = "MWPES: math word problem error samples, clustered into error categories"
    license = "other"
    task_categories = ("text-generation",)
    tags = ("math", "math-word-problems", "error-analysis", "mwpes")

    def __init__(self, config: ClusteredConfig) -> None:
        super().__init__(config)
        self._rows: list[dict[str, Any]] | None = None
        self._taxonomy: Any = None

    def prepare(self) -> None:
        if self._rows is not None:
            return
        from knowbench.loaders import load
        from knowbench.training.mwpes.runs import read_assignments
        from knowbench.training.mwpes.taxonomy import Taxonomy

        run = Path(self.config.run)
        self._taxonomy = Taxonomy.load(run / "taxonomy.json")
        names = {c.id: c.name for c in self._taxonomy.categories}
        assignments = {r["sample_id"]: r for r in read_assignments(run)}
        rows = []
        for index, row in enumerate(load("mwpes", self.config.data, self.config.mwpes_config, split="train")):
            record = assignments.get(row["sample_id"])
            if record is None:
                raise SourceFormatError(run / "assignments.jsonl", None,
                                        f"no assignment for MWPES row {index} ({row['sample_id']!r}): rerun "
                                        "`knowbench cluster update` with this data")
            category = self._taxonomy.resolve(int(record["category"]))
            rows.append({**row, "category": category, "category_name": names.get(category, ""),
                         "category_similarity": float(record.get("similarity", 0.0)),
                         "error_kind": record.get("kind", ""), "analysis": record.get("summary", "")})
        self._rows = rows

    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        return {"clustered": ("train",)}

    def features(self, hub_config: str) -> datasets.Features:
        from knowbench.builders.mwpes import SAMPLE_FEATURES

        return datasets.Features({**SAMPLE_FEATURES, **CATEGORY_FEATURES})

    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        self.prepare()
        yield from self._rows or []

    def sources(self) -> list[SourceInfo]:
        run = Path(self.config.run)
        return [
            SourceInfo(str(self.config.data), description="MWPES folder or Hub repo"),
            SourceInfo(str(run / "taxonomy.json"), sha256=sha256_file(run / "taxonomy.json"),
                       description=f"error taxonomy version {self._taxonomy.version if self._taxonomy else '?'}"),
            SourceInfo(str(run / "assignments.jsonl"), sha256=sha256_file(run / "assignments.jsonl")),
        ]

    def statistics(self, tables: dict[str, dict[str, pa.Table]]) -> dict[str, Any]:
        table = tables["clustered"]["train"]
        categories = Counter(table.column("category").to_pylist())
        names = dict(zip(table.column("category").to_pylist(), table.column("category_name").to_pylist(), strict=True))
        return {
            "rows": table.num_rows,
            "categories": len([c for c in categories if c >= 0]),
            "outliers": categories.get(-1, 0),
            "taxonomy_version": self._taxonomy.version if self._taxonomy else None,
            "top": [{"id": c, "name": names[c], "size": n} for c, n in categories.most_common() if c >= 0][:15],
        }
