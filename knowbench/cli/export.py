"""``knowbench export lm-eval``: lm-evaluation-harness tasks for a built folder (or MWPES problem sources)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from knowbench.cli.apps import app

console = Console(stderr=True)
export_app = typer.Typer(help="Export a built dataset for other tools (lm-evaluation-harness).", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("lm-eval")
def export_lm_eval(
    out: Annotated[Path, typer.Option("--out", help="Tasks folder; each dataset gets its own subfolder in it.")],
    data: Annotated[
        Path | None, typer.Option("--data", help="A built folder (evowiki, triples, toolhop, or mwpes).")
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="MWPES problems: DATASET=FILE (gsm8k, svamp, aqua, math, asdiv); repeatable."),
    ] = None,
    templates: Annotated[
        Path | None, typer.Option("--templates", help="Triples: relation -> cloze templates JSON ([S] = subject).")
    ] = None,
    templates_per_fact: Annotated[
        int | None, typer.Option("--templates-per-fact", help="Triples: use the first K templates.")
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", help="Generations per prompt (triples, mwpes; lm-eval `repeats`).")
    ] = 1,
    temperature: Annotated[
        float | None, typer.Option("--temperature", help="Sampling temperature (default: greedy for 1 sample, "
                                   "0.7 for several).")
    ] = None,
    retriever: Annotated[
        str | None, typer.Option("--retriever", help="EvoWiki: retrieval field of the _rag tasks (default bm25).")
    ] = None,
    k: Annotated[int, typer.Option("--k", help="EvoWiki: passages in the _rag prompts.")] = 5,
) -> None:
    """Write lm-eval task YAML (+ a utils module calling knowbench's scoring) reading the built parquet offline.

    Examples:
      knowbench export lm-eval --data out/evowiki --out tasks
      knowbench export lm-eval --data out/triples --templates multi_templates.json --out tasks
      knowbench export lm-eval --source gsm8k=gsm8k_test.jsonl --source math=math_test.jsonl --out tasks
      lm_eval --model hf --model_args pretrained=MODEL --tasks evowiki,toolhop_direct --include_path tasks
    """
    from knowbench.errors import ConfigError
    from knowbench.training.common.lm_eval import Export, read_provenance, write_export

    dataset = read_provenance(data)["dataset"] if data is not None else None
    if source and dataset not in (None, "mwpes"):
        raise ConfigError(f"--source gives MWPES problems; {data} is a {dataset} folder")
    if dataset is None and not source:
        raise ConfigError("give --data (a built folder) or --source DATASET=FILE (MWPES problems)")
    export: Export
    if dataset == "evowiki":
        from knowbench.training.evowiki.lm_eval import build_export as evowiki

        export = evowiki(data, retriever=retriever, k=k)
    elif dataset == "toolhop":
        from knowbench.training.toolhop.lm_eval import build_export as toolhop

        export = toolhop(data)
    elif dataset == "triples":
        from knowbench.training.triples.lm_eval import build_export as triples

        if templates is None:
            raise ConfigError("a triples export needs --templates (relation -> cloze templates JSON)")
        export = triples(data, templates, templates_per_fact=templates_per_fact, samples=samples,
                         temperature=temperature)
    elif dataset in ("mwpes", None):
        from knowbench.training.mwpes.lm_eval import build_export as mwpes

        export = mwpes(sources=source or (), data=data, out=out, samples=samples, temperature=temperature)
    else:
        raise ConfigError(f"{data}: no lm-eval export for dataset {dataset!r}")
    folder = write_export(export, out)
    groups = f" (groups: {', '.join(sorted(export.groups))})" if export.groups else ""
    console.print(f"{folder}: {', '.join(sorted(export.tasks))}{groups}")
    console.print(f"run: lm_eval --model hf --model_args pretrained=MODEL --include_path {out} --tasks TASKS")
