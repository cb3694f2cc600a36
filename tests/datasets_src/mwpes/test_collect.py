"""Collection with the real SmolLM2 backend: a run killed with SIGKILL and resumed equals an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from knowbench.datasets_src.mwpes.runs import SAMPLES_FILE, read_run
from knowbench.io import RunLog

LIMIT = 3


def _cli(shared_data: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "knowbench",
        "collect",
        "mwp",
        "--dataset",
        "gsm8k",
        "--backend",
        "transformers:smollm2",
        "--strategy",
        "greedy",
        "--limit",
        str(LIMIT),
        "--max-new-tokens",
        "6",
        "--batch-size",
        "1",
        "--quiet",
        "--source",
        str(shared_data / "mwp" / "gsm8k_test.jsonl"),
        "--out",
        str(out),
        *extra,
    ]


def _env() -> dict[str, str]:
    # one torch thread: on a busy 2-core machine two threads spin against each other (10x slower)
    return {**os.environ, "OMP_NUM_THREADS": "1"}


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_equals_uninterrupted(shared_data: Path, tmp_path: Path) -> None:
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    subprocess.run(_cli(shared_data, whole), env=_env(), check=True, capture_output=True, timeout=600)

    process = subprocess.Popen(
        _cli(shared_data, killed), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 600
    while _lines(killed / SAMPLES_FILE) < 1 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL
    kept = _lines(killed / SAMPLES_FILE)
    assert 1 <= kept < LIMIT, f"the kill came too late to test anything ({kept} samples)"

    resumed = subprocess.run(
        _cli(shared_data, killed), env=_env(), capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{LIMIT - kept} new" in " ".join(resumed.stderr.split())

    def records(run: Path) -> list[dict]:
        return sorted(read_run(run).samples, key=lambda r: r["id"])

    assert [r["id"] for r in records(whole)] == [f"gsm8k/test-{i}/smollm2/greedy/0" for i in range(LIMIT)]
    assert records(killed) == records(whole)  # same ids, texts, verdicts; nothing lost, nothing repeated

    # resuming a complete run adds nothing; another run's settings in the same folder are refused
    again = subprocess.run(_cli(shared_data, killed), env=_env(), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "(0 new" in " ".join(again.stderr.split())
    other = subprocess.run(
        [*_cli(shared_data, killed)[:-2], "--few-shot", "1", "--out", str(killed)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert other.returncode == 1 and "another run" in other.stderr and "few_shot" in other.stderr


def test_torn_last_line_is_ignored_by_readers_and_cut_by_the_log(tmp_path: Path) -> None:
    """What a SIGKILL in the middle of a write leaves: complete lines count, the torn one does not."""
    from knowbench.datasets_src.mwpes.runs import open_run
    from knowbench.datasets_src.mwpes.schema import Problem

    problems = [Problem("gsm8k", f"test-{i}", "q", "1", "s") for i in range(2)]
    log = open_run(tmp_path, {"dataset": "gsm8k"}, problems)
    record = {"id": "gsm8k/test-0/m/greedy/0", "problem_id": "test-0", "solution": "x", "verdict": "wrong"}
    log.append(record)
    with open(tmp_path / SAMPLES_FILE, "ab") as handle:
        handle.write(orjson.dumps({**record, "id": "gsm8k/test-1/m/greedy/0", "problem_id": "test-1"})[:25])
    assert [r["id"] for r in read_run(tmp_path).samples] == [record["id"]]
    assert RunLog(tmp_path / SAMPLES_FILE).done_ids() == {record["id"]}
    assert (tmp_path / SAMPLES_FILE).read_bytes().endswith(b"}\n")


def test_torn_line_that_parses_is_still_ignored_and_a_bad_middle_line_raises(tmp_path: Path) -> None:
    """A whole record whose newline was never written is not complete yet; a malformed complete line is an error."""
    from knowbench.datasets_src.mwpes.runs import open_run
    from knowbench.datasets_src.mwpes.schema import Problem
    from knowbench.errors import SourceFormatError

    problems = [Problem("gsm8k", f"test-{i}", "q", "1", "s") for i in range(2)]
    open_run(tmp_path, {"dataset": "gsm8k"}, problems)
    record = {"id": "gsm8k/test-0/m/greedy/0", "problem_id": "test-0", "solution": "x", "verdict": "wrong"}
    second = orjson.dumps({**record, "id": "gsm8k/test-1/m/greedy/0", "problem_id": "test-1"})
    (tmp_path / SAMPLES_FILE).write_bytes(orjson.dumps(record) + b"\n" + second)
    assert [r["id"] for r in read_run(tmp_path).samples] == [record["id"]]
    (tmp_path / SAMPLES_FILE).write_bytes(b"{not json\n" + orjson.dumps(record) + b"\n")
    with pytest.raises(SourceFormatError, match="line 1: malformed JSON"):
        read_run(tmp_path)
