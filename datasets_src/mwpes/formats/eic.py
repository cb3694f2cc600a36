"""``eic``: erroneous GSM8K solutions of the EIC benchmark (Li et al. 2024, LittleCirc1e/EIC).

Per line: ``question``, ``original_solution`` (the correct reference), ``original_answer``, ``transformed_solution``
(the wrong solution), ``transformed_answer``, ``wrong_step`` (1-based line of the first error), ``wrong_type`` (one of
nine error types), ``explanation``. The file has no id, so ``source_id`` is a hash of question and solution.

Example:
    >>> sorted(EIC_TYPES)[:2]
    ['adding_irrelevant_information', 'calculation_error']
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from knowbench.datasets_src.mwpes._common import require_answer, require_strs
from knowbench.datasets_src.mwpes.formats import FORMATS, SolutionRecord
from knowbench.errors import SourceFormatError
from knowbench.io import iter_jsonl

EIC_TYPES = frozenset({
    "calculation_error", "referencing_context_value_error", "referencing_previous_step_value_error",
    "confusing_formula_error", "counting_error", "missing_step", "adding_irrelevant_information", "operator_error",
    "unit_conversion_error",
})


@FORMATS.register("eic")
def read(path: str | os.PathLike[str], model: str = "gpt-4-transformed") -> Iterator[SolutionRecord]:
    """One record per line; ``wrong_type`` outside the nine names is kept as written (the file has a few)."""
    for line, record in iter_jsonl(path):
        where = f"line {line}"
        question, reference, solution = require_strs(
            record, ("question", "original_solution", "transformed_solution"), path, where)
        gold = require_answer(record, "original_answer", path, where)
        step = record.get("wrong_step")
        if not isinstance(step, int) or isinstance(step, bool) or step < 1:
            raise SourceFormatError(path, where, f"wrong_step must be a line number >= 1, got {step!r:.40}")
        kind = record.get("wrong_type")
        if not isinstance(kind, str) or not kind:
            raise SourceFormatError(path, where, f"wrong_type must be an error type name, got {kind!r:.40}")
        yield SolutionRecord(question, solution, gold, model, line, reference=reference, published_label=False,
                             labels=(("first_error_step", step), ("error_type", kind),
                                     ("reason", record.get("explanation"))))
