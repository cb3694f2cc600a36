"""Math-word-problem sources of the MWPES dataset: readers for GSM8K, SVAMP, AQuA, MATH and ASDiv into one
:class:`~knowbench.datasets_src.mwpes.schema.Problem` schema, the answer judge, and error-sample collection.

Example:
    >>> from knowbench.datasets_src.mwpes import read_problems  # doctest: +SKIP
    >>> problems = read_problems("gsm8k", "../shared/data/mwp/gsm8k_test.jsonl")  # doctest: +SKIP
    >>> len(problems), problems[0].gold_answer  # doctest: +SKIP
    (1319, '18')
"""

from __future__ import annotations

import importlib
import os

from knowbench.datasets_src.mwpes.schema import DATASETS, CalculatorStep, Problem
from knowbench.errors import UnknownNameError

# dataset name -> reader module (each defines read(path) -> list[Problem])
READERS = {
    "gsm8k": "knowbench.datasets_src.mwpes.gsm8k",
    "svamp": "knowbench.datasets_src.mwpes.svamp",
    "aqua": "knowbench.datasets_src.mwpes.aqua",
    "math": "knowbench.datasets_src.mwpes.hendrycks_math",
    "asdiv": "knowbench.datasets_src.mwpes.asdiv",
}

__all__ = ["DATASETS", "READERS", "CalculatorStep", "Problem", "read_problems"]


def read_problems(dataset: str, path: str | os.PathLike[str]) -> list[Problem]:
    """Read every problem of one source file of ``dataset`` (``gsm8k``, ``svamp``, ``aqua``, ``math``, ``asdiv``)."""
    if dataset not in READERS:
        raise UnknownNameError("math word problem dataset", dataset, READERS)
    return importlib.import_module(READERS[dataset]).read(path)
