"""ToolHop run reports: answer correctness, invocation errors, accuracy by hops and domain, the paper's Table 4.

Table 4 of the ToolHop paper (Ye et al., 2025) lists one row per model and, per scenario (Direct, Mandatory, Free),
the answer correctness; the tool scenarios add the invocation-error rate. :func:`table4` lays out any number of run
reports that way (one line per model, one column group per scenario).

Example:
    >>> report = summarise(records, judge="typed")  # doctest: +SKIP
    >>> report["answer_correctness"], report["invocation_error_rate_per_query"]  # doctest: +SKIP
    (0.0, 0.667)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from knowbench.training.toolhop.prompts import SCENARIOS


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _breakdown(records: Sequence[dict[str, Any]], key: str, judge: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[str(record[key])].append(record)
    ordered = sorted(groups, key=lambda k: (int(k) if k.isdigit() else 0, k))
    return {
        value: {
            "queries": len(groups[value]),
            "correct": sum(r["correct"][judge] for r in groups[value]),
            "accuracy": _rate(sum(r["correct"][judge] for r in groups[value]), len(groups[value])),
        }
        for value in ordered
    }


def summarise(
    records: Sequence[dict[str, Any]], judge: str = "typed", config: dict[str, Any] | None = None
) -> dict:
    """The report of one run from its trace records (see :mod:`knowbench.training.toolhop.harness`)."""
    config = config or {}
    queries = len(records)
    calls = sum(r["n_calls"] for r in records)
    failed = sum(r["n_failed_calls"] for r in records)
    error_kinds: dict[str, int] = defaultdict(int)
    for record in records:
        for call in record["tool_calls"]:
            if not call["ok"]:
                error_kinds[str(call["error_kind"])] += 1
    statuses: dict[str, int] = defaultdict(int)
    for record in records:
        statuses[record["status"]] += 1
    judges = sorted({name for r in records for name in r["correct"]})
    return {
        "model": config.get("model", records[0].get("model", "?") if records else "?"),
        "scenario": config.get("scenario", records[0]["scenario"] if records else "?"),
        "feedback": config.get("feedback"),
        "judge": judge,
        "queries": queries,
        "correct": sum(r["correct"][judge] for r in records),
        "answer_correctness": _rate(sum(r["correct"][judge] for r in records), queries),
        "answer_correctness_by_judge": {
            name: _rate(sum(r["correct"][name] for r in records), queries) for name in judges
        },
        "answered_with_tag": sum(r["answer"] is not None for r in records),
        "tool_calls": calls,
        "failed_tool_calls": failed,
        "queries_with_tool_call": sum(r["n_calls"] > 0 for r in records),
        "queries_without_tool_call": sum(r["n_calls"] == 0 for r in records),
        "queries_with_invocation_error": sum(r["n_failed_calls"] > 0 for r in records),
        "invocation_error_rate_per_query": _rate(sum(r["n_failed_calls"] > 0 for r in records), queries),
        "invocation_error_rate_per_call": _rate(failed, calls),
        "invocation_errors_by_kind": dict(sorted(error_kinds.items())),
        "answers_found_in_tool_output": sum(bool(r["answer_in_tool_output"]) for r in records),
        "mean_turns": _rate(sum(r["n_turns"] for r in records), queries),
        "status": dict(sorted(statuses.items())),
        "completion_tokens": sum(t.get("completion_tokens", 0) for r in records for t in r["turns"]),
        "by_hops": _breakdown(records, "n_hops", judge),
        "by_domain": _breakdown(records, "domain", judge),
    }


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def table4(reports: Iterable[dict[str, Any]]) -> Table:
    """The paper's Table 4 layout: one line per model, AC (and IE for tool scenarios) per scenario, in %."""
    by_model: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for report in reports:
        by_model[report["model"]][report["scenario"]] = report
    table = Table(title="ToolHop: answer correctness (AC) and invocation errors (IE), %")
    table.add_column("Model")
    for scenario in SCENARIOS:
        table.add_column(f"{scenario.capitalize()} AC", justify="right")
        if scenario != "direct":
            table.add_column(f"{scenario.capitalize()} IE/query", justify="right")
            table.add_column(f"{scenario.capitalize()} IE/call", justify="right")
    for model, scenarios in by_model.items():
        cells = [model]
        for scenario in SCENARIOS:
            report = scenarios.get(scenario, {})
            cells.append(_percent(report.get("answer_correctness")))
            if scenario != "direct":
                cells.append(_percent(report.get("invocation_error_rate_per_query")))
                cells.append(_percent(report.get("invocation_error_rate_per_call")))
        table.add_row(*cells)
    return table


def breakdown_table(report: dict[str, Any], key: str) -> Table:
    title = "hops" if key == "by_hops" else "domain"
    table = Table(title=f"Accuracy by {title} ({report['scenario']}, judge {report['judge']})")
    table.add_column(title.capitalize())
    table.add_column("Queries", justify="right")
    table.add_column("Correct", justify="right")
    table.add_column("Accuracy %", justify="right")
    for value, cell in report[key].items():
        table.add_row(value, str(cell["queries"]), str(cell["correct"]), _percent(cell["accuracy"]))
    return table


def print_report(report: dict[str, Any], console: Console | None = None) -> None:
    """Print Table 4 for one run plus its counts and breakdowns."""
    console = console or Console()
    console.print(table4([report]))
    console.print(
        f"queries {report['queries']}, correct {report['correct']} ({report['judge']} judge; "
        f"by judge: {report['answer_correctness_by_judge']}), answered with <answer> {report['answered_with_tag']}, "
        f"tool calls {report['tool_calls']} (failed {report['failed_tool_calls']}: "
        f"{report['invocation_errors_by_kind']}), queries without any tool call {report['queries_without_tool_call']}, "
        f"status {report['status']}"
    )
    console.print(breakdown_table(report, "by_hops"))
    console.print(breakdown_table(report, "by_domain"))


def plot_by_hops(report: dict[str, Any], path: str | Path) -> Path:
    """Bar chart of accuracy by number of hops (Agg backend), written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hops = list(report["by_hops"])
    accuracy = [100 * (report["by_hops"][h]["accuracy"] or 0) for h in hops]
    counts = [report["by_hops"][h]["queries"] for h in hops]
    figure, axis = plt.subplots(figsize=(5, 3.2))
    bars = axis.bar(hops, accuracy, color="#4c72b0")
    for bar, count in zip(bars, counts, strict=True):
        axis.annotate(
            f"n={count}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom"
        )
    axis.set_xlabel("hops")
    axis.set_ylabel("answer correctness (%)")
    axis.set_ylim(0, 100)
    axis.set_title(f"{report['model']}: {report['scenario']} ({report['judge']})")
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
