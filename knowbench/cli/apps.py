"""The command groups every CLI module adds its commands to (``knowbench build toolhop``, ``knowbench eval ...``),
and the option types several command modules share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    name="knowbench",
    help="Build, publish, evaluate and train on knowbench datasets (EvoWiki, MWPES, ToolHop, triples/SMI).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
build_app = typer.Typer(help="Build a dataset from its raw source into a Hub-ready folder.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate a model backend on a dataset.", no_args_is_help=True)
check_app = typer.Typer(help="Check a built dataset (e.g. ToolHop solvability).", no_args_is_help=True)
collect_app = typer.Typer(help="Collect model outputs into a resumable run folder.", no_args_is_help=True)
ingest_app = typer.Typer(help="Ingest published model outputs as a run folder.", no_args_is_help=True)
cluster_app = typer.Typer(help="Cluster error samples into an evolving taxonomy.", no_args_is_help=True)
prompt_app = typer.Typer(help="Prompting strategies (error-aware prompting).", no_args_is_help=True)
update_app = typer.Typer(help="Update a dataset from live sources.", no_args_is_help=True)
smi_app = typer.Typer(help="SMI metric: fit and reproduce.", no_args_is_help=True)
train_app = typer.Typer(help="Train baselines.", no_args_is_help=True)

for sub, name in [
    (build_app, "build"),
    (eval_app, "eval"),
    (check_app, "check"),
    (collect_app, "collect"),
    (ingest_app, "ingest"),
    (cluster_app, "cluster"),
    (prompt_app, "prompt"),
    (update_app, "update"),
    (smi_app, "smi"),
    (train_app, "train"),
]:
    app.add_typer(sub, name=name)

# -- option types several command modules share, defined once (a command gives its own default) ---------------
BACKEND_HELP = "Model backend: transformers:smollm2, transformers:MODEL_FOLDER or openai:http://HOST:PORT/v1#MODEL."
BackendOption = Annotated[str, typer.Option("--backend", help=BACKEND_HELP)]
RunOut = Annotated[Path, typer.Option("--out", help="Run folder (created, or resumed when it holds the same config).")]
Overwrite = Annotated[
    bool,
    typer.Option("--overwrite", help="Start afresh when --out holds another run (only a knowbench run folder)."),
]
Quiet = Annotated[bool, typer.Option("--quiet", help="No progress bars.")]
JsonOutput = Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of tables.")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed (runs are repeatable).")]
SandboxWorkers = Annotated[int, typer.Option("--workers", min=1, help="Sandbox worker processes.")]


def data_option(dataset: str) -> Any:
    """The ``--data`` option of a command that reads a built ``dataset`` (a local folder or an explicit Hub id).

    (No square brackets in help texts: rich would take ``[@REV]`` for markup and drop it.)

    Example:
        >>> data_option("toolhop").help
        'Built toolhop folder (`knowbench build toolhop`), or a Hub id hf://datasets/ORG/NAME (optionally @REV).'
    """
    return typer.Option(
        "--data",
        help=f"Built {dataset} folder (`knowbench build {dataset}`), or a Hub id hf://datasets/ORG/NAME (optionally @REV).",
    )
