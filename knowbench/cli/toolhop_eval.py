"""``knowbench eval toolhop`` (run an evaluation) and ``knowbench eval toolhop-report`` (Table 4 of finished runs)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from knowbench.cli.apps import eval_app

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
    data: Annotated[str, typer.Option("--data", help="Built ToolHop folder, or hf://datasets/ORG/NAME[@REV].")],
    backend: Annotated[
        str,
        typer.Option("--backend", help="Model spec: transformers:smollm2, openai:http://HOST:PORT/v1#MODEL."),
    ],
    scenario: Annotated[Scenario, typer.Option("--scenario", help="direct (no tools), mandatory or free.")],
    out: Annotated[Path, typer.Option("--out", help="Run folder (traces.jsonl, config.json, report.json).")],
    feedback: Annotated[
        Feedback, typer.Option("--feedback", help="Feedback on a failed call.")
    ] = Feedback.detailed,
    judge: Annotated[JudgeName, typer.Option("--judge", help="typed, or the official containment rule.")] = (
        JudgeName.typed
    ),
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
    workers: Annotated[int, typer.Option("--workers", min=1, help="Sandbox worker processes.")] = 2,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a run folder of another evaluation (only a knowbench run).")
    ] = False,
) -> None:
    """Evaluate a model on ToolHop; rerunning with the same --out resumes.

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
    json_out: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
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
