"""``knowbench count``, ``knowbench smi fit|reproduce``, ``knowbench eval cbqa`` and ``knowbench build triples``."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from knowbench.cli.apps import app, build_app, eval_app, smi_app

console = Console()

_CONVENTION = typer.Option("--convention", help="P from the parameter count: log2 (later versions) or billions (v1).")


@app.command("count")
def count(
    facts: Annotated[str, typer.Option("--facts", help="SMI fact list, T-REx folder/P*.jsonl, facts JSONL or wikidata:PATH.")],
    corpus: Annotated[list[Path], typer.Option("--corpus", help="Documents: .jsonl(.gz), .parquet, .xml(.bz2) dump or a datasets folder; repeatable.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for counts.jsonl and count_meta.json.")],
    mode: Annotated[str, typer.Option("--mode", help="paper (' '+label substring) or boundary (whole words, aliases).")] = "paper",
    workers: Annotated[int, typer.Option("--workers", help="Processes on this machine.")] = 1,
    ray: Annotated[str | None, typer.Option("--ray", help="Run as a Ray Data job on this cluster (auto, ray://HOST:PORT, local).")] = None,
    text_field: Annotated[str, typer.Option("--text-field", help="Text column of JSONL/parquet/datasets.")] = "text",
    ignore_case: Annotated[bool, typer.Option("--ignore-case", help="Boundary mode: match case-insensitively.")] = False,
    matcher: Annotated[str, typer.Option("--matcher", help="words (vectorised, default) or automaton (pyahocorasick); same counts.")] = "words",
) -> None:
    """Count N, N_s, N_o and N_so of every fact over a corpus (one matching pass per document).

    Example: knowbench count --facts pararel_15classes.json --corpus wiki.jsonl --out out/counts --workers 4
    """
    from knowbench.datasets_src.triples import read_facts
    from knowbench.datasets_src.triples.runner import count_corpus, write_counts

    fact_list = read_facts(facts)
    if ray:
        from knowbench.datasets_src.triples.ray_count import count_with_ray

        result = count_with_ray(fact_list, corpus, ray, mode=mode, ignore_case=ignore_case,  # type: ignore[arg-type]
                                text_field=text_field, matcher=matcher)  # type: ignore[arg-type]
    else:
        result = count_corpus(fact_list, corpus, mode=mode, workers=workers, ignore_case=ignore_case,  # type: ignore[arg-type]
                              text_field=text_field, show_progress=True, matcher=matcher)  # type: ignore[arg-type]
    path = write_counts(out, result)
    raw = result.raw
    rate = raw.n_bytes / 1e6 / max(result.seconds, 1e-9)
    console.print(f"{len(fact_list):,} facts over {raw.n_docs:,} documents ({raw.n_bytes / 1e6:,.1f} MB) in "
                  f"{result.seconds:,.1f} s ({rate:,.1f} MB/s end to end, reading included); facts with N_so > 0: {int((raw.n_so > 0).sum()):,}")
    console.print(f"wrote {path}")


def _fit_table(reproduction: object, title: str) -> Table:
    table = Table(title=title)
    for column in ("method", "R²", "MSE", "slope", "intercept", "bins", "facts"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for method, fit in reproduction.fits.items():  # type: ignore[attr-defined]
        table.add_row(method, f"{fit.r2:.4f}", f"{fit.mse:.4f}", f"{fit.slope:.3f}", f"{fit.intercept:.3f}",
                      str(fit.bins.size), f"{fit.facts:,}")
    return table


@smi_app.command("fit")
def smi_fit(
    counts: Annotated[Path, typer.Option("--counts", help="A `knowbench count` folder / counts.jsonl, or a released merge_outputs file.")],
    accuracy: Annotated[Path, typer.Option("--accuracy", help="accuracy.jsonl of `knowbench eval cbqa` (or its run folder).")],
    params: Annotated[str, typer.Option("--params", help="Model parameter count (135m, 1.1b, 12e9).")],
    convention: Annotated[str, _CONVENTION] = "log2",
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG of bins, facts and the SMI line.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Fit accuracy on SMI (and the MI and co-occurrence baselines): R² and MSE of the bin-mean line.

    Example: knowbench smi fit --counts out/counts --accuracy runs/cbqa --params 135m --plot fit.png
    """
    from knowbench.training.triples.cbqa import read_accuracy
    from knowbench.training.triples.metric import parse_params, plot_fit, scores, size_exponent
    from knowbench.training.triples.reproduce import counts_table, evaluate, join_accuracy

    table = join_accuracy(counts_table(counts), read_accuracy(accuracy))
    p = size_exponent(parse_params(params), convention)  # type: ignore[arg-type]
    result = evaluate(table, p)
    if plot:
        smi = scores("smi", table.n_docs, table.n_s, table.n_o, table.n_so, p=p)
        plot_fit(result.fits["smi"], plot, smi.values, table.accuracy[smi.kept], xlabel="SMI")
    if as_json:
        print(json.dumps(result.to_dict()))
        return
    console.print(_fit_table(result, f"{len(table):,} facts with accuracy, {result.facts:,} with MI > 0, P = {p:.3f}"))
    if plot:
        console.print(f"wrote {plot}")


@smi_app.command("reproduce")
def smi_reproduce(
    file: Annotated[Path, typer.Argument(help="A released merge_outputs/<model>.json(.gz), or the v1 .xlsx sheet.")],
    params: Annotated[str | None, typer.Option("--params", help="Parameter count of the file's model (70m, 12b).")] = None,
    convention: Annotated[str, _CONVENTION] = "log2",
    as_json: Annotated[bool, typer.Option("--json", help='Print {"r2_smi", "r2_mi", "r2_co", "facts"} as JSON.')] = False,
) -> None:
    """R² of SMI, MI and co-occurrence from the paper's released counts and accuracies.

    Example: knowbench smi reproduce merge_outputs/pythia-12b.json.gz --params 12b --json
    """
    from knowbench.errors import ConfigError
    from knowbench.training.triples.metric import parse_params
    from knowbench.training.triples.reproduce import reproduce_merge_output, reproduce_v1

    if file.suffix == ".xlsx":
        results = reproduce_v1(file)
        if as_json:
            print(json.dumps({f"{size:g}B": r.to_dict() for size, r in results.items()}))
            return
        for size, result in results.items():
            console.print(_fit_table(result, f"v1, {size:g}B (P = {result.p:g}), {result.facts:,} facts"))
        return
    if params is None:
        raise ConfigError("--params is needed for a merge_outputs file (e.g. --params 12b)")
    result = reproduce_merge_output(file, parse_params(params), convention)  # type: ignore[arg-type]
    if as_json:
        out = result.to_dict()
        print(json.dumps({k: out[k] for k in ("r2_smi", "r2_mi", "r2_co", "facts")}))
        return
    console.print(_fit_table(result, f"{file.name}: {result.facts:,} of {result.facts_total:,} facts with MI > 0, "
                                     f"P = {result.p:.3f}"))


@eval_app.command("cbqa")
def eval_cbqa(
    facts: Annotated[str, typer.Option("--facts", help="Facts whose relations have templates (the SMI list).")],
    backend: Annotated[str, typer.Option("--backend", help="transformers:smollm2 or openai:http://HOST:PORT/v1#MODEL")],
    out: Annotated[Path, typer.Option("--out", help="Run folder (resumable).")],
    templates: Annotated[Path, typer.Option("--templates", help="Relation -> cloze templates JSON ([S] = subject).")],
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N facts (after --shuffle-seed).")] = None,
    samples: Annotated[int, typer.Option("--samples", help="Samples per template (paper: 20).")] = 20,
    templates_per_fact: Annotated[int | None, typer.Option("--templates-per-fact", help="Use the first K templates.")] = None,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.7,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens")] = 32,
    batch: Annotated[int, typer.Option("--batch", help="Prompts per backend call.")] = 32,
    shuffle_seed: Annotated[int | None, typer.Option("--shuffle-seed", help="Shuffle the facts before --limit.")] = None,
) -> None:
    """Closed-book QA accuracy per fact (templates x samples; correct when the object is in the continuation).

    Example: knowbench eval cbqa --facts pararel_15classes.json --templates multi_templates.json
    --backend transformers:smollm2 --limit 300 --samples 2 --out runs/cbqa
    """
    from knowbench.backends import load_backend
    from knowbench.datasets_src.triples import read_facts
    from knowbench.training.triples.cbqa import CBQAConfig, load_templates, run_cbqa

    fact_list = read_facts(facts)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(fact_list)
    fact_list = fact_list[:limit]
    config = CBQAConfig(samples=samples, temperature=temperature, max_new_tokens=max_new_tokens,
                        templates_per_fact=templates_per_fact, batch_prompts=batch)
    model = load_backend(backend)
    try:
        results = run_cbqa(fact_list, load_templates(templates), model, out, config, show_progress=True)
    finally:
        model.close()
    mean = sum(r.accuracy for r in results) / max(1, len(results))
    console.print(f"{len(results):,} facts, mean accuracy {mean:.4f}, facts with accuracy > 0: "
                  f"{sum(r.accuracy > 0 for r in results):,}; wrote {out / 'accuracy.jsonl'}")


@build_app.command("triples")
def build_triples(
    facts: Annotated[str, typer.Option("--facts", help="SMI fact list, T-REx folder, facts JSONL or wikidata:PATH.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write (replaced atomically).")],
    counts: Annotated[list[str] | None, typer.Option("--counts", help="NAME=DIR of a `knowbench count` output; repeatable (one config each).")] = None,
    corpus: Annotated[list[str] | None, typer.Option("--corpus", help="NAME=FILE[,FILE] to count now; repeatable.")] = None,
    mode: Annotated[str, typer.Option("--mode", help="Matching mode when counting corpora now.")] = "paper",
    workers: Annotated[int, typer.Option("--workers")] = 1,
) -> None:
    """Build the knowledge-triples dataset: a `facts` config and one config of counts per corpus.

    Example: knowbench build triples --facts pararel_15classes.json --counts wiki=out/counts --out out/triples
    """
    from knowbench.builders import get_builder
    from knowbench.builders.writer import build_to_folder

    builder = get_builder("triples", facts=facts, counts=tuple(counts or ()), corpora=tuple(corpus or ()),
                          mode=mode, workers=workers)
    report = build_to_folder(builder, out, show_progress=True)
    for split in report.splits:
        console.print(f"{split.config}/{split.split}: {split.num_examples:,} rows -> {', '.join(split.files)}")
    console.print(f"wrote {report.path}")
