"""Solvability of ToolHop rows by their own tools: run each tool's example calls in the sandbox, look for answers.

For every row, each tool is called (in the sandbox) with the arguments of the example-usage calls written in its
own source (code or comments, read with ``ast``, never executed in the evaluator). A hop is *reached* when one of
its tool's outputs holds the sub-task's gold answer (numbers numerically with their sign, dates as dates, text
case- and space-insensitively; the output may be a dict or a longer string that contains it); a row is *solvable*
when every hop is reached and some output holds the final answer. The report also lists tools that crash and tools
without example calls. Rows are read through ``knowbench.loaders.toolhop.load_rows`` only.

Example:
    >>> report = check_toolhop("out/toolhop", workers=2)  # doctest: +SKIP
    >>> report.summary["solvable_rows"], report.summary["rows"]  # doctest: +SKIP
    (52, 70)
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from knowbench.loaders.toolhop import ToolHopRow, ToolHopTool
from knowbench.sandbox import SANDBOXES, SandboxLimits, ToolResult, find_example_calls
from knowbench.training.toolhop.judge import normalise_text, parse_date, parse_number, parse_numbers

_SHOWN_CHARS = 300


_PLAIN_NUMBER = re.compile(r"[-+\u2212]?\d[\d,_]*(?:\.\d+)?")


def answer_kind(answer: str) -> str:
    """``"number"``, ``"date"`` or ``"string"``: how a (sub-task) gold answer is compared.

    Example:
        >>> answer_kind("-1,302"), answer_kind("11 July 1302"), answer_kind("Kyoto 2")
        ('number', 'date', 'string')
    """
    if _PLAIN_NUMBER.fullmatch(answer.strip()):
        return "number"
    return "date" if parse_date(answer) is not None else "string"


def _leaves(value: Any) -> Iterable[str]:
    """Every scalar of a (nested) tool output as text, then the whole output as text."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    elif value is not None:
        yield str(value)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)


def answer_reached(answer: str, output: Any, kind: str | None = None) -> bool:
    """Does a tool ``output`` hold the gold ``answer``?

    Example:
        >>> answer_reached("15", {"total": 15}), answer_reached("137", "result: -137")
        (True, False)
        >>> answer_reached("John II of Brienne", "The father is john ii of  brienne."), answer_reached("J", "Jean")
        (True, False)
    """
    kind = kind or answer_kind(answer)
    texts = [*_leaves(output), _as_text(output)]
    if kind == "number":
        gold = parse_number(answer)
        if gold is not None:
            return any(math.isclose(v, gold, rel_tol=1e-9, abs_tol=1e-9) for t in texts for v in parse_numbers(t))
    if kind == "date":
        gold_date = parse_date(answer)
        if gold_date is not None and any(parse_date(t) == gold_date for t in texts):
            return True
    gold_text = normalise_text(answer)
    if not gold_text:
        return False
    if len(gold_text) <= 2:  # a letter or two: only a whole output value may hold it
        return any(normalise_text(t) == gold_text for t in texts)
    return any(gold_text in normalise_text(t) for t in texts)


def _looks_like_error(value: Any) -> bool:
    if isinstance(value, dict):
        return "error" in {str(k).lower() for k in value}
    return isinstance(value, str) and value.strip().lower().startswith(("error", "invalid"))


@dataclass
class ToolCheck:
    """One tool of one row: its example calls, what they returned, whether its hop's answer came out."""

    hop: int
    name: str
    sub_answer: str
    code_calls: int = 0
    commented_calls: int = 0
    unresolved_calls: list[str] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    reached: bool = False
    reached_by_any_tool: bool = False

    @property
    def failed_calls(self) -> list[dict[str, Any]]:
        return [call for call in self.calls if not call["ok"]]


@dataclass
class RowCheck:
    id: int
    domain: str
    n_hops: int
    answer: str
    answer_type: str
    tools: list[ToolCheck]
    final_reached: bool = False

    @property
    def hops_reached(self) -> int:
        return sum(tool.reached for tool in self.tools)

    @property
    def solvable(self) -> bool:
        return self.hops_reached == len(self.tools) and self.final_reached

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "domain": self.domain, "n_hops": self.n_hops, "answer": self.answer,
            "answer_type": self.answer_type, "solvable": self.solvable, "hops_reached": self.hops_reached,
            "final_reached": self.final_reached,
            "missing_example_calls": [t.name for t in self.tools if not t.calls],
            "crashing_tools": [t.name for t in self.tools if t.failed_calls],
            "tools": [
                {"hop": t.hop, "name": t.name, "sub_answer": t.sub_answer, "reached": t.reached,
                 "reached_by_any_tool": t.reached_by_any_tool,
                 "code_calls": t.code_calls, "commented_calls": t.commented_calls,
                 "unresolved_calls": t.unresolved_calls, "calls": t.calls}
                for t in self.tools
            ],
        }


@dataclass
class SolvabilityReport:
    rows: list[RowCheck]
    seconds: float
    layers: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, Any]:
        tools = [tool for row in self.rows for tool in row.tools]
        calls = [call for tool in tools for call in tool.calls]
        return {
            "rows": len(self.rows),
            "solvable_rows": sum(row.solvable for row in self.rows),
            "rows_all_hops_reached": sum(row.hops_reached == len(row.tools) for row in self.rows),
            "rows_final_answer_reached": sum(row.final_reached for row in self.rows),
            "hops": len(tools),
            "hops_reached": sum(tool.reached for tool in tools),
            "hops_reached_by_any_tool_of_the_row": sum(tool.reached_by_any_tool for tool in tools),
            "tools_with_example_calls_in_code": sum(tool.code_calls > 0 for tool in tools),
            "tools_with_example_calls_only_in_comments": sum(tool.code_calls == 0 < tool.commented_calls
                                                             for tool in tools),
            "tools_missing_example_calls": sum(not tool.calls for tool in tools),
            "tools_with_unresolvable_calls": sum(bool(tool.unresolved_calls) for tool in tools),
            "rows_missing_example_calls": sum(any(not t.calls for t in row.tools) for row in self.rows),
            "calls": len(calls),
            "calls_failed": sum(not call["ok"] for call in calls),
            "crashing_tools": sum(bool(tool.failed_calls) for tool in tools),
            "error_kinds": dict(Counter(call["error_kind"] for call in calls if not call["ok"])),
            "calls_returning_error_values": sum(call["ok"] and call["error_value"] for call in calls),
            "seconds": round(self.seconds, 3),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "layers": self.layers, "rows": [row.to_dict() for row in self.rows]}


def _plan(row: ToolHopRow, tool: ToolHopTool, sub_answer: str) -> ToolCheck:
    check = ToolCheck(hop=tool.hop, name=tool.name, sub_answer=sub_answer)
    seen: list[dict[str, Any]] = []
    for call in find_example_calls(tool.source, tool.name):
        if not call.resolved:
            check.unresolved_calls.append(f"line {call.line}: {call.problem}")
            continue
        if call.arguments in seen:
            continue
        seen.append(call.arguments)
        check.commented_calls += call.commented
        check.code_calls += not call.commented
        check.calls.append({"arguments": call.arguments, "commented": call.commented})
    return check


def _record(call: dict[str, Any], result: ToolResult) -> None:
    shown = result.value if len(_as_text(result.value)) <= _SHOWN_CHARS else _as_text(result.value)[:_SHOWN_CHARS]
    call.update(ok=result.ok, value=shown, error_kind=result.error_kind, error=result.error,
                error_value=result.ok and _looks_like_error(result.value), seconds=round(result.duration_s, 4))
    call["_full"] = result.value


def check_rows(rows: list[ToolHopRow], sandbox: Any, workers: int = 2,
               advance: Callable[[int], None] | None = None) -> SolvabilityReport:
    """Check ``rows`` with an open sandbox (``ToolSandbox`` or any object with its ``call``).

    ``advance(n)`` is called as calls finish (for a progress bar); the number of calls is
    :func:`count_calls` of the rows.
    """
    started = time.perf_counter()
    checks: list[RowCheck] = []
    jobs: list[tuple[ToolHopTool, dict[str, Any]]] = []
    for row in rows:
        answers = {sub.hop: sub.answer for sub in row.sub_tasks}
        tools = [_plan(row, tool, answers.get(tool.hop, "")) for tool in row.tools]
        checks.append(RowCheck(row.id, row.domain, row.n_hops, row.answer, row.answer_type, tools))
        jobs += [(tool, call) for tool, check in zip(row.tools, tools, strict=True) for call in check.calls]

    def run(job: tuple[ToolHopTool, dict[str, Any]]) -> None:
        tool, call = job
        _record(call, sandbox.call(tool.source, tool.name, call["arguments"]))
        if advance is not None:
            advance(1)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(run, jobs))
    for row, check in zip(rows, checks, strict=True):
        outputs: list[list[Any]] = []
        for tool in check.tools:
            outputs.append([call.pop("_full") for call in tool.calls if call["ok"]])
            tool.reached = any(answer_reached(tool.sub_answer, value) for value in outputs[-1])
        for tool in check.tools:  # the gold answer of this hop among the outputs of any tool of the row
            tool.reached_by_any_tool = any(answer_reached(tool.sub_answer, v) for values in outputs for v in values)
        # the final answer must come out of the last hop's tool (a number is easily found elsewhere)
        last = outputs[-1] if outputs else []
        check.final_reached = any(answer_reached(row.answer, value, _final_kind(row)) for value in last)
    return SolvabilityReport(checks, time.perf_counter() - started)


def _final_kind(row: ToolHopRow) -> str:
    kind = row.answer_type.strip().lower()
    return kind if kind in ("number", "date") else "string"


def count_calls(rows: list[ToolHopRow]) -> int:
    """How many sandbox calls :func:`check_rows` makes for ``rows``."""
    return sum(len(_plan(row, tool, "").calls) for row in rows for tool in row.tools)


def check_toolhop(data: str, workers: int = 2, limits: SandboxLimits | None = None, sandbox: str = "subprocess",
                  advance: Callable[[int], None] | None = None, rows: list[ToolHopRow] | None = None
                  ) -> SolvabilityReport:
    """Load a built ToolHop folder (or Hub repo id) and check every row in a fresh sandbox."""
    from knowbench.loaders.toolhop import load_rows

    rows = load_rows(data) if rows is None else rows
    with SANDBOXES.get(sandbox)(workers=workers, limits=limits or SandboxLimits()) as box:
        report = check_rows(rows, box, workers=workers, advance=advance)
        report.layers = box.layers() if hasattr(box, "layers") else {"sandbox": sandbox}
    return report
