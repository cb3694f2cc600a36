"""``knowbench eval toolhop`` (run an evaluation) and ``knowbench eval toolhop-report`` (Table 4 of finished runs)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from knowbench.cli.apps import (
    BackendOption,
    JsonOutput,
    Overwrite,
    Quiet,
    RunOut,
    SandboxWorkers,
    data_option,
    eval_app,
)

console = Console()


class Scenario(StrEnum):
    direct = "direct"
    mandatory = "mandatory"
    free = "free"


class Feedback(StrEnum):
    detailed = "detailed"
    minimal = "minimal"


class JudgeName(StrEnum):
    typed = "typed"
    containment = "containment"


@eval_app.command("toolhop")
def eval_toolhop(
    data: Annotated[str, data_option("toolhop")],
    backend: BackendOption,
    scenario: Annotated[Scenario, typer.Option("--scenario", help="direct (no tools), mandatory or free.")],
    out: RunOut,
    feedback: Annotated[
        Feedback, typer.Option("--feedback", help="Feedback on a failed call.")
    ] = Feedback.detailed,
    judge: Annotated[JudgeName, typer.Option("--judge", help=(
        "typed, or the official containment rule (a resumed --out keeps its judge: re-judge with toolhop-report)."
    ))] = JudgeName.typed,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Evaluate only the first N rows.")
    ] = None,
    max_new_tokens: Annotated[
        int, typer.Option("--max-new-tokens", min=1, help="Tokens per model turn.")
    ] = 512,
    max_turns: Annotated[int, typer.Option("--max-turns", min=1, help="Model turns per query.")] = 9,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Queries in flight at once.")] = 8,
    sandbox: Annotated[
        str, typer.Option("--sandbox", help="Sandbox for tool calls (registry name).")
    ] = "subprocess",
    workers: SandboxWorkers = 2,
    quiet: Quiet = False,
    overwrite: Overwrite = False,
) -> None:
    """Evaluate a model on ToolHop; rerunning with the same --out resumes (traces.jsonl, config.json, report.json).

    Resuming needs the same settings and judge; another judge is refused (`eval toolhop-report --judge` re-judges).

    Example: knowbench eval toolhop --data out/toolhop --backend transformers:smollm2 --scenario free --out runs/free
    """
    from knowbench.training.toolhop import EvalSettings, run_eval
    from knowbench.training.toolhop.report import print_report

    settings = EvalSettings(
        scenario=scenario.value,
        feedback=feedback.value,
        judge=judge.value,
        max_turns=max_turns,
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
    )
    report = run_eval(
        data, backend, settings, out, limit=limit, sandbox=sandbox, workers=workers, progress=not quiet,
        overwrite=overwrite,
    )
    print_report(report, console)
    console.print(f"wrote {out / 'report.json'}")


@eval_app.command("toolhop-report")
def toolhop_report(
    runs: Annotated[list[Path], typer.Argument(help="Run folders of `knowbench eval toolhop`.")],
    judge: Annotated[JudgeName | None, typer.Option("--judge", help="Re-judge with this judge.")] = None,
    json_out: JsonOutput = False,
) -> None:
    """Print the paper's Table 4 for finished runs (one line per model, one column group per scenario).

    Example: knowbench eval toolhop-report runs/direct runs/mandatory runs/free
    """
    import json

    from knowbench.training.toolhop import report_from_run
    from knowbench.training.toolhop.report import table4

    reports = [report_from_run(run, judge.value if judge else None) for run in runs]
    if json_out:
        typer.echo(json.dumps(reports, indent=2))
        return
    console.print(table4(reports))
