"""Atomic outputs and the durable run log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from knowbench.errors import MissingInputError, OutputError, RunStateError, SourceFormatError
from knowbench.io import (
    OUTPUT_MARKER,
    RunFolder,
    RunLog,
    atomic_dir,
    check_output_file,
    output_kind,
    read_json,
    read_jsonl,
)


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


def test_read_json_reads_plain_and_gzipped_files_of_the_expected_type(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "a.json").write_text('{"born": ["[S] was born in"]}')
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(b'[{"subj": "x"}]'))
    assert read_json(tmp_path / "a.json") == {"born": ["[S] was born in"]}
    assert read_json(tmp_path / "b.json.gz", list, "a JSON list") == [{"subj": "x"}]
    assert read_json(tmp_path / "b.json.gz", (dict, list)) == [{"subj": "x"}]


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("absent.json", None, MissingInputError, r"absent\.json: no such file$"),
        ("list.json", b"[1, 2]", SourceFormatError, r"list\.json: expected a facts object, got list$"),
        ("empty.json", b"", SourceFormatError, r"empty\.json: line 1, column 1: malformed JSON"),
        ("torn.json", b'{\n  "a": [1,\n', SourceFormatError, r"torn\.json: line 3, column 1: malformed JSON"),
        ("bad.json.gz", b"not gzip", SourceFormatError, r"bad\.json\.gz: unreadable"),
        ("folder.json", "folder", SourceFormatError, r"folder\.json: unreadable"),
    ],
)
def test_read_json_fails_with_one_line_naming_the_file(
    tmp_path: Path, name: str, content: bytes | str | None, error: type, message: str
) -> None:
    path = tmp_path / name
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(error, match=message) as raised:
        read_json(path, dict, "a facts object")
    assert "\n" not in str(raised.value) and str(path) in str(raised.value)


def test_missing_input_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as raised:
        list(read_jsonl(tmp_path / "samples.jsonl"))
    assert isinstance(raised.value, MissingInputError)
    assert str(raised.value) == f"{tmp_path / 'samples.jsonl'}: no such JSON-lines file"
    assert raised.value.filename == str(tmp_path / "samples.jsonl")


# -- outputs that never destroy -------------------------------------------------------------------------------------
def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_atomic_dir_refuses_what_knowbench_did_not_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("keep me")
    a_file = tmp_path / "report.txt"
    a_file.write_text("keep me too")
    for target, reason in ((user, "not a knowbench output"), (a_file, "not a folder")):
        with pytest.raises(OutputError, match=reason), atomic_dir(target, kind="toolhop") as tmp:
            (tmp / "x").write_text("never")
    assert _snapshot(user) == {"notes.txt": b"keep me"} and a_file.read_text() == "keep me too"
    monkeypatch.chdir(user)  # `--out .` and any folder holding the working folder
    for target in (Path("."), tmp_path):
        with pytest.raises(OutputError, match="current folder"), atomic_dir(target, kind="toolhop"):
            pass
    assert _snapshot(user) == {"notes.txt": b"keep me"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "report.txt"]  # no temporary folder left


def test_atomic_dir_replaces_only_its_own_kind(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()  # an empty folder holds nothing to lose
    with atomic_dir(out, kind="counts") as tmp:
        (tmp / "counts.jsonl").write_text("1\n")
    assert output_kind(out) == "counts"
    with atomic_dir(out, kind="counts") as tmp:
        (tmp / "counts.jsonl").write_text("2\n")
    assert (out / "counts.jsonl").read_text() == "2\n"
    before = _snapshot(out)
    with pytest.raises(OutputError, match="holds a knowbench 'counts' output, not 'toolhop'"), atomic_dir(
        out, kind="toolhop"
    ):
        pass
    # a dataset folder names its kind in its own provenance.json (and gets no extra marker)
    with atomic_dir(tmp_path / "ds", kind="toolhop") as tmp:
        (tmp / "provenance.json").write_text('{"dataset": "toolhop"}')
    assert output_kind(tmp_path / "ds") == "toolhop" and not (tmp_path / "ds" / OUTPUT_MARKER).exists()
    with pytest.raises(OutputError, match="'toolhop' output, not 'mwpes'"), atomic_dir(tmp_path / "ds", kind="mwpes"):
        pass
    assert _snapshot(out) == before


def test_next_build_removes_only_marked_leftovers_of_killed_builds(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = (
        "import os, sys; from knowbench.io import atomic_dir\n"
        "with atomic_dir(sys.argv[1], kind='demo') as tmp:\n"
        "    (tmp / 'half').write_text('x'); print(tmp, flush=True); os.kill(os.getpid(), 9)\n"
    )
    killed = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True)
    assert killed.returncode == -9
    leftover = Path(killed.stdout.strip())
    assert leftover.is_dir() and leftover.name.startswith(".out.tmp-")
    foreign = tmp_path / ".out.tmp-someone-elses"  # same pattern, no knowbench marker: not ours
    foreign.mkdir()
    with atomic_dir(out, kind="demo") as tmp:
        (tmp / "a").write_text("1")
    assert not leftover.exists() and foreign.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.tmp-someone-elses", "out"]


def test_a_build_killed_between_the_renames_gets_its_previous_output_back(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_dir(out, kind="demo") as tmp:
        (tmp / "a").write_text("previous")
    os.rename(out, tmp_path / ".out.old-12345678")  # what a kill right after the first rename leaves
    with pytest.raises(RuntimeError), atomic_dir(out, kind="demo"):
        raise RuntimeError("this build fails too")
    assert (out / "a").read_text() == "previous"


def test_check_output_file_replaces_only_its_own_reports(tmp_path: Path) -> None:
    mine = tmp_path / "r.json"
    mine.write_text('{"knowbench": "toolhop-solvability", "rows": []}')
    check_output_file(mine, "toolhop-solvability")
    check_output_file(tmp_path / "new.json", "toolhop-solvability")
    for content in ('{"rows": []}', "not json", "[1, 2]"):
        mine.write_text(content)
        with pytest.raises(OutputError, match="not a knowbench toolhop-solvability report"):
            check_output_file(mine, "toolhop-solvability")
    with pytest.raises(OutputError, match="not a file"):
        check_output_file(tmp_path, "toolhop-solvability")


# -- the one run folder ---------------------------------------------------------------------------------------------
def test_run_folder_resumes_and_names_what_differs(tmp_path: Path) -> None:
    path = tmp_path / "run"
    run = RunFolder(path, {"seed": 1, "limit": 5, "created_at": "t0"}, kind="demo",
                    volatile=("limit",), keep_first=("created_at",))
    assert not run.resumed
    run.log("samples.jsonl").append({"id": "a"})
    again = RunFolder(path, {"seed": 1, "limit": 9, "created_at": "t1"}, kind="demo",
                      volatile=("limit",), keep_first=("created_at",))
    assert again.resumed and again.config == {"seed": 1, "limit": 9, "created_at": "t0"}
    assert again.log("samples.jsonl").done_ids() == {"a"}
    with pytest.raises(RunStateError) as error:
        RunFolder(path, {"seed": 2, "limit": 9, "created_at": "t2"}, kind="demo", volatile=("limit",))
    message = str(error.value)
    assert "\n" not in message and "seed: 1 -> 2" in message and "created_at: 't0' -> 't2'" in message
    with pytest.raises(RunStateError, match="holds a 'demo' run, not 'other'"):
        RunFolder(path, {"seed": 1}, kind="other")
    # a partial check (before the whole config is known) compares only the keys it is given
    RunFolder.check(path, {"seed": 1}, "demo", partial=True)
    with pytest.raises(RunStateError, match="seed: 1 -> 3"):
        RunFolder.check(path, {"seed": 3}, "demo", partial=True)


def test_overwrite_deletes_only_a_knowbench_run_folder(tmp_path: Path) -> None:
    path = tmp_path / "run"
    RunFolder(path, {"seed": 1}, kind="demo").update_metrics({"loss": 1.0})
    fresh = RunFolder(path, {"seed": 2}, kind="demo", overwrite=True)
    assert not fresh.resumed and fresh.metrics() == {}
    user = tmp_path / "mine"
    user.mkdir()
    (user / "config.json").write_text('{"seed": 1}')  # a config.json without the marker is a user's file
    (user / "data.csv").write_text("a,b\n")
    for overwrite in (False, True):
        with pytest.raises(RunStateError, match="not a knowbench run config"):
            RunFolder(user, {"seed": 1}, kind="demo", overwrite=overwrite)
    (user / "config.json").unlink()
    with pytest.raises(RunStateError, match="not a knowbench run folder"):
        RunFolder(user, {"seed": 1}, kind="demo", overwrite=True)
    assert _snapshot(user) == {"data.csv": b"a,b\n"}
    with pytest.raises(RunStateError, match="not a folder"):
        RunFolder(user / "data.csv", {"seed": 1}, kind="demo")


def test_corrupt_config_is_a_one_line_error_even_with_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "run"
    RunFolder(path, {"seed": 1}, kind="demo")
    (path / "config.json").write_bytes(b'{"seed": 1, "knowbench_run": "de')
    for overwrite in (False, True):
        with pytest.raises(RunStateError, match=r"config\.json: corrupt run config") as error:
            RunFolder(path, {"seed": 1}, kind="demo", overwrite=overwrite)
        assert "\n" not in str(error.value)
    assert (path / "config.json").read_bytes() == b'{"seed": 1, "knowbench_run": "de'


def test_a_start_that_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    def broken(folder: Path) -> None:
        (folder / "problems.jsonl").write_text("{}\n")
        raise RuntimeError("killed while writing the problems")

    with pytest.raises(RuntimeError):
        RunFolder(tmp_path / "run", {"seed": 1}, kind="demo", on_create=broken)
    assert list(tmp_path.iterdir()) == []  # the retry is not blocked by a half-made folder
    run = RunFolder(tmp_path / "run", {"seed": 1}, kind="demo",
                    on_create=lambda folder: (folder / "problems.jsonl").write_text("{}\n"))
    assert (run.path / "problems.jsonl").is_file() and not run.resumed


def test_run_log_names_the_line_of_a_record_without_id(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text('{"id": "a"}\n\n{"value": 1}\n')
    with pytest.raises(SourceFormatError, match=r"log\.jsonl: line 3: record without 'id'"):
        RunLog(path).done_ids()
