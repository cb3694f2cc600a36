"""Typed view of an MWPES row (one wrong solution) and a one-call loader.

Example:
    >>> from knowbench.loaders.mwpes import load_rows  # doctest: +SKIP
    >>> rows = load_rows("out/mwpes")                 # config "all", split "train"  # doctest: +SKIP
    >>> row = rows[0]  # doctest: +SKIP
    >>> row.sample_id, row.model, row.gold_answer, row.extracted_answer, row.duplicates  # doctest: +SKIP
    ('gsm8k/test-0/gpt3-175b/finetuning/0', 'gpt3-175b', '18', '4', 1)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

#: the split every MWPES config has
SPLIT = "train"


@dataclass(frozen=True, slots=True)
class GoldStep:
    """A GSM8K calculator note ``<<expression=result>>`` of the gold solution."""

    expression: str
    result: str


@dataclass(frozen=True, slots=True)
class MWPESRow:
    """One wrong solution with its problem (the features of the ``all`` and per-dataset configs)."""

    sample_id: str
    dataset: str
    problem_id: str
    question: str
    options: tuple[str, ...]
    gold_answer: str
    gold_solution: str
    gold_steps: tuple[GoldStep, ...]
    level: str | None
    type: str | None
    model: str
    strategy: str
    temperature: float | None
    top_p: float | None
    sample_index: int
    prompt_style: str | None
    solution: str
    extracted_answer: str | None
    verdict: str
    judge_method: str | None
    published_label: bool | None
    duplicates: int
    duplicate_ids: tuple[str, ...]
    #: the source's own id; human labels of the first wrong step and error type where the source has them
    source_id: str | None = None
    label_first_error_step: int | None = None
    label_error_type: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MWPESRow:
        values = dict(row)
        values["options"] = tuple(row.get("options") or ())
        values["gold_steps"] = tuple(GoldStep(s["expression"], s["result"]) for s in row.get("gold_steps") or ())
        values["duplicate_ids"] = tuple(row.get("duplicate_ids") or ())
        return cls(**{name: values.get(name) for name in cls.__slots__})

    @property
    def text(self) -> str:
        """Problem and wrong solution as one text (what an embedder sees by default)."""
        return f"Problem: {self.question}\nWrong solution: {self.solution}"


def load_rows(path_or_repo_id: str | os.PathLike[str], config: str = "all", split: str = SPLIT) -> list[MWPESRow]:
    """Every row of one MWPES config (``all`` or a dataset name) as :class:`MWPESRow`."""
    from knowbench.loaders import load

    return [MWPESRow.from_row(row) for row in load("mwpes", path_or_repo_id, config, split=split)]
