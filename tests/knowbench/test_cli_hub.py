"""`knowbench build`, `info` and `push --dry-run` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowbench.cli import main


def test_build_info_and_dry_run_push(tmp_path: Path, toolhop_sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "toolhop"
    assert main(["build", "toolhop", "--source", str(toolhop_sample), "--out", str(out)]) == 0
    assert main(["info", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "default" in printed and "70" in printed
    assert main(["push", str(out), "--repo-id", "someone/toolhop", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["README.md", "data/default/test-00000-of-00001.parquet", "provenance.json"]
    for name in files:
        assert name in printed
    assert f"{sum((out / f).stat().st_size for f in files):,}" in printed


def test_errors_print_as_one_line(tmp_path: Path, toolhop_sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = json.loads(toolhop_sample.read_text())
    del rows[2]["question"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(rows))
    assert main(["build", "toolhop", "--source", str(bad), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: ") and "row 3 " in err and "'question'" in err  # 1-based
    assert not (tmp_path / "out").exists()
    assert main(["push", str(tmp_path), "--repo-id", "a/b", "--dry-run"]) == 1
    assert "no README.md card" in capsys.readouterr().err


def test_push_dry_run_refuses_a_card_that_disagrees_with_its_files(
    toolhop_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    copy = tmp_path / "toolhop"
    shutil.copytree(toolhop_folder, copy)
    card = (copy / "README.md").read_text().replace("num_examples: 70", "num_examples: 71")
    (copy / "README.md").write_text(card)
    assert main(["push", str(copy), "--repo-id", "a/b", "--dry-run"]) == 1
    assert "declares 71 rows but its shards hold 70" in capsys.readouterr().err


def test_push_without_a_reachable_hub_is_a_one_line_error(
    toolhop_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Online mode, but nothing listens at the endpoint (a closed port on this machine): the network error of the
    HTTP client (not an OSError) becomes one line naming the repo."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("HF_TOKEN", "hf_not_a_real_token")
    assert main(["push", str(toolhop_folder), "--repo-id", "knowbench-test/never"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: push to knowbench-test/never failed: ")
