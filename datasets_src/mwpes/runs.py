"""The run folder every collection (and every ingest) writes, and the builder reads.

``RUN_DIR/config.json``   what the run is (dataset, model, strategy, sampling, prompt); checked on resume
``RUN_DIR/problems.jsonl`` the problems of the run in the :class:`~knowbench.datasets_src.mwpes.schema.Problem` schema
``RUN_DIR/samples.jsonl``  one judged sample per line, appended durably (:class:`knowbench.io.RunLog`)

Example:
    >>> sample_id("gsm8k", "test-3", "SmolLM2-135M-Instruct", "greedy", 0)
    'gsm8k/test-3/SmolLM2-135M-Instruct/greedy/0'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from knowbench.datasets_src.mwpes.schema import Problem
from knowbench.errors import RunStateError, SourceFormatError
from knowbench.io import RunLog, atomic_write_bytes, atomic_write_json, read_jsonl

CONFIG_FILE = "config.json"
PROBLEMS_FILE = "problems.jsonl"
SAMPLES_FILE = "samples.jsonl"
#: bumped when the layout of a run folder changes
RUN_FORMAT = 1
#: config keys that may differ between the first start of a run and a resume
RESUMABLE_KEYS = frozenset({"limit", "batch_size", "created_at"})

#: the fields of one sample record in ``samples.jsonl``
SAMPLE_FIELDS = (
    "id", "dataset", "problem_id", "model", "strategy", "temperature", "top_p", "sample_index", "prompt_style",
    "solution", "extracted_answer", "verdict", "judge_method", "published_label", "finish_reason",
    "completion_tokens",
)


def sample_id(dataset: str, problem_id: str, model: str, strategy: str, sample_index: int) -> str:
    """The deterministic id of one sample; ``strategy`` is the run's strategy key (``greedy``, ``sample-t0.7-p0.95``)."""
    return f"{dataset}/{problem_id}/{model}/{strategy}/{sample_index}"


def _identity(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in RESUMABLE_KEYS}


def open_run(run_dir: str | os.PathLike[str], config: dict[str, Any], problems: Iterable[Problem]) -> RunLog:
    """Start a run folder or resume it; a folder of another run raises :class:`RunStateError`.

    On a fresh start ``problems.jsonl`` is written before ``config.json`` (the config marks a complete start).
    """
    run_dir = Path(run_dir)
    config = {"format": RUN_FORMAT, **config}
    config_path = run_dir / CONFIG_FILE
    if config_path.exists():
        try:
            recorded = orjson.loads(config_path.read_bytes())
        except orjson.JSONDecodeError as error:
            raise RunStateError(f"{config_path}: unreadable run config ({error})") from None
        mine, theirs = _identity(config), _identity(recorded)
        if mine != theirs:
            diff = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
            shown = ", ".join(f"{k}: run has {theirs.get(k)!r}, asked {mine.get(k)!r}" for k in diff)
            raise RunStateError(f"{run_dir}: this folder holds another run ({shown}); use a new --out")
        if not (run_dir / PROBLEMS_FILE).exists():
            raise RunStateError(f"{run_dir}: {PROBLEMS_FILE} is missing")
        if {k: config.get(k) for k in RESUMABLE_KEYS - {"created_at"}} != {
            k: recorded.get(k) for k in RESUMABLE_KEYS - {"created_at"}
        }:
            atomic_write_json(config_path, {**recorded, **{k: config.get(k) for k in RESUMABLE_KEYS - {"created_at"}}})
    else:
        if run_dir.exists() and (run_dir / SAMPLES_FILE).exists():
            raise RunStateError(f"{run_dir}: {SAMPLES_FILE} exists without {CONFIG_FILE}; not a run folder")
        run_dir.mkdir(parents=True, exist_ok=True)
        data = b"".join(orjson.dumps(p.to_dict()) + b"\n" for p in problems)
        atomic_write_bytes(run_dir / PROBLEMS_FILE, data)
        atomic_write_json(config_path, config)
    return RunLog(run_dir / SAMPLES_FILE)


@dataclass
class Run:
    """A run folder read back: its config, problems by id, and sample records."""

    path: Path
    config: dict[str, Any]
    problems: dict[str, Problem]
    samples: list[dict[str, Any]]


def read_run(run_dir: str | os.PathLike[str]) -> Run:
    """Read a run folder (complete or not); a sample of an unknown problem raises naming the file and id."""
    run_dir = Path(run_dir)
    config_path = run_dir / CONFIG_FILE
    if not config_path.is_file():
        raise RunStateError(f"{run_dir}: not a run folder (no {CONFIG_FILE})")
    config = orjson.loads(config_path.read_bytes())
    problems = {}
    for record in read_jsonl(run_dir / PROBLEMS_FILE):
        problem = Problem.from_dict(record)
        problems[problem.problem_id] = problem
    samples = []
    seen = set()
    path = run_dir / SAMPLES_FILE
    if path.exists():
        for number, record in enumerate(_complete_records(path), start=1):
            if record.get("problem_id") not in problems:
                raise SourceFormatError(path, f"record {number}", f"unknown problem_id {record.get('problem_id')!r}")
            if record["id"] in seen:
                raise SourceFormatError(path, f"record {number}", f"sample {record['id']!r} appears twice")
            seen.add(record["id"])
            samples.append(record)
    return Run(run_dir, config, problems, samples)


def _complete_records(path: Path) -> Iterable[dict[str, Any]]:
    """The records of a sample log, ignoring a torn (unterminated) last line of a run still going or killed."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    for number, line in enumerate(data[:end].splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise SourceFormatError(path, f"line {number}", f"malformed JSON ({error})") from None
