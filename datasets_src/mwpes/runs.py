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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from knowbench.datasets_src.mwpes.schema import Problem
from knowbench.errors import RunStateError, SourceFormatError
from knowbench.io import RUN_MARKER, RunFolder, RunLog, atomic_write_bytes, iter_jsonl, read_run_config

CONFIG_FILE = "config.json"
PROBLEMS_FILE = "problems.jsonl"
SAMPLES_FILE = "samples.jsonl"
#: bumped when the layout of a run folder changes
RUN_FORMAT = 1
#: config keys that may differ between the first start of a run and a resume
RESUMABLE_KEYS = frozenset({"limit", "batch_size", "created_at"})

#: the judge's verdicts; ``wrong`` and ``no_answer`` samples are errors
VERDICTS = ("correct", "wrong", "no_answer")
#: the string fields every sample record must hold
REQUIRED_SAMPLE_FIELDS = ("id", "problem_id", "solution", "verdict")
#: the fields of one sample record in ``samples.jsonl``
SAMPLE_FIELDS = (
    "id", "dataset", "problem_id", "model", "strategy", "temperature", "top_p", "sample_index", "prompt_style",
    "solution", "extracted_answer", "verdict", "judge_method", "published_label", "finish_reason",
    "completion_tokens",
    # ingested samples only: the source's own id and its human labels where it has them
    "source_id", "label_first_error_step", "label_error_type", "label_reason", "question_type",
)


def sample_id(dataset: str, problem_id: str, model: str, strategy: str, sample_index: int | str) -> str:
    """The deterministic id of one sample; ``strategy`` is the run's strategy key (``greedy``, ``sample-t0.7-p0.95``);
    ingested samples may end with their content id instead of an index."""
    return f"{dataset}/{problem_id}/{model}/{strategy}/{sample_index}"


def run_kind(config: dict[str, Any]) -> str:
    """The kind of run folder a run config makes: ``mwpes-collect``, ``mwpes-ingest`` (``mwpes-run`` if unsaid)."""
    return f"mwpes-{config.get('kind', 'run')}"


def open_run(run_dir: str | os.PathLike[str], config: dict[str, Any], problems: Iterable[Problem]) -> RunLog:
    """Start a run folder or resume it (:class:`knowbench.io.RunFolder`); another run's folder raises.

    On a fresh start ``problems.jsonl`` is written before ``config.json`` (the config marks a complete start).
    """
    config = {"format": RUN_FORMAT, **config}

    def write_problems(folder: Path) -> None:
        atomic_write_bytes(folder / PROBLEMS_FILE, b"".join(orjson.dumps(p.to_dict()) + b"\n" for p in problems))

    run = RunFolder(run_dir, config, kind=run_kind(config), volatile=tuple(RESUMABLE_KEYS - {"created_at"}),
                    keep_first=("created_at",), on_create=write_problems)
    if not (run.path / PROBLEMS_FILE).exists():
        raise RunStateError(f"{run.path}: {PROBLEMS_FILE} is missing")
    return run.log(SAMPLES_FILE)


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
    config = read_run_config(run_dir)
    if config is None:
        raise RunStateError(f"{run_dir}: no such run folder")
    config.pop(RUN_MARKER, None)
    problems = {}
    for number, record in iter_jsonl(run_dir / PROBLEMS_FILE):
        try:
            problem = Problem.from_dict(record)
        except (KeyError, TypeError, ValueError) as error:
            raise SourceFormatError(run_dir / PROBLEMS_FILE, f"line {number}", f"not a problem record ({error!r})") from None
        problems[problem.problem_id] = problem
    samples = []
    seen = set()
    path = run_dir / SAMPLES_FILE
    if path.exists():
        for number, record in _complete_records(path):
            check_sample(record, path, number)
            if record["problem_id"] not in problems:
                raise SourceFormatError(path, f"line {number}", f"unknown problem_id {record['problem_id']!r}")
            if record["id"] in seen:
                raise SourceFormatError(path, f"line {number}", f"sample {record['id']!r} appears twice")
            seen.add(record["id"])
            samples.append(record)
    return Run(run_dir, config, problems, samples)


def check_sample(record: dict[str, Any], path: str | os.PathLike[str], line: int) -> None:
    """Raise :class:`SourceFormatError` naming file and line unless ``record`` is a usable sample record.

    Example:
        >>> check_sample({"id": "a", "problem_id": "p", "solution": "4", "verdict": "maybe"}, "s.jsonl", 3)
        Traceback (most recent call last):
        ...
        knowbench.errors.SourceFormatError: s.jsonl: line 3: verdict must be one of correct, wrong, no_answer, got 'maybe'
    """
    for key in REQUIRED_SAMPLE_FIELDS:
        if not isinstance(record.get(key), str):
            problem = "is missing" if key not in record else f"must be a string, got {record[key]!r:.60}"
            raise SourceFormatError(path, f"line {line}", f"field {key!r} {problem}")
    if record["verdict"] not in VERDICTS:
        raise SourceFormatError(
            path, f"line {line}", f"verdict must be one of {', '.join(VERDICTS)}, got {record['verdict']!r:.60}"
        )


def _complete_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, record)`` of a sample log (:func:`knowbench.io.iter_jsonl`), ignoring a torn (unterminated) last line
    of a run still going or killed."""
    complete = 0  # lines ended by a newline; a line after them is torn
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            complete += chunk.count(b"\n")
    try:
        for number, record in iter_jsonl(path, "sample log"):
            if number > complete:
                return
            yield number, record
    except SourceFormatError as error:
        if error.where != f"line {complete + 1}":
            raise
