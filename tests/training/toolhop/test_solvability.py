"""Solvability report: real ToolHop rows checked by running their own tools' example calls in the sandbox."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

from knowbench.loaders.toolhop import SubTask, ToolHopRow, ToolHopTool
from knowbench.sandbox import SandboxLimits, ToolSandbox, find_example_calls
from knowbench.training.toolhop.solvability import answer_kind, answer_reached, check_rows, count_calls


@pytest.fixture(scope="module")
def sandbox():
    with ToolSandbox(workers=2, limits=SandboxLimits(cpu_seconds=1, wall_seconds=3)) as box:
        yield box


def test_answer_matching_is_typed():
    assert answer_kind("-1,302") == "number" and answer_kind("11 July 1302") == "date"
    assert answer_kind("John II") == "string"
    assert answer_reached("15", 15) and answer_reached("15", {"total": 15, "parts": [1, 2]})
    assert not answer_reached("137", -137) and not answer_reached("137", "difference: -137")
    assert answer_reached("-137", {"difference": -137})
    assert answer_reached("11 July 1302", {"date_of_death": "1302-07-11"})
    assert answer_reached("John II of Brienne", "The father is JOHN II  of brienne.")
    assert not answer_reached("J", "Jean") and answer_reached("J", {"letter": "j"})
    assert not answer_reached("Paris", None) and not answer_reached("", "anything")


def _tool(hop: int, name: str, body: str, example: str) -> ToolHopTool:
    source = f"def {name}(x):\n{body}\n\n# Example usage\nprint({name}({example!r}))\n"
    return ToolHopTool(hop, f"q{hop}", name, "", {"type": "object"}, source)


def _row(tools: list[ToolHopTool], answers: list[str]) -> ToolHopRow:
    subs = tuple(SubTask(i, f"q{i}", a) for i, a in enumerate(answers))
    return ToolHopRow(1, "q", answers[-1], "number", "string", "test", len(tools), subs, tuple(tools))


def test_a_row_is_solvable_only_when_every_hop_and_the_final_answer_come_out(sandbox):
    father = _tool(0, "father_of", "    return {'father': 'John II'} if x == 'Raoul' else 'unknown'", "Raoul")
    length = _tool(1, "name_length", "    return len(x.replace(' ', ''))", "John II")
    good = check_rows([_row([father, length], ["John II", "6"])], sandbox)
    assert good.rows[0].solvable and good.summary["solvable_rows"] == 1
    wrong = _tool(1, "name_length", "    return len(x)", "John II")  # counts the space: 7
    bad = check_rows([_row([father, wrong], ["John II", "6"])], sandbox)
    row = bad.rows[0].to_dict()
    assert not row["solvable"] and row["hops_reached"] == 1 and not row["final_reached"]
    silent = _tool(1, "name_length", "    return len(x)", "John II").source.replace("print(", "# nothing (")
    missing = dataclasses.replace(wrong, source=silent.split("# Example usage")[0])
    report = check_rows([_row([father, missing], ["John II", "6"])], sandbox)
    assert report.rows[0].to_dict()["missing_example_calls"] == ["name_length"]
    assert report.summary["tools_missing_example_calls"] == 1


def test_a_hostile_tool_is_a_finding_and_the_check_goes_on(toolhop_rows, sandbox, tmp_path):
    target = tmp_path / f"pwned-{uuid.uuid4().hex}"
    row = toolhop_rows[0]
    name = row.tools[0].name
    source = f"def {name}(**kwargs):\n    open({str(target)!r}, 'w').write('x')\n    return 'ok'\n\nprint({name}(a=1))\n"
    evil = dataclasses.replace(row.tools[0], source=source)
    hostile = dataclasses.replace(row, tools=(evil, *row.tools[1:]))
    report = check_rows([hostile, *toolhop_rows[1:4]], sandbox)
    first = report.rows[0].to_dict()
    assert not target.exists()
    assert first["crashing_tools"] == [evil.name] and not first["solvable"]
    assert {c["error_kind"] for c in first["tools"][0]["calls"]} == {"violation"}
    assert len(report.rows) == 4 and report.summary["calls"] == count_calls([hostile, *toolhop_rows[1:4]])


def test_report_on_real_rows_is_consistent(toolhop_rows, sandbox):
    subset = toolhop_rows[:10]
    report = check_rows(subset, sandbox)
    summary = report.summary
    document = json.loads(json.dumps(report.to_dict()))
    assert summary["rows"] == len(subset) and summary["calls"] == count_calls(subset)
    assert summary["hops"] == sum(len(r.tools) for r in subset)
    assert summary["solvable_rows"] == sum(r["solvable"] for r in document["rows"])
    expected_missing = sum(1 for r in subset for t in r.tools
                           if not any(c.resolved for c in find_example_calls(t.source, t.name)))
    assert summary["tools_missing_example_calls"] == expected_missing
    for row_doc, row in zip(document["rows"], subset, strict=True):
        assert row_doc["id"] == row.id
        assert not row_doc["solvable"] or row_doc["hops_reached"] == len(row.tools)
        for tool_doc, sub in zip(row_doc["tools"], row.sub_tasks, strict=True):
            assert tool_doc["sub_answer"] == sub.answer
            values = [c["value"] for c in tool_doc["calls"] if c["ok"]]
            assert tool_doc["reached"] == any(answer_reached(sub.answer, v) for v in values)
    assert summary["solvable_rows"] > 0  # some real rows are solvable by their own example calls
