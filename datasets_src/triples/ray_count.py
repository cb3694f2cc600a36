"""The same counting as a Ray Data job, for a corpus spread over a cluster (``knowbench count --ray ADDRESS``).

JSON lines and parquet are read with ``ray.data``; each actor builds the :class:`~knowbench.datasets_src.triples.count.FactIndex`
once and turns every block of documents into one row of additive counts (documents, documents per entity,
documents per fact with both). The driver sums the rows, which gives exactly the counts of a local pass.

``address`` is what ``ray.init`` takes: ``"auto"`` (a running cluster), ``"ray://HOST:10001"`` (a remote
cluster) or ``"local"`` (start a private local instance; used by the tests).

Example:
    >>> result = count_with_ray(facts, ["s3://bucket/wiki/*.parquet"], "ray://head:10001")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from knowbench.datasets_src.triples.count import FactIndex, MatchMode, RawCounts
from knowbench.datasets_src.triples.runner import CountResult, count_result
from knowbench.datasets_src.triples.types import Triple
from knowbench.errors import ConfigError, MissingDependencyError


class _BlockCounter:
    """Ray actor: count one batch of documents into one row of counts."""

    def __init__(self, index: FactIndex, text_field: str) -> None:
        self.index = index
        self.text_field = text_field

    def __call__(self, batch: dict[str, np.ndarray]) -> Any:
        import pyarrow as pa

        texts = [t if isinstance(t, str) else "" for t in batch[self.text_field].tolist()]
        counts = self.index.count(texts)
        # always an Arrow block (Ray refuses a mix of Arrow and pandas blocks from one operator)
        return pa.table({
            "n_docs": pa.array([counts.n_docs], pa.int64()),
            "n_bytes": pa.array([counts.n_bytes], pa.int64()),
            "entity_docs": pa.FixedSizeListArray.from_arrays(pa.array(counts.entity_docs), counts.entity_docs.size),
            "n_so": pa.FixedSizeListArray.from_arrays(pa.array(counts.n_so), counts.n_so.size),
        })


def _read(ray_data: Any, sources: Sequence[str], text_field: str) -> Any:
    jsonl = [s for s in sources if s.endswith((".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson"))]
    parquet = [s for s in sources if s.endswith(".parquet") or s.rstrip("/").endswith("parquet")]
    other = sorted(set(sources) - set(jsonl) - set(parquet))
    if other:
        raise ConfigError(f"the Ray path reads JSON lines and parquet only; cannot read {other[0]!r} "
                          "(count XML dumps locally with --workers)")
    parts = []
    if jsonl:
        parts.append(ray_data.read_json(jsonl, lines=True))
    if parquet:
        parts.append(ray_data.read_parquet(parquet, columns=[text_field]))
    dataset = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])
    return dataset.select_columns([text_field])


def count_with_ray(
    facts: Sequence[Triple],
    sources: Sequence[str | os.PathLike[str]],
    address: str,
    mode: MatchMode = "paper",
    ignore_case: bool = False,
    text_field: str = "text",
    concurrency: int | None = None,
    batch_size: int = 2048,
) -> CountResult:
    """Count like :func:`knowbench.datasets_src.triples.runner.count_corpus`, as a Ray Data job on the cluster at ``address``."""
    try:
        import ray
        import ray.data
    except ImportError as error:
        raise MissingDependencyError("ray[data]", "ray", "counting on a Ray cluster") from error
    index = FactIndex(facts, mode=mode, ignore_case=ignore_case)
    started_here = False
    if not ray.is_initialized():
        if address == "local":
            # a private instance; logical CPUs so that readers are not starved by the counting actors on small hosts
            ray.init(num_cpus=max(4, os.cpu_count() or 1), include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        started_here = True
    started = time.perf_counter()
    try:
        dataset = _read(ray.data, [os.fspath(s) for s in sources], text_field)
        # leave one CPU to the readers so that the actors never starve them
        actors = concurrency or max(1, int(ray.available_resources().get("CPU", 2)) - 1)
        counted = dataset.map_batches(
            _BlockCounter,
            fn_constructor_args=(index, text_field),
            batch_size=batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
        )
        total = RawCounts.zeros(index.n_entities, index.n_facts)
        for batch in counted.iter_batches(batch_size=64, batch_format="pyarrow"):
            rows = batch.num_rows

            def summed(name: str, width: int, rows: int = rows, batch: Any = batch) -> np.ndarray:
                flat = batch.column(name).combine_chunks().flatten().to_numpy()
                return flat.astype(np.int64).reshape(rows, width).sum(axis=0)

            total += RawCounts(
                int(np.sum(batch.column("n_docs").to_numpy())),
                summed("entity_docs", index.n_entities),
                summed("n_so", index.n_facts),
                int(np.sum(batch.column("n_bytes").to_numpy())),
            )
    finally:
        if started_here:
            ray.shutdown()
    return count_result(index, total, time.perf_counter() - started, mode=mode, ignore_case=ignore_case,
                        text_field=text_field, ray=address, sources=[str(s) for s in sources])
