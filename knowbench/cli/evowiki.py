"""``knowbench update evowiki``, ``knowbench eval evowiki`` and ``knowbench check evowiki`` (``knowbench build evowiki`` is in :mod:`knowbench.cli.build`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from knowbench.cli.apps import BACKEND_HELP, JsonOutput, RunOut, check_app, data_option, eval_app, update_app

console = Console()


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
    data: Annotated[str, data_option("evowiki")],
    out: RunOut,
    backend: Annotated[str, typer.Option("--backend", help=BACKEND_HELP + " Or 'none': retrieval recall only.")] = "none",
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


@check_app.command("evowiki")
def check_evowiki(
    data: Annotated[str, data_option("evowiki")],
    as_json: JsonOutput = False,
) -> None:
    """Recount from the rows alone: rows per state and hops, distinct final facts, each defect class (answers equal
    to path labels, entities twice, reducible chains, duplicate questions, evolved-but-unchanged, facts judged from
    snapshots older than the cut-off, ...) and the rows the build dropped per reason. Exits 0 whatever it finds.

    Example: knowbench check evowiki --data out/evowiki --json
    """
    import json

    from rich.table import Table

    from knowbench.training.evowiki.check import check_evowiki as run_check

    report = run_check(data)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    states = Table(title=f"EvoWiki rows ({report['rows']:,}; {report['distinct_final_facts']:,} distinct final facts)")
    hops = next(iter(report["rows_by_state_hops"].values()), {})
    for column in ("state", *(f"{h} hop(s)" for h in hops)):
        states.add_column(column)
    for state, counts in report["rows_by_state_hops"].items():
        states.add_row(state, *(f"{n:,}" for n in counts.values()))
    console.print(states)
    defects = Table(title=f"Defects ({report['defects_total']} in all)")
    defects.add_column("class")
    defects.add_column("rows", justify="right")
    defects.add_column("examples")
    for name, n in report["defects"].items():
        defects.add_row(name, str(n), ", ".join(report["defect_examples"].get(name, [])))
    console.print(defects)
    if report["dropped_chains"]:
        dropped = Table(title="Dropped by the build")
        dropped.add_column("reason")
        dropped.add_column("count", justify="right")
        for name, n in {**report["dropped_chains"], **report["skipped_facts"]}.items():
            dropped.add_row(name, f"{n:,}")
        console.print(dropped)
    for warning in report["warnings"]:
        console.print(f"warning: {warning}")
