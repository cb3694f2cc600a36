"""``knowbench collect mwp`` and ``knowbench ingest mwpes`` (alias ``ingest mwp``) (``knowbench build mwpes`` is in :mod:`knowbench.cli.build`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperCommand

from knowbench.cli.apps import Quiet, collect_app, ingest_app

console = Console(stderr=True)


@collect_app.command("mwp")
def collect_mwp(
    dataset: Annotated[str, typer.Option("--dataset", help="gsm8k, svamp, asdiv, aqua or math.")],
    backend: Annotated[str, typer.Option("--backend", help="Model backend spec, e.g. transformers:smollm2.")],
    out: Annotated[Path, typer.Option("--out", help="Run folder (created, or resumed when it holds this run).")],
    strategy: Annotated[str, typer.Option("--strategy", help="greedy or sample.")] = "greedy",
    temperature: Annotated[float, typer.Option("--temperature", help="Sampling temperature (0 for greedy).")] = 0.0,
    top_p: Annotated[float, typer.Option("--top-p", help="Nucleus sampling threshold.")] = 1.0,
    samples: Annotated[int, typer.Option("--samples", help="Samples per problem (1 for greedy).")] = 1,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N problems.")] = None,
    few_shot: Annotated[int, typer.Option("--few-shot", help="Worked exemplars before the problem (0-4).")] = 0,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens", help="Generation budget per sample.")] = 512,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Problems per backend call.")] = 8,
    seed: Annotated[int, typer.Option("--seed", help="Seed of sampled runs.")] = 0,
    source: Annotated[
        Path | None, typer.Option("--source", help="Local source file; omit to download from the Hub (or reuse the run's problems).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Generate, judge and log solutions; a killed run resumes from where it stopped.

    Example: knowbench collect mwp --dataset gsm8k --backend transformers:smollm2 --strategy greedy --limit 20 --out runs/smol
    """
    from knowbench.backends import load_backend
    from knowbench.datasets_src.mwpes import read_problems
    from knowbench.datasets_src.mwpes.collect import CollectConfig, check_resumable, collect
    from knowbench.datasets_src.mwpes.runs import read_run
    from knowbench.io import SourceInfo, sha256_file

    config = CollectConfig(
        dataset=dataset, backend=backend, strategy=strategy, temperature=temperature, top_p=top_p, samples=samples,
        max_new_tokens=max_new_tokens, few_shot=few_shot, limit=limit, batch_size=batch_size, seed=seed,
    )
    check_resumable(out, config)
    if source is not None:
        problems = read_problems(dataset, source)
        info = SourceInfo(uri=source.name, sha256=sha256_file(source), size_bytes=source.stat().st_size)
    elif (out / "config.json").exists():
        run = read_run(out)
        problems = list(run.problems.values())
        info = SourceInfo(**run.config["source"]) if run.config.get("source") else None
    else:
        from knowbench.datasets_src.mwpes.download import download

        problems, info = download(dataset)
    model = load_backend(backend, batch_size=batch_size) if backend.startswith("transformers:") else load_backend(backend)
    try:
        report = collect(problems, config, out, model, source=info, show_progress=not quiet)
    finally:
        model.close()
    console.print(
        f"{out}: {report.already_done + report.added:,}/{report.total:,} samples ({report.added:,} new, "
        f"{report.samples_per_second:.2f} samples/s); wrong among new: {report.wrong:,}"
    )


_FORMAT_HELP = "Format of the solutions files, one of: {names}."


class _IngestCommand(TyperCommand):
    """``ingest mwpes``: the ``--format`` help lists the registered formats, read from the registry when the help
    is shown (so the registry is imported only then, and a newly registered format is listed)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from knowbench.datasets_src.mwpes.formats import format_names

        for param in self.params:
            if param.name == "fmt":
                param.help = _FORMAT_HELP.format(names=", ".join(format_names()))  # type: ignore[attr-defined]
        super().format_help(ctx, formatter)


def ingest_mwpes(
    solutions: Annotated[Path, typer.Option("--solutions", help="Solutions file (more files of the same format may "
                                            "follow as arguments, e.g. a shell glob).")],
    out: Annotated[Path, typer.Option("--out", help="Run folder to write.")],
    fmt: Annotated[str, typer.Option("--format", help=_FORMAT_HELP)] = "gsm8k-example-solutions",
    mapping: Annotated[str | None, typer.Option("--map", help="jsonl only: question=KEY,solution=KEY,gold=KEY"
                                                "[,reference=KEY,model=KEY,id=KEY].")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Name of the solver when the file has none.")] = None,
    problems: Annotated[Path | None, typer.Option("--problems", help="GSM8K test.jsonl: questions found there take "
                                                  "its problem ids.")] = None,
    skip_bad_gold: Annotated[bool, typer.Option("--skip-bad-gold", help="Skip (and count) records whose gold "
                                                "answer is not an answer instead of failing.")] = False,
    more_solutions: Annotated[list[Path] | None, typer.Argument(
        help="More solutions files of the same format (e.g. samples_<task>_<date>.jsonl of one lm_eval run).",
        show_default=False)] = None,
    quiet: Quiet = False,
) -> None:
    """Turn published model solutions into a run folder, judged by knowbench's judge.

    Example: knowbench ingest mwpes --solutions mr_gsm8k_wrong_dev.jsonl --format mr-gsm8k --out runs/mr-gsm8k
    """
    from knowbench.datasets_src.mwpes import read_problems
    from knowbench.datasets_src.mwpes.ingest import ingest

    known = read_problems("gsm8k", problems) if problems is not None else ()
    counts = ingest([solutions, *(more_solutions or ())], out, fmt, mapping=mapping, model=model, problems=known,
                    skip_bad_gold=skip_bad_gold, show_progress=not quiet)
    labelled = counts["published_wrong"] or counts["agree"]
    agreement = f"; agreement with the published label {counts['agree'] / counts['samples']:.2%}" if labelled else ""
    matched = f" ({counts['matched_problems']:,} matched to --problems)" if problems is not None else ""
    console.print(
        f"{out}: {counts['samples']:,} solutions of {counts['problems']:,} problems{matched}, "
        f"{counts['wrong']:,} wrong{agreement}; "
        f"{counts['skipped_bad_gold']:,} skipped for a gold answer that is not one; {counts['added']:,} added"
    )


ingest_app.command("mwpes", cls=_IngestCommand)(ingest_mwpes)
ingest_app.command("mwp", cls=_IngestCommand, help="Alias of `knowbench ingest mwpes`.")(ingest_mwpes)
