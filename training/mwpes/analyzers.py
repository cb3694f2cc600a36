"""Analyzers: turn an error sample into a short text that says what went wrong; that text is what gets clustered.

- ``steps`` (default): splits any solution into its own steps and checks each against the question and the
  reference (:mod:`knowbench.training.mwpes.checks`): first wrong step, error type, evidence, confidence.
- ``gsm8k-rule``: compares the model's calculator steps ``<<a*b=c>>`` with the gold solution's and names
  the first step that diverges (:mod:`knowbench.training.mwpes.gsm8k_rule`).
- ``solution``: the wrong solution itself (any dataset, no analysis).
- ``llm``: a model behind :mod:`knowbench.backends` answers with the same fields as ``steps`` (first wrong step,
  error type, evidence, confidence), asked for a structured answer and validated
  (:mod:`knowbench.training.mwpes.llm_analyzer`).

Example:
    >>> sorted(ANALYZERS)
    ['gsm8k-rule', 'llm', 'solution', 'steps']
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from knowbench.registry import Registry
from knowbench.training.mwpes.samples import ErrorSample

ANALYZERS: Registry[type] = Registry("error analyzer")
#: modules that register analyzers of their own (imported with this one)
ANALYZER_MODULES = ("knowbench.training.mwpes.gsm8k_rule", "knowbench.training.mwpes.llm_analyzer")


@dataclass(frozen=True)
class Analysis:
    """What an analyzer says about one sample: ``text`` is embedded; ``kind`` and ``details`` are structured."""

    text: str
    kind: str = ""
    step: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def embedding_text(error_type: str, evidence: str) -> str:
    """What gets embedded: the error type in words and what kind of check failed. The specifics of the instance are
    masked (:func:`pattern_text` keeps the operations for people to read): numbers, which operations an expression
    uses and which operator was taken for which, so one kind of mistake gives one text and one category.

    Example:
        >>> embedding_text("calculation_error", "step 4 states 6*4 = 23, but 6*4 = 24")
        'calculation error: states a computation = N, but a computation = N'
        >>> embedding_text("operator_error", "step 2 computes 6*2 = 12; '*' where the reference has '/'")
        'operator error: an operator where the reference has another'
        >>> embedding_text("confusing_formula_error", "step 3 gives 9; step 2 announces the operation (+, /) that "
        ...                "the next step carries out")
        'confusing formula error: announces the operation that the next step carries out'
    """
    text = _OPERATOR_PAIR.sub("an operator where the reference has another", _shape(error_type, evidence, False))
    text = _OPERATOR_LIST.sub("", text)
    return text.replace("a computation where the reference computes a computation",
                        "a computation where the reference computes another")


def pattern_text(error_type: str, evidence: str) -> str:
    """The evidence without step numbers, specific numbers and the shape of the arithmetic: ``6*4`` and ``2*3*5``
    are both "a product", ``1+2+3`` "a sum". Categories list their members' most common patterns.

    Example:
        >>> pattern_text("calculation_error", "step 4 states 6*4 = 23, but 6*4 = 24")
        'calculation error: states a product = N, but a product = N'
        >>> pattern_text("confusing_formula_error", "step 1 computes 3 + 4 = 7; 1+1+3+4 where the reference "
        ...              "computes 3*4 (reference: 3*(4) = 12)")
        'confusing formula error: a sum where the reference computes a product'
        >>> pattern_text("other", "step 5 (t = (a+b)/2) gives 7, a value the reference never reaches")
        'other: gives N, a value the reference never reaches'
        >>> pattern_text("other", "step 5 computes 5*x-28 = 7; 5*x-28 where the reference computes 9*x")
        'other: a difference and product where the reference computes a product'
    """
    return _shape(error_type, evidence, True)


def _shape(error_type: str, evidence: str, operations: bool) -> str:
    """The evidence with step numbers and numbers masked; expressions read as their operations or as "computation"."""
    evidence = evidence.rsplit("; ", 1)[-1]  # the last word on what differs from the reference, when there is one
    # "leaves out the reference's step 3 (She eats (3+4) = 7)" -> "leaves out the reference's step"
    text = re.sub(r"(reference's) step \d+(?:\s*\(.*?\)(?=,|;|$))?", r"\1 step", evidence)
    text = re.sub(r"\b[Ss]tep \d+\s*(?:\((?:[^()]|\([^()]*\))*\))?\s*", "", text)  # "step 4 (t = (a+b)/2)"
    text = re.sub(r"\s*\(reference: [^;]*?\)(?=;|$)", "", text)
    text = re.sub(r"^it\s+", "", text)  # "it brings in 5" and "step 3 brings in 5" say the same
    # a minus after a name or ")" is an operator: 5*x-28 -> N*x-N
    text = re.sub(r"(?<![\d)])(?:(?<![\w)])-)?(?:\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)(?:e-?\d+)?", "N", text)
    text = _ARITHMETIC.sub(_operations if operations else _computation, text)
    return f"{error_type.replace('_', ' ')}: {' '.join(text.split())}".strip()


#: an expression in masked numbers (and one-letter unknowns) with at least one operator
_ARITHMETIC = re.compile(r"[(]*(?:N|\b[A-Za-z]\b)[)]*(?:\s*(?:\*\*|[-+*/])\s*[(]*(?:N|\b[A-Za-z]\b)[)]*)+")
_OPERATION_NAMES = {"+": "sum", "-": "difference", "*": "product", "/": "quotient", "**": "power"}
#: which operators a step announces: "the operation (+, *)"
_OPERATOR_LIST = re.compile(r"\s*\((?:\*\*|[-+*/])(?:, (?:\*\*|[-+*/]))*\)")
#: which operator was taken for which
_OPERATOR_PAIR = re.compile(r"'(?:\*\*|[-+*/])' where the reference has '(?:\*\*|[-+*/])'")


def _operations(match: re.Match[str]) -> str:
    """An expression named by its operations: ``N+N*N`` -> "a sum and product"."""
    found = set(re.findall(r"\*\*|[-+*/]", match.group(0)))
    article = "" if match.string[:match.start()].endswith("'s ") else "a "  # "the reference's product"
    return article + " and ".join(name for op, name in _OPERATION_NAMES.items() if op in found)


def _computation(match: re.Match[str]) -> str:
    return "computation" if match.string[:match.start()].endswith("'s ") else "a computation"


@ANALYZERS.register("steps")
class StepCheckAnalyzer:
    """The default: per-step checks against question and reference (:mod:`knowbench.training.mwpes.checks`), no
    model. ``kind`` is the error type, ``step`` the first wrong step in the solution's own numbering.

    Example:
        >>> from knowbench.training.mwpes.samples import ErrorSample
        >>> s = ErrorSample("x", "Skirts cost $6; she sells 4.", "6 x 4 = 24\\n#### 24", "24", "6 x 4 = 23\\n#### 23",
        ...                 "23", "m")
        >>> a = StepCheckAnalyzer().analyze([s])[0]
        >>> a.kind, a.step, a.text
        ('calculation_error', 1, 'calculation error: states a computation = N, but a computation = N')
    """

    name = "steps"

    def __init__(self, run_code: bool = True) -> None:
        self.run_code = run_code

    def analyze(self, samples: Sequence[ErrorSample]) -> list[Analysis]:
        from knowbench.training.mwpes.checks import diagnose

        out = []
        for sample in samples:
            d = diagnose(sample.question, sample.solution, sample.gold_solution, sample.gold_answer, self.run_code)
            details = {**d.to_dict(), "summary": d.evidence}
            out.append(Analysis(embedding_text(d.error_type, d.evidence), d.error_type, d.first_error_step, details))
        return out


@ANALYZERS.register("solution")
class SolutionAnalyzer:
    """Uses the wrong solution itself as the text to cluster (no analysis; works for every dataset)."""

    name = "solution"

    def analyze(self, samples: Sequence[ErrorSample]) -> list[Analysis]:
        return [Analysis(s.solution.strip(), "") for s in samples]


def make_analyzer(spec: str | Any, **options: Any) -> Any:
    """An analyzer from a registry name, or any object with ``analyze(samples) -> list[Analysis]`` as is."""
    if isinstance(spec, str):
        return ANALYZERS.get(spec)(**options)
    return spec


for _module in ANALYZER_MODULES:
    importlib.import_module(_module)

