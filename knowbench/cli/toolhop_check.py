"""``knowbench check toolhop``: can each row be solved by its own tools? (runs every tool in the sandbox)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from knowbench.cli.apps import JsonOutput, SandboxWorkers, check_app, data_option

#: the ``knowbench`` key of a saved solvability report; only such a file is ever replaced by ``--out``
REPORT_KIND = "toolhop-solvability"


@check_app.command("toolhop")
def check_toolhop_command(
    data: Annotated[str, data_option("toolhop")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Save the JSON report here (a new file, or a report saved by this command)."),
    ] = None,
    as_json: JsonOutput = False,
    workers: SandboxWorkers = 2,
    cpu_seconds: Annotated[float, typer.Option("--cpu-seconds", help="CPU limit per tool call.")] = 2.0,
    wall_seconds: Annotated[float, typer.Option("--wall-seconds", help="Wall-time limit per tool call.")] = 5.0,
    rows_limit: Annotated[int | None, typer.Option("--rows", min=1, help="Check only the first N rows.")] = None,
    show_rows: Annotated[bool, typer.Option("--show-rows/--no-show-rows", help="Print the per-row table.")] = True,
) -> None:
    """Run every tool with the arguments of its own example-usage code (in the sandbox) and report which rows
    are solvable, which tools crash and which tools lack example calls. Exits 0 whatever it finds.

    Example: knowbench check toolhop --data out/toolhop --out toolhop-solvability.json
    """
    from knowbench.io import atomic_write_json, check_output_file
    from knowbench.loaders.toolhop import load_rows
    from knowbench.progress import make_progress
    from knowbench.sandbox import SandboxLimits
    from knowbench.training.toolhop.solvability import check_toolhop as run_check
    from knowbench.training.toolhop.solvability import count_calls

    if out is not None:  # checked before the tools run: a user's file is never replaced
        check_output_file(out, REPORT_KIND)
    console = Console(stderr=as_json)
    rows = load_rows(data)[:rows_limit]
    limits = SandboxLimits(cpu_seconds=cpu_seconds, wall_seconds=wall_seconds)
    if as_json:  # stdout carries the JSON only
        report = run_check(data, workers=workers, limits=limits, rows=rows)
    else:
        with make_progress() as progress:
            task = progress.add_task("running tools in the sandbox", total=count_calls(rows))
            report = run_check(data, workers=workers, limits=limits, rows=rows,
                               advance=lambda n: progress.advance(task, n))
    document = {"knowbench": REPORT_KIND, **report.to_dict()}
    if out is not None:
        atomic_write_json(out, document)
    if as_json:
        import json

        typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=repr))
        return
    if show_rows:
        table = Table(title=f"ToolHop solvability: {data}")
        for column in ("id", "domain", "hops", "reached", "final", "solvable", "no example call", "failing tools"):
            table.add_column(column, justify="right" if column in ("id", "hops", "reached") else "left")
        for row in document["rows"]:
            table.add_row(
                str(row["id"]), row["domain"], str(row["n_hops"]), f"{row['hops_reached']}/{len(row['tools'])}",
                "yes" if row["final_reached"] else "no", "[green]yes" if row["solvable"] else "[red]no",
                ", ".join(row["missing_example_calls"]), ", ".join(row["crashing_tools"]),
            )
        console.print(table)
    summary = Table(title="summary")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    for key, value in document["summary"].items():
        summary.add_row(key.replace("_", " "), str(value))
    console.print(summary)
    layers = ", ".join(f"{k}={v}" for k, v in document["layers"].items())
    console.print(f"sandbox layers: {layers}")
    if out is not None:
        console.print(f"saved {out}")
