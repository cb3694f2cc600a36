"""Published model solutions as a run folder of their own (no model needed), from any registered format.

A format (:mod:`knowbench.datasets_src.mwpes.formats`) reads the file into :class:`SolutionRecord` objects; this
module validates the gold answers, gives every problem an id from its content, judges every solution with
:func:`~knowbench.datasets_src.mwpes.judge.judge` and writes the run folder (``config.json``, ``problems.jsonl``,
``samples.jsonl``). Each sample keeps ``source_id`` (the source's own id) and the source's human labels
(``label_first_error_step``, ``label_error_type``, ``label_reason``, ``question_type``) where it has them.

Problem ids: the id of the same question in knowbench's readers when ``problems`` are given (or when the source is
aligned with one, like the GPT-3 file with GSM8K test), else ``q-`` + a hash of the normalised question; never a line
position, so two files of the same problems share ids and different problems never collide.

Example:
    >>> problem_id_for("Tom has 3 apples.  How many?")
    'q-df74e3f6727c'
    >>> valid_gold("Let's think step by step.") is None, valid_gold("1,000")
    (True, '1000')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from knowbench.datasets_src.mwpes.formats import SolutionRecord, format_names, read_solutions
from knowbench.datasets_src.mwpes.formats.gpt3 import SOLUTION_KEYS, model_and_strategy
from knowbench.datasets_src.mwpes.formats.gpt3 import read as _read_gpt3
from knowbench.datasets_src.mwpes.judge import judge
from knowbench.datasets_src.mwpes.runs import open_run, sample_id
from knowbench.datasets_src.mwpes.schema import Problem, calculator_steps, format_number
from knowbench.errors import SourceFormatError
from knowbench.io import sha256_file

__all__ = ["FORMATS", "SOLUTION_KEYS", "ingest", "model_and_strategy", "problem_id_for",
           "read_gsm8k_example_solutions", "valid_gold"]

FORMATS = tuple(format_names())


def normalised_question(question: str) -> str:
    return " ".join(question.lower().split())


def problem_id_for(question: str) -> str:
    """A content id: ``q-`` + the first 12 hex digits of the sha1 of the normalised question."""
    return "q-" + hashlib.sha1(normalised_question(question).encode()).hexdigest()[:12]


def valid_gold(gold: str) -> str | None:
    """The gold answer as a plain number (``"1,000"`` -> ``"1000"``, ``"$18.00"`` -> ``"18"``), or ``None`` when it is
    not an answer (words, empty)."""
    text = str(gold).strip().replace("$", "").replace(",", "").rstrip("%").strip()
    if not re.fullmatch(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:/\d+)?", text):
        return None
    if "/" in text:
        numerator, denominator = text.split("/")
        if float(denominator) == 0:
            return None
        return format_number(float(numerator) / float(denominator))
    return format_number(text)


def read_gsm8k_example_solutions(path: str | os.PathLike[str]) -> Iterable[tuple[Problem, list[tuple[str, str, bool]]]]:
    """Yield ``(problem, [(key, solution, is_correct), ...])`` per line of the GPT-3 file (kept for callers)."""
    group: list[SolutionRecord] = []
    for record in _read_gpt3(path):
        group.append(record)
        if len(group) == len(SOLUTION_KEYS):
            first = group[0]
            problem = Problem("gsm8k", first.problem_id or problem_id_for(first.question), first.question,
                              format_number(first.gold_answer), first.reference, steps=calculator_steps(first.reference))
            yield problem, [(f"{r.model.removeprefix('gpt3-')}_{r.strategy}", r.solution, bool(r.published_label))
                            for r in group]
            group = []


def ingest(
    solutions: str | os.PathLike[str],
    out: str | os.PathLike[str],
    fmt: str = "gsm8k-example-solutions",
    *,
    mapping: str | dict[str, str] | None = None,
    model: str | None = None,
    problems: Iterable[Problem] = (),
    skip_bad_gold: bool = False,
) -> dict[str, Any]:
    """Turn a published solutions file into the run folder ``out``; returns counts (samples, wrong, agreement,
    skipped_bad_gold, matched_problems, added).

    ``problems`` (e.g. ``read_problems("gsm8k", path)``) lets questions take the readers' ids. A gold answer that is
    not a number raises a one-line :class:`SourceFormatError`, or is skipped and counted with ``skip_bad_gold``.
    Re-running on the same folder adds nothing (samples are keyed by id).
    """
    solutions = Path(solutions)
    options: dict[str, Any] = {}
    if fmt == "jsonl":
        options["mapping"] = mapping
    if model is not None and fmt != "gsm8k-example-solutions":
        options["model"] = model
    records = list(read_solutions(fmt, solutions, **options))
    if not records:  # checked before the run folder is made: an empty file leaves nothing behind
        raise SourceFormatError(solutions, None, "holds no solutions records; nothing to ingest")
    known = {normalised_question(p.question): p for p in problems}
    by_id: dict[str, Problem] = {}
    kept: list[tuple[SolutionRecord, Problem]] = []
    counts = {"samples": 0, "wrong": 0, "published_wrong": 0, "agree": 0, "skipped_bad_gold": 0,
              "matched_problems": 0}
    for record in records:
        gold = valid_gold(record.gold_answer)
        if gold is None:
            if skip_bad_gold:
                counts["skipped_bad_gold"] += 1
                continue
            raise SourceFormatError(solutions, f"record {record.record}",
                                    f"gold answer {record.gold_answer!r:.60} is not an answer (a number); "
                                    "use --skip-bad-gold to skip such records")
        match = known.get(normalised_question(record.question))
        pid = match.problem_id if match else record.problem_id or problem_id_for(record.question)
        problem = by_id.get(pid)
        if problem is None:
            problem = Problem(match.dataset if match else record.dataset, pid, record.question, gold,
                              record.reference or (match.gold_solution if match else ""),
                              steps=calculator_steps(record.reference or (match.gold_solution if match else "")))
            by_id[pid] = problem
            counts["matched_problems"] += match is not None
        kept.append((record, problem))
    if not kept:
        raise SourceFormatError(solutions, None, f"no record has a valid gold answer ({counts['skipped_bad_gold']} "
                                "skipped); nothing to ingest")
    config = {
        "kind": "ingest",
        "format": fmt,
        "dataset": sorted({p.dataset for p in by_id.values()})[0] if len(by_id) else None,
        "source": solutions.name,
        "source_sha256": sha256_file(solutions),
        "models": sorted({r.model for r, _ in kept}),
        "strategies": sorted({r.strategy for r, _ in kept}),
        "mapping": mapping if isinstance(mapping, str | None) else ",".join(f"{k}={v}" for k, v in mapping.items()),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    log = open_run(out, config, list(by_id.values()))
    done = log.done_ids()
    rows = []
    index: dict[tuple[str, str, str], int] = {}
    repeats: dict[str, int] = {}  # a record repeated in the file keeps one id per copy
    for record, problem in kept:
        verdict = judge(problem, record.solution)
        labels = record.label_dict
        # a human-labelled wrong solution stays wrong (a right number reached by a wrong step)
        relabel = verdict.correct and record.published_label is False and labels.get("first_error_step") is not None
        label = "wrong" if relabel else verdict.label
        counts["samples"] += 1
        counts["wrong"] += label != "correct"
        if record.published_label is not None:
            counts["published_wrong"] += not record.published_label
            counts["agree"] += verdict.correct == record.published_label
        key = (problem.problem_id, record.model, record.strategy)
        index[key] = index.get(key, -1) + 1
        # an aligned source (one solution per problem, model and strategy) keeps the collection's numbering; any
        # other ends its id with the content id, so several files of one benchmark never collide in a build
        content = record.content_id()
        repeats[content] = repeats.get(content, 0) + 1
        suffix = index[key] if record.problem_id else content + (f"-{repeats[content]}" if repeats[content] > 1 else "")
        sid = sample_id(problem.dataset, problem.problem_id, record.model, record.strategy, suffix)
        if sid in done:
            continue
        rows.append({
            "id": sid, "dataset": problem.dataset, "problem_id": problem.problem_id, "model": record.model,
            "strategy": record.strategy, "temperature": None, "top_p": None, "sample_index": index[key],
            "prompt_style": "published", "solution": record.solution, "extracted_answer": verdict.extracted,
            "verdict": label, "judge_method": verdict.method if label == verdict.label else "published-label",
            "published_label": record.published_label, "finish_reason": None, "completion_tokens": None,
            "source_id": content, "label_first_error_step": labels.get("first_error_step"),
            "label_error_type": labels.get("error_type"), "label_reason": labels.get("reason"),
            "question_type": labels.get("question_type"),
        })
    log.extend(rows)
    counts["added"] = len(rows)
    counts["problems"] = len(by_id)
    return counts
