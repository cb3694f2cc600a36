"""``knowbench ingest mwpes --help`` lists the registered formats; ``--quiet`` of ``ingest mwpes`` and ``eval cbqa``
leaves out the progress bar that the same command shows without it (real files, the offline SmolLM2 backend)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowbench.cli import main
from knowbench.datasets_src.mwpes.formats import FORMATS, format_names

BAR = "━"  # the bar of knowbench.progress (rich) as it is printed when the output is not a terminal


def _run(argv: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _format_help(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = _run(["ingest", command, "--help"], capsys)
    assert code == 0, err
    return out[out.index("--format"):out.index("--map")]  # the help of --format only


@pytest.mark.parametrize("command", ["mwpes", "mwp"])
def test_ingest_format_help_lists_every_registered_format(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    names = format_names()
    assert len(names) >= 5
    shown = _format_help(command, capsys)
    assert all(name in shown for name in names), shown

    def read_nothing(path: object, **options: object) -> list[object]:
        return []

    monkeypatch.setitem(FORMATS._entries, "format-registered-by-a-test", read_nothing)
    assert "format-registered-by-a-test" in _format_help(command, capsys)


def _samples(run: Path) -> list[dict[str, object]]:
    return sorted((json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()),
                  key=lambda r: str(r["id"]))


def test_ingest_quiet_shows_no_progress_bar(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (shared_data / "mwp_solutions" / "mr_gsm8k_wrong_dev.jsonl").read_text().splitlines()
    solutions = tmp_path / "mr.jsonl"
    solutions.write_text("\n".join(lines[:6]) + "\n")
    argv = ["ingest", "mwpes", "--solutions", solutions, "--format", "mr-gsm8k"]
    code, shown, err = _run([*argv, "--out", tmp_path / "shown"], capsys)
    assert code == 0, err
    assert "judging solutions" in shown and BAR in shown and "6/6" in shown
    code, quiet, err = _run([*argv, "--out", tmp_path / "quiet", "--quiet"], capsys)
    assert code == 0, err
    assert "judging solutions" not in quiet + err and BAR not in quiet + err
    assert "6 solutions of" in " ".join(err.split())  # the summary line stays (rich wraps it)
    assert _samples(tmp_path / "quiet") == _samples(tmp_path / "shown")


def test_eval_cbqa_quiet_shows_no_progress_bar(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["eval", "cbqa", "--facts", shared_data / "smi" / "pararel_15classes.json", "--templates",
            shared_data / "smi" / "pararel_multi_templates.json", "--backend", "transformers:smollm2", "--limit", 2,
            "--samples", 1, "--templates-per-fact", 1, "--max-new-tokens", 4]
    code, shown, err = _run([*argv, "--out", tmp_path / "shown"], capsys)
    assert code == 0, err
    assert "cbqa prompts" in shown and BAR in shown
    code, quiet, err = _run([*argv, "--out", tmp_path / "quiet", "--quiet"], capsys)
    assert code == 0, err
    assert "cbqa prompts" not in quiet + err and BAR not in quiet + err
    assert "2 facts, mean accuracy" in " ".join(quiet.split())
    assert (tmp_path / "quiet" / "accuracy.jsonl").read_text() == (tmp_path / "shown" / "accuracy.jsonl").read_text()
