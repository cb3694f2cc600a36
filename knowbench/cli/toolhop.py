"""``knowbench build toolhop``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from knowbench.cli.apps import build_app

console = Console()


@build_app.command("toolhop")
def build_toolhop(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (replaced atomically).")],
    source: Annotated[
        Path | None, typer.Option("--source", help="Local ToolHop file (JSON list or JSONL); omit to download.")
    ] = None,
    revision: Annotated[str | None, typer.Option("--revision", help="Hub revision when downloading.")] = None,
) -> None:
    """Build the ToolHop dataset into a Hub-ready folder.

    Example: knowbench build toolhop --source ToolHop.json --out out/toolhop
    """
    from knowbench.builders import get_builder
    from knowbench.builders.writer import build_to_folder

    report = build_to_folder(get_builder("toolhop", source=source, revision=revision), out, show_progress=True)
    for split in report.splits:
        console.print(f"{split.config}/{split.split}: {split.num_examples:,} rows -> {', '.join(split.files)}")
    console.print(f"wrote {report.path}")
