"""``knowbench eval toolhop`` on an existing run folder: another judge is refused (one line, pointing to
``eval toolhop-report --judge``), the run folder stays as it was, and the re-judging route it names works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowbench.cli import main


def _run(argv: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _eval(data: Path, out: Path, *extra: object, max_new_tokens: int = 4) -> list[object]:
    return ["eval", "toolhop", "--data", data, "--backend", "transformers:smollm2", "--scenario", "direct",
            "--limit", 2, "--max-new-tokens", max_new_tokens, "--out", out, "--quiet", *extra]


def test_eval_toolhop_refuses_another_judge_on_resume(
    toolhop_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    code, _, err = _run(_eval(toolhop_folder, run), capsys)
    assert code == 0, err
    made = json.loads((run / "report.json").read_text())
    assert made["judge"] == "typed" and made["queries"] == 2
    before = _snapshot(run)

    code, _, err = _run(_eval(toolhop_folder, run, "--judge", "containment"), capsys)
    lines = err.splitlines()
    assert code == 1 and len(lines) == 1, err
    assert "judge: 'typed' -> 'containment'" in lines[0]
    assert f"knowbench eval toolhop-report {run} --judge containment" in lines[0]
    assert _snapshot(run) == before  # neither config.json nor report.json was rescored

    # more than the judge differs: the line names every key and offers no re-judging
    code, _, err = _run(_eval(toolhop_folder, run, "--judge", "containment", max_new_tokens=5), capsys)
    assert code == 1 and len(err.splitlines()) == 1, err
    assert "judge: 'typed' -> 'containment'" in err and "max_new_tokens: 4 -> 5" in err
    assert "toolhop-report" not in err
    assert _snapshot(run) == before

    # the same judge resumes: nothing left to run, the same report
    code, _, err = _run(_eval(toolhop_folder, run), capsys)
    assert code == 0, err
    assert json.loads((run / "report.json").read_text()) == made

    # the route the error names re-judges the same traces
    code, out, err = _run(["eval", "toolhop-report", run, "--judge", "containment", "--json"], capsys)
    assert code == 0, err
    (rejudged,) = json.loads(out)
    traces = [json.loads(line) for line in (run / "traces.jsonl").read_text().splitlines()]
    assert rejudged["judge"] == "containment" and rejudged["queries"] == 2
    assert rejudged["correct"] == sum(t["correct"]["containment"] for t in traces)
