"""``knowbench train ...``: trained baselines (smi-mini, tool-sft, evowiki-cl), each a resumable run folder.

Example:
    $ knowbench train smi-mini --out runs/smi-mini
    $ knowbench train smi-mini --out runs/smi-mini-small --sizes nano,0.5m --wiki-words 20000 --samples 1
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from knowbench.cli.apps import train_app

_DATA_ROOT_HELP = "root of the real sample data (default: $KNOWBENCH_SHARED_DATA or ../shared/data)"


def _data_root(value: Path | None) -> Path:
    if value is not None:
        return value
    return Path(os.environ.get("KNOWBENCH_SHARED_DATA", "../shared/data"))


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
    out: Path = typer.Option(..., help="run folder (created, or resumed when it holds the same config)"),
    sizes: str = typer.Option("0.5m,1.5m,5m", help="comma-separated model sizes: nano, 0.5m, 1.5m, 5m, 10m"),
    data_root: Path | None = typer.Option(None, help=_DATA_ROOT_HELP),
    wikipedia: list[Path] | None = typer.Option(None, help="MediaWiki export XML file(s) (default: the enwiki sample)"),
    pararel: Path | None = typer.Option(None, help="ParaRel trex_lms_vocab folder with P*.jsonl"),
    templates: Path | None = typer.Option(None, help="pararel_multi_templates.json (20 templates per relation)"),
    wiki_words: int = typer.Option(100_000, help="words of Wikipedia text in the corpus"),
    facts_per_relation: int = typer.Option(20, help="facts per relation (15 relations)"),
    max_fact_docs: int = typer.Option(100, help="most documents stating one fact"),
    epochs: float = typer.Option(4.0, help="passes over the corpus per model"),
    batch_size: int = typer.Option(16),
    block: int = typer.Option(128, help="tokens per training row"),
    vocab_size: int = typer.Option(4096),
    lr: float = typer.Option(2e-3),
    samples: int = typer.Option(2, help="samples per template (the paper: 20)"),
    temperature: float = typer.Option(0.7, help="0 = greedy (then --samples 1)"),
    templates_per_relation: int = typer.Option(20),
    seed: int = typer.Option(0),
    threads: int = typer.Option(0, help="torch threads (0: torch's default)"),
    overwrite: bool = typer.Option(False, help="start afresh when --out holds another config"),
    quiet: bool = typer.Option(False, help="no progress bars"),
    json_output: bool = typer.Option(False, "--json", help="print all metrics as JSON"),
) -> None:
    """Predict-before-training in miniature: count facts in a corpus, train tiny LMs on it, fit retention on SMI."""
    from knowbench.training.train.smi_mini import SmiMiniConfig, default_paths, run_smi_mini

    if threads:
        import torch

        torch.set_num_threads(threads)
    _quiet_transformers(True)
    paths = default_paths(_data_root(data_root))
    config = SmiMiniConfig(
        wikipedia=tuple(str(p) for p in wikipedia) if wikipedia else paths["wikipedia"],
        pararel_dir=str(pararel) if pararel else paths["pararel_dir"],
        templates=str(templates) if templates else paths["templates"],
        sizes=tuple(s.strip() for s in sizes.split(",") if s.strip()),
        wiki_words=wiki_words,
        facts_per_relation=facts_per_relation,
        max_fact_docs=max_fact_docs,
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
            raise FileNotFoundError(f"input not found: {path} (set --data-root or the explicit path)")
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
