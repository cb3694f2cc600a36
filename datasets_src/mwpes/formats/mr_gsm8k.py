"""``mr-gsm8k``: MR-GSM8K graded model solutions (dvlab-research/MR-GSM8K, ``eval_results``).

Per line: ``uuid``, ``question``, ``ground_truth_solution``, ``ground_truth_answer``, ``model_output_steps`` (a list
of ``"Step k: ..."`` strings), ``model_output_answer_correctness`` / ``model_output_solution_correctness``
(``correct`` / ``wrong``), the human-labelled ``model_output_solution_first_error_step`` and
``model_output_solution_first_error_reason``, and ``question_type`` (``original``, ``reversed``, ``POT``).
The solution is the steps joined by newlines; the uuid is the ``source_id``. Where ``ground_truth_answer`` is not an
answer (some reversed questions hold "Let's think step by step."), the answer the reference solution states is used.

Example:
    >>> first_error_step({"model_output_solution_first_error_step": "3"}, "f", "line 1")
    3
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from knowbench.datasets_src.mwpes._common import require_answer, require_strs
from knowbench.datasets_src.mwpes.formats import FORMATS, SolutionRecord
from knowbench.errors import SourceFormatError
from knowbench.io import iter_jsonl

_STATED = re.compile(r"(?:####|answer is:?|value of (?:the )?(?:unknown )?(?:variable )?'?[a-z]'? is:?)\s*\$?\s*"
                     r"(-?\d[\d,]*(?:\.\d+)?)", re.I)


def stated_answer(reference: str) -> str | None:
    """The final answer a reference solution states (``#### 5``, ``The value of x is 10.``), else ``None``.

    Example:
        >>> stated_answer("x = 10\\nThe value of x is 10.")
        '10'
    """
    found = _STATED.findall(reference)
    return found[-1].replace(",", "") if found else None


def first_error_step(record: dict[str, Any], path: object, where: str) -> int | None:
    value = record.get("model_output_solution_first_error_step")
    if value in (None, "", "N/A"):
        return None
    try:
        step = int(value)
    except (TypeError, ValueError):
        raise SourceFormatError(path, where, f"model_output_solution_first_error_step must be a step number, "
                                f"got {value!r}") from None
    if step < 1:
        raise SourceFormatError(path, where, f"model_output_solution_first_error_step must be >= 1, got {step}")
    return step


@FORMATS.register("mr-gsm8k")
def read(path: str | os.PathLike[str], model: str = "unknown") -> Iterator[SolutionRecord]:
    """One record per line; ``model`` names the solver (the file does not)."""
    for line, record in iter_jsonl(path):
        where = f"line {line}"
        uuid, question = require_strs(record, ("uuid", "question"), path, where)
        steps = record.get("model_output_steps")
        if not isinstance(steps, list) or not steps or not all(isinstance(s, str) for s in steps):
            raise SourceFormatError(path, where, f"model_output_steps must be a non-empty list of strings, got "
                                    f"{type(steps).__name__} {steps!r:.60}")
        gold = require_answer(record, "ground_truth_answer", path, where)
        reference = record.get("ground_truth_solution") or ""
        if not isinstance(reference, str):
            raise SourceFormatError(path, where, f"ground_truth_solution must be a string, got {reference!r:.40}")
        if not re.fullmatch(r"\s*\$?-?[\d,]*\.?\d+\s*", str(gold)) and stated_answer(reference):
            gold = stated_answer(reference)  # some reversed questions carry the answer only in the reference
        # the solution's correctness (a right final answer reached by a wrong step is a wrong solution)
        correctness = record.get("model_output_solution_correctness", record.get("model_output_answer_correctness"))
        labels = (("first_error_step", first_error_step(record, path, where)),
                  ("reason", record.get("model_output_solution_first_error_reason")),
                  ("question_type", record.get("question_type")))
        yield SolutionRecord(question, "\n".join(s.strip() for s in steps), str(gold), model, line,
                             reference=reference, source_id=uuid,
                             published_label=None if correctness is None else correctness == "correct",
                             labels=labels)
