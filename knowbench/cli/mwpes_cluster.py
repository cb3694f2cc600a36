"""``knowbench cluster mwpes|update|export`` and ``knowbench prompt eap``: dynamic error classification on MWPES."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from knowbench.cli.apps import BACKEND_HELP, BackendOption, Overwrite, cluster_app, prompt_app

console = Console()


def _options(min_cluster_size: int | None, cache: Path | None, seed: int, dims: int, reducer: str
             ) -> dict[str, dict[str, Any]]:
    options: dict[str, dict[str, Any]] = {"clusterer": {"seed": seed}, "reducer": {}}
    if reducer in ("pca", "umap"):
        options["reducer"] = {"seed": seed, "n_components": dims}
    if min_cluster_size is not None:
        options["clusterer"]["min_cluster_size"] = min_cluster_size
    if cache is not None:
        options["embedder"] = {"cache_dir": cache}
    return options


@cluster_app.command("mwpes")
def cluster_mwpes(
    data: Annotated[Path, typer.Option("--data", help="Built MWPES folder, or hf://datasets/ORG/NAME[@REV].")],
    out: Annotated[Path, typer.Option("--out", help="Run folder to write (taxonomy.json, assignments.jsonl, plots).")],
    config: Annotated[str, typer.Option("--config", help="MWPES config: all, gsm8k, math, ...")] = "all",
    analyzer: Annotated[str, typer.Option("--analyzer", help="steps (rules, no model) | gsm8k-rule | solution | llm")] = "steps",
    embedder: Annotated[str, typer.Option("--embedder", help="minilm")] = "minilm",
    reducer: Annotated[str, typer.Option("--reducer", help="pca | umap | none")] = "pca",
    dims: Annotated[int, typer.Option("--dims", help="Dimensions after reduction (rule analyses of GSM8K errors "
                                      "separate into more categories in 16 than in 5).")] = 16,
    clusterer: Annotated[str, typer.Option("--clusterer", help="hdbscan | kmeans")] = "hdbscan",
    labeller: Annotated[str, typer.Option("--labeller", help="ctfidf | llm")] = "ctfidf",
    threshold: Annotated[float, typer.Option("--threshold", help="Cosine for reassigning outliers.")] = 0.55,
    min_cluster_size: Annotated[int | None, typer.Option("--min-cluster-size")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Cluster only the first N samples.")] = None,
    cache: Annotated[Path | None, typer.Option("--cache", help="Embedding cache folder.")] = None,
    map_method: Annotated[str, typer.Option("--map", help="2-D map projection: pca | umap")] = "pca",
    seed: Annotated[int, typer.Option("--seed")] = 0,
    plots: Annotated[bool, typer.Option("--plots/--no-plots")] = True,
    overwrite: Overwrite = False,
    backend: Annotated[str, typer.Option("--backend", help=BACKEND_HELP + " Used by --analyzer llm.")] = "transformers:smollm2",
) -> None:
    """Cluster the errors of an MWPES folder into a taxonomy of error categories.

    Example: knowbench cluster mwpes --data out/mwpes --out runs/gsm8k-taxonomy
    (``--analyzer llm --backend transformers:smollm2``: a model names the first wrong step and the type instead of
    the rules)
    """
    from knowbench.training.mwpes.pipeline import ErrorClusterPipeline
    from knowbench.training.mwpes.plots import map_coordinates
    from knowbench.training.mwpes.runs import (
        check_cluster_run,
        open_cluster_run,
        records_from_result,
        run_summary,
        write_run,
    )
    from knowbench.training.mwpes.samples import load_error_samples

    settings = {"data": str(data), "config": config, "analyzer": analyzer, "embedder": embedder, "reducer": reducer,
                "dims": dims, "clusterer": clusterer, "labeller": labeller, "threshold": threshold,
                "min_cluster_size": min_cluster_size, "limit": limit, "map": map_method, "seed": seed}
    if analyzer == "llm":
        settings["backend"] = backend
    if not overwrite:  # before anything is loaded: a wrong --out fails at once and stays untouched
        check_cluster_run(out, settings)
    samples = load_error_samples(data, config, limit=limit)
    options = _options(min_cluster_size, cache, seed, dims, reducer)
    if analyzer == "llm":
        options["analyzer"] = {"backend": backend}
    pipeline = ErrorClusterPipeline(analyzer, embedder, reducer, clusterer, labeller, reassign_threshold=threshold,
                                    component_options=options, show_progress=True)
    open_cluster_run(out, settings, overwrite=overwrite)
    result = pipeline.fit(samples)
    coords = map_coordinates(result.embeddings, map_method, seed) if plots else None
    write_run(out, result.taxonomy, records_from_result(result),
              run_summary(result), coords=coords, plots=plots)
    table = Table(title=f"{len(samples):,} errors -> {len(result.taxonomy.categories)} categories")
    for column in ("id", "size", "name", "most common patterns"):
        table.add_column(column, justify="right" if column in ("id", "size") else "left")
    for category in result.taxonomy.categories[:25]:
        patterns = "; ".join(f"{p.split(': ', 1)[-1]} ({n})" for p, n in list(category.patterns.items())[:2])
        table.add_row(str(category.id), f"{category.size:,}", category.name, patterns)
    console.print(table)
    console.print(f"outliers: {result.outlier_fraction_before:.1%} before reassignment, "
                  f"{result.outlier_fraction:.1%} after; wrote {out}")


@cluster_app.command("update")
def cluster_update(
    run: Annotated[Path, typer.Argument(help="Run folder written by `knowbench cluster mwpes`.")],
    data: Annotated[Path, typer.Option("--data", help="MWPES folder with new errors.")],
    config: Annotated[str, typer.Option("--config")] = "all",
    merge_threshold: Annotated[float, typer.Option("--merge-threshold", help="Centroid cosine two categories must "
                                                   "reach to merge (one of them new or grown in this update).")] = 0.92,
    min_new_size: Annotated[int, typer.Option("--min-new-size", help="Smallest new category.")] = 10,
    cache: Annotated[Path | None, typer.Option("--cache", help="Embedding cache folder.")] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots")] = True,
    respect_separation: Annotated[bool, typer.Option(
        "--respect-separation/--ignore-separation",
        help="Merge only pairs closer than the taxonomy's separation (the centroid cosine of the closest two "
             "categories it keeps apart); --ignore-separation merges at --merge-threshold alone.")] = True,
) -> None:
    """Assign new errors to the taxonomy, grow new categories from the pool, merge near-duplicates.

    A pool cluster that duplicates a category joins it; two categories merge only when one of them changed in this
    update and they are closer than any two categories the taxonomy keeps apart (its separation).

    Example: knowbench cluster update runs/gsm8k-taxonomy --data out/mwpes-new
    """
    from knowbench.errors import RunStateError
    from knowbench.training.mwpes.samples import load_error_samples
    from knowbench.training.mwpes.update import TaxonomyUpdater

    if not (run / "taxonomy.json").is_file():
        raise RunStateError(f"{run}: no taxonomy.json here; create the run with `knowbench cluster mwpes` first")
    options = {"embedder": {"cache_dir": cache}} if cache is not None else None
    updater = TaxonomyUpdater(merge_threshold=merge_threshold, min_new_size=min_new_size, component_options=options,
                              respect_separation=respect_separation)
    report = updater.update_run(run, load_error_samples(data, config), plots=plots)
    merges = [f"{b}->{a} ({s:.4f})" for (a, b), s in zip(report.merged, report.merge_similarity, strict=True)]
    console.print(
        f"taxonomy v{report.version}: {report.new_samples:,} new errors ({report.skipped_known:,} already known), "
        f"{report.assigned:,} assigned to existing categories, new categories {report.created or 'none'}, "
        f"pool clusters joined {report.joined or 'none'}, merged {merges or 'none'} (separation "
        f"{report.separation:.4f}), {report.pooled:,} in the pool"
    )


@cluster_app.command("export")
def cluster_export(
    run: Annotated[Path, typer.Argument(help="Run folder.")],
    data: Annotated[Path, typer.Option("--data", help="The MWPES folder the run clustered.")],
    out: Annotated[Path, typer.Option("--out", help="Hub-layout folder to write (config `clustered`).")],
    config: Annotated[str, typer.Option("--config")] = "all",
) -> None:
    """Write the `clustered` config of MWPES (every error with its category) as a Hub-layout folder.

    Example: knowbench cluster export runs/gsm8k-taxonomy --data out/mwpes --out out/mwpes-clustered
    """
    from knowbench.builders import build

    report = build("mwpes_clustered", out, show_progress=True, data=data, run=run, mwpes_config=config)
    console.print(f"clustered/train: {report.rows('clustered', 'train'):,} rows; wrote {report.path}")


@prompt_app.command("eap")
def prompt_eap(
    data: Annotated[Path, typer.Option("--data", help="MWPES folder (memory and held-out problems).")],
    taxonomy: Annotated[Path, typer.Option("--taxonomy", help="Run folder of `knowbench cluster mwpes`.")],
    backend: BackendOption,
    out: Annotated[Path, typer.Option("--out", help="Folder for generations.jsonl and report.json.")],
    limit: Annotated[int, typer.Option("--limit", help="Held-out problems to evaluate.")] = 20,
    k: Annotated[int, typer.Option("--k", help="Similar problems whose errors are shown.")] = 2,
    config: Annotated[str, typer.Option("--config")] = "all",
    held_out_fraction: Annotated[float, typer.Option("--held-out", help="Share of problems held out.")] = 0.2,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens")] = 256,
    cache: Annotated[Path | None, typer.Option("--cache", help="Embedding cache folder.")] = None,
) -> None:
    """Error-aware prompting: accuracy on held-out problems with and without the errors of similar problems.

    Example: knowbench prompt eap --data out/mwpes --taxonomy runs/gsm8k-taxonomy --backend transformers:smollm2 --limit 20 --out runs/eap
    """
    from knowbench.training.mwpes.eap import evaluate_eap
    from knowbench.training.mwpes.embedders import SentenceTransformerEmbedder
    from knowbench.training.mwpes.samples import load_error_samples

    embedder = SentenceTransformerEmbedder(cache_dir=cache if cache is not None else "default")
    report = evaluate_eap(load_error_samples(data, config), taxonomy, backend, out, limit=limit, k=k,
                          held_out_fraction=held_out_fraction, max_new_tokens=max_new_tokens, embedder=embedder)
    console.print(f"{report.backend} on {report.problems} held-out problems: accuracy {report.accuracy_plain:.1%} "
                  f"plain, {report.accuracy_eap:.1%} with error-aware prompting ({report.seconds:.0f} s); wrote {out}")
