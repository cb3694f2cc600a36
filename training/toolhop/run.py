"""Run a ToolHop evaluation end to end: load rows, backend and sandbox, evaluate, judge, save the report.

Example:
    >>> report = run_eval("out/toolhop", "transformers:smollm2", EvalSettings("free"), "runs/free", limit=3)
    ... # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from knowbench.backends.base import ModelBackend, load_backend
from knowbench.errors import RunStateError
from knowbench.io import RunFolder, atomic_write_json, read_run_config
from knowbench.loaders.toolhop import load_rows
from knowbench.training.toolhop.harness import CONFIG, RUN_KIND, TRACES, EvalSettings, check_run_dir, evaluate
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
    overwrite: bool = False,
) -> dict[str, Any]:
    """Evaluate the first ``limit`` rows of ``data`` and write ``traces.jsonl``, ``config.json``, ``report.json``.

    Rerunning with the same ``out`` resumes; another run's folder is refused before the model is loaded, unless
    ``overwrite`` (then that knowbench run folder is replaced).
    """
    if not overwrite:  # a user's folder or another kind of run is refused before anything is loaded
        RunFolder.check(out, {}, RUN_KIND, partial=True)
    rows = load_rows(data)
    if limit is not None:
        rows = rows[:limit]
    if not overwrite:
        check_run_dir(out, rows, settings)
    model = load_backend(backend) if isinstance(backend, str) else backend
    out = Path(out)
    if settings.uses_tools:
        from knowbench.sandbox import load_sandbox

        with load_sandbox(sandbox, workers=workers) as box:
            records = evaluate(rows, model, settings, out, sandbox=box, data=str(data), progress=progress,
                               overwrite=overwrite)
    else:
        records = evaluate(rows, model, settings, out, data=str(data), progress=progress, overwrite=overwrite)
    return write_report(out, records, settings.judge)


def write_report(run_dir: Path, records: list[dict[str, Any]], judge: str) -> dict[str, Any]:
    config = read_run_config(run_dir) or {}
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
    config = read_run_config(run_dir) or {}
    records = list(read_jsonl(run_dir / TRACES))
    return summarise(records, judge=judge or config.get("judge", "typed"), config=config)
