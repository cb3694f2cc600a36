"""Run a ToolHop evaluation end to end: load rows, backend and sandbox, evaluate, judge, save the report.

Example:
    >>> report = run_eval("out/toolhop", "transformers:smollm2", EvalSettings("free"), "runs/free", limit=3)
    ... # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from knowbench.backends.base import ModelBackend, load_backend
from knowbench.errors import RunStateError
from knowbench.io import atomic_write_json
from knowbench.loaders.toolhop import load_rows
from knowbench.training.toolhop.harness import CONFIG, TRACES, EvalSettings, evaluate
from knowbench.training.toolhop.report import plot_by_hops, summarise

REPORT = "report.json"


def run_eval(
    data: str,
    backend: str | ModelBackend,
    settings: EvalSettings,
    out: str | Path,
    limit: int | None = None,
    sandbox: str = "subprocess",
    workers: int = 2,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate the first ``limit`` rows of ``data`` and write ``traces.jsonl``, ``config.json``, ``report.json``."""
    rows = load_rows(data)
    if limit is not None:
        rows = rows[:limit]
    model = load_backend(backend) if isinstance(backend, str) else backend
    out = Path(out)
    if settings.uses_tools:
        from knowbench.sandbox import load_sandbox

        with load_sandbox(sandbox, workers=workers) as box:
            records = evaluate(rows, model, settings, out, sandbox=box, data=str(data), progress=progress)
    else:
        records = evaluate(rows, model, settings, out, data=str(data), progress=progress)
    return write_report(out, records, settings.judge)


def write_report(run_dir: Path, records: list[dict[str, Any]], judge: str) -> dict[str, Any]:
    config = json.loads((run_dir / CONFIG).read_text())
    report = summarise(records, judge=judge, config=config)
    atomic_write_json(run_dir / REPORT, report)
    if records:
        plot_by_hops(report, run_dir / "accuracy_by_hops.png")
    return report


def report_from_run(run_dir: str | Path, judge: str | None = None) -> dict[str, Any]:
    """Recompute the report of a run folder from its traces (e.g. with the other judge)."""
    from knowbench.io import read_jsonl

    run_dir = Path(run_dir)
    if not (run_dir / CONFIG).is_file() or not (run_dir / TRACES).is_file():
        raise RunStateError(f"{run_dir}: not a ToolHop run folder (needs {CONFIG} and {TRACES})")
    config = json.loads((run_dir / CONFIG).read_text())
    records = list(read_jsonl(run_dir / TRACES))
    return summarise(records, judge=judge or config.get("judge", "typed"), config=config)
