"""Atomic outputs and the durable run log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from knowbench.errors import SourceFormatError
from knowbench.io import RunLog, atomic_dir, read_jsonl


def test_atomic_dir_replaces_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "a").write_text("1")
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "a").write_text("2")
        raise RuntimeError("boom")
    assert (target / "a").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_run_log_survives_sigkill_mid_write(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    # a child appends records forever; SIGKILL it, then resume
    code = (
        "import sys; from knowbench.io import RunLog\n"
        "log = RunLog(sys.argv[1])\n"
        "i = 0\n"
        "while True:\n"
        "    log.append({'id': f'r{i}', 'payload': 'x' * 5000}); i += 1\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code, str(path)])
    while not path.exists() or path.stat().st_size < 200_000:
        pass
    child.kill()
    child.wait()
    with open(path, "ab") as handle:  # simulate a torn last line as a crash mid-write leaves it
        handle.write(b'{"id": "torn", "payl')
    log = RunLog(path)
    done = log.done_ids()
    assert "torn" not in done
    count = len(done)
    assert done == {f"r{i}" for i in range(count)}
    log.append({"id": f"r{count}", "payload": ""})
    assert len(RunLog(path).done_ids()) == count + 1


def test_read_jsonl_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n\n{"a": \n')
    with pytest.raises(SourceFormatError, match=r"x\.jsonl: line 3: malformed JSON"):
        list(read_jsonl(path))
    assert os.path.exists(path)
