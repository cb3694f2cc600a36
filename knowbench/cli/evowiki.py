"""``knowbench build evowiki``, ``knowbench update evowiki`` and ``knowbench eval evowiki``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from knowbench.cli.apps import build_app, eval_app, update_app

console = Console()


@build_app.command("evowiki")
def build_evowiki(
    wikidata: Annotated[list[Path], typer.Option("--wikidata", help="Wikidata dump/API/entity files or folders.")],
    cutoff: Annotated[str, typer.Option("--cutoff", help="Model cut-off date YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write (replaced atomically).")],
    wikidata_old: Annotated[
        list[Path] | None, typer.Option("--wikidata-old", help="Older snapshot of the same entities (diff mode).")
    ] = None,
    wikipedia: Annotated[list[Path] | None, typer.Option("--wikipedia", help="MediaWiki export XML files.")] = None,
    labels: Annotated[
        list[Path] | None, typer.Option("--labels", help="Entity files read only for labels of fact values.")
    ] = None,
    language: Annotated[str, typer.Option("--language", help="Label language.")] = "en",
    top_k: Annotated[int, typer.Option("--top-k", help="Passages retrieved per question.")] = 30,
    retriever: Annotated[
        list[str] | None, typer.Option("--retriever", help="Retrievers to run (default: bm25 and dense).")
    ] = None,
    max_hops: Annotated[int, typer.Option("--max-hops", help="Longest chain (1-3).")] = 3,
    corpus_date: Annotated[
        str | None, typer.Option("--corpus-date", help="Wikipedia revision date (default: snapshot date).")
    ] = None,
) -> None:
    """Build EvoWiki (stable / evolved / uncharted questions and a passage corpus) from local files.

    Example: knowbench build evowiki --wikidata wd/ --wikipedia enwiki.xml.bz2 --cutoff 2024-06-01 --out out/evowiki
    """
    from knowbench.builders import get_builder
    from knowbench.builders.writer import build_to_folder

    builder = get_builder(
        "evowiki", wikidata=wikidata, cutoff=cutoff, wikidata_old=wikidata_old or (), wikipedia=wikipedia or (),
        labels=labels or (), language=language, top_k=top_k, retrievers=tuple(retriever or ("bm25", "dense")),
        max_hops=max_hops, corpus_date=corpus_date,
    )
    report = build_to_folder(builder, out, show_progress=True)
    for split in report.splits:
        console.print(f"{split.config}/{split.split}: {split.num_examples:,} rows")
    console.print(f"wrote {report.path}")


@update_app.command("evowiki")
def update_evowiki(
    folder: Annotated[Path, typer.Argument(help="A folder built by `knowbench build evowiki`.")],
    since: Annotated[str, typer.Option("--since", help="Take entities modified on or after YYYY-MM-DD.")],
    api_url: Annotated[str | None, typer.Option("--api-url", help="Wikibase API (default: Wikidata).")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="Where fetched entities are kept.")] = None,
    neighbours: Annotated[
        bool, typer.Option("--neighbours/--subjects-only", help="Also fetch the entities facts point to.")
    ] = True,
    recent_changes: Annotated[
        bool, typer.Option("--recent-changes", help="Ask list=recentchanges which entities changed (30 days).")
    ] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Ids per wbgetentities call (max 50).")] = 50,
) -> None:
    """Fetch the entities changed since a date and rebuild the rows they touch.

    Example: knowbench update evowiki out/evowiki --since 2025-01-01
    """
    from knowbench.builders.evowiki.update import update_folder

    report = update_folder(folder, since, api_url, store, neighbours, recent_changes, batch_size, show_progress=True)
    console.print(
        f"checked {report.checked}, fetched {report.fetched}, missing {len(report.missing)}, changed "
        f"{len(report.changed)} (new subjects {len(report.new_subjects)}); rows reused {report.reused_rows}, "
        f"regenerated {report.regenerated_rows}"
    )
    if report.store_file:
        console.print(f"fetched entities kept in {report.store_file}")


@eval_app.command("evowiki")
def eval_evowiki(
    data: Annotated[str, typer.Option("--data", help="Built EvoWiki folder or Hub repo id.")],
    out: Annotated[Path, typer.Option("--out", help="Run folder (resumable).")],
    backend: Annotated[str, typer.Option("--backend", help="Model backend spec, or 'none' for recall only.")] = "none",
    rag: Annotated[str, typer.Option("--rag", help="none, bm25 or dense.")] = "none",
    k: Annotated[int, typer.Option("--k", help="Passages given to the model / recall cut-off.")] = 5,
    limit: Annotated[int | None, typer.Option("--limit", help="At most N questions per state.")] = None,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens")] = 24,
) -> None:
    """Exact match (latest / all answers) per state and hop, and retrieval recall@k.

    Example: knowbench eval evowiki --data out/evowiki --backend transformers:smollm2 --rag bm25 --k 5 --out runs/ev
    """
    from knowbench.training.evowiki import run_eval

    report = run_eval(data, backend, out, rag=rag, k=k, limit=limit, max_new_tokens=max_new_tokens, progress=True)
    for name, groups in report["recall_at_k"].items():
        console.print(f"{name} recall@{k}: " + ", ".join(f"{g} {v['latest']:.3f}" for g, v in groups.items()
                                                        if "/" not in g))
    for group, scores in report.get("answers", {}).items():
        console.print(f"{group}: n={scores['n']} EM latest {scores['em_latest']:.3f}, EM all {scores['em_all']:.3f}, "
                      f"contains latest {scores['contains_latest']:.3f}")
    console.print(f"report: {Path(out) / 'report.json'}")
