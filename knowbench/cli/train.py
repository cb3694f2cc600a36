"""``knowbench train ...``: trained baselines (smi-mini, tool-sft, evowiki-cl), each a resumable run folder.

Example:
    $ knowbench train smi-mini --out runs/smi-mini
    $ knowbench train smi-mini --out runs/smi-mini-small --sizes nano,0.5m --wiki-words 20000 --samples 1
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from knowbench.cli.apps import train_app

_DATA_ROOT_HELP = "root of the real sample data (default: $KNOWBENCH_SHARED_DATA or ../shared/data)"


def _data_root(value: Path | None) -> Path:
    if value is not None:
        return value
    return Path(os.environ.get("KNOWBENCH_SHARED_DATA", "../shared/data"))


# options every training command shares, defined once
RunOut = Annotated[Path, typer.Option(help="run folder (created, or resumed when it holds the same config)")]
Seed = Annotated[int, typer.Option(help="random seed (runs are repeatable)")]
Threads = Annotated[int, typer.Option(help="torch threads (0: torch's default)")]
Overwrite = Annotated[bool, typer.Option(help="start afresh when --out holds another config")]
Quiet = Annotated[bool, typer.Option(help="no progress bars")]
JsonOutput = Annotated[bool, typer.Option("--json", help="print all metrics as JSON")]


def _prepare_torch(threads: int) -> None:
    """Set torch's thread count (0 keeps torch's default) and silence transformers' progress output."""
    if threads:
        import torch

        torch.set_num_threads(threads)
    _quiet_transformers(True)


def _quiet_transformers(quiet: bool) -> None:
    if quiet:
        import transformers

        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()


def _print_json(obj: object) -> None:
    import orjson

    typer.echo(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())


@train_app.command("smi-mini")
def smi_mini(
    out: RunOut,
    sizes: str = typer.Option("0.5m,1.5m,5m", help="comma-separated model sizes: nano, 0.5m, 1.5m, 5m, 10m"),
    data_root: Path | None = typer.Option(None, help=_DATA_ROOT_HELP),
    wikipedia: list[Path] | None = typer.Option(None, help="MediaWiki export XML file(s) (default: the enwiki sample)"),
    pararel: Path | None = typer.Option(None, help="ParaRel trex_lms_vocab folder with P*.jsonl"),
    templates: Path | None = typer.Option(None, help="pararel_multi_templates.json (20 templates per relation)"),
    wiki_words: int = typer.Option(60_000, help="words of Wikipedia text in the corpus"),
    facts_per_relation: int = typer.Option(20, help="facts per relation (15 relations)"),
    max_fact_docs: int = typer.Option(100, help="most documents stating one fact"),
    max_mention_docs: int = typer.Option(50, help="most documents mentioning only the subject (or object)"),
    epochs: float = typer.Option(4.0, help="passes over the corpus per model"),
    batch_size: int = typer.Option(16),
    block: int = typer.Option(128, help="tokens per training row"),
    vocab_size: int = typer.Option(4096),
    lr: float = typer.Option(2e-3),
    samples: int = typer.Option(2, help="samples per template (the paper: 20)"),
    temperature: float = typer.Option(0.7, help="0 = greedy (then --samples 1)"),
    templates_per_relation: int = typer.Option(20),
    seed: Seed = 0,
    threads: Threads = 0,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
    json_output: JsonOutput = False,
) -> None:
    """Predict-before-training in miniature: count facts in a corpus, train tiny LMs on it, fit retention on SMI."""
    from knowbench.errors import ConfigError
    from knowbench.training.triples.smi_mini import SmiMiniConfig, default_paths, run_smi_mini

    _prepare_torch(threads)
    paths = default_paths(_data_root(data_root))
    config = SmiMiniConfig(
        wikipedia=tuple(str(p) for p in wikipedia) if wikipedia else paths["wikipedia"],
        pararel_dir=str(pararel) if pararel else paths["pararel_dir"],
        templates=str(templates) if templates else paths["templates"],
        sizes=tuple(s.strip() for s in sizes.split(",") if s.strip()),
        wiki_words=wiki_words,
        facts_per_relation=facts_per_relation,
        max_fact_docs=max_fact_docs,
        max_mention_docs=max_mention_docs,
        epochs=epochs,
        batch_size=batch_size,
        block=block,
        vocab_size=vocab_size,
        lr=lr,
        samples=samples,
        temperature=temperature,
        templates_per_relation=templates_per_relation,
        seed=seed,
    )
    for path in (*config.wikipedia, config.pararel_dir, config.templates):
        if not Path(path).exists():
            raise ConfigError(f"{path}: input not found (set --data-root or the explicit path)")
    metrics = run_smi_mini(config, out, overwrite=overwrite, quiet=quiet)
    if json_output:
        _print_json(metrics)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"smi-mini: retention vs. metrics ({out})")
    for column in ("size", "params", "loss", "mean acc", "facts", "R² SMI", "R² MI", "R² CO", "MSE SMI", "train s"):
        table.add_column(column, justify="right")

    def fmt(value: object, digits: int = 3) -> str:
        return "-" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    for size, row in metrics.get("sizes", {}).items():
        table.add_row(size, f"{row['params']:,}", fmt(row["final_loss"]), fmt(row["mean_accuracy"]),
                      str(row["facts_fitted"]), fmt(row["r2_smi"]), fmt(row["r2_mi"]), fmt(row["r2_co"]),
                      fmt(row["mse_smi"], 4), fmt(row["train_seconds"], 0))
    Console().print(table)
    typer.echo(f"metrics: {Path(out) / 'metrics.json'}; plots: {Path(out) / 'plots'}")


@train_app.command("tool-sft")
def tool_sft(
    data: Annotated[str, typer.Option(help="built ToolHop folder (knowbench build toolhop ...), or hf://datasets/ORG/NAME[@REV]")],
    out: RunOut,
    model: str = typer.Option("smollm2", help="model folder, or 'smollm2' (the harness backend's converted copy)"),
    variants: str = typer.Option("plain,weighted,selective", help="comma-separated: plain, weighted, selective"),
    rows_limit: int = typer.Option(0, help="use only the first N rows of the dataset (0: all)"),
    train_rows: int = typer.Option(0, help="at most N training rows (0: all of the split)"),
    eval_rows: int = typer.Option(0, help="at most N held-out rows (0: all of the split)"),
    eval_fraction: float = typer.Option(0.3, help="share of rows held out"),
    epochs: float = typer.Option(1.0),
    lr: float = typer.Option(5e-5),
    schema: str = typer.Option("compact", help="tool list in the prompt: compact (one line each) or full (JSON)"),
    max_tokens: int = typer.Option(1024, help="longest training sequence (left-truncated)"),
    max_tool_chars: int = typer.Option(300, help="tool outputs are cut to this many characters"),
    layer_fraction: float = typer.Option(0.25, help="share of layers the selective variant updates"),
    checkpoint_every: int = typer.Option(8, help="steps between checkpoints"),
    harness_rows: int = typer.Option(0, help="also run the ToolHop harness (Mandatory) on N held-out rows"),
    seed: Seed = 0,
    threads: Threads = 0,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
    json_output: JsonOutput = False,
) -> None:
    """Token-weighted (TL-Training) vs plain tool-use SFT on ToolHop, and selective vs full layer tuning."""
    from knowbench.loaders import check_folder
    from knowbench.training.toolhop.tool_sft import ToolSftConfig, run_tool_sft

    check_folder("toolhop", data)  # before the run folder is made: a wrong --data leaves nothing behind
    _prepare_torch(threads)
    config = ToolSftConfig(
        data=data, model=model, rows_limit=rows_limit,
        variants=tuple(v.strip() for v in variants.split(",") if v.strip()),
        eval_fraction=eval_fraction, train_rows=train_rows, eval_rows=eval_rows, epochs=epochs, lr=lr,
        schema=schema, max_tokens=max_tokens, max_tool_chars=max_tool_chars, layer_fraction=layer_fraction,
        checkpoint_every=checkpoint_every, harness_rows=harness_rows, seed=seed,
    )
    metrics = run_tool_sft(config, out, overwrite=overwrite, quiet=quiet)
    if json_output:
        _print_json({k: v for k, v in metrics.items() if k != "per_row"})
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"tool-sft on held-out ToolHop rows ({out})")
    for column in ("model", "tool selection", "arguments", "whole call", "final answer", "target loss", "s/step",
                   "trainable"):
        table.add_column(column, justify="right")

    def fmt(value: object) -> str:
        return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else f"{value:,}"

    for name, row in metrics.get("summary", {}).items():
        table.add_row(name, fmt(row["tool_selection_accuracy"]), fmt(row["argument_accuracy"]),
                      fmt(row["call_accuracy"]),
                      fmt(row["final_answer_accuracy"]), fmt(row["target_loss"]), fmt(row["seconds_per_step"]),
                      fmt(row["trainable_parameters"]))
    Console().print(table)
    typer.echo(f"metrics: {Path(out) / 'metrics.json'}")


@train_app.command("evowiki-cl")
def evowiki_cl(
    data: Annotated[str, typer.Option(help="built EvoWiki folder (knowbench build evowiki ...), or hf://datasets/ORG/NAME[@REV]")],
    out: RunOut,
    model: str = typer.Option("smollm2", help="model folder, or 'smollm2'"),
    epochs: float = typer.Option(2.0),
    lr: float = typer.Option(5e-5),
    batch_size: int = typer.Option(4),
    max_tokens: int = typer.Option(256, help="passages are cut to this many tokens"),
    passages: str = typer.Option("all", help="train on 'all' corpus passages or the top-k 'retrieved' for the "
                                 "evaluated questions"),
    passages_limit: int = typer.Option(0, help="train on the first N selected passages only (0: all)"),
    limit_per_state: int = typer.Option(20, help="questions evaluated per state (0: all)"),
    rag: str = typer.Option("none,bm25", help="comma-separated retrieval modes to evaluate: none, bm25, dense"),
    k: int = typer.Option(3, help="passages in the prompt with RAG"),
    layer_fraction: float = typer.Option(1.0, help="< 1: update only this share of layers (selective tuning)"),
    seed: Seed = 0,
    threads: Threads = 0,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
    json_output: JsonOutput = False,
) -> None:
    """Continual learning on EvoWiki's newer snapshot: exact match per state before/after, with and without RAG."""
    from knowbench.loaders import check_folder
    from knowbench.training.evowiki.continual import STATES, EvoWikiClConfig, run_evowiki_cl

    check_folder("evowiki", data)  # before the run folder is made: a wrong --data leaves nothing behind
    _prepare_torch(threads)
    config = EvoWikiClConfig(
        data=data, model=model, epochs=epochs, lr=lr, batch_size=batch_size, max_tokens=max_tokens,
        passages=passages, passages_limit=passages_limit, limit_per_state=limit_per_state,
        rag=tuple(r.strip() for r in rag.split(",") if r.strip()), k=k, layer_fraction=layer_fraction, seed=seed,
    )
    metrics = run_evowiki_cl(config, out, overwrite=overwrite, quiet=quiet)
    if json_output:
        _print_json(metrics)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"evowiki-cl: exact match (latest answer) before -> after CL ({out})")
    table.add_column("RAG")
    for state in ("all", *STATES):
        table.add_column(state, justify="right")

    def fmt(value: object) -> str:
        return "-" if value is None else f"{value:.3f}"

    for mode, states in metrics.get("summary_em_latest", {}).items():
        table.add_row(mode, *(f"{fmt(states[s]['before'])} -> {fmt(states[s]['after'])}" for s in ("all", *STATES)))
    Console().print(table)
    typer.echo(f"metrics: {Path(out) / 'metrics.json'}")
