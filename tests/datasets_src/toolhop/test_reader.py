"""The ToolHop source reader on the real sample and on malformed copies of it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from knowbench.datasets_src.toolhop import read_rows
from knowbench.errors import MissingInputError, SourceFormatError


@pytest.fixture(scope="module")
def raw_rows(toolhop_sample: Path) -> list[dict]:
    return json.loads(toolhop_sample.read_text())


def test_reads_all_real_rows_with_hop_order(toolhop_sample: Path, raw_rows: list[dict]) -> None:
    rows = read_rows(toolhop_sample)
    assert len(rows) == len(raw_rows) == 70
    for row in rows:
        assert sorted(row.hop_order) == sorted(row.raw["sub_task"])
        # functions are in hop order: the i-th source defines the tool of the i-th hop
        for position, question in enumerate(row.hop_order):
            assert row.sources[question] == row.raw["functions"][position]
            assert f"def {row.raw['tools'][question]['name']}(" in row.sources[question]


def test_hop_order_follows_answers(toolhop_sample: Path) -> None:
    # every hop after the first mentions the answer of an earlier hop (the chain is real)
    for row in read_rows(toolhop_sample):
        answers = [row.raw["sub_task"][q] for q in row.hop_order]
        last = row.hop_order[-1]
        assert any(a in last for a in answers[:-1]) or len(row.hop_order) == 1, row.raw["id"]


def test_jsonl_input_gives_the_same_rows(tmp_path: Path, toolhop_sample: Path, raw_rows: list[dict]) -> None:
    jsonl = tmp_path / "toolhop.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in raw_rows) + "\n")
    assert [r.raw for r in read_rows(jsonl)] == [r.raw for r in read_rows(toolhop_sample)]


def _write(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rows))
    return path


def _first_tool_question(row: dict) -> str:
    return next(iter(row["tools"]))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("answer"), "missing field 'answer'"),
        (lambda r: r.update(id="7"), "field 'id' must be int"),
        (
            lambda r: r["tools"][_first_tool_question(r)].update(parameters={"type": "array"}),
            "parameters is not a JSON Schema object",
        ),
        (
            lambda r: r["tools"][_first_tool_question(r)]["parameters"].update(required="name"),
            "parameters is not a valid JSON Schema",
        ),
        (lambda r: r["functions"].__setitem__(0, "def broken(:\n    pass"), "functions[0] does not parse"),
        (
            lambda r: r["functions"].__setitem__(0, "def other_name():\n    return 1\n"),
            "functions[0] defines ['other_name']",
        ),
        (
            lambda r: r["sub_task"].pop(next(iter(r["sub_task"]))),
            "sub_task and tools name different sub-questions",
        ),
    ],
)
def test_malformed_rows_are_one_line_errors_naming_the_row(
    tmp_path: Path, raw_rows: list[dict], mutate, message: str
) -> None:
    rows = copy.deepcopy(raw_rows[:5])
    mutate(rows[3])
    with pytest.raises(SourceFormatError) as error:
        read_rows(_write(tmp_path, rows))
    text = str(error.value)
    assert "\n" not in text
    assert "row 4" in text and message in text  # rows[3] is the 4th row (1-based)
    assert str(tmp_path / "bad.json") in text


def test_truncated_json_names_the_position(tmp_path: Path, toolhop_sample: Path) -> None:
    data = toolhop_sample.read_bytes()
    path = tmp_path / "truncated.json"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceFormatError, match=r"truncated\.json: line \d+, column \d+: malformed JSON"):
        read_rows(path)


def test_missing_file_and_folder_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match=r"absent\.json: no such ToolHop file$"):
        read_rows(tmp_path / "absent.json")
    with pytest.raises(SourceFormatError, match=r"is a folder, not a ToolHop file$"):
        read_rows(tmp_path)


def test_json_lines_file_reads_like_the_list(tmp_path: Path, toolhop_sample: Path, raw_rows: list[dict]) -> None:
    path = tmp_path / "toolhop.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in raw_rows[:5]))
    assert [r.raw for r in read_rows(path)] == [r.raw for r in read_rows(toolhop_sample)[:5]]


def test_duplicate_ids_are_refused(tmp_path: Path, raw_rows: list[dict]) -> None:
    with pytest.raises(SourceFormatError, match=r"row 2 \(id \d+\): duplicate id \(also row 1\)"):
        read_rows(_write(tmp_path, [raw_rows[0], raw_rows[0]]))
