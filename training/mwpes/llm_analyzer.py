"""The ``llm`` analyzer: a model behind :mod:`knowbench.backends` names the first wrong step, the error type (the
labels of :data:`~knowbench.training.mwpes.checks.ERROR_TYPES`), the evidence and a confidence.

The model sees the question, the reference solution and the wrong solution with its steps numbered as
:func:`~knowbench.training.mwpes.steps.split_steps` numbers them (the same numbering the rule checks use), and is
asked for a structured answer: a call of the ``report_error`` tool where the backend supports tools, else one JSON
object. :func:`parse_answer` validates it field by field; a field that is missing or out of range is replaced by its
empty value (step ``None``, type ``other``, confidence 0) and named in ``details["invalid"]``, so every sample gets
the same fields whatever the model writes. Samples whose answer does not validate are asked once more with the
reason (``retries``).

Example:
    >>> parse_answer('Sure. {"first_error_step": 2, "error_type": "operator error", "evidence": "adds instead of '
    ...              'multiplying", "confidence": 0.8}', 3)
    ({'first_error_step': 2, 'error_type': 'operator_error', 'evidence': 'adds instead of multiplying', 'confidence': 0.8}, [])
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from knowbench.training.mwpes.analyzers import ANALYZERS, Analysis, embedding_text
from knowbench.training.mwpes.checks import ERROR_TYPES
from knowbench.training.mwpes.samples import ErrorSample
from knowbench.training.mwpes.steps import split_steps

#: the tool the model is asked to call (OpenAI function schema)
REPORT_TOOL = {
    "type": "function",
    "function": {
        "name": "report_error",
        "description": "Report the first wrong step of the student's solution and the type of the error.",
        "parameters": {
            "type": "object",
            "properties": {
                "first_error_step": {"type": "integer", "description": "number of the first wrong step"},
                "error_type": {"type": "string", "enum": list(ERROR_TYPES)},
                "evidence": {"type": "string", "description": "the wrong step and what is wrong with it"},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": ["first_error_step", "error_type", "evidence", "confidence"],
        },
    },
}
_PROMPT = (
    "A student solved a math word problem wrongly. Find the FIRST wrong step of the student's solution and the type "
    "of the error; do not solve the problem again.\n\nError types: {types}.\n\nProblem: {question}\n\n"
    "Correct solution:\n{reference}\n\nStudent's solution:\n{steps}\n\n"
    "Answer with one JSON object and nothing else: "
    '{{"first_error_step": <step number>, "error_type": "<one error type>", '
    '"evidence": "<the wrong step and what is wrong with it>", "confidence": <a number from 0 to 1>}}'
)
EMPTY = {"first_error_step": None, "error_type": "other", "evidence": "", "confidence": 0.0}


def numbered_steps(solution: str) -> tuple[str, int]:
    """The solution as ``Step k: ...`` lines in the checks' numbering, and the highest step number.

    Example:
        >>> numbered_steps("2 + 3 = 5\\n5 * 4 = 20")
        ('Step 1: 2 + 3 = 5\\nStep 2: 5 * 4 = 20', 2)
    """
    steps = split_steps(solution)
    if not steps:
        return solution.strip(), 0
    return "\n".join(f"Step {s.number}: {' '.join(s.text.split())}" for s in steps), max(s.number for s in steps)


def _first_object(text: str) -> dict[str, Any] | None:
    """The first JSON object written in ``text`` (after any prose or a code fence)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _error_type(value: Any) -> str | None:
    """One of :data:`ERROR_TYPES` from how a model may write it (``Operator error``, ``operator-error``)."""
    if not isinstance(value, str):
        return None
    name = re.sub(r"[^a-z]+", "_", value.lower()).strip("_")
    if name in ERROR_TYPES:
        return name
    return name + "_error" if name + "_error" in ERROR_TYPES else None


def parse_answer(answer: str | dict[str, Any], n_steps: int) -> tuple[dict[str, Any], list[str]]:
    """The validated fields of a model's answer (a JSON text or tool-call arguments) and the reasons of the fields
    that did not validate (each replaced by its :data:`EMPTY` value).

    Example:
        >>> parse_answer({"first_error_step": 9, "error_type": "typo", "confidence": "high"}, 3)[1]
        ['first_error_step 9 is not a step of the solution (1-3)', "error_type 'typo' is not one of the labels", \
'evidence is missing', "confidence 'high' is not a number in [0, 1]"]
    """
    found = answer if isinstance(answer, dict) else _first_object(answer)
    if found is None:
        return dict(EMPTY), ["no JSON object in the answer"]
    out, invalid = dict(EMPTY), []
    step = found.get("first_error_step")
    if isinstance(step, str) and re.fullmatch(r"\s*(?:step\s*)?\d+\s*", step, re.I):
        step = int(re.sub(r"\D", "", step))
    if isinstance(step, int) and not isinstance(step, bool) and 1 <= step <= max(n_steps, 1):
        out["first_error_step"] = step
    else:
        invalid.append(f"first_error_step {step!r} is not a step of the solution (1-{max(n_steps, 1)})")
    kind = _error_type(found.get("error_type"))
    if kind is None:
        invalid.append(f"error_type {found.get('error_type')!r} is not one of the labels")
    else:
        out["error_type"] = kind
    evidence = found.get("evidence")
    if isinstance(evidence, str) and evidence.strip():
        out["evidence"] = " ".join(evidence.split())
    else:
        invalid.append("evidence is missing")
    confidence = found.get("confidence")
    if isinstance(confidence, int | float) and not isinstance(confidence, bool) and 0 <= confidence <= 1 \
            and math.isfinite(confidence):
        out["confidence"] = float(confidence)
    else:
        invalid.append(f"confidence {confidence!r} is not a number in [0, 1]")
    return out, invalid


@ANALYZERS.register("llm")
class LLMAnalyzer:
    """A model behind the shared backends (``backend``: a spec string or a backend object) fills the same fields as
    the rule checks; ``retries`` re-asks a sample whose answer did not validate, with the reasons.

    Example:
        >>> analyzer = LLMAnalyzer("transformers:smollm2")  # doctest: +SKIP
        >>> analyzer.analyze(samples)[0].details["error_type"]  # doctest: +SKIP
        'calculation_error'
    """

    name = "llm"

    def __init__(self, backend: Any = "transformers:smollm2", max_new_tokens: int = 160, batch_size: int = 8,
                 retries: int = 1, use_tools: bool = True) -> None:
        self.backend = backend
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.retries = retries
        self.use_tools = use_tools

    def analyze(self, samples: Sequence[ErrorSample]) -> list[Analysis]:
        from knowbench.backends import GenerationConfig, load_backend

        backend = load_backend(self.backend) if isinstance(self.backend, str) else self.backend
        config = GenerationConfig(max_new_tokens=self.max_new_tokens)
        tools = [REPORT_TOOL] if self.use_tools and getattr(backend, "supports_tools", False) else None
        out: list[Analysis] = []
        for start in range(0, len(samples), self.batch_size):
            batch = list(samples[start:start + self.batch_size])
            numbered = [numbered_steps(s.solution) for s in batch]
            chats = [[{"role": "user", "content": _PROMPT.format(
                types=", ".join(ERROR_TYPES), question=s.question.strip(), reference=s.gold_solution.strip(),
                steps=steps)}] for s, (steps, _) in zip(batch, numbered, strict=True)]
            results = [self._ask(backend, chats, config, tools, [n for _, n in numbered])]
            for _ in range(self.retries):
                redo = [i for i, (_, invalid, _) in enumerate(results[-1]) if invalid]
                if not redo:
                    break
                again = self._ask(backend, [[*chats[i], {"role": "assistant", "content": results[-1][i][2]},
                                             {"role": "user", "content": "Not valid: " + "; ".join(results[-1][i][1])
                                              + ". Answer again with one JSON object only."}] for i in redo],
                                  config, tools, [numbered[i][1] for i in redo])
                merged = list(results[-1])
                for i, answer in zip(redo, again, strict=True):
                    if len(answer[1]) < len(merged[i][1]):
                        merged[i] = answer
                results.append(merged)
            for (fields, invalid, raw) in results[-1]:
                details = {**fields, "summary": fields["evidence"], "invalid": invalid, "raw": raw,
                           "model": getattr(backend, "model_name", "")}
                text = embedding_text(fields["error_type"], fields["evidence"] or "no evidence given")
                out.append(Analysis(text, fields["error_type"], fields["first_error_step"], details))
        return out

    @staticmethod
    def _ask(backend: Any, chats: list[list[dict[str, Any]]], config: Any, tools: list[dict[str, Any]] | None,
             n_steps: list[int]) -> list[tuple[dict[str, Any], list[str], str]]:
        """``(fields, invalid, raw answer)`` per conversation."""
        answers = backend.chat(chats, config, tools) if tools else backend.chat(chats, config)
        out = []
        for completions, n in zip(answers, n_steps, strict=True):
            completion = completions[0]
            call = next((c for c in completion.tool_calls if c.name == "report_error" and not c.error), None)
            raw = json.dumps(call.arguments) if call else completion.text
            fields, invalid = parse_answer(call.arguments if call else completion.text, n)
            out.append((fields, invalid, raw))
        return out
