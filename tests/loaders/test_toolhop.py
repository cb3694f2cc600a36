"""Typed ToolHop rows as the evaluator sees them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowbench.errors import DatasetFolderError, MissingInputError, UnknownNameError
from knowbench.loaders import check_folder, load, read_folder
from knowbench.loaders.toolhop import load_rows


def test_typed_rows_follow_the_hop_order(toolhop_folder: Path, toolhop_sample: Path) -> None:
    raw = {r["id"]: r for r in json.loads(toolhop_sample.read_text())}
    rows = load_rows(toolhop_folder)
    assert len(rows) == len(raw)
    for row in rows:
        source = raw[row.id]
        assert [t.hop for t in row.tools] == list(range(row.n_hops))
        assert [t.source for t in row.tools] == source["functions"]
        assert [s.answer for s in row.sub_tasks] == [source["sub_task"][t.sub_question] for t in row.tools]
        for tool in row.tools:
            assert tool.parameters == source["tools"][tool.sub_question]["parameters"]
        schemas = row.openai_tools()
        assert [s["function"]["name"] for s in schemas] == [t.name for t in row.tools]


def test_last_hop_answers_the_question(toolhop_folder: Path) -> None:
    rows = load_rows(toolhop_folder)
    assert all(row.sub_tasks[-1].answer.casefold() == row.answer.casefold() for row in rows)
    # the release has rows whose final answer differs in case from the last hop's; the card counts them
    differ = [row.id for row in rows if row.sub_tasks[-1].answer != row.answer]
    card = (toolhop_folder / "README.md").read_text()
    assert f"{len(differ)} queries whose final answer differs from the last hop's answer" in card


def test_unknown_tool_and_dataset_names_suggest_known_ones(toolhop_folder: Path) -> None:
    row = load_rows(toolhop_folder)[0]
    with pytest.raises(UnknownNameError, match="Known:"):
        row.tool("no_such_tool")
    with pytest.raises(UnknownNameError, match="Did you mean 'toolhop'"):
        load("toolhopp", toolhop_folder)


def test_missing_or_foreign_folders_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetFolderError, match="no README.md card"):
        load("toolhop", tmp_path)


def test_check_folder_names_a_missing_path_and_a_build_of_another_dataset(toolhop_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match=r"absent: no such folder \(a Hub dataset is named hf://"):
        check_folder("toolhop", tmp_path / "absent")
    assert read_folder(toolhop_folder).provenance["dataset"] == "toolhop"
    assert check_folder("toolhop", toolhop_folder).path == toolhop_folder
    with pytest.raises(DatasetFolderError, match=r"holds the knowbench dataset 'toolhop', not 'mwpes'"):
        check_folder("mwpes", toolhop_folder)
