"""Triples / SMI commands: ``knowbench count``, ``knowbench smi fit|reproduce`` and ``knowbench eval cbqa``.

The path of the triples data, one command per step:

1. ``knowbench count``: N, N_s, N_o, N_so of every fact over a corpus
   (:mod:`knowbench.datasets_src.triples.runner`, or :mod:`~knowbench.datasets_src.triples.ray_count` on a cluster);
2. ``knowbench eval cbqa``: closed-book retention per fact with a model backend
   (:mod:`knowbench.training.triples.cbqa`);
3. ``knowbench smi fit``: accuracy on SMI, MI and co-occurrence (:mod:`knowbench.training.triples.reproduce`);
   ``knowbench smi reproduce``: the same from the paper's released numbers.

(``knowbench build triples`` turns facts and counts into the Hub-ready dataset; ``knowbench train smi-mini`` is in
:mod:`knowbench.cli.train`.)
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from knowbench.cli.apps import BackendOption, JsonOutput, Quiet, RunOut, app, eval_app, smi_app

console = Console()

# option types shared by several commands
FactsSource = Annotated[str, typer.Option("--facts", help="SMI fact list, T-REx folder/P*.jsonl, facts JSONL or wikidata:PATH.")]
# (choices are checked where they are defined: MatchMode in datasets_src.triples.count, PConvention in
# training.triples.metric; the CLI imports those only when a command runs)
Convention = Annotated[str, typer.Option("--convention", help="P from the parameter count: log2 (later versions) or billions (v1).")]
Params = Annotated[str, typer.Option("--params", help="Model parameter count (135m, 1.1b, 12e9).")]


# -- 1. counting ------------------------------------------------------------------------------------------------
@app.command("count")
def count(
    facts: FactsSource,
    corpus: Annotated[list[Path], typer.Option("--corpus", help="Documents: .jsonl(.gz), .parquet, .xml(.bz2) dump or a datasets folder; repeatable.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for counts.jsonl and count_meta.json.")],
    mode: Annotated[str, typer.Option("--mode", help="paper (' '+label substring) or boundary (whole words, aliases).")] = "paper",
    workers: Annotated[int, typer.Option("--workers", min=1, help="Processes on this machine.")] = 1,
    ray: Annotated[str | None, typer.Option("--ray", help="Run as a Ray Data job on this cluster (auto, ray://HOST:PORT, local).")] = None,
    text_field: Annotated[str, typer.Option("--text-field", help="Text column of JSONL/parquet/datasets.")] = "text",
    ignore_case: Annotated[bool, typer.Option("--ignore-case", help="Boundary mode: match case-insensitively.")] = False,
) -> None:
    """Count N, N_s, N_o and N_so of every fact over a corpus (one matching pass per document).

    Example: knowbench count --facts pararel_15classes.json --corpus wiki.jsonl --out out/counts --workers 4
    """
    from knowbench.datasets_src.triples import read_facts
    from knowbench.datasets_src.triples.runner import COUNTS_KIND, count_corpus, write_counts
    from knowbench.io import check_output_dir

    check_output_dir(out, COUNTS_KIND)  # before counting: a wrong --out fails at once
    fact_list = read_facts(facts)
    if ray:
        from knowbench.datasets_src.triples.ray_count import count_with_ray

        result = count_with_ray(fact_list, corpus, ray, mode=mode, ignore_case=ignore_case,  # type: ignore[arg-type]
                                text_field=text_field)
    else:
        result = count_corpus(fact_list, corpus, mode=mode, workers=workers, ignore_case=ignore_case,  # type: ignore[arg-type]
                              text_field=text_field, show_progress=True)
    path = write_counts(out, result)
    raw = result.raw
    rate = raw.n_bytes / 1e6 / max(result.seconds, 1e-9)
    console.print(f"{len(fact_list):,} facts over {raw.n_docs:,} documents ({raw.n_bytes / 1e6:,.1f} MB) in "
                  f"{result.seconds:,.1f} s ({rate:,.1f} MB/s end to end, reading included); "
                  f"facts with N_so > 0: {int((raw.n_so > 0).sum()):,}")
    console.print(f"wrote {path}")


# -- 2. closed-book retention ---------------------------------------------------------------------------------
@eval_app.command("cbqa")
def eval_cbqa(
    facts: Annotated[str, typer.Option("--facts", help="Facts whose relations have templates (the SMI list).")],
    backend: BackendOption,
    out: RunOut,
    templates: Annotated[Path, typer.Option("--templates", help="Relation -> cloze templates JSON ([S] = subject).")],
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N facts (after --shuffle-seed).")] = None,
    samples: Annotated[int, typer.Option("--samples", help="Samples per template (paper: 20).")] = 20,
    templates_per_fact: Annotated[int | None, typer.Option("--templates-per-fact", help="Use the first K templates.")] = None,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.7,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens")] = 32,
    batch: Annotated[int, typer.Option("--batch", help="Prompts per backend call.")] = 32,
    shuffle_seed: Annotated[int | None, typer.Option("--shuffle-seed", help="Shuffle the facts before --limit.")] = None,
    quiet: Quiet = False,
) -> None:
    """Closed-book QA accuracy per fact (templates x samples; correct when the object is in the continuation).

    Example: knowbench eval cbqa --facts pararel_15classes.json --templates multi_templates.json
    --backend transformers:smollm2 --limit 300 --samples 2 --out runs/cbqa
    """
    from knowbench.backends import load_backend
    from knowbench.datasets_src.triples import load_templates, read_facts
    from knowbench.training.triples.cbqa import CBQAConfig, check_cbqa_run, run_cbqa

    fact_list = read_facts(facts)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(fact_list)
    fact_list = fact_list[:limit]
    config = CBQAConfig(samples=samples, temperature=temperature, max_new_tokens=max_new_tokens,
                        templates_per_fact=templates_per_fact, batch_prompts=batch)
    relation_templates = load_templates(templates)  # a bad file, or an --out holding another run, fails
    check_cbqa_run(out, config)  # before a model is loaded
    model = load_backend(backend)
    try:
        results = run_cbqa(fact_list, relation_templates, model, out, config, show_progress=not quiet)
    finally:
        model.close()
    mean = sum(r.accuracy for r in results) / max(1, len(results))
    console.print(f"{len(results):,} facts, mean accuracy {mean:.4f}, facts with accuracy > 0: "
                  f"{sum(r.accuracy > 0 for r in results):,}; wrote {out / 'accuracy.jsonl'}")


# -- 3. the SMI fit -------------------------------------------------------------------------------------------
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
    params: Params,
    convention: Convention = "log2",
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG of the facts, bins and line of SMI, MI and co-occurrence.")] = None,
    as_json: JsonOutput = False,
) -> None:
    """Fit accuracy on SMI (and the MI and co-occurrence baselines): R² and MSE of the bin-mean line.

    Example: knowbench smi fit --counts out/counts --accuracy runs/cbqa --params 135m --plot fit.png
    """
    from knowbench.training.triples.cbqa import read_accuracy
    from knowbench.training.triples.metric import METHODS, parse_params, plot_fits, scores, size_exponent
    from knowbench.training.triples.reproduce import counts_table, evaluate, join_accuracy

    table = join_accuracy(counts_table(counts), read_accuracy(accuracy))
    p = size_exponent(parse_params(params), convention)  # type: ignore[arg-type]
    result = evaluate(table, p)
    if plot:
        points = {}
        for method in METHODS:
            scored = scores(method, table.n_docs, table.n_s, table.n_o, table.n_so, p=p)
            points[method] = (scored.values, table.accuracy[scored.kept])
        plot_fits(plot, result.fits, points, title=f"{len(table):,} facts with accuracy, P = {p:.3f}")
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
    convention: Convention = "log2",
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
