"""A clustering run folder: ``taxonomy.json``, ``assignments.jsonl``, ``distributions.json``, ``summary.json``, plots.

``assignments.jsonl`` holds one line per sample: ``sample_id``, ``category`` (-1 for an outlier), ``similarity`` to
the category centroid, ``cluster`` (the clusterer's own label before reassignment), ``dataset``, ``model``,
``model_size``, ``problem_id``, ``kind`` (the analyzer's error kind), ``text`` (what was embedded), ``summary`` and ``solution`` (the wrong
solution, which category keywords are taken from).

Example:
    >>> distribution([{"category": 0, "model": "a"}, {"category": 1, "model": "a"}], "model")
    {'a': {'0': 0.5, '1': 0.5}}
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from knowbench.io import RunFolder, atomic_write_bytes, atomic_write_json, read_jsonl
from knowbench.training.mwpes.pipeline import ClusterResult, solution_text
from knowbench.training.mwpes.taxonomy import Taxonomy

TAXONOMY = "taxonomy.json"
ASSIGNMENTS = "assignments.jsonl"


def size_bucket(size: float | None) -> str:
    """A readable bucket of a parameter count: ``"6B"``, ``"175B"``, ``"135M"``, ``"unknown"``."""
    if size is None:
        return "unknown"
    return f"{size / 1e9:g}B" if size >= 1e9 else f"{size / 1e6:g}M"


def records_from_result(result: ClusterResult) -> list[dict[str, Any]]:
    details = result.details
    rows = []
    for i, sample in enumerate(result.samples):
        rows.append({
            "sample_id": sample.sample_id,
            "category": int(result.labels[i]),
            "similarity": round(float(result.similarity[i]), 4),
            "cluster": int(result.raw_labels[i]),
            "dataset": sample.dataset,
            "model": sample.model,
            "model_size": size_bucket(sample.model_size),
            "problem_id": sample.problem_id,
            "kind": result.kinds[i],
            "text": result.texts[i],
            "summary": (details[i].get("summary") if details else None) or result.texts[i],
            "solution": solution_text(sample),
            "source_id": sample.extra.get("source_id") or sample.sample_id,
            "first_error_step": details[i].get("first_error_step") if details else None,
            "error_type": (details[i].get("error_type") if details else None) or result.kinds[i],
            "evidence": (details[i].get("evidence") if details else None) or "",
            "confidence": details[i].get("confidence") if details else None,
        })
    return rows


def write_assignments(path: str | os.PathLike[str], records: Iterable[dict[str, Any]]) -> None:
    atomic_write_bytes(path, b"".join(orjson.dumps(r) + b"\n" for r in records))


def read_assignments(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    return list(read_jsonl(Path(run_dir) / ASSIGNMENTS))


def distribution(records: Iterable[dict[str, Any]], key: str) -> dict[str, dict[str, float]]:
    """Share of each category (as a string id; ``"-1"`` = outlier) within each value of ``key``."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        counts[str(record.get(key, ""))][str(record["category"])] += 1
    return {
        group: {c: round(n / sum(counter.values()), 6) for c, n in sorted(counter.items(), key=lambda kv: int(kv[0]))}
        for group, counter in sorted(counts.items())
    }


def distributions(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {key: distribution(records, key) for key in ("model", "dataset", "model_size")}


#: the kind of run folder ``knowbench cluster mwpes`` writes (``config.json`` names it)
RUN_KIND = "mwpes-cluster"


def open_cluster_run(run_dir: str | os.PathLike[str], config: dict[str, Any], overwrite: bool = False) -> RunFolder:
    """Start (or re-run with the same settings) a clustering run folder; other settings raise RunStateError.

    Called before any sample is embedded, so a wrong ``--out`` fails at once and is left untouched.
    """
    return RunFolder(run_dir, config, kind=RUN_KIND, overwrite=overwrite)


def check_cluster_run(run_dir: str | os.PathLike[str], config: dict[str, Any]) -> None:
    """Writing nothing, refuse a ``--out`` that is not a clustering run with these settings (RunStateError)."""
    RunFolder.check(run_dir, config, RUN_KIND)


def write_run(
    run_dir: str | os.PathLike[str],
    taxonomy: Taxonomy,
    records: Sequence[dict[str, Any]],
    summary: dict[str, Any],
    coords: Any = None,
    plots: bool = True,
) -> dict[str, Path]:
    """Write (or rewrite) every file of a run folder; each file is replaced atomically."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    taxonomy.save(run_dir / TAXONOMY)
    write_assignments(run_dir / ASSIGNMENTS, records)
    atomic_write_json(run_dir / "distributions.json", distributions(records))
    atomic_write_json(run_dir / "summary.json", summary)
    written = {"taxonomy": run_dir / TAXONOMY, "assignments": run_dir / ASSIGNMENTS}
    if plots:
        from knowbench.training.mwpes.plots import plot_distributions, plot_map

        if coords is not None:
            written["map"] = plot_map(coords, [r["category"] for r in records], taxonomy, run_dir / "plots" / "map.png")
        written.update(plot_distributions(records, taxonomy, run_dir / "plots"))
    return written


def run_summary(result: ClusterResult) -> dict[str, Any]:
    return {
        "version": result.taxonomy.version,
        "samples": len(result.samples),
        "categories": len(result.taxonomy.categories),
        "outlier_fraction_before_reassignment": round(result.outlier_fraction_before, 6),
        "outlier_fraction": round(result.outlier_fraction, 6),
        "timings_s": {k: round(v, 3) for k, v in result.timings.items()},
        "components": result.taxonomy.params.get("components", {}),
    }
