"""``knowbench push`` and ``knowbench info``: publish and inspect built folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from knowbench.cli.apps import app

console = Console()


@app.command()
def info(folder: Annotated[Path, typer.Argument(help="A built, Hub-layout dataset folder.")]) -> None:
    """Show the configs, splits, row counts and features of a built folder.

    Example: knowbench info out/toolhop
    """
    from knowbench.folder import read_folder

    folder_info = read_folder(folder)
    table = Table(title=str(folder))
    for column in ("config", "split", "rows", "shards"):
        table.add_column(column, justify="right" if column in ("rows", "shards") else "left")
    for s in folder_info.splits:
        table.add_row(s.config, s.split, f"{s.num_examples:,}", str(len(s.files)))
    console.print(table)
    for config, features in folder_info.features.items():
        names = ", ".join(f["name"] for f in features or [])
        console.print(f"[bold]{config}[/] features: {names}")


@app.command()
def push(
    folder: Annotated[Path, typer.Argument(help="A built, Hub-layout dataset folder.")],
    repo_id: Annotated[str, typer.Option("--repo-id", help="ORG/NAME of the Hub dataset repo.")],
    private: Annotated[bool, typer.Option("--private", help="Create the repo as private.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and list the commit; send nothing.")] = False,
) -> None:
    """Upload a built folder to the Hub as one commit (token from HF_TOKEN or `hf auth login`).

    Example: knowbench push out/toolhop --repo-id my-org/toolhop --dry-run
    """
    from knowbench.hub import plan_commit
    from knowbench.hub import push as push_plan

    plan = plan_commit(folder)
    table = Table(title=f"{'dry run: ' if dry_run else ''}one commit to datasets/{repo_id}")
    table.add_column("file")
    table.add_column("bytes", justify="right")
    for f in plan.files:
        table.add_row(f.path, f"{f.size:,}")
    table.add_row("[bold]total", f"[bold]{plan.total_bytes:,}")
    console.print(table)
    console.print(f"card OK: {len(plan.info.splits)} splits in configs {', '.join(plan.info.configs)}")
    if dry_run:
        return
    url = push_plan(plan, repo_id, private=private)
    console.print(f"pushed: {url}")
