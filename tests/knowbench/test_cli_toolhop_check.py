"""``knowbench check toolhop`` through ``knowbench.cli.main`` on the built 70-row sample."""

from __future__ import annotations

import json

import pytest

from knowbench.cli import main


@pytest.fixture(scope="module")
def folder(shared_data, tmp_path_factory):
    """The 70-row sample built once per test session (shared with the other ToolHop test modules)."""
    from knowbench.builders import get_builder
    from knowbench.builders.writer import build_to_folder

    built = tmp_path_factory.getbasetemp() / "toolhop70-built"
    if not (built / "README.md").exists():
        build_to_folder(get_builder("toolhop", source=shared_data / "toolhop/toolhop_sample70.json"), built)
    return built


def test_check_prints_tables_and_saves_json(folder, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["check", "toolhop", "--data", str(folder), "--rows", "4", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert saved["summary"]["rows"] == 4 == len(saved["rows"])
    assert "solvable rows" in printed and f"saved {out}" in printed.replace("\n", "")
    assert all(str(row["id"]) in printed for row in saved["rows"])
    assert saved["layers"]["audit_hook"] is True


def test_check_json_output_equals_the_saved_report(folder, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["check", "toolhop", "--data", str(folder), "--rows", "3", "--json", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())


def test_check_on_a_missing_folder_is_a_one_line_error(tmp_path, capsys):
    assert main(["check", "toolhop", "--data", str(tmp_path / "absent"), "--out", str(tmp_path / "r.json")]) != 0
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.slow
def test_check_all_70_rows(folder, tmp_path, capsys):
    from knowbench.loaders.toolhop import load_rows

    out = tmp_path / "report.json"
    assert main(["check", "toolhop", "--data", str(folder), "--json", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["rows"] == len(load_rows(folder))
    assert summary["calls"] > summary["rows"] and summary["seconds"] > 0
