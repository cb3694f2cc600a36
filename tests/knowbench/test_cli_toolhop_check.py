"""``knowbench check toolhop`` through ``knowbench.cli.main`` on the built 70-row sample."""

from __future__ import annotations

import json

import pytest

from knowbench.cli import main


@pytest.fixture(scope="module")
def folder(toolhop_folder):
    """The 70-row sample built once per test session (tests/conftest.py)."""
    return toolhop_folder


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


def test_check_writes_nothing_without_out_and_replaces_only_its_own_report(folder, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["check", "toolhop", "--data", str(folder), "--rows", "1", "--no-show-rows"]) == 0
    assert list(tmp_path.iterdir()) == []  # the working folder is never written by default
    out = tmp_path / "r.json"
    assert main(["check", "toolhop", "--data", str(folder), "--rows", "1", "--out", str(out)]) == 0
    first = json.loads(out.read_text())
    assert first["knowbench"] == "toolhop-solvability" and first["summary"]["rows"] == 1
    assert main(["check", "toolhop", "--data", str(folder), "--rows", "2", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["summary"]["rows"] == 2  # a report of its own is replaced
