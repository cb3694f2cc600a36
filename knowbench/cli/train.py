"""``knowbench train ...``: trained baselines (smi-mini, tool-sft, evowiki-cl), each a resumable run folder.

A command only turns its own options into a :class:`_Job` (what to run, on which config, into which run folder, and
how to show the metrics); :func:`_training_command` adds the options every training command shares (``--threads``,
``--overwrite``, ``--quiet``, ``--json``) and :func:`_run_training` is the one prologue and epilogue around a job.

Example:
    $ knowbench train smi-mini --out runs/smi-mini
    $ knowbench train smi-mini --out runs/smi-mini-small --sizes nano,0.5m --wiki-words 20000 --samples 1
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from knowbench.cli.apps import JsonOutput, Overwrite, Quiet, RunOut, Seed, data_option, train_app

if TYPE_CHECKING:
    from rich.table import Table

_DATA_ROOT_HELP = "root of the real sample data (default: $KNOWBENCH_SHARED_DATA or ../shared/data)"

# options the training commands share, defined once
Threads = Annotated[int, typer.Option(help="torch threads (0: torch's default)")]
Model = Annotated[str, typer.Option(help="model folder, or 'smollm2' (the harness backend's converted copy)")]
Epochs = Annotated[float, typer.Option(help="passes over the training data")]
Lr = Annotated[float, typer.Option(help="learning rate")]
BatchSize = Annotated[int, typer.Option(help="rows per optimiser step")]


def _data_root(value: Path | None) -> Path:
    if value is not None:
        return value
    return Path(os.environ.get("KNOWBENCH_SHARED_DATA", "../shared/data"))


def _split(text: str) -> tuple[str, ...]:
    """The non-empty items of a comma-separated option."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _fmt(value: object, digits: int = 3) -> str:
    """A table cell: ``-`` for a missing value, fixed digits for a float, thousands separators for an int.

    Example:
        >>> _fmt(None), _fmt(0.12345), _fmt(0.12345, 1), _fmt(123456), _fmt("5m")
        ('-', '0.123', '0.1', '123,456', '5m')
    """
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(title: str, columns: tuple[str, ...], rows: list[list[str]], left: int = 1) -> Table:
    """A rich table; the first ``left`` columns are left-aligned, the others (numbers) right-aligned."""
    from rich.table import Table

    table = Table(title=title)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index < left else "right")
    for row in rows:
        table.add_row(*row)
    return table


def _quiet_transformers() -> None:
    import transformers

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


@dataclass(frozen=True)
class _Job:
    """What one training command runs: ``run(config, out, overwrite=..., quiet=...)`` returning the metrics."""

    run: Callable[..., dict[str, Any]]
    config: object
    out: Path
    #: the metrics as a rich table
    table: Callable[[dict[str, Any]], Table]
    #: (dataset name, ``--data``) to check before the run folder is made
    data: tuple[str, str] | None = None
    #: metrics left out of ``--json`` (per-row details)
    hidden: tuple[str, ...] = ()


def _run_training(job: _Job, threads: int, overwrite: bool, quiet: bool, json_output: bool) -> None:
    """The prologue and epilogue of every training command.

    Checks the job's ``--data`` before a run folder is made, so a wrong ``--data`` leaves nothing behind; sets
    torch's threads (0 keeps torch's default) and silences transformers; runs or resumes the job; prints the metrics
    as JSON (without the hidden keys) or as the job's table, then where they are.
    """
    if job.data is not None:
        from knowbench.loaders import check_folder

        check_folder(*job.data)
    if threads:
        import torch

        torch.set_num_threads(threads)
    _quiet_transformers()
    metrics = job.run(job.config, job.out, overwrite=overwrite, quiet=quiet)
    if json_output:
        import orjson

        shown = {k: v for k, v in metrics.items() if k not in job.hidden}
        typer.echo(orjson.dumps(shown, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())
        return
    from rich.console import Console

    Console().print(job.table(metrics))
    plots = Path(job.out) / "plots"
    typer.echo(f"metrics: {Path(job.out) / 'metrics.json'}" + (f"; plots: {plots}" if plots.is_dir() else ""))


#: the options every training command has besides its own: (name, option type, default)
_SHARED_OPTIONS = (("threads", Threads, 0), ("overwrite", Overwrite, False), ("quiet", Quiet, False),
                   ("json_output", JsonOutput, False))


def _training_command(name: str) -> Callable[[Callable[..., _Job]], Callable[..., _Job]]:
    """Register ``knowbench train NAME``: the options of ``make_job`` plus the shared ones; the command runs
    :func:`_run_training` on the job ``make_job`` returns (its docstring is the command's help)."""

    def register(make_job: Callable[..., _Job]) -> Callable[..., _Job]:
        def command(*, threads: int, overwrite: bool, quiet: bool, json_output: bool, **options: Any) -> None:
            _run_training(make_job(**options), threads, overwrite, quiet, json_output)

        keyword = inspect.Parameter.KEYWORD_ONLY
        own = [p.replace(kind=keyword) for p in inspect.signature(make_job, eval_str=True).parameters.values()]
        shared = [inspect.Parameter(n, keyword, default=d, annotation=a) for n, a, d in _SHARED_OPTIONS]
        command.__signature__ = inspect.Signature([*own, *shared])  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in [*own, *shared]}
        command.__doc__, command.__name__ = make_job.__doc__, make_job.__name__
        train_app.command(name)(command)
        return make_job

    return register


@_training_command("smi-mini")
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
    epochs: Epochs = 4.0,
    batch_size: BatchSize = 16,
    block: int = typer.Option(128, help="tokens per training row"),
    vocab_size: int = typer.Option(4096),
    lr: Lr = 2e-3,
    samples: int = typer.Option(2, help="samples per template (the paper: 20)"),
    temperature: float = typer.Option(0.7, help="0 = greedy (then --samples 1)"),
    templates_per_relation: int = typer.Option(20),
    seed: Seed = 0,
) -> _Job:
    """Predict-before-training in miniature: count facts in a corpus, train tiny LMs on it, fit retention on SMI."""
    from knowbench.errors import MissingInputError
    from knowbench.training.triples.smi_mini import SmiMiniConfig, default_paths, run_smi_mini

    paths = default_paths(_data_root(data_root))
    config = SmiMiniConfig(
        wikipedia=tuple(str(p) for p in wikipedia) if wikipedia else paths["wikipedia"],
        pararel_dir=str(pararel) if pararel else paths["pararel_dir"],
        templates=str(templates) if templates else paths["templates"],
        sizes=_split(sizes), wiki_words=wiki_words, facts_per_relation=facts_per_relation,
        max_fact_docs=max_fact_docs, max_mention_docs=max_mention_docs, epochs=epochs, batch_size=batch_size,
        block=block, vocab_size=vocab_size, lr=lr, samples=samples, temperature=temperature,
        templates_per_relation=templates_per_relation, seed=seed,
    )
    for path in (*config.wikipedia, config.pararel_dir, config.templates):
        if not Path(path).exists():
            raise MissingInputError(path, "input (set --data-root or the explicit path)")

    def table(metrics: dict[str, Any]) -> Table:
        rows = [[size, _fmt(row["params"]), _fmt(row["final_loss"]), _fmt(row["mean_accuracy"]),
                 _fmt(row["facts_fitted"]), _fmt(row["r2_smi"]), _fmt(row["r2_mi"]), _fmt(row["r2_co"]),
                 _fmt(row["mse_smi"], 4), _fmt(row["train_seconds"], 0)] for size, row in metrics.get("sizes", {}).items()]
        return _table(f"smi-mini: retention vs. metrics ({out})", ("size", "params", "loss", "mean acc", "facts",
                      "R² SMI", "R² MI", "R² CO", "MSE SMI", "train s"), rows)

    return _Job(run_smi_mini, config, out, table)


@_training_command("tool-sft")
def tool_sft(
    data: Annotated[str, data_option("toolhop")],
    out: RunOut,
    model: Model = "smollm2",
    variants: str = typer.Option("plain,weighted,selective", help="comma-separated: plain, weighted, selective"),
    rows_limit: int = typer.Option(0, help="use only the first N rows of the dataset (0: all)"),
    train_rows: int = typer.Option(0, help="at most N training rows (0: all of the split)"),
    eval_rows: int = typer.Option(0, help="at most N held-out rows (0: all of the split)"),
    eval_fraction: float = typer.Option(0.3, help="share of rows held out"),
    epochs: Epochs = 1.0,
    lr: Lr = 5e-5,
    schema: str = typer.Option("compact", help="tool list in the prompt: compact (one line each) or full (JSON)"),
    max_tokens: int = typer.Option(1024, help="longest training sequence (left-truncated)"),
    max_tool_chars: int = typer.Option(300, help="tool outputs are cut to this many characters"),
    layer_fraction: float = typer.Option(0.25, help="share of layers the selective variant updates"),
    checkpoint_every: int = typer.Option(8, help="steps between checkpoints"),
    harness_rows: int = typer.Option(0, help="also run the ToolHop harness (Mandatory) on N held-out rows"),
    seed: Seed = 0,
) -> _Job:
    """Token-weighted (TL-Training) vs plain tool-use SFT on ToolHop, and selective vs full layer tuning."""
    from knowbench.training.toolhop.tool_sft import ToolSftConfig, run_tool_sft

    config = ToolSftConfig(
        data=data, model=model, rows_limit=rows_limit, variants=_split(variants), eval_fraction=eval_fraction,
        train_rows=train_rows, eval_rows=eval_rows, epochs=epochs, lr=lr, schema=schema, max_tokens=max_tokens,
        max_tool_chars=max_tool_chars, layer_fraction=layer_fraction, checkpoint_every=checkpoint_every,
        harness_rows=harness_rows, seed=seed,
    )
    keys = ("tool_selection_accuracy", "argument_accuracy", "call_accuracy", "final_answer_accuracy",
            "target_loss", "seconds_per_step", "trainable_parameters")

    def table(metrics: dict[str, Any]) -> Table:
        rows = [[name, *(_fmt(row[k]) for k in keys)] for name, row in metrics.get("summary", {}).items()]
        return _table(f"tool-sft on held-out ToolHop rows ({out})", ("model", "tool selection", "arguments",
                      "whole call", "final answer", "target loss", "s/step", "trainable"), rows)

    return _Job(run_tool_sft, config, out, table, data=("toolhop", data), hidden=("per_row",))


@_training_command("evowiki-cl")
def evowiki_cl(
    data: Annotated[str, data_option("evowiki")],
    out: RunOut,
    model: Model = "smollm2",
    epochs: Epochs = 2.0,
    lr: Lr = 5e-5,
    batch_size: BatchSize = 4,
    max_tokens: int = typer.Option(256, help="passages are cut to this many tokens"),
    passages: str = typer.Option("all", help="train on 'all' corpus passages or the top-k 'retrieved' for the "
                                 "evaluated questions"),
    passages_limit: int = typer.Option(0, help="train on the first N selected passages only (0: all)"),
    limit_per_state: int = typer.Option(20, help="questions evaluated per state (0: all)"),
    rag: str = typer.Option("none,bm25", help="comma-separated retrieval modes to evaluate: none, bm25, dense"),
    k: int = typer.Option(3, help="passages in the prompt with RAG"),
    layer_fraction: float = typer.Option(1.0, help="< 1: update only this share of layers (selective tuning)"),
    seed: Seed = 0,
) -> _Job:
    """Continual learning on EvoWiki's newer snapshot: exact match per state before/after, with and without RAG."""
    from knowbench.training.evowiki.continual import STATES, EvoWikiClConfig, run_evowiki_cl

    config = EvoWikiClConfig(
        data=data, model=model, epochs=epochs, lr=lr, batch_size=batch_size, max_tokens=max_tokens,
        passages=passages, passages_limit=passages_limit, limit_per_state=limit_per_state, rag=_split(rag), k=k,
        layer_fraction=layer_fraction, seed=seed,
    )
    states = ("all", *STATES)

    def table(metrics: dict[str, Any]) -> Table:
        rows = [[mode, *(f"{_fmt(by_state[s]['before'])} -> {_fmt(by_state[s]['after'])}" for s in states)]
                for mode, by_state in metrics.get("summary_em_latest", {}).items()]
        return _table(f"evowiki-cl: exact match (latest answer) before -> after CL ({out})", ("RAG", *states), rows)

    return _Job(run_evowiki_cl, config, out, table, data=("evowiki", data))
