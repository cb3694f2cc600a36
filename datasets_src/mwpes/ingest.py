"""Published model solutions as a run folder of their own (no model needed), from any registered format.

A format (:mod:`knowbench.datasets_src.mwpes.formats`) reads the file into :class:`SolutionRecord` objects; this
module validates the gold answers, gives every problem an id from its content, judges every solution with
:func:`~knowbench.datasets_src.mwpes.judge.judge` and writes the run folder (``config.json``, ``problems.jsonl``,
``samples.jsonl``). Each sample keeps ``source_id`` (the source's own id) and the source's human labels
(``label_first_error_step``, ``label_error_type``, ``label_reason``, ``question_type``) where it has them.

Problem ids: the id of the same question in knowbench's readers when ``problems`` are given (or when the source is
aligned with one, like the GPT-3 file with GSM8K test), else ``q-`` + a hash of the normalised question; never a line
position, so two files of the same problems share ids and different problems never collide. A source that carries
knowbench's own problem rows (``lm-eval``: the harness logs the exported doc) keeps them as they are, with a gold of
its dataset's answer kind (an AQuA letter, a MATH LaTeX answer), and its generation settings and sample indices.

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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from knowbench.datasets_src.mwpes.formats import SolutionRecord, format_names, read_solutions
from knowbench.datasets_src.mwpes.formats.gpt3 import SOLUTION_KEYS, model_and_strategy
from knowbench.datasets_src.mwpes.formats.gpt3 import read as _read_gpt3
from knowbench.datasets_src.mwpes.judge import judge, to_number
from knowbench.datasets_src.mwpes.runs import open_run, sample_id
from knowbench.datasets_src.mwpes.schema import ANSWER_KINDS, Problem, calculator_steps, format_number
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.io import sha256_file

__all__ = ["FORMATS", "SOLUTION_KEYS", "ingest", "model_and_strategy", "problem_id_for",
           "read_gsm8k_example_solutions", "valid_gold"]

FORMATS = tuple(format_names())
#: one solutions file or several of one format (``--solutions a b c``)
SolutionsArg = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


def normalised_question(question: str) -> str:
    return " ".join(question.lower().split())


def problem_id_for(question: str) -> str:
    """A content id: ``q-`` + the first 12 hex digits of the sha1 of the normalised question."""
    return "q-" + hashlib.sha1(normalised_question(question).encode()).hexdigest()[:12]


_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:/\d+)?")
#: LaTeX text commands whose argument is words, not mathematics
_TEXT_COMMAND = re.compile(r"\\(?:text|textbf|textit|mbox|mathrm|operatorname)\s*\{[^{}]*\}")
#: three or more words in a row: a sentence, not an answer
_PROSE = re.compile(r"[A-Za-z]{2,}(?:[\s,;:.!?']+[A-Za-z]{2,}){2,}")


def _number(text: str) -> str | None:
    text = str(text).strip().replace("$", "").replace(",", "").rstrip("%").strip()
    if not _NUMBER.fullmatch(text):
        return None
    if "/" in text:
        numerator, denominator = text.split("/")
        if float(denominator) == 0:
            return None
        return format_number(float(numerator) / float(denominator))
    return format_number(text)


def _asdiv_part(part: str, question: str) -> str | None:
    """One ASDiv answer: a number, a ratio ``3:4``, a time or date (``3:30 p.m.``), a short phrase (``They are
    equal``) or a phrase of the question (``Lisa's soccer team``); an instruction or a sentence is not one."""
    part = part.strip()
    if not part:
        return None
    if re.fullmatch(r"\d+:\d+", part):
        return part
    number = _number(part)
    if number is not None:
        return number
    words = part.split()
    in_question = normalised_question(part).rstrip(".") in normalised_question(question)
    short = len(words) <= 4 or (len(words) <= 8 and any(c.isdigit() for c in part))
    return part if to_number(part) is not None or short or in_question else None


def valid_gold(gold: str, dataset: str = "gsm8k", question: str = "") -> str | None:
    """The gold answer in the form of the dataset's answer kind, or ``None`` when it is not an answer.

    Numbers (GSM8K, SVAMP) become plain (``"1,000"`` -> ``"1000"``, ``"$18.00"`` -> ``"18"``); ASDiv also takes
    several answers joined by ``"; "``, a ratio, a time or a short phrase (or one of ``question``); AQuA takes one
    option letter; MATH any LaTeX answer that is not prose. Sentences and empty text are not answers.

    Example:
        >>> valid_gold("$18.00"), valid_gold("C", "aqua"), valid_gold("18", "aqua")
        ('18', 'C', None)
        >>> valid_gold("\\\\frac{1}{2}", "math"), valid_gold("Let's think step by step.", "math")
        ('\\\\frac{1}{2}', None)
        >>> valid_gold("3; 4", "asdiv"), valid_gold("Let's think step by step.", "asdiv")
        ('3; 4', None)
    """
    kind = ANSWER_KINDS.get(dataset, "number")
    text = str(gold).strip()
    if kind == "letter":
        letter = text.strip("() .").upper()
        return letter if re.fullmatch(r"[A-E]", letter) else None
    if kind == "latex":
        return text if text and not _PROSE.search(_TEXT_COMMAND.sub(" ", text)) else None
    if dataset == "asdiv":
        parts = [_asdiv_part(part, question) for part in text.split(";")]
        return "; ".join(parts) if all(parts) else None  # type: ignore[arg-type]
    return _number(text)


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


def _source_paths(solutions: SolutionsArg) -> list[Path]:
    if isinstance(solutions, str | os.PathLike):
        return [Path(solutions)]
    paths = [Path(p) for p in solutions]
    if not paths:
        raise ConfigError("give at least one --solutions file")
    return paths


def _check_settings(per_file: list[tuple[Path, list[SolutionRecord]]]) -> dict[str, Any]:
    """The run settings all records share; a file with other ones raises before anything is written."""
    first_path, first = next((path, records[0].run_settings) for path, records in per_file if records)
    for path, records in per_file:
        for record in records:
            if record.run_settings != first:
                mine, theirs = dict(first), dict(record.run_settings)
                diff = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
                raise ConfigError(f"{path}: record {record.record}: another model or generation setting than "
                                  f"{first_path.name} ({', '.join(diff)}); ingest each run into its own --out")
    return dict(first)


def _gold_problem(record: SolutionRecord, path: Path, known: dict[str, Problem], skip_bad_gold: bool
                  ) -> tuple[Problem | None, bool]:
    """(the record's problem, matched to ``known``); ``None`` when its gold is not an answer and skipped."""
    source = record.problem
    gold = valid_gold(source.gold_answer if source else record.gold_answer, source.dataset if source else record.dataset,
                      record.question)
    if gold is None:
        if skip_bad_gold:
            return None, False
        kind = ANSWER_KINDS.get(source.dataset if source else record.dataset, "number")
        raise SourceFormatError(path, f"record {record.record}",
                                f"gold answer {(source.gold_answer if source else record.gold_answer)!r:.60} is not "
                                f"an answer (a {kind}); use --skip-bad-gold to skip such records")
    if source is not None:  # the source carries knowbench's own problem row: taken as it is
        return source, False
    match = known.get(normalised_question(record.question))
    pid = match.problem_id if match else record.problem_id or problem_id_for(record.question)
    reference = record.reference or (match.gold_solution if match else "")
    return Problem(match.dataset if match else record.dataset, pid, record.question, gold, reference,
                   steps=calculator_steps(reference)), match is not None


def _sources(paths: list[Path]) -> dict[str, Any]:
    if len(paths) == 1:
        return {"source": paths[0].name, "source_sha256": sha256_file(paths[0])}
    return {"sources": sorted(({"file": p.name, "sha256": sha256_file(p)} for p in paths), key=lambda s: s["file"])}


def ingest(
    solutions: SolutionsArg,
    out: str | os.PathLike[str],
    fmt: str = "gsm8k-example-solutions",
    *,
    mapping: str | dict[str, str] | None = None,
    model: str | None = None,
    problems: Iterable[Problem] = (),
    skip_bad_gold: bool = False,
    show_progress: bool = False,
) -> dict[str, Any]:
    """Turn published solutions files (one path or several, one format) into the run folder ``out``; returns counts
    (samples, wrong, agreement, skipped_bad_gold, matched_problems, added, problems). ``show_progress``: a progress
    bar while the solutions are judged.

    ``problems`` (e.g. ``read_problems("gsm8k", path)``) lets questions take the readers' ids. A gold answer that is
    not an answer of its dataset's kind raises a one-line :class:`SourceFormatError`, or is skipped and counted with
    ``skip_bad_gold``. One run folder holds one dataset, and records whose ``run_settings`` differ are refused;
    both before anything is written. Re-running on the same folder adds nothing (samples are keyed by id).
    """
    paths = _source_paths(solutions)
    options: dict[str, Any] = {}
    if fmt == "jsonl":
        options["mapping"] = mapping
    if model is not None and fmt != "gsm8k-example-solutions":
        options["model"] = model
    per_file = [(path, list(read_solutions(fmt, path, **options))) for path in paths]
    if not any(records for _, records in per_file):  # checked before the run folder is made
        raise SourceFormatError(paths[0], None, "holds no solutions records; nothing to ingest")
    settings = _check_settings(per_file)
    known = {normalised_question(p.question): p for p in problems}
    by_id: dict[tuple[str, str], Problem] = {}  # by (dataset, id): two datasets may both hold a `test-0`
    kept: list[tuple[SolutionRecord, Problem]] = []
    counts = {"samples": 0, "wrong": 0, "published_wrong": 0, "agree": 0, "skipped_bad_gold": 0,
              "matched_problems": 0}
    for path, records in per_file:
        for record in records:
            problem, matched = _gold_problem(record, path, known, skip_bad_gold)
            if problem is None:
                counts["skipped_bad_gold"] += 1
                continue
            key = (problem.dataset, problem.problem_id)
            if key not in by_id:
                by_id[key] = problem
                counts["matched_problems"] += matched
            kept.append((record, by_id[key]))
    if not kept:
        raise SourceFormatError(paths[0], None, f"no record has a valid gold answer ({counts['skipped_bad_gold']} "
                                "skipped); nothing to ingest")
    datasets = sorted({p.dataset for p in by_id.values()})
    if len(datasets) != 1:
        raise ConfigError(f"one run folder holds one dataset; these files hold {', '.join(datasets)}: ingest each "
                          "dataset's files into its own --out")
    config = {
        "kind": "ingest",
        "format": fmt,
        "dataset": datasets[0],
        **_sources(paths),
        "models": sorted({r.model for r, _ in kept}),
        "strategies": sorted({r.strategy for r, _ in kept}),
        "mapping": mapping if isinstance(mapping, str | None) else ",".join(f"{k}={v}" for k, v in mapping.items()),
        **settings,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    log = open_run(out, config, list(by_id.values()))
    done = log.done_ids()
    rows = []
    index: dict[tuple[str, str, str], int] = {}
    repeats: dict[str, int] = {}  # a record repeated in the file keeps one id per copy
    from knowbench.progress import track

    for record, problem in track(kept, "judging solutions", disable=not show_progress):
        row = _row(record, problem, index, repeats, counts)
        if row["id"] in done:
            continue
        done.add(row["id"])
        rows.append(row)
    log.extend(rows)
    counts["added"] = len(rows)
    counts["problems"] = len(by_id)
    return counts


def _row(record: SolutionRecord, problem: Problem, index: dict[tuple[str, str, str], int], repeats: dict[str, int],
         counts: dict[str, int]) -> dict[str, Any]:
    """The judged sample record of one solution (counts updated)."""
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
    content = record.content_id()
    generation = record.generation
    if generation is not None:  # the source numbers its generations: the id of `collect mwp` for the same sample
        sid = sample_id(problem.dataset, problem.problem_id, record.model, generation.strategy_key,
                        generation.sample_index)
        temperature, top_p, sample_index = generation.temperature, generation.top_p, generation.sample_index
        style = generation.prompt_style
    else:
        key = (problem.problem_id, record.model, record.strategy)
        index[key] = index.get(key, -1) + 1
        # an aligned source (one solution per problem, model and strategy) keeps the collection's numbering; any
        # other ends its id with the content id, so several files of one benchmark never collide in a build
        repeats[content] = repeats.get(content, 0) + 1
        suffix = index[key] if record.problem_id else content + (f"-{repeats[content]}" if repeats[content] > 1 else "")
        sid = sample_id(problem.dataset, problem.problem_id, record.model, record.strategy, suffix)
        temperature, top_p, sample_index, style = None, None, index[key], "published"
    return {
        "id": sid, "dataset": problem.dataset, "problem_id": problem.problem_id, "model": record.model,
        "strategy": record.strategy, "temperature": temperature, "top_p": top_p, "sample_index": sample_index,
        "prompt_style": style, "solution": record.solution, "extracted_answer": verdict.extracted,
        "verdict": label, "judge_method": verdict.method if label == verdict.label else "published-label",
        "published_label": record.published_label, "finish_reason": None, "completion_tokens": None,
        "source_id": content, "label_first_error_step": labels.get("first_error_step"),
        "label_error_type": labels.get("error_type"), "label_reason": labels.get("reason"),
        "question_type": labels.get("question_type"),
    }
