"""ToolHop evaluation harness: judges on real rows, real tool execution, real SmolLM2 runs, resume, honest counts."""

from __future__ import annotations

import datetime
import json
import re

import pytest

from knowbench.backends import Completion, ToolCall, load_backend
from knowbench.backends.tool_parsing import parse_text_tool_calls
from knowbench.errors import ConfigError, RunStateError
from knowbench.io import read_jsonl
from knowbench.training.toolhop import EvalSettings, evaluate, report_from_run, run_eval
from knowbench.training.toolhop.harness import Episode, check_run_dir, prepare_run_dir, run_config
from knowbench.training.toolhop.judge import JUDGES, extract_answer, parse_date, parse_number
from knowbench.training.toolhop.prompts import MANDATORY_REMINDER, MINIMAL_FEEDBACK
from knowbench.training.toolhop.report import summarise, table4


@pytest.fixture(scope="module")
def smollm2():
    return load_backend("transformers:smollm2")


@pytest.fixture(scope="module")
def sandbox():
    from knowbench.sandbox import ToolSandbox

    with ToolSandbox(workers=1) as box:
        yield box


def _strip_timing(records):
    return [{k: v for k, v in r.items() if k != "timing"} for r in records]


# -- judges on real rows --------------------------------------------------------------------------------------------
def test_judges_accept_every_gold_answer_and_differ_on_the_sign(toolhop_rows):
    typed, containment = JUDGES.get("typed"), JUDGES.get("containment")
    for row in toolhop_rows:
        reply = f"So the result is <answer>{row.answer}</answer>."
        assert typed(reply, row.answer, row.answer_type), row.id
        assert containment(reply, row.answer, row.answer_type), row.id
    positive = [r for r in toolhop_rows if r.answer_type == "number" and (parse_number(r.answer) or 0) > 0]
    assert positive
    for row in positive:  # the "-137" case: the official substring rule passes a negated number
        negated = f"<answer>-{row.answer}</answer>"
        assert containment(negated, row.answer, "number") and not typed(negated, row.answer, "number")
    assert any(r.answer == "137" for r in positive)


def test_typed_judge_normalises_by_type(toolhop_rows):
    typed = JUDGES.get("typed")
    numbers = [r for r in toolhop_rows if r.answer_type == "number" and float(r.answer) >= 1000]
    assert numbers
    for row in numbers:
        formatted = f"{int(float(row.answer)):,}"
        assert typed(f"<answer>{formatted}</answer>", row.answer, "number")
        assert typed(f"<answer>{row.answer}.0</answer>", row.answer, "number")
        assert not typed(f"<answer>{int(float(row.answer)) + 1}</answer>", row.answer, "number")
    for row in [r for r in toolhop_rows if r.answer_type == "date"]:
        date = datetime.date.fromisoformat(row.answer)
        spelled = f"{date.day} {date.strftime('%B')} {date.year}"
        assert parse_date(spelled) == date and typed(f"<answer>{spelled}</answer>", row.answer, "date")
        assert not typed(f"<answer>{date + datetime.timedelta(days=1)}</answer>", row.answer, "date")
    for row in [r for r in toolhop_rows if r.answer_type in ("string", "letter")]:
        shouted = " ".join(row.answer.upper())
        assert typed(f"<answer> {shouted} </answer>", row.answer, row.answer_type)
        assert not typed(f"<answer>{row.answer}x</answer>", row.answer, row.answer_type)
    assert not typed(toolhop_rows[0].answer, toolhop_rows[0].answer, toolhop_rows[0].answer_type)  # no <answer> tag: not an answer
    assert extract_answer("<answer>a</answer> then <answer> b </answer>") == "b"


# -- tool execution through the real sandbox ------------------------------------------------------------------------
def _example_call(sandbox, tool):
    calls = sandbox.example_calls(tool.source, tool.name)
    return calls[0] if calls else None


@pytest.mark.parametrize("feedback", ["detailed", "minimal"])
def test_tool_calls_run_in_the_sandbox_with_feedback(toolhop_rows, sandbox, feedback):
    row = next(r for r in toolhop_rows if _example_call(sandbox, r.tools[0]) is not None)
    tool = row.tools[0]
    arguments = _example_call(sandbox, tool)
    expected = sandbox.call(tool.source, tool.name, arguments)
    assert expected.ok
    episode = Episode(row, EvalSettings("free", feedback=feedback))
    calls = (
        ToolCall(tool.name, arguments, id="a"),
        ToolCall(tool.name, {"no_such_argument": 1}, id="b"),
        ToolCall("no_such_tool", {}, id="c"),
        ToolCall(tool.name, {}, id="d", raw_arguments="{oops", error="arguments are not valid JSON"),
    )
    episode.advance(Completion(text="", tool_calls=calls, finish_reason="tool_calls"), sandbox)
    assert not episode.done
    assert [c["ok"] for c in episode.calls] == [True, False, False, False]
    assert [c["error_kind"] for c in episode.calls[1:]] == ["bad_arguments", "not_found", "bad_arguments"]
    assert episode.calls[0]["value"] == expected.value
    tool_messages = [m for m in episode.messages if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["a", "b", "c", "d"]
    first = tool_messages[0]["content"]
    assert first == (expected.value if isinstance(expected.value, str) else json.dumps(expected.value))
    if feedback == "minimal":
        assert {m["content"] for m in tool_messages[1:]} == {MINIMAL_FEEDBACK}
    else:
        assert "no_such_argument" in tool_messages[1]["content"]  # the exception's own message
        assert "no_such_tool" in tool_messages[2]["content"]
    episode.advance(Completion(text=f"<answer>{row.answer}</answer>", finish_reason="stop"), sandbox)
    record = episode.record(JUDGES.names())
    assert record["status"] == "answered" and record["correct"] == {"containment": True, "typed": True}
    assert (record["n_calls"], record["n_failed_calls"]) == (4, 3)


def test_mandatory_reminds_and_does_not_score_answers_without_tools(toolhop_rows):
    row = toolhop_rows[0]
    episode = Episode(row, EvalSettings("mandatory", max_turns=2))
    episode.advance(Completion(text=f"<answer>{row.answer}</answer>", finish_reason="stop"), None)
    assert not episode.done and episode.messages[-1] == {"role": "user", "content": MANDATORY_REMINDER}
    episode.advance(Completion(text=f"<answer>{row.answer}</answer>", finish_reason="stop"), None)
    record = episode.record(JUDGES.names())
    assert record["status"] == "max_turns" and record["judged"]["typed"] and not record["correct"]["typed"]


def test_settings_and_run_config_are_checked(toolhop_rows, smollm2, tmp_path):
    with pytest.raises(ConfigError, match="scenario"):
        EvalSettings("sometimes")
    prepare_run_dir(tmp_path, run_config(toolhop_rows[:2], smollm2, EvalSettings("free"), "data"))
    prepare_run_dir(
        tmp_path, run_config(toolhop_rows[:2], smollm2, EvalSettings("free", judge="containment"), "data")
    )
    with pytest.raises(RunStateError, match="scenario"):
        prepare_run_dir(tmp_path, run_config(toolhop_rows[:2], smollm2, EvalSettings("mandatory"), "data"))
    with pytest.raises(RunStateError, match="data_fingerprint"):
        prepare_run_dir(tmp_path, run_config(toolhop_rows[2:4], smollm2, EvalSettings("free"), "data"))


def test_check_run_dir_refuses_another_judge(toolhop_rows, smollm2, tmp_path):
    # traces hold every judge's verdict, so `evaluate` resumes with another judge; a report may not be rescored
    prepare_run_dir(tmp_path, run_config(toolhop_rows[:2], smollm2, EvalSettings("free"), "data"))
    check_run_dir(tmp_path, toolhop_rows[:2], EvalSettings("free"))
    with pytest.raises(RunStateError, match=rf"judge: 'typed' -> 'containment'.*toolhop-report {re.escape(str(tmp_path))} --judge containment"):
        check_run_dir(tmp_path, toolhop_rows[:2], EvalSettings("free", judge="containment"))
    with pytest.raises(RunStateError, match="judge") as error:  # more differs: every key named, no re-judging
        check_run_dir(tmp_path, toolhop_rows[:2], EvalSettings("mandatory", judge="containment"))
    assert "scenario" in str(error.value) and "toolhop-report" not in str(error.value)


# -- real SmolLM2 end to end ----------------------------------------------------------------------------------------
def _check_honest_counts(records, report):
    for record in records:
        written = sum(
            len(parse_text_tool_calls(turn["raw_text"])[0]) for turn in record["turns"] if "raw_text" in turn
        )
        assert record["n_calls"] == (written if record["scenario"] != "direct" else 0)
        assert record["n_calls"] == len(record["tool_calls"])
    assert report["tool_calls"] == sum(r["n_calls"] for r in records)
    assert report["queries_without_tool_call"] == sum(r["n_calls"] == 0 for r in records)
    assert report["queries"] == len(records)
    assert report["correct"] == sum(r["correct"][report["judge"]] for r in records)


def test_fast_end_to_end_with_smollm2(toolhop_folder, smollm2, tmp_path):
    settings = EvalSettings("direct", max_new_tokens=6)
    report = run_eval(str(toolhop_folder), smollm2, settings, tmp_path / "run", limit=2, progress=False)
    records = list(read_jsonl(tmp_path / "run" / "traces.jsonl"))
    assert len(records) == 2 and all(r["n_turns"] == 1 and r["n_calls"] == 0 for r in records)
    assert all(r["turns"][0]["completion_tokens"] <= 6 for r in records)
    _check_honest_counts(records, report)
    assert json.loads((tmp_path / "run" / "report.json").read_text()) == report
    assert report_from_run(tmp_path / "run") == report
    assert (tmp_path / "run" / "accuracy_by_hops.png").stat().st_size > 0


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["direct", "mandatory", "free"])
def test_end_to_end_all_scenarios_with_smollm2(toolhop_folder, smollm2, tmp_path, scenario):
    settings = EvalSettings(scenario, max_new_tokens=48, max_turns=3)
    report = run_eval(
        str(toolhop_folder), smollm2, settings, tmp_path / scenario, limit=3, workers=1, progress=False
    )
    records = list(read_jsonl(tmp_path / scenario / "traces.jsonl"))
    assert [r["id"] for r in records] == sorted(r["id"] for r in records) or len(records) == 3
    _check_honest_counts(records, report)
    assert sum(v["queries"] for v in report["by_hops"].values()) == 3
    assert sum(v["queries"] for v in report["by_domain"].values()) == 3
    containment = report_from_run(tmp_path / scenario, judge="containment")
    assert containment["correct"] == sum(r["correct"]["containment"] for r in records)
    table = table4([report, containment])
    assert table.row_count == 1  # one model, one line


@pytest.mark.slow
def test_resume_after_interruption_gives_the_same_traces(toolhop_rows, smollm2, tmp_path):
    settings = EvalSettings("direct", max_new_tokens=8, batch_size=1)
    subset = toolhop_rows[:3]
    full = evaluate(subset, smollm2, settings, tmp_path / "full", progress=False)

    def interrupt(record):
        raise KeyboardInterrupt  # like Ctrl-C right after the first row was logged

    with pytest.raises(KeyboardInterrupt):
        evaluate(subset, smollm2, settings, tmp_path / "resumed", progress=False, on_row_done=interrupt)
    assert len(list(read_jsonl(tmp_path / "resumed" / "traces.jsonl"))) == 1
    seen = []
    resumed = evaluate(
        subset, smollm2, settings, tmp_path / "resumed", progress=False, on_row_done=seen.append
    )
    assert len(seen) == 2  # only the missing rows ran again
    assert _strip_timing(resumed) == _strip_timing(full)
    assert summarise(resumed) == summarise(full)
